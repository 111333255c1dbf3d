import Foundation

/// The content of an `approvals/<execution-id>.approve` or `.reject` marker.
package enum ApprovalMarker {
    /// Only this much of a marker is read as its comment.
    package static let maximumCommentBytes = 4096

    /// The decision's comment: the first 4 KiB as UTF-8 (invalid sequences replaced),
    /// trimmed; nil when nothing is left.
    package static func comment(from data: Data) -> String? {
        guard !data.isEmpty else { return nil }
        let text = String(decoding: data.prefix(maximumCommentBytes), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
