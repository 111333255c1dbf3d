/// The contents of a TZif file (RFC 8536) that offset lookups need.
///
/// Like Python's zoneinfo, the 64-bit (version 2+) block is used when present.
struct TZifData: Sendable {
    var transitions: [Int64] = []
    var transitionTypes: [UInt8] = []
    var typeOffsets: [Int64] = []
    var typeIsDST: [Bool] = []
    var rule: PosixTimeZoneRule?

    /// The largest transition time accepted, in seconds from 1970 either way.
    static let transitionLimit: Int64 = 1 << 59

    init?(_ bytes: [UInt8]) {
        var reader = Reader(bytes: bytes)
        guard let header = reader.header() else { return nil }
        var counts = header.counts
        var timeSize = 4
        if header.version >= 2 {
            guard reader.skip(counts.v1Length) else { return nil }
            guard let header2 = reader.header() else { return nil }
            counts = header2.counts
            timeSize = 8
        }
        guard counts.typecnt > 0, counts.typecnt <= 256, counts.timecnt < 1_000_000 else { return nil }
        for _ in 0..<counts.timecnt {
            guard let t = timeSize == 8 ? reader.int64() : reader.int32().map(Int64.init) else { return nil }
            // zic's earliest "big bang" time is -2^59; a transition beyond ±2^59 s (18 billion
            // years) is refused, as the arithmetic on it would overflow.
            guard (-Self.transitionLimit...Self.transitionLimit).contains(t) else { return nil }
            transitions.append(t)
        }
        for _ in 0..<counts.timecnt {
            guard let type = reader.byte(), Int(type) < counts.typecnt else { return nil }
            transitionTypes.append(type)
        }
        for _ in 0..<counts.typecnt {
            guard let offset = reader.int32(), let dst = reader.byte(), reader.byte() != nil else { return nil }
            typeOffsets.append(Int64(offset))
            typeIsDST.append(dst != 0)
        }
        guard reader.skip(counts.charcnt + counts.leapcnt * (timeSize + 4) + counts.isstdcnt + counts.isutcnt) else {
            return nil
        }
        if header.version >= 2, reader.byte() == UInt8(ascii: "\n") {
            var footer = [UInt8]()
            while let byte = reader.byte(), byte != UInt8(ascii: "\n") { footer.append(byte) }
            if !footer.isEmpty {
                rule = PosixTimeZoneRule(String(decoding: footer, as: UTF8.self))
            }
        }
        // Transitions must ascend for binary search; a file that says otherwise is refused.
        for i in transitions.indices.dropFirst() where transitions[i] <= transitions[i - 1] { return nil }
    }

    private struct Counts {
        var isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0
        var v1Length: Int { timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func byte() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func skip(_ count: Int) -> Bool {
            guard count >= 0, bytes.count - index >= count else { return false }
            index += count
            return true
        }

        mutating func int32() -> Int32? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 { value = value << 8 | UInt32(bytes[index]); index += 1 }
            return Int32(bitPattern: value)
        }

        mutating func int64() -> Int64? {
            guard bytes.count - index >= 8 else { return nil }
            var value: UInt64 = 0
            for _ in 0..<8 { value = value << 8 | UInt64(bytes[index]); index += 1 }
            return Int64(bitPattern: value)
        }

        mutating func header() -> (version: Int, counts: Counts)? {
            guard bytes.count - index >= 44,
                  bytes[index] == 0x54, bytes[index + 1] == 0x5A, bytes[index + 2] == 0x69, bytes[index + 3] == 0x66
            else { return nil }
            let versionByte = bytes[index + 4]
            let version = versionByte == 0 ? 1 : Int(versionByte) - 48
            index += 20
            var counts = Counts()
            guard let a = int32(), let b = int32(), let c = int32(), let d = int32(), let e = int32(), let f = int32(),
                  a >= 0, b >= 0, c >= 0, d >= 0, e >= 0, f >= 0
            else { return nil }
            counts.isutcnt = Int(a); counts.isstdcnt = Int(b); counts.leapcnt = Int(c)
            counts.timecnt = Int(d); counts.typecnt = Int(e); counts.charcnt = Int(f)
            return (version, counts)
        }
    }
}
