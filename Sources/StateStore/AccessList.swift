import Definitions
import Glibc

/// A POSIX access control list as the kernel takes it in the `system.posix_acl_access`
/// and `system.posix_acl_default` extended attributes (`<linux/posix_acl_xattr.h>`):
/// a little-endian version 2 header, then entries of tag, permissions and id, sorted by
/// tag and id. It gives `readers` read access (and search, on a directory) beside the
/// file's owner; the owning group and others get nothing.
package struct AccessList: Equatable, Sendable {
    package let bytes: [UInt8]

    private enum Tag: UInt16 {
        case userObject = 0x01, user = 0x02, groupObject = 0x04, group = 0x08, mask = 0x10, other = 0x20
    }

    private static let undefinedID = UInt32.max
    static let accessAttribute = "system.posix_acl_access"
    static let defaultAttribute = "system.posix_acl_default"

    /// The list for a file (`directory` false: owner `rw`, readers `r`) or a directory
    /// (owner `rwx`, readers `r-x`; also what its new files inherit, masked by their mode).
    package init(readers: StateReaders, directory: Bool) {
        let read: UInt16 = directory ? 5 : 4, owner: UInt16 = directory ? 7 : 6
        var bytes: [UInt8] = []
        func append(_ tag: Tag, _ permissions: UInt16, _ id: UInt32) {
            withUnsafeBytes(of: tag.rawValue.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: permissions.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) }
        }
        withUnsafeBytes(of: UInt32(2).littleEndian) { bytes.append(contentsOf: $0) }
        append(.userObject, owner, Self.undefinedID)
        for uid in readers.users { append(.user, read, uid) }
        append(.groupObject, 0, Self.undefinedID)
        for gid in readers.groups { append(.group, read, gid) }
        append(.mask, read, Self.undefinedID)
        append(.other, 0, Self.undefinedID)
        self.bytes = bytes
    }
}
