import Foundation
import Glibc
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 for tests: it accepts, reads each request
/// (headers and a Content-Length body), keeps it, and answers as the script says for
/// that request's number: a status, or nothing at all (the connection stays open).
/// One connection per request (`Connection: close`), unless a reply keeps it alive: then
/// the next request is read from the same connection, until the client closes it.
package final class ScriptedHTTPServer: Sendable {
    package struct Request: Sendable {
        package var method: String
        package var path: String
        /// Header names lowercased.
        package var headers: [String: String]
        package var body: Data
        package var bodyText: String { String(decoding: body, as: UTF8.self) }
        /// The body as a JSON object, when it is one.
        package var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    }

    package enum Reply: Sendable {
        /// The status with `status N` as its text, then the connection is closed.
        case status(Int)
        /// The status with `body` as its text; with `keepAlive` the connection stays open
        /// for the client's next request (`Connection: keep-alive`) instead of being closed.
        case answer(Int, body: String, keepAlive: Bool = false)
        /// Reads the request and never answers.
        case silence
        /// A 200 with a chunked body: each piece sent on its own, `pause` apart.
        case stream([String], pause: Duration)
    }

    package let port: UInt16
    private let listener: Int32
    private let script: @Sendable (Int, Request) -> Reply
    private let state = Mutex<(requests: [Request], open: [Int32], stopped: Bool)>(([], [], false))

    /// Listens on `port` (0: any free one); `script` maps the request's number (0-based,
    /// in the order requests were read) and the request to its reply.
    package init(port: UInt16 = 0, script: @escaping @Sendable (Int, Request) -> Reply = { _, _ in .status(200) }) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = UInt16(bigEndian: actual.sin_port)
        listener = fd
        self.script = script
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// `http://127.0.0.1:PORT` + `path`.
    package func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The requests received so far, in order.
    package var requests: [Request] { state.withLock { $0.requests } }

    /// Connections accepted and not yet closed (by either side).
    package var openConnections: Int { state.withLock { $0.open.count } }

    /// Stops listening and closes every connection; the port is free again.
    package func stop() {
        let (open, first) = state.withLock { state -> ([Int32], Bool) in
            defer {
                state.stopped = true
                state.open.removeAll()
            }
            return (state.open, !state.stopped)
        }
        // Once only: a second close could hit a descriptor reused by then.
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    deinit { stop() }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection >= 0 { _ = fcntl(connection, F_SETFD, FD_CLOEXEC) }
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let stopped = state.withLock { state -> Bool in
                if !state.stopped { state.open.append(connection) }
                return state.stopped
            }
            if stopped {
                close(connection)
                return
            }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        while let request = Self.readRequest(fd) {
            if !answer(request, on: fd) { return }
        }
        finish(fd)
    }

    /// Answers `request`; whether the connection stays open for another request.
    private func answer(_ request: Request, on fd: Int32) -> Bool {
        let number = state.withLock { state -> Int in
            state.requests.append(request)
            return state.requests.count - 1
        }
        switch script(number, request) {
        case .silence:
            return false  // left open until `stop()`
        case .status(let code):
            Self.send(fd, Self.response(code, body: "status \(code)\n", keepAlive: false))
            finish(fd)
        case .answer(let code, let body, let keepAlive):
            Self.send(fd, Self.response(code, body: body, keepAlive: keepAlive))
            if keepAlive { return true }
            finish(fd)
        case .stream(let pieces, let pause):
            Self.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            for (index, piece) in pieces.enumerated() {
                if index > 0 { Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18) }
                Self.send(fd, String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n")
            }
            Self.send(fd, "0\r\n\r\n")
            finish(fd)
        }
        return false
    }

    private static func response(_ code: Int, body: String, keepAlive: Bool) -> String {
        "HTTP/1.1 \(code) Scripted\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n\(body)"
    }

    private static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private func finish(_ fd: Int32) {
        let mine = state.withLock { state -> Bool in
            guard let index = state.open.firstIndex(of: fd) else { return false }
            state.open.remove(at: index)
            return true
        }
        if mine { close(fd) }
    }

    private static func readRequest(_ fd: Int32) -> Request? {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let separator = Data("\r\n\r\n".utf8)
        while buffer.range(of: separator) == nil {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk[0..<count])
        }
        let headerEnd = buffer.range(of: separator)!
        let head = String(decoding: buffer[buffer.startIndex..<headerEnd.lowerBound], as: UTF8.self)
        var body = Data(buffer[headerEnd.upperBound...])
        let lines = head.components(separatedBy: "\r\n")
        let first = lines[0].split(separator: " ")
        guard first.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < length {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            body.append(contentsOf: chunk[0..<count])
        }
        return Request(method: String(first[0]), path: String(first[1]), headers: headers, body: body)
    }
}
