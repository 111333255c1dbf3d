/// Lookups in the password and group databases for resolving who jobs run as. One made
/// `remembering` answers each question once for as long as it lives: a full load asks the
/// same few users and groups once per job file (each a read of `/etc/passwd` or
/// `/etc/group` through NSS), and all its answers belong to one moment. Otherwise every
/// lookup goes to the databases, which an operator may change at any time.
/// Not for sharing between threads (`getpwnam` and friends are not thread-safe either).
package final class AccountLookup {
    private let remembering: Bool
    private var usersByName: [String: PasswdEntry?] = [:]
    private var usersByID: [UInt32: PasswdEntry?] = [:]
    private var groupsByName: [String: RunIdentity.Group?] = [:]
    private var groupNames: [UInt32: String] = [:]

    package init(remembering: Bool = false) {
        self.remembering = remembering
    }

    /// `RunIdentity.passwd(named:)`.
    package func passwd(named text: String) -> PasswdEntry? {
        remembered(text, in: \.usersByName) { RunIdentity.passwd(named: text) }
    }

    /// `RunIdentity.passwd(uid:)`.
    package func passwd(uid: UInt32) -> PasswdEntry? {
        remembered(uid, in: \.usersByID) { RunIdentity.passwd(uid: uid) }
    }

    /// `RunIdentity.group(named:)`.
    package func group(named text: String) -> RunIdentity.Group? {
        remembered(text, in: \.groupsByName) { RunIdentity.group(named: text) }
    }

    /// `RunIdentity.groupName(_:)`.
    package func groupName(_ gid: UInt32) -> String {
        remembered(gid, in: \.groupNames) { RunIdentity.groupName(gid) }
    }

    private func remembered<Key: Hashable, Value>(_ key: Key, in table: ReferenceWritableKeyPath<AccountLookup, [Key: Value]>,
                                                  _ look: () -> Value) -> Value {
        guard remembering else { return look() }
        if let known = self[keyPath: table][key] { return known }
        let value = look()
        self[keyPath: table][key] = value
        return value
    }
}
