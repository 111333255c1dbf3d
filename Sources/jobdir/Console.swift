import ArgumentParser
import Glibc

/// Output of the operator's verbs: results on stdout, one-line errors and notices on stderr.
enum Console {
    /// Writes `text` to stdout as is (no newline added), unbuffered.
    static func out(_ text: String) {
        write(1, Array(text.utf8))
    }

    /// Writes raw bytes to stdout; false when stdout is gone (a closed pipe).
    @discardableResult
    static func out(bytes: [UInt8]) -> Bool {
        write(1, bytes)
    }

    /// `jobdir VERB: message` on stderr, as one line.
    static func notice(_ verb: String, _ message: String) {
        write(2, Array("jobdir \(verb): \(oneLine(message))\n".utf8))
    }

    /// Prints `jobdir VERB: message` on stderr; throw the result to exit with status 1.
    static func failure(_ verb: String, _ message: String) -> ExitCode {
        notice(verb, message)
        return ExitCode(1)
    }

    /// `text` with line breaks turned into spaces, so an error stays one line.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    @discardableResult
    private static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }
}
