/// Who may decide an approval (SPEC section 5): a marker counts only if it is a
/// regular file, not a symlink, with no other name (a hard link made by someone else to
/// a file of root's would otherwise speak for root), whose owner is a listed approver (a
/// user name, or `@group` for members of the group) or, with no approvers listed, the
/// daemon's own user or root. Pure: the caller looks up names and groups.
package enum ApprovalAuthority {
    /// What is known of a marker file.
    package struct Marker: Sendable {
        package var isRegularFile: Bool
        package var isSymlink: Bool
        package var ownerUID: UInt32
        package var ownerName: String
        /// Names of every group the owner belongs to.
        package var ownerGroups: Set<String>
        /// Ids of every group the owner belongs to.
        package var ownerGroupIDs: Set<UInt32>
        /// How many names (hard links) the file has.
        package var linkCount: UInt

        package init(isRegularFile: Bool, isSymlink: Bool, ownerUID: UInt32, ownerName: String, ownerGroups: Set<String>,
                     ownerGroupIDs: Set<UInt32> = [], linkCount: UInt = 1) {
            self.isRegularFile = isRegularFile
            self.isSymlink = isSymlink
            self.ownerUID = ownerUID
            self.ownerName = ownerName
            self.ownerGroups = ownerGroups
            self.ownerGroupIDs = ownerGroupIDs
            self.linkCount = linkCount
        }

        /// Whether an entry of `operators:` or `approvers:` names the owner: `@group` a
        /// group of theirs, anything else the owner. A number is an id (uid, or gid after
        /// `@`), as when the readers of a job's state are resolved (`StateReaders`): the
        /// databases are asked for a number as an id before as a name.
        package func isNamed(by principal: String) -> Bool {
            if principal.hasPrefix("@") {
                let group = String(principal.dropFirst())
                if let gid = UInt32(group) { return ownerGroupIDs.contains(gid) }
                return ownerGroups.contains(group)
            }
            if let uid = UInt32(principal) { return uid == ownerUID }
            return principal == ownerName
        }

        /// Why the file cannot be a request whoever owns it, or nil.
        package var kindRefusal: String? {
            if isSymlink { return "a symlink does not count; create a regular file" }
            if !isRegularFile { return "not a regular file" }
            if linkCount != 1 { return "the file has \(linkCount) names (hard links); a request must be a file of its own" }
            return nil
        }
    }

    /// Nil when the marker counts; otherwise why it is refused.
    package static func refusal(of marker: Marker, approvers: [String], daemonUID: UInt32) -> String? {
        if let refusal = marker.kindRefusal { return refusal }
        if approvers.isEmpty {
            if marker.ownerUID == daemonUID || marker.ownerUID == 0 { return nil }
            return "owned by \(marker.ownerName), who is neither the daemon's user nor root (the job lists no approvers)"
        }
        if approvers.contains(where: marker.isNamed(by:)) { return nil }
        return "owned by \(marker.ownerName), who is not among the approvers (\(approvers.joined(separator: ", ")))"
    }

    /// File times are taken from a coarse clock: a marker made just after its request
    /// may carry a time a little before it.
    package static let markerClockSlack: Double = 2

    /// Nil when a marker last modified at `modified` may be for a request made at
    /// `requested`; otherwise why not. A marker is made for its request: one last written
    /// before it was moved in from elsewhere (someone may rename a file of root's they
    /// cannot write into the drop box, but cannot give it a new time).
    package static func staleRefusal(modified: Double, requested: Double) -> String? {
        guard modified < requested - markerClockSlack else { return nil }
        return "last modified before the approval was requested; a marker moved in from elsewhere does not count, create a new one"
    }
}

