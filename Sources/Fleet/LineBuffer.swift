/// Splits a stream's chunks into newline-terminated lines (the watch stream sends one
/// JSON object per line; a chunk may end in the middle of one).
package struct LineBuffer: Sendable {
    private var pending: [UInt8] = []
    /// A line longer than this is dropped (with what follows up to its newline).
    package let maxLine: Int

    package init(maxLine: Int = 4 << 20) { self.maxLine = maxLine }

    /// The complete lines `chunk` ends, without their newlines; empty lines are skipped.
    package mutating func append(_ chunk: UnsafeRawBufferPointer) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if !pending.isEmpty && pending.count <= maxLine { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
            } else if pending.count <= maxLine {
                pending.append(byte)
            }
        }
        return lines
    }
}
