import Foundation
import Glibc

/// Lays rows out in columns two spaces apart, within `width` characters: when the rows
/// are too wide, flexible columns (the last one first) are cut, ending in `…`, and an
/// optional column that would get narrower than its minimum is left out.
struct TableFormatter {
    struct Column {
        var title: String
        /// Whether this column may be cut to fit.
        var flexible = false
        /// The narrowest a flexible column gets.
        var minimumWidth = 8
        /// Whether the column is left out rather than cut below `minimumWidth`.
        var optional = false
    }

    var columns: [Column]
    var width = TableFormatter.terminalWidth
    /// Spaces before each line.
    var indent = 0
    var showsHeader = true

    /// `$COLUMNS`, else the width of the terminal on stdout, else 80.
    static var terminalWidth: Int {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns >= 20 { return columns }
        var size = winsize()
        if isatty(1) == 1, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 20 { return Int(size.ws_col) }
        return 80
    }

    /// The table, one line per row, each ending in a newline; no trailing spaces.
    func render(_ rows: [[String]]) -> String {
        let lines = (showsHeader ? [columns.map(\.title)] : []) + rows
        var shown = Array(columns.indices)
        var widths = columns.indices.map { index in lines.map { index < $0.count ? $0[index].count : 0 }.max() ?? 0 }
        func excess() -> Int { indent + shown.map { widths[$0] }.reduce(0, +) + 2 * max(0, shown.count - 1) - width }
        for index in columns.indices.reversed() where excess() > 0 && columns[index].flexible {
            let floor = min(widths[index], max(columns[index].minimumWidth, columns[index].title.count))
            if columns[index].optional && widths[index] - excess() < floor {
                shown.removeAll { $0 == index }
                continue
            }
            widths[index] -= min(excess(), widths[index] - floor)
        }
        return lines.map { cells in
            var line = String(repeating: " ", count: indent)
            for index in shown {
                let cell = Self.fit(index < cells.count ? cells[index] : "", widths[index])
                line += index == shown.last ? cell : cell + String(repeating: " ", count: widths[index] + 2 - cell.count)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line + "\n"
        }.joined()
    }

    /// `text` cut to `width` characters, the last one `…` when cut.
    static func fit(_ text: String, _ width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }
}
