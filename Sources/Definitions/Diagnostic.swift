/// One problem in a job file, printed as `file:line:column: message`.
package struct Diagnostic: Error, Sendable, Hashable, Comparable, CustomStringConvertible {
    package var mark: SourceMark
    package var message: String

    package init(_ message: String, at mark: SourceMark) {
        self.mark = mark
        self.message = message
    }

    package var file: String { mark.file }
    package var line: Int { mark.line }
    package var column: Int { mark.column }

    package var description: String { "\(mark.file):\(mark.line):\(mark.column): \(message)" }

    package static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.mark, a.message) < (b.mark, b.message)
    }
}

/// All problems found in one file (or directory), in file order.
package struct Diagnostics: Error, Sendable, Equatable, CustomStringConvertible {
    package var items: [Diagnostic]

    package init(_ items: [Diagnostic]) { self.items = items.sorted() }

    package var description: String { items.map(\.description).joined(separator: "\n") }
}
