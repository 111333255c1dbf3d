/// The last `capacity` bytes appended; fixed storage, allocated once.
struct ByteRing {
    let capacity: Int
    private var storage: [UInt8]
    private var start = 0
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
        storage = [UInt8](repeating: 0, count: self.capacity)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard capacity > 0, !bytes.isEmpty else { return }
        var source = bytes
        if source.count >= capacity {
            source = UnsafeRawBufferPointer(rebasing: source[(source.count - capacity)...])
            start = 0
            count = 0
        }
        let n = source.count
        let overflow = max(0, count + n - capacity)
        start = (start + overflow) % capacity
        count -= overflow
        var writeAt = (start + count) % capacity
        var offset = 0
        storage.withUnsafeMutableBytes { dest in
            while offset < n {
                let chunk = min(n - offset, capacity - writeAt)
                dest.baseAddress!.advanced(by: writeAt).copyMemory(from: source.baseAddress! + offset, byteCount: chunk)
                offset += chunk
                writeAt = (writeAt + chunk) % capacity
            }
        }
        count += n
    }

    /// The content, oldest byte first.
    var bytes: [UInt8] {
        guard count > 0 else { return [] }
        let first = min(count, capacity - start)
        return Array(storage[start..<(start + first)]) + Array(storage[0..<(count - first)])
    }
}
