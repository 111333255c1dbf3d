import Foundation

/// The samples of a Prometheus text exposition, parsed the way a scraper reads them:
/// `# HELP` and `# TYPE` lines per family, then `name{label="value",...} number` lines.
/// Malformed lines are collected in `problems`, so a test can require there are none.
package struct PrometheusSamples: Sendable {
    package struct Sample: Sendable, Equatable {
        package var name: String
        package var labels: [String: String]
        package var value: Double
    }

    package var samples: [Sample] = []
    /// Family name → type (`gauge`, `counter`, ...).
    package var types: [String: String] = [:]
    package var helps: [String: String] = [:]
    package var problems: [String] = []

    package init(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) where !line.isEmpty {
            if line.hasPrefix("# ") {
                let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                guard parts.count >= 3 else { problems.append(line); continue }
                if parts[1] == "TYPE" { types[parts[2]] = parts.count > 3 ? parts[3] : "" }
                if parts[1] == "HELP" { helps[parts[2]] = parts.count > 3 ? parts[3] : "" }
                continue
            }
            if let sample = Self.parse(line) { samples.append(sample) } else { problems.append(line) }
        }
    }

    /// The value of the one sample named `name` whose labels include `labels`; nil if none.
    package func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    /// Every sample named `name`.
    package func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    private static func parse(_ line: String) -> Sample? {
        var rest = Substring(line)
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard !name.isEmpty else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = rest.prefix { $0 != "=" }
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { return nil }
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                labels[String(key)] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " ", let value = Double(rest.dropFirst().split(separator: " ").first ?? "") else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }
}
