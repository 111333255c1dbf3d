import CYAML

/// Reads one YAML document into a `YAMLNode` tree with positions, refusing
/// what a job file never needs and a hostile file might use: more than
/// `maxBytes`, nesting deeper than `maxDepth`, alias expansion past
/// `maxNodes`, duplicate or non-string keys, non-standard tags, several
/// documents, and bytes that are not UTF-8.
package struct YAMLReader {
    package static let maxBytes = 1 << 20
    package static let maxDepth = 64
    package static let maxNodes = 10_000

    package var file: String

    package init(file: String) { self.file = file }

    /// The document's root node (nil for an empty file) and every problem found.
    /// A syntax error stops reading; other problems are collected.
    package func read(_ bytes: [UInt8]) -> (root: YAMLNode?, problems: [Diagnostic]) {
        if bytes.count > Self.maxBytes {
            return (nil, [Diagnostic("file is \(bytes.count) bytes; a job file may be at most 1 MiB", at: mark(0, 0))])
        }
        if let bad = firstInvalidUTF8(bytes) {
            return (nil, [Diagnostic("file is not valid UTF-8 (byte 0x\(String(bytes[bad], radix: 16)) at offset \(bad))", at: position(ofOffset: bad, in: bytes))])
        }
        var session = EventSession(reader: self, bytes: bytes)
        return session.readStream()
    }

    func mark(_ line: Int, _ column: Int) -> SourceMark {
        SourceMark(file: file, line: line + 1, column: column + 1)
    }

    private func position(ofOffset offset: Int, in bytes: [UInt8]) -> SourceMark {
        var line = 0, column = 0, index = 0
        while index < offset {
            if bytes[index] == UInt8(ascii: "\n") { line += 1; column = 0 } else if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return mark(line, column)
    }

    private func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        if bytes.count >= 2, (bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE) { return 0 }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int
            switch byte {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            for next in bytes[(index + 1)..<(index + length)] where next & 0xC0 != 0x80 { return index }
            if length > 1 {
                let scalar = String(decoding: bytes[index..<(index + length)], as: UTF8.self).unicodeScalars.first
                if scalar == nil || scalar == "\u{FFFD}" { return index }
            }
            index += length
        }
        return nil
    }
}

/// One pass over libyaml's events for one file.
private struct EventSession {
    let reader: YAMLReader
    let bytes: [UInt8]
    var problems: [Diagnostic] = []
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var nodeCount = 0

    init(reader: YAMLReader, bytes: [UInt8]) {
        self.reader = reader
        self.bytes = bytes
    }

    struct Stop: Error {}

    mutating func readStream() -> (root: YAMLNode?, problems: [Diagnostic]) {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            return (nil, [Diagnostic("could not start the YAML parser", at: reader.mark(0, 0))])
        }
        defer { yaml_parser_delete(parser) }
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            var events = EventStream(parser: parser, reader: reader)
            do {
                let root = try readDocuments(&events)
                return (root, problems)
            } catch {
                if let failure = events.failure { problems.append(failure) }
                return (nil, problems)
            }
        }
    }

    private mutating func readDocuments(_ events: inout EventStream) throws -> YAMLNode? {
        var event = try events.next()
        guard event.type == YAML_STREAM_START_EVENT else { throw events.fail("expected the start of a YAML stream", at: event.mark) }
        event = try events.next()
        if event.type == YAML_STREAM_END_EVENT { return nil }
        guard event.type == YAML_DOCUMENT_START_EVENT else { throw events.fail("expected a YAML document", at: event.mark) }
        let root = try readNode(&events, depth: 1)
        event = try events.next()
        guard event.type == YAML_DOCUMENT_END_EVENT else { throw events.fail("expected the end of the document", at: event.mark) }
        event = try events.next()
        if event.type == YAML_DOCUMENT_START_EVENT {
            problems.append(Diagnostic("a job file holds one YAML document; a second one starts here", at: event.mark))
            return root
        }
        return root
    }

    private mutating func readNode(_ events: inout EventStream, depth: Int) throws -> YAMLNode {
        let event = try events.next()
        if depth > YAMLReader.maxDepth {
            throw events.fail("nesting is deeper than \(YAMLReader.maxDepth) levels", at: event.mark)
        }
        var node: YAMLNode
        switch event.type {
        case YAML_ALIAS_EVENT:
            guard let anchored = anchors[event.anchor ?? ""] else {
                throw events.fail("alias *\(event.anchor ?? "") refers to no anchor defined before it", at: event.mark)
            }
            try count(anchored.size, &events, at: event.mark)
            var copy = anchored.node
            copy.mark = event.mark
            return copy
        case YAML_SCALAR_EVENT:
            try count(1, &events, at: event.mark)
            node = YAMLNode(.scalar(event.scalarValue, quoted: event.isQuoted), at: event.mark, tag: event.tag)
            checkScalarTag(node)
        case YAML_SEQUENCE_START_EVENT:
            try count(1, &events, at: event.mark)
            checkCollectionTag(event)
            var items: [YAMLNode] = []
            while try events.peekType() != YAML_SEQUENCE_END_EVENT {
                items.append(try readNode(&events, depth: depth + 1))
            }
            _ = try events.next()
            node = YAMLNode(.sequence(items), at: event.mark)
        case YAML_MAPPING_START_EVENT:
            try count(1, &events, at: event.mark)
            checkCollectionTag(event)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var seen: [String: SourceMark] = [:]
            while try events.peekType() != YAML_MAPPING_END_EVENT {
                let key = try readNode(&events, depth: depth + 1)
                let value = try readNode(&events, depth: depth + 1)
                if case .scalar(let text, _) = key.value, key.isStringKey {
                    if let first = seen[text] {
                        problems.append(Diagnostic("duplicate key `\(text)` (first at line \(first.line), column \(first.column))", at: key.mark))
                    } else {
                        seen[text] = key.mark
                    }
                } else {
                    problems.append(Diagnostic("mapping keys must be strings, found \(key.kindName)", at: key.mark))
                }
                pairs.append((key, value))
            }
            _ = try events.next()
            node = YAMLNode(.mapping(pairs), at: event.mark)
        default:
            throw events.fail("unexpected YAML event", at: event.mark)
        }
        if let anchor = event.anchor {
            anchors[anchor] = (node, size(of: node))
        }
        return node
    }

    private mutating func count(_ nodes: Int, _ events: inout EventStream, at mark: SourceMark) throws {
        nodeCount += nodes
        if nodeCount > YAMLReader.maxNodes {
            throw events.fail("more than \(YAMLReader.maxNodes) nodes after expanding aliases; refusing the file (alias bomb?)", at: mark)
        }
    }

    private func size(of node: YAMLNode) -> Int {
        switch node.value {
        case .scalar: return 1
        case .sequence(let items): return items.reduce(1) { $0 + size(of: $1) }
        case .mapping(let pairs): return pairs.reduce(1) { $0 + size(of: $1.key) + size(of: $1.value) }
        }
    }

    private static let scalarTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
    ]

    private mutating func checkScalarTag(_ node: YAMLNode) {
        guard let tag = node.tag, !Self.scalarTags.contains(tag) else { return }
        problems.append(Diagnostic("tag \(Self.shortTag(tag)) is not allowed; only !!str, !!int, !!float, !!bool and !!null", at: node.mark))
    }

    private mutating func checkCollectionTag(_ event: Event) {
        guard let tag = event.tag else { return }
        problems.append(Diagnostic("tag \(Self.shortTag(tag)) is not allowed on a list or mapping", at: event.mark))
    }

    private static func shortTag(_ tag: String) -> String {
        tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
    }
}

/// The fields of a libyaml event that the reader uses, copied out of C memory.
private struct Event {
    var type: yaml_event_type_t
    var mark: SourceMark
    var anchor: String?
    var tag: String?
    var scalarValue = ""
    var isQuoted = false
}

/// libyaml's event stream with one event of look-ahead.
private struct EventStream {
    let parser: UnsafeMutablePointer<yaml_parser_t>
    let reader: YAMLReader
    var lookahead: Event?
    var failure: Diagnostic?

    init(parser: UnsafeMutablePointer<yaml_parser_t>, reader: YAMLReader) {
        self.parser = parser
        self.reader = reader
    }

    mutating func fail(_ message: String, at mark: SourceMark) -> EventSession.Stop {
        failure = Diagnostic(message, at: mark)
        return EventSession.Stop()
    }

    mutating func peekType() throws -> yaml_event_type_t {
        if lookahead == nil { lookahead = try pull() }
        return lookahead!.type
    }

    mutating func next() throws -> Event {
        if let event = lookahead {
            lookahead = nil
            return event
        }
        return try pull()
    }

    private mutating func pull() throws -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) == 1 else {
            let problem = parser.pointee.problem.map { String(cString: $0) } ?? "invalid YAML"
            let context = parser.pointee.context.map { String(cString: $0) }
            let at = parser.pointee.problem_mark
            let message = "YAML syntax error: " + problem + (context.map { " " + $0 } ?? "")
            throw fail(message, at: reader.mark(Int(at.line), Int(at.column)))
        }
        defer { yaml_event_delete(&raw) }
        var event = Event(type: raw.type, mark: reader.mark(Int(raw.start_mark.line), Int(raw.start_mark.column)))
        switch raw.type {
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            event.anchor = scalar.anchor.map { String(cString: $0) }
            event.tag = scalar.tag.map { String(cString: $0) }
            let buffer = UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length))
            event.scalarValue = String(decoding: buffer, as: UTF8.self)
            event.isQuoted = scalar.style != YAML_PLAIN_SCALAR_STYLE
        case YAML_ALIAS_EVENT:
            event.anchor = raw.data.alias.anchor.map { String(cString: $0) }
        case YAML_SEQUENCE_START_EVENT:
            event.anchor = raw.data.sequence_start.anchor.map { String(cString: $0) }
            event.tag = raw.data.sequence_start.tag.map { String(cString: $0) }
        case YAML_MAPPING_START_EVENT:
            event.anchor = raw.data.mapping_start.anchor.map { String(cString: $0) }
            event.tag = raw.data.mapping_start.tag.map { String(cString: $0) }
        default:
            break
        }
        return event
    }
}
