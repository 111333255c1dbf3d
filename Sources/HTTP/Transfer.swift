import CCurl
import Glibc

/// One request in flight: its easy handle's options and what it has received. It owns
/// the C memory libcurl points into (header list, error buffer) until `release()`.
final class Transfer {
    let id: HTTPClient.RequestID
    let request: HTTPRequest
    let onBody: ((UnsafeRawBufferPointer) -> Void)?
    let completion: (HTTPResponse) -> Void
    private(set) var kept: [UInt8] = []
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init(id: HTTPClient.RequestID, request: HTTPRequest, onBody: ((UnsafeRawBufferPointer) -> Void)?,
         completion: @escaping (HTTPResponse) -> Void) {
        self.id = id
        self.request = request
        self.onBody = onBody
        self.completion = completion
        errorBuffer.initialize(to: 0)
    }

    /// libcurl's own message for the failure, when it wrote one.
    var errorText: String? {
        errorBuffer.pointee == 0 ? nil : String(cString: errorBuffer)
    }

    func configure(_ easy: UnsafeMutableRawPointer) {
        _ = jobdir_easy_set_pointer(easy, CURLOPT_URL, request.url)
        // Signals belong to the daemon; libcurl must not use them for its timeouts.
        _ = jobdir_easy_set_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = jobdir_easy_set_pointer(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = jobdir_easy_set_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = jobdir_easy_set_long(easy, CURLOPT_TIMEOUT_MS, request.timeout.map(Self.milliseconds) ?? 0)
        _ = jobdir_easy_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, Self.milliseconds(request.connectTimeout)))
        _ = jobdir_easy_set_pointer(easy, CURLOPT_USERAGENT, "jobdir")
        if request.method == "POST" || !request.body.isEmpty {
            _ = jobdir_easy_set_long(easy, CURLOPT_POST, 1)
            _ = jobdir_easy_set_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            request.body.withUnsafeBytes { _ = jobdir_easy_set_pointer(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress ?? UnsafeRawPointer(errorBuffer)) }
        }
        if request.method != "GET" && request.method != "POST" {
            _ = jobdir_easy_set_pointer(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        // No "Expect: 100-continue" round trip for small bodies.
        var lines = request.headers.map { "\($0.name): \($0.value)" }
        lines.append("Expect:")
        for line in lines { headerList = curl_slist_append(headerList, line) }
        _ = jobdir_easy_set_pointer(easy, CURLOPT_HTTPHEADER, headerList)
        _ = jobdir_easy_set_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            transfer.received(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }
        _ = jobdir_easy_set_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
    }

    private func received(_ chunk: UnsafeRawBufferPointer) {
        if let onBody {
            onBody(chunk)
        } else if kept.count < request.maxKeptBodyBytes {
            kept.append(contentsOf: chunk.prefix(request.maxKeptBodyBytes - kept.count))
        }
    }

    /// Frees the C memory; the easy handle must no longer be in use.
    func release() {
        curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer.deallocate()
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
