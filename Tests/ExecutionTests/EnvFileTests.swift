import Testing
@testable import Execution

@Suite struct EnvFileTests {
    @Test func parsesTheSupportedSyntax() throws {
        let text = """
        # a comment
          
        PLAIN=value
        export EXPORTED=yes
        SPACED = padded value   
        INLINE=abc # trailing comment
        HASH=a#b
        SINGLE='literal $HOME \\n # not a comment'
        DOUBLE="line1\\nline2\\t\\"q\\" \\\\ \\$X"
        EMPTY=
        EMPTY_QUOTED=""
        CRLF=x\r
        PLAIN=override
        """
        let env = try EnvFile.parse(text, path: "f.env")
        #expect(env == [
            "PLAIN": "override", "EXPORTED": "yes", "SPACED": "padded value", "INLINE": "abc", "HASH": "a#b",
            "SINGLE": "literal $HOME \\n # not a comment", "DOUBLE": "line1\nline2\t\"q\" \\ $X",
            "EMPTY": "", "EMPTY_QUOTED": "", "CRLF": "x",
        ])
    }

    @Test(arguments: [("NOEQUALS", 1, "expected KEY=VALUE"), ("1ABC=x", 1, "invalid variable name `1ABC`"),
                      ("OK=1\nBAD-NAME=x", 2, "invalid variable name `BAD-NAME`"), ("Q=\"open", 1, "missing closing \""),
                      ("Q='a' b", 1, "unexpected text after the closing quote")])
    func reportsTheLineAndNeverTheValue(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: EnvFileError(path: "f.env", line: line, message: message)) { try EnvFile.parse(text, path: "f.env") }
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: EnvFileError(path: "/nonexistent.env", line: nil, message: "No such file or directory")) {
            try EnvFile.read("/nonexistent.env")
        }
    }
}
