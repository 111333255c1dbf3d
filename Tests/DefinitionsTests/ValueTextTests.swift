import Cron
import Foundation
import Testing
@testable import Definitions

@Suite struct ValueTextTests {
    @Test(arguments: [
        ("500ms", Int64(500)), ("90s", 90_000), ("5m", 300_000), ("1h30m", 5_400_000),
        ("2d", 172_800_000), ("45", 45_000), ("0", 0), ("1d2h3m4s5ms", 93_784_005),
    ])
    func parsesDurations(text: String, milliseconds: Int64) {
        #expect(DurationText.parse(text)?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "5", "m", "5 m", "1.5h", "-3s", "5x", "1h 30m", "99999999999999999999d"])
    func refusesBadDurations(text: String) {
        if text == "5" { #expect(DurationText.parse(text) == .seconds(5)); return }
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatsDurationsBackToText() {
        #expect(DurationText.format(.milliseconds(5_400_000)) == "1h30m")
        #expect(DurationText.format(.milliseconds(1500)) == "1s500ms")
    }

    @Test(arguments: [("512", 512), ("64KiB", 65_536), ("1MiB", 1_048_576), ("1GiB", 1_073_741_824), ("10B", 10)])
    func parsesSizes(text: String, bytes: Int) {
        #expect(SizeText.parse(text) == bytes)
    }

    @Test(arguments: ["10MB", "1.5MiB", "-1", "KiB", "1 MiB"])
    func refusesBadSizes(text: String) {
        #expect(SizeText.parse(text) == nil)
    }

    @Test func parsesRFC3339WithOffsets() {
        #expect(RFC3339.parse("2026-12-01T09:00:00+01:00") == Date(timeIntervalSince1970: 1_796_112_000))
        #expect(RFC3339.parse("2026-12-01T08:00:00Z") == Date(timeIntervalSince1970: 1_796_112_000))
        #expect(RFC3339.parse("2026-12-01T08:00:00.250Z") == Date(timeIntervalSince1970: 1_796_112_000.25))
        #expect(RFC3339.parse("2024-02-29T00:00:00-05:30") != nil)
    }

    @Test(arguments: ["2026-12-01T09:00:00", "2026-12-01", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T09:00:00+1:00", "x"])
    func refusesBadTimestamps(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func hashesLikeSHA256() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        var copy = hasher
        #expect(hasher.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hasher.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "it starts over")
        copy.update(Array("d".utf8))
        #expect(copy.finalizeHex() == SHA256.hex(Array("abcd".utf8)), "a copy goes on on its own")
    }

    @Test(arguments: ["  0 3 * * *\t", "\u{00A0}@reboot\u{3000}", "\u{2003}x y\u{202F}", "\n5 * * * *\n", "", " \t ",
                      " e\u{0301} ", "\u{200B}x", "x\u{FEFF}", "\u{1680}\u{205F}x", "\u{180E}x\u{2028}", "\u{0085}x\u{000B}"])
    func trimsSpacesAndTabsAsFoundationsWhitespaceSetDoes(text: String) {
        #expect(text.trimmingSpacesAndTabs() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.dropFirst(0).trimmingSpacesAndTabs() == text.trimmingCharacters(in: .whitespaces))
    }

    @Test func suggestsCloseKeys() {
        #expect(KeySuggestion.closest(to: "scedule", among: JobKeys.all) == "schedule")
        #expect(KeySuggestion.closest(to: "timout", among: JobKeys.all) == "timeout")
        #expect(KeySuggestion.closest(to: "Command", among: JobKeys.all) == "command")
        #expect(KeySuggestion.closest(to: "zzzzzz", among: JobKeys.all) == nil)
    }

    @Test func expandsEnvironmentReferences() {
        let env = ["HOME": "/root", "USER": "ops"]
        #expect(EnvironmentExpansion.expand("${HOME}/bin:$PATH", environment: env) == "/root/bin:$PATH")
        #expect(EnvironmentExpansion.expand("$${USER} is ${USER}${MISSING}", environment: env) == "${USER} is ops")
        #expect(EnvironmentExpansion.syntaxProblem(in: "${OPEN") == "`${` is not closed by `}`")
        #expect(EnvironmentExpansion.syntaxProblem(in: "${1X}") == "`${1X}` is not a variable name")
    }
}
