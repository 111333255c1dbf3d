/// Sizes as job files write them: `512`, `64KiB`, `1MiB`, `1GiB`.
package enum SizeText {
    private static let units: [(suffix: String, bytes: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1),
    ]

    /// Parses `text` into bytes; nil when it is not a size.
    package static func parse(_ text: String) -> Int? {
        if let bytes = Int(text), bytes >= 0 { return bytes }
        for (suffix, size) in units where text.hasSuffix(suffix) {
            guard let amount = Int(text.dropLast(suffix.count)), amount >= 0 else { return nil }
            let (bytes, overflow) = amount.multipliedReportingOverflow(by: size)
            return overflow ? nil : bytes
        }
        return nil
    }
}
