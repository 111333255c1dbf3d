/// The record's `user`: who a run ran as (SPEC section 11).
package struct RunUser: Hashable, Sendable, Codable {
    package var name: String
    package var uid: UInt32
    package var group: String
    package var gid: UInt32

    package init(name: String, uid: UInt32, group: String, gid: UInt32) {
        self.name = name
        self.uid = uid
        self.group = group
        self.gid = gid
    }
}
