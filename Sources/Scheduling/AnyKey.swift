/// A coding key for any string; lets the record's encoding name every key explicitly.
package struct AnyKey: CodingKey, Hashable, Sendable {
    package let stringValue: String
    package var intValue: Int? { nil }
    package init(_ string: String) { stringValue = string }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}
