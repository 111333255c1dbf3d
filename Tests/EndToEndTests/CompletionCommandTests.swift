import Foundation
import Testing
import TestSupport

/// Shell completion scripts, and the job ids the binary offers when a shell asks.
@Suite struct CompletionCommandTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func scriptsAreGenerated(shell: String) throws {
        let result = try ProcessRunner.jobdir(["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains("jobdir"))
        #expect(result.stdout.contains("---completion trigger"), "trigger completes job ids")
    }

    @Test func bashCompletesJobIDsFromTheJobsDirectory() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("reports/build", "command: true\n")
        try fixture.job("reports/publish", "command: true\n")
        try fixture.job("backup", "command: true\n")
        let script = try ProcessRunner.jobdir(["--generate-completion-script", "bash"]).stdout
        let file = fixture.directory.url("completion.bash")
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let binaryDirectory = (ProcessRunner.jobdirBinary as NSString).deletingLastPathComponent
        let line = "jobdir trigger --jobs \(fixture.jobs) rep"
        let result = try ProcessRunner.run("/bin/bash", ["-c", """
            source '\(file)'
            COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
            read -ra COMP_WORDS <<< "$COMP_LINE"; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _jobdir; printf '%s\\n' "${COMPREPLY[@]}"
            """], environment: ["PATH": "\(binaryDirectory):/usr/bin:/bin"])
        #expect(result.stdout == "reports/build\nreports/publish\n", "\(result.stderr)")
    }
}
