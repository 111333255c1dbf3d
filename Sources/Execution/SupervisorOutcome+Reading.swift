import Foundation
import Glibc
import SystemCalls

/// Why an outcome file could not be read.
package struct OutcomeReadError: Error, Hashable, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Raw: String { case missing, system, unsupportedVersion, unreadable }
        private let raw: Raw
        private init(_ raw: Raw) { self.raw = raw }
        /// No outcome was written (yet).
        package static let missing = Code(.missing)
        package static let system = Code(.system)
        /// Written by a jobdir whose outcome format this one does not know.
        package static let unsupportedVersion = Code(.unsupportedVersion)
        /// Not an outcome: bad JSON, a missing field, a wrong type.
        package static let unreadable = Code(.unreadable)
        package var description: String { raw.rawValue }
    }

    package var code: Code
    package var path: String
    package var message: String
    package var description: String { "\(path): \(message)" }
}

extension SupervisorOutcome {
    /// Reads the outcome at `path`. Any `jobdir.outcome/v1` file is accepted (fields it
    /// does not know are ignored); another major version is refused with a clear error.
    package static func read(_ path: String) throws(OutcomeReadError) -> SupervisorOutcome {
        let bytes: [UInt8]
        do { bytes = try Sys.readSmallFile(path) } catch {
            let code: OutcomeReadError.Code = error.code == ENOENT ? .missing : .system
            throw OutcomeReadError(code: code, path: path, message: error.description)
        }
        return try decode(bytes, path: path)
    }

    package static func decode(_ bytes: [UInt8], path: String) throws(OutcomeReadError) -> SupervisorOutcome {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(bytes)) else {
            throw OutcomeReadError(code: .unreadable, path: path, message: "not a JSON object")
        }
        guard let schema = envelope.schema, schema.hasPrefix("jobdir.outcome/v") else {
            throw OutcomeReadError(code: .unreadable, path: path,
                                   message: "not an outcome file (schema `\(envelope.schema ?? "none")`, expected `\(Self.schema)`)")
        }
        guard schema == Self.schema else {
            throw OutcomeReadError(code: .unsupportedVersion, path: path,
                                   message: "outcome format `\(schema)` is not known to this jobdir, which reads `\(Self.schema)`")
        }
        do { return try envelope.outcome.get() } catch {
            throw OutcomeReadError(code: .unreadable, path: path, message: "not a valid outcome: \(error)")
        }
    }

    /// The schema and the outcome, from one parse of the document (the outcome's problems
    /// are reported only once the schema is known to be this version's).
    private struct Envelope: Decodable {
        var schema: String?
        var outcome: Result<SupervisorOutcome, any Error>

        private enum CodingKeys: String, CodingKey { case schema }

        init(from decoder: any Decoder) throws {
            schema = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .schema)
            outcome = Result { try SupervisorOutcome(from: decoder) }
        }
    }
}
