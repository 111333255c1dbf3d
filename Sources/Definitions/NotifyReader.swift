import Foundation
import Synchronization

/// Reads `notify` and `ping`, reporting problems with their positions like every other key.
struct NotifyReader {
    var checker: NodeChecker

    mutating func readNotify(_ node: YAMLNode) -> NotifyPolicy? {
        guard let fields = checker.mapping(node, key: "notify", known: JobKeys.notify) else { return nil }
        let before = checker.problems.count
        var policy = NotifyPolicy()
        if let on = fields["on"] { policy.on = checker.choices(on, key: "notify.on", as: NotifyPolicy.Event.self) }
        if let command = fields["command"] { policy.command = readCommand(command) }
        if let webhook = fields["webhook"] { policy.webhook = readURL(webhook, key: "notify.webhook") }
        if let headers = fields["headers"] { policy.headers = readHeaders(headers) }
        if let mail = fields["mail"], let addresses = checker.strings(mail, key: "notify.mail") {
            for (address, item) in addresses {
                if address.isEmpty || address.hasPrefix("-") || address.contains(where: { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == ">" }) {
                    checker.report("`notify.mail`: `\(address)` is not a mail address (one address per item, like ops@example.com)", at: item)
                } else {
                    policy.mail.append(address)
                }
            }
        }
        if fields["command"] == nil && fields["webhook"] == nil && fields["mail"] == nil {
            checker.report("`notify` needs at least one of `command`, `webhook` or `mail`: where to send", at: node)
        }
        if !policy.headers.isEmpty && fields["webhook"] == nil {
            checker.report("`notify.headers` are sent with the `webhook`, and there is none", at: fields["headers"] ?? node)
        }
        return checker.problems.count == before ? policy : nil
    }

    mutating func readPing(_ node: YAMLNode) -> String? {
        readURL(node, key: "ping")
    }

    private mutating func readCommand(_ node: YAMLNode) -> [String]? {
        switch node.value {
        case .scalar:
            return checker.string(node, key: "notify.command").map { ["/bin/sh", "-c", $0] }
        case .sequence(let items):
            return checker.argv(node, items: items, key: "notify.command")
        case .mapping:
            checker.report("`notify.command` must be a string (run by /bin/sh) or a list (run directly); found a mapping", at: node)
            return nil
        }
    }

    private mutating func readURL(_ node: YAMLNode, key: String) -> String? {
        guard let text = checker.string(node, key: key) else { return nil }
        let lowered = text.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            checker.report("`\(key)` must be an http:// or https:// URL; found `\(text)`", at: node)
            return nil
        }
        guard Self.hasHost(text) else {
            checker.report("`\(key)`: `\(text)` is not a URL with a host", at: node)
            return nil
        }
        return text
    }

    /// Whether `text` parses as a URL with a host. The last answers are kept: a
    /// `_defaults.yaml` gives every job of a load the same `notify` and `ping` URLs, and
    /// Foundation's parse of one costs more than the rest of a small job file's.
    private static func hasHost(_ text: String) -> Bool {
        if let known = answers.withLock({ $0[text] }) { return known }
        let answer = URLComponents(string: text)?.host.map { !$0.isEmpty } ?? false
        answers.withLock { known in
            if known.count >= 64 { known.removeAll(keepingCapacity: true) }
            known[text] = answer
        }
        return answer
    }

    private static let answers = Mutex<[String: Bool]>([:])

    private mutating func readHeaders(_ node: YAMLNode) -> [NotifyPolicy.Header] {
        guard case .mapping(let pairs) = node.value else {
            checker.report("`notify.headers` must be a mapping of Name: value; found \(node.kindName)", at: node)
            return []
        }
        let token = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var headers: [NotifyPolicy.Header] = []
        for (keyNode, valueNode) in pairs {
            guard let name = keyNode.scalarText else { continue }
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(token.contains) else {
                checker.report("`notify.headers`: `\(name)` is not an HTTP header name", at: keyNode)
                continue
            }
            guard let value = checker.scalarText(valueNode, key: "notify.headers.\(name)") else { continue }
            if value.contains(where: { $0 == "\n" || $0 == "\r" }) {
                checker.report("`notify.headers.\(name)` must be one line", at: valueNode)
                continue
            }
            if let problem = EnvironmentExpansion.syntaxProblem(in: value) {
                checker.report("`notify.headers.\(name)`: \(problem)", at: valueNode)
                continue
            }
            headers.append(NotifyPolicy.Header(name: name, value: value))
        }
        return headers
    }
}
