import CCurl
import Glibc
import SystemCalls

/// One HTTP client for a whole process, on libcurl's multi-socket API and the caller's
/// own epoll loop: libcurl says which sockets to watch and when its timer is due
/// (`Hooks.watch`/`unwatch`, the client's `timerDescriptor`); the loop hands readiness
/// back with `handle(_:)`. No thread per request and no polling: with nothing in flight
/// no socket is watched and the timer is disarmed, so an idle loop wakes for nothing.
///
/// Requests carry their own timeout (or none, for long-lived streams); a response body is
/// either kept (up to a bound) or streamed chunk by chunk to `onBody` as it arrives.
/// Everything runs on the loop's thread; completions are called there, after the libcurl
/// call that finished them has returned, so they may start new requests.
package final class HTTPClient {
    /// How the client reaches the caller's loop.
    package struct Hooks {
        /// Watch `fd` for readability and/or writability (called again when that changes).
        package var watch: (_ fd: Int32, _ readable: Bool, _ writable: Bool) -> Void
        /// Stop watching `fd` (libcurl is about to close it or no longer needs it).
        package var unwatch: (_ fd: Int32) -> Void

        package init(watch: @escaping (Int32, Bool, Bool) -> Void, unwatch: @escaping (Int32) -> Void) {
            self.watch = watch
            self.unwatch = unwatch
        }
    }

    package struct RequestID: Hashable, Sendable, CustomStringConvertible {
        package let value: UInt64
        package var description: String { "http-\(value)" }
    }

    /// The timerfd libcurl's timer is armed on; the caller adds it to its loop once.
    package let timerDescriptor: Int32
    private let multi: UnsafeMutableRawPointer
    private let hooks: Hooks
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
    private var byID: [RequestID: UnsafeMutableRawPointer] = [:]
    private var sockets: Set<Int32> = []
    private var nextID: UInt64 = 1

    package init(hooks: Hooks) throws(Errno) {
        _ = Self.globalInit
        timerDescriptor = try Sys.monotonicTimer()
        guard let multi = curl_multi_init() else {
            Sys.close(timerDescriptor)
            throw Errno(ENOMEM, call: "curl_multi_init")
        }
        self.multi = multi
        self.hooks = hooks
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = jobdir_multi_set_socket_callback(multi, { _, fd, what, context, _ in
            guard let context else { return 0 }
            Unmanaged<HTTPClient>.fromOpaque(context).takeUnretainedValue().socketChanged(fd, what: what)
            return 0
        }, context)
        _ = jobdir_multi_set_timer_callback(multi, { _, milliseconds, context in
            guard let context else { return 0 }
            Sys.arm(Unmanaged<HTTPClient>.fromOpaque(context).takeUnretainedValue().timerDescriptor,
                    afterMilliseconds: milliseconds < 0 ? nil : milliseconds)
            return 0
        }, context)
    }

    deinit {
        for (easy, transfer) in transfers {
            curl_multi_remove_handle(multi, easy)
            transfer.release()
        }
        curl_multi_cleanup(multi)
        Sys.close(timerDescriptor)
    }

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Requests started and not yet completed.
    package var inFlight: Int { transfers.count }

    /// Whether `fd` is the timer or a socket of this client.
    package func owns(_ fd: Int32) -> Bool { fd == timerDescriptor || sockets.contains(fd) }

    /// Starts `request`; `completion` is called once, on the loop, when it has ended.
    /// With `onBody`, the response body goes there chunk by chunk as it arrives instead.
    @discardableResult
    package func start(_ request: HTTPRequest, onBody: ((UnsafeRawBufferPointer) -> Void)? = nil,
                       completion: @escaping (HTTPResponse) -> Void) -> RequestID {
        let id = RequestID(value: nextID)
        nextID += 1
        // Schemes are case-insensitive (RFC 3986): `HTTPS://` is sent like `https://`.
        let scheme = request.url.prefix(8).lowercased()
        guard scheme.hasPrefix("http://") || scheme.hasPrefix("https://") else {
            completion(HTTPResponse(status: nil, error: "only http and https URLs are sent"))
            return id
        }
        guard let easy = curl_easy_init() else {
            completion(HTTPResponse(status: nil, error: "curl_easy_init failed"))
            return id
        }
        let transfer = Transfer(id: id, request: request, onBody: onBody, completion: completion)
        transfer.configure(easy)
        transfers[easy] = transfer
        byID[id] = easy
        let code = curl_multi_add_handle(multi, easy)
        if code != CURLM_OK {
            finish(easy, result: CURLE_FAILED_INIT, message: String(cString: curl_multi_strerror(code)))
        }
        return id
    }

    /// Ends a request early; its completion is not called.
    package func cancel(_ id: RequestID) {
        guard let easy = byID[id], let transfer = transfers[easy] else { return }
        transfers[easy] = nil
        byID[id] = nil
        curl_multi_remove_handle(multi, easy)
        transfer.release()
        curl_easy_cleanup(easy)
    }

    /// `fd` (the timer or a socket) is ready: lets libcurl act on it, then completes
    /// what it finished.
    package func handle(_ fd: Int32) {
        var running: Int32 = 0
        if fd == timerDescriptor {
            Sys.acknowledge(fd)
            _ = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
        } else {
            // The loop reports the descriptor only: libcurl tests which way it is ready.
            _ = curl_multi_socket_action(multi, fd, 0, &running)
        }
        completeFinished()
    }

    private func socketChanged(_ fd: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            if sockets.remove(fd) != nil { hooks.unwatch(fd) }
            return
        }
        sockets.insert(fd)
        hooks.watch(fd, what == CURL_POLL_IN || what == CURL_POLL_INOUT, what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    }

    private func completeFinished() {
        var left: Int32 = 0
        var done: [(UnsafeMutableRawPointer, CURLcode)] = []
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            done.append((easy, message.pointee.data.result))
        }
        for (easy, result) in done { finish(easy, result: result, message: nil) }
    }

    private func finish(_ easy: UnsafeMutableRawPointer, result: CURLcode, message: String?) {
        guard let transfer = transfers.removeValue(forKey: easy) else { return }
        byID[transfer.id] = nil
        var status: Int = 0
        _ = jobdir_easy_get_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let response: HTTPResponse
        if result == CURLE_OK {
            response = HTTPResponse(status: status, body: transfer.kept)
        } else {
            let text = message ?? transfer.errorText ?? String(cString: curl_easy_strerror(result))
            response = HTTPResponse(status: status == 0 ? nil : status, body: transfer.kept, error: text,
                                    timedOut: result == CURLE_OPERATION_TIMEDOUT)
        }
        curl_multi_remove_handle(multi, easy)
        curl_easy_cleanup(easy)
        let completion = transfer.completion
        transfer.release()
        completion(response)
    }
}
