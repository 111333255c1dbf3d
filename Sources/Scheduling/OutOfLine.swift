/// A value kept on the heap, immutable and shared by reference: a large value held in a
/// dictionary of thousands (a definition, a result) costs a pointer in each slot, and two
/// holders of the same value keep one copy.
package final class OutOfLine<Value: Sendable>: Sendable {
    package let value: Value

    package init(_ value: Value) { self.value = value }
}
