import SystemCalls

/// A state-directory operation that failed: what was done, to which path, and the errno
/// when the system refused (ENOSPC, EACCES, EROFS, ...).
package struct StateStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Kinds of failure; a struct wrapping a private enum so kinds can be added later.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Raw: String { case system, unreadable, encoding, invalidName }
        private let raw: Raw
        private init(_ raw: Raw) { self.raw = raw }
        /// A system call failed; `errno` says why.
        package static let system = Code(.system)
        /// A file's content is not the JSON expected.
        package static let unreadable = Code(.unreadable)
        /// A value could not be encoded.
        package static let encoding = Code(.encoding)
        /// A job or execution id that cannot name a path under state/.
        package static let invalidName = Code(.invalidName)
        package var description: String { raw.rawValue }
    }

    package var code: Code
    package var path: String
    package var errno: Int32?
    package var message: String

    package init(code: Code, path: String, errno: Int32? = nil, message: String) {
        self.code = code
        self.path = path
        self.errno = errno
        self.message = message
    }

    init(_ error: Errno, path: String) {
        self.init(code: .system, path: path, errno: error.code, message: error.description)
    }

    package var description: String { "\(path): \(message)" }
}
