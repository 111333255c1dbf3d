import Glibc

/// A failed system call: its errno and the call's name.
package struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    package var code: Int32
    package var call: String
    package init(_ code: Int32, call: String) {
        self.code = code
        self.call = call
    }
    package var description: String { "\(call): \(String(cString: strerror(code))) (errno \(code))" }
    /// The C library's text for `code`, e.g. "No such file or directory".
    package var text: String { String(cString: strerror(code)) }
}
