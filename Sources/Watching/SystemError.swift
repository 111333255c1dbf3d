import Glibc

/// A failed system call: what was attempted, on which path, and errno.
package struct SystemError: Error, Sendable, CustomStringConvertible {
    package var operation: String
    package var path: String?
    package var code: Int32

    package init(_ operation: String, path: String? = nil, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    package var description: String {
        "\(operation)\(path.map { " \($0)" } ?? ""): \(String(cString: strerror(code)))"
    }
}
