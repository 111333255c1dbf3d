import Definitions
import Glibc
import Scheduling

extension ApprovalAuthority.Marker {
    /// A request file (trigger, cancel, approval marker) as the authority rules see it,
    /// from the `fstat` of the opened file (or the `lstat` of a symlink, which is never
    /// opened): its kind, its number of names, and its owner's name and groups (names and ids), looked up
    /// in the password and group databases (a uid they do not know is named by its number).
    package init(requestFile info: stat) {
        let owner = RunIdentity.passwd(uid: info.st_uid)
        self.init(isRegularFile: info.st_mode & S_IFMT == S_IFREG, isSymlink: info.st_mode & S_IFMT == S_IFLNK,
                  ownerUID: info.st_uid, ownerName: owner?.name ?? "\(info.st_uid)",
                  ownerGroups: owner.map(RunIdentity.groupNames(of:)) ?? [],
                  ownerGroupIDs: owner.map(RunIdentity.groupIDs(of:)) ?? [], linkCount: UInt(info.st_nlink))
    }
}
