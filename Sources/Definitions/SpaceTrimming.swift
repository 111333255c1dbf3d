extension StringProtocol {
    /// The text without leading and trailing spaces and tabs: the scalars of Foundation's
    /// `CharacterSet.whitespaces` (CoreFoundation's list: tab, space, U+00A0, U+1680,
    /// U+2000–U+200B, U+202F, U+205F, U+3000), without its cost per call (a `schedule`
    /// entry of every job file is trimmed at each load).
    package func trimmingSpacesAndTabs() -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
            default: false
            }
        }
        let scalars = Substring(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[first...last])
    }
}
