/// A job's id: its file's path below the jobs directory without the extension,
/// e.g. `reports/weekly`. Each segment matches `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`.
package struct JobID: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let rawValue: String

    /// Nil when any segment breaks the naming rule.
    package init?(_ rawValue: String) {
        guard !rawValue.isEmpty, rawValue.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(JobID.isValidSegment) else {
            return nil
        }
        self.rawValue = rawValue
    }

    package static func isValidSegment(_ segment: Substring) -> Bool {
        guard let first = segment.utf8.first, segment.utf8.count <= 64, isAlphanumeric(first) else { return false }
        return segment.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    package var description: String { rawValue }

    package static func < (a: JobID, b: JobID) -> Bool { a.rawValue < b.rawValue }
}
