import Testing
@testable import Execution

@Suite struct ByteRingTests {
    @Test func keepsTheLastBytes() {
        var ring = ByteRing(capacity: 5)
        for chunk in ["ab", "cd", "efg", "", "h"] {
            Array(chunk.utf8).withUnsafeBytes { ring.append($0) }
        }
        #expect(String(decoding: ring.bytes, as: UTF8.self) == "defgh")
        Array("0123456789".utf8).withUnsafeBytes { ring.append($0) }
        #expect(String(decoding: ring.bytes, as: UTF8.self) == "56789")
    }

    @Test func tailDropsACutCharacter() {
        #expect(OutputCapture.decodeTail(Array("é!".utf8).dropFirst().map { $0 }) == "!")
    }
}
