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
        struct Header: Decodable { var schema: String? }
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(Header.self, from: Data(bytes)) else {
            throw OutcomeReadError(code: .unreadable, path: path, message: "not a JSON object")
        }
        guard let schema = header.schema, schema.hasPrefix("jobdir.outcome/v") else {
            throw OutcomeReadError(code: .unreadable, path: path,
                                   message: "not an outcome file (schema `\(header.schema ?? "none")`, expected `\(Self.schema)`)")
        }
        guard schema == Self.schema else {
            throw OutcomeReadError(code: .unsupportedVersion, path: path,
                                   message: "outcome format `\(schema)` is not known to this jobdir, which reads `\(Self.schema)`")
        }
        do { return try decoder.decode(SupervisorOutcome.self, from: Data(bytes)) } catch {
            throw OutcomeReadError(code: .unreadable, path: path, message: "not a valid outcome: \(error)")
        }
    }
}
