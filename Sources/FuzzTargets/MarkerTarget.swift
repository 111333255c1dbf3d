import Foundation
import Scheduling

/// First byte even: the rest is a `cancel/` file name, read as an execution id
/// (its content is never read). Odd: the rest is an approval marker's content,
/// read as the decision's comment.
enum MarkerTarget {
    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let rest = Data(bytes.dropFirst())
        if selector % 2 == 0 {
            let name = String(decoding: rest, as: UTF8.self)
            guard let id = ExecutionID(rawValue: name) else { return }
            // An accepted name parses again to the same time and trigger.
            FuzzCheck.expect(ExecutionID(rawValue: id.rawValue) == id, "id does not parse back: \(name)")
            _ = (id.dueAt, id.trigger)
        } else if let comment = ApprovalMarker.comment(from: rest) {
            FuzzCheck.expect(!comment.isEmpty, "empty comment kept")
            FuzzCheck.expect(comment.utf8.count <= 3 * ApprovalMarker.maximumCommentBytes, "comment of \(comment.utf8.count) bytes")
        }
    }
}
