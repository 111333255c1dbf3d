import SystemCalls

/// Bounded capture of a run's output into its log file.
///
/// Until `maxBytes` the log holds everything (readable while the run goes on). Past it,
/// the log is cut back to its first half (the head) and the last half is kept in memory
/// (the tail, at most `maxBytes / 2`); at the end the marker line and the tail are
/// appended. Disk and memory stay within the bound whatever the command prints.
final class OutputCapture {
    static let tailSize = 4096

    private let fd: Int32
    private let maxBytes: Int
    private let headSize: Int
    private var written: Int64 = 0
    private(set) var total: Int64 = 0
    private var overflow: ByteRing?
    private var lastBytes = ByteRing(capacity: OutputCapture.tailSize)
    private(set) var logError: String?

    init(fd: Int32, maxBytes: Int) {
        self.fd = fd
        self.maxBytes = max(maxBytes, 2)
        headSize = self.maxBytes / 2
    }

    var truncated: Bool { overflow != nil }

    func append(_ bytes: UnsafeRawBufferPointer) {
        total += Int64(bytes.count)
        lastBytes.append(bytes)
        if overflow != nil {
            overflow!.append(bytes)
        } else if written + Int64(bytes.count) <= Int64(maxBytes) {
            write(bytes)
        } else {
            startOverflow(with: bytes)
        }
    }

    /// Appends the marker and the tail (if the bound was passed); returns the summary.
    func finish() -> CapturedOutput {
        if let ring = overflow {
            let omitted = total - Int64(headSize) - Int64(ring.count)
            let marker = Array("\n[jobdir: output truncated: \(omitted) bytes omitted of \(total)]\n".utf8)
            marker.withUnsafeBytes { write($0) }
            ring.bytes.withUnsafeBytes { write($0) }
        }
        return CapturedOutput(bytes: total, truncated: truncated, tail: Self.decodeTail(lastBytes.bytes), logError: logError)
    }

    /// The log file holds `written` bytes; the bound is passed: keep the head on disk and
    /// move the rest (the start of the tail) into memory.
    private func startOverflow(with bytes: UnsafeRawBufferPointer) {
        var ring = ByteRing(capacity: maxBytes - headSize)
        if written > Int64(headSize) && logError == nil {
            let length = Int(written) - headSize
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
            defer { buffer.deallocate() }
            var offset = 0
            while offset < length {
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[offset...])
                guard let n = try? Sys.pread(fd, into: part, at: Int64(headSize + offset)), n > 0 else { break }
                offset += n
            }
            ring.append(UnsafeRawBufferPointer(rebasing: buffer[0..<offset]))
            do { try Sys.truncate(fd, to: Int64(headSize)) } catch { logError = "log: \(error)" }
            written = Int64(headSize)
        } else if written < Int64(headSize) {
            // Fill the head first, the rest starts the tail.
            let room = headSize - Int(written)
            write(UnsafeRawBufferPointer(rebasing: bytes[0..<room]))
            ring.append(UnsafeRawBufferPointer(rebasing: bytes[room...]))
            overflow = ring
            return
        }
        ring.append(bytes)
        overflow = ring
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        guard logError == nil, !bytes.isEmpty else { return }
        do {
            try Sys.writeAll(fd, bytes)
            written += Int64(bytes.count)
        } catch {
            logError = "log: \(error)"
        }
    }

    /// UTF-8 text of the last bytes, dropping a character cut at the start.
    static func decodeTail(_ bytes: [UInt8]) -> String {
        var start = 0
        while start < min(bytes.count, 3) && (bytes[start] & 0xC0) == 0x80 { start += 1 }
        return String(decoding: bytes[start...], as: UTF8.self)
    }
}
