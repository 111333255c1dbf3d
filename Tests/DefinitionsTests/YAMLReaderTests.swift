import Testing
@testable import Definitions

@Suite struct YAMLReaderTests {
    func read(_ text: String) -> (YAMLNode?, [Diagnostic]) {
        YAMLReader(file: "t.yaml").read(Array(text.utf8))
    }

    @Test func keepsLineAndColumnOfEveryNode() throws {
        let (root, problems) = read("a: 1\nlist:\n  - x\n  - {k: v}\n")
        #expect(problems.isEmpty)
        let node = try #require(root)
        #expect(node["a"]?.mark == SourceMark(file: "t.yaml", line: 1, column: 4))
        guard case .sequence(let items) = node["list"]?.value else { Issue.record("not a list"); return }
        #expect(items[0].mark.line == 3 && items[0].mark.column == 5)
        #expect(items[1]["k"]?.mark == SourceMark(file: "t.yaml", line: 4, column: 9))
    }

    @Test func resolvesScalarsByYAML11Rules() throws {
        let (root, _) = read("a: yes\nb: 'yes'\nc: 010\nd: 0x1F\ne: 1.5\nf: ~\ng: text\nh: !!str 12\n")
        let node = try #require(root)
        #expect(node["a"]?.resolvedScalar == .bool(true))
        #expect(node["b"]?.resolvedScalar == .string("yes"))
        #expect(node["c"]?.resolvedScalar == .int(8))
        #expect(node["d"]?.resolvedScalar == .int(31))
        #expect(node["e"]?.resolvedScalar == .float(1.5))
        #expect(node["f"]?.resolvedScalar == .null)
        #expect(node["g"]?.resolvedScalar == .string("text"))
        #expect(node["h"]?.resolvedScalar == .string("12"))
    }

    @Test(arguments: [
        ("1_000", YAMLScalar.int(1000)), ("-0b101", .int(-5)), ("+42", .int(42)), ("_7", .int(7)), ("0", .int(0)),
        ("1e3", .string("1e3")), ("1.5e3", .float(1500)), ("-.5", .float(-0.5)), ("1_0.2_5", .float(10.25)),
        ("job 1", .string("job 1")), ("\u{FF11}", .string("\u{FF11}")), ("1\u{0301}", .string("1\u{0301}")),
        ("0o7", .string("0o7")), ("Off", .bool(false)), ("ON", .bool(true)), ("NULL", .null), ("nulls", .string("nulls")),
        ("12:30", .string("12:30")), ("0xZZ", .string("0xZZ")), ("--5", .string("--5")),
    ])
    func resolvesPlainScalars(text: String, expected: YAMLScalar) {
        #expect(YAMLScalar.resolve(text, quoted: false, tag: nil) == expected)
    }

    @Test func refusesFilesOverOneMebibyte() {
        let big = "a: " + String(repeating: "x", count: YAMLReader.maxBytes)
        let (root, problems) = read(big)
        #expect(root == nil)
        #expect(problems.map(\.message) == ["file is \(big.utf8.count) bytes; a job file may be at most 1 MiB"])
    }

    @Test func refusesDeepNestingWithoutCrashing() {
        let deep = "a: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let (root, problems) = read(deep)
        #expect(root == nil)
        #expect(problems.first?.message == "nesting is deeper than 64 levels")
    }

    @Test func acceptsNestingUpToTheLimit() {
        let depth = YAMLReader.maxDepth - 1
        let (root, problems) = read("a: " + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1))
        #expect(root != nil)
        #expect(problems.isEmpty)
    }

    @Test func refusesBillionLaughs() {
        var text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let (root, problems) = read(text)
        #expect(root == nil)
        #expect(problems.first?.message.contains("after expanding aliases") == true)
    }

    @Test func allowsSmallAliases() throws {
        let (root, problems) = read("base: &b {x: 1}\nother: *b\n")
        #expect(problems.isEmpty)
        #expect(try #require(root)["other"]?["x"]?.resolvedScalar == .int(1))
    }

    @Test func reportsDuplicateAndNonStringKeysAndKeepsGoing() {
        let (_, problems) = read("a: 1\nb: 2\na: 3\n1: x\n? [k]\n: v\n")
        #expect(problems.map(\.description) == [
            "t.yaml:3:1: duplicate key `a` (first at line 1, column 1)",
            "t.yaml:4:1: mapping keys must be strings, found an integer",
            "t.yaml:5:3: mapping keys must be strings, found a list",
        ])
    }

    @Test func refusesNonStandardTags() {
        let (_, problems) = read("a: !!binary aGk=\nb: !!str ok\nc: !!map {x: 1}\nd: !local x\n")
        #expect(problems.map(\.description) == [
            "t.yaml:1:4: tag !!binary is not allowed; only !!str, !!int, !!float, !!bool and !!null",
            "t.yaml:3:4: tag !!map is not allowed on a list or mapping",
            "t.yaml:4:4: tag !local is not allowed; only !!str, !!int, !!float, !!bool and !!null",
        ])
    }

    @Test func refusesASecondDocument() {
        let (_, problems) = read("a: 1\n---\nb: 2\n")
        #expect(problems.map(\.description) == ["t.yaml:2:1: a job file holds one YAML document; a second one starts here"])
    }

    @Test func refusesInvalidUTF8WithItsPosition() {
        var bytes = Array("a: ok\nb: x".utf8)
        bytes.append(0xC3)
        bytes.append(0x28)
        let (root, problems) = YAMLReader(file: "t.yaml").read(bytes)
        #expect(root == nil)
        #expect(problems.map(\.description) == ["t.yaml:2:5: file is not valid UTF-8 (byte 0xc3 at offset 10)"])
    }

    @Test func refusesUTF16() {
        let (root, problems) = YAMLReader(file: "t.yaml").read([0xFF, 0xFE, 0x61, 0x00])
        #expect(root == nil)
        #expect(problems.first?.message.hasPrefix("file is not valid UTF-8") == true)
    }

    @Test func reportsSyntaxErrorsWithPosition() {
        let (root, problems) = read("a: [1, 2\nb: 3\n")
        #expect(root == nil)
        #expect(problems.count == 1)
        #expect(problems.first?.message.hasPrefix("YAML syntax error:") == true)
        #expect(problems.first?.line == 2)
    }

    @Test func emptyFileHasNoRoot() {
        let (root, problems) = read("# only a comment\n")
        #expect(root == nil)
        #expect(problems.isEmpty)
    }

    @Test func neverCrashesOnGarbage() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab:-[]{}&*!|>'\"#%@ \n\t,?0123456789".utf8)
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<200, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            _ = YAMLReader(file: "fuzz.yaml").read(bytes)
        }
    }
}
