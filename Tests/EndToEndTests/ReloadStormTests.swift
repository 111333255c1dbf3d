import Foundation
import Testing
import TestSupport

/// A `git checkout` that rewrites hundreds of job files at once.
@Suite(.serialized) struct ReloadStormTests {
    func git(_ arguments: String, in directory: String) throws {
        let result = try ProcessRunner.run("/bin/sh", ["-c", "umask 022 && git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main " + arguments], currentDirectory: directory)
        #expect(result.status == 0, "git \(arguments): \(result.stderr)")
    }

    /// Job `i` on branch `branch`: the description is last, so a half-written file lacks it.
    func jobText(_ index: Int, branch: String) -> String {
        "command: echo \(branch) \(index)\nenv:\n  BRANCH: \(branch)\n" + String(repeating: "# padding line to make the file longer\n", count: 20) + "description: \(branch) \(index)\n"
    }

    @Test func gitCheckoutOf300FilesLoadsEveryFileWhole() async throws {
        let dir = try TemporaryDirectory("jobdir-storm")
        defer { dir.remove() }
        let jobs = dir.url("jobs")
        for index in 0..<300 { try dir.write("jobs/team\(index % 10)/job\(index).yaml", jobText(index, branch: "one")) }
        try git("init -q .", in: jobs)
        try git("add -A && git -c user.email=t@example.com -c user.name=t commit -qm one", in: jobs)
        try git("checkout -q -b two", in: jobs)
        for index in 0..<300 { try dir.write("jobs/team\(index % 10)/job\(index).yaml", jobText(index, branch: "two")) }
        try git("commit -qam two && git checkout -q main", in: jobs)

        let state = StateFiles(dir.url("state"))
        let daemon = try DaemonProcess(jobs: jobs, state: dir.url("state"))
        func descriptions() -> [String?] {
            (0..<300).map { state.result("team\($0 % 10)/job\($0)")?["description"] as? String }
        }
        #expect(await waitUntil { descriptions().allSatisfy { $0?.hasPrefix("one ") == true } }, "\(daemon.log)")

        try git("checkout -q two", in: jobs)
        #expect(await waitUntil(timeout: .seconds(30)) { descriptions().enumerated().allSatisfy { $0.element == "two \($0.offset)" } }, "\(daemon.log.suffix(2000))")
        for index in 0..<300 {
            let result = try #require(state.result("team\(index % 10)/job\(index)"))
            #expect(result["loaded"] as? Bool == true)
            #expect(result["definition_error"] is NSNull, "job\(index): \(result["definition_error"] ?? "")")
        }
        #expect(!daemon.log.contains("invalid "), "a file was read half-written")
        #expect(daemon.stop() == 0)
    }
}
