import Foundation
import Testing
import TestSupport

/// The unit, the .deb and the release binary as an operator gets them. Scripts/test.sh
/// builds the release binary and the .deb once and names them in `JOBDIR_STATIC_BINARY`
/// and `JOBDIR_DEB`; without them (a bare `swift test`) those tests say so and are skipped.
@Suite(.serialized) struct PackagingTests {
    static let environment = ProcessInfo.processInfo.environment
    static let deb = environment["JOBDIR_DEB"].flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    static let staticBinary = environment["JOBDIR_STATIC_BINARY"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    static let unit = ProcessRunner.packageRoot + "/contrib/systemd/jobdir.service"
    static let noDeb = "no .deb: run Scripts/test.sh, which builds it with Scripts/build-deb.sh and sets JOBDIR_DEB"

    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A process environment with no Swift anywhere: no toolchain on PATH, no library path.
    static let bareEnvironment = ["PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "", "HOME": NSTemporaryDirectory()]

    @Test(.enabled(if: tool("systemd-analyze") != nil, "systemd-analyze is not installed (Debian package systemd)"))
    func unitIsAcceptedBySystemd() async throws {
        let dir = try TemporaryDirectory("jobdir-unit")
        defer { dir.remove() }
        // As install.sh installs it for another prefix: ExecStart names a binary that exists.
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/bin/jobdir run "))
        let unit = try dir.write("jobdir.service", text.replacingOccurrences(of: "/usr/bin/jobdir", with: ProcessRunner.jobdirBinary))
        let result = try await ProcessRunner.runDetached(Self.tool("systemd-analyze")!, ["verify", "--man=no", unit])
        // verify exits 0 even for settings it ignores; anything it says is a problem.
        #expect(result.status == 0 && result.stderr.isEmpty && result.stdout.isEmpty, "\(result.stdout)\(result.stderr)")
        for setting in ["Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=jobdir", "KillMode=process", "--on-stop detach",
                        "--jobs /etc/jobdir/jobs", "--state /var/lib/jobdir"] {
            #expect(text.contains(setting), "\(setting)")
        }
    }

    /// What lintian said of the .deb when `Scripts/build-deb.sh` built it: the report it
    /// keeps beside it, when that is at least as new as the .deb (it is written after the
    /// .deb, and only when lintian found no error), so lintian runs once per test run.
    static func buildLintianReport() -> String? {
        guard let deb else { return nil }
        let report = String(deb.dropLast(".deb".count)) + ".lintian"
        var debInfo = stat(), reportInfo = stat()
        guard deb.hasSuffix(".deb"), stat(deb, &debInfo) == 0, stat(report, &reportInfo) == 0,
              (reportInfo.st_mtim.tv_sec, reportInfo.st_mtim.tv_nsec) >= (debInfo.st_mtim.tv_sec, debInfo.st_mtim.tv_nsec) else { return nil }
        return try? String(contentsOfFile: report, encoding: .utf8)
    }

    @Test(.enabled(if: deb != nil && (buildLintianReport() != nil || tool("lintian") != nil), "\(noDeb), and lintian installed"))
    func debIsLintClean() async throws {
        if let report = Self.buildLintianReport() {
            #expect(!report.split(separator: "\n").contains { $0.hasPrefix("E: ") }, "\(report)")
            return
        }
        let result = try await ProcessRunner.runDetached(Self.tool("lintian")!, ["--fail-on", "error", Self.deb!])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("E: "), "\(result.stdout)")
    }

    @Test(.enabled(if: deb != nil, "\(noDeb)"))
    func debHasMaintainerScriptsThatRestartOnlyOnUpgrade() async throws {
        let dir = try TemporaryDirectory("jobdir-deb-control")
        defer { dir.remove() }
        let control = dir.url("DEBIAN")
        let extract = try await ProcessRunner.runDetached("/usr/bin/dpkg-deb", ["--control", Self.deb!, control])
        try #require(extract.status == 0, "\(extract.stderr)")
        for script in ["postinst", "prerm", "postrm"] {
            var info = stat()
            #expect(stat(control + "/" + script, &info) == 0 && info.st_mode & 0o777 == 0o755, "\(script)")
            #expect((try? String(contentsOfFile: control + "/" + script, encoding: .utf8))?.hasPrefix("#!/bin/sh\n") == true, "\(script)")
        }
        let postinst = try String(contentsOfFile: control + "/postinst", encoding: .utf8)
        #expect(postinst.contains("daemon-reload") && postinst.contains("try-restart jobdir.service"))
        let commands = postinst.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }.joined(separator: "\n")
        #expect(!commands.contains("enable") && !commands.contains(" start "), "a fresh install starts and enables nothing")
        #expect(try String(contentsOfFile: control + "/prerm", encoding: .utf8).contains("stop jobdir.service"))
    }

    @Test(.enabled(if: deb != nil, "\(noDeb)"))
    func debUnpacksAndItsBinaryRunsTheExamples() async throws {
        let dir = try TemporaryDirectory("jobdir-deb")
        defer { dir.remove() }
        let root = dir.url("root")
        let unpack = try await ProcessRunner.runDetached("/usr/bin/dpkg", ["-x", Self.deb!, root])
        try #require(unpack.status == 0, "\(unpack.stderr)")
        for path in ["usr/bin/jobdir", "lib/systemd/system/jobdir.service", "usr/share/man/man1/jobdir.1.gz",
                     "usr/share/bash-completion/completions/jobdir", "usr/share/zsh/vendor-completions/_jobdir",
                     "usr/share/fish/vendor_completions.d/jobdir.fish", "usr/share/doc/jobdir/copyright",
                     "usr/share/doc/jobdir/examples/hello-cron.yaml", "usr/share/doc/jobdir/examples/_defaults.yaml"] {
            #expect(FileManager.default.fileExists(atPath: root + "/" + path), "\(path) missing")
        }
        let binary = root + "/usr/bin/jobdir"
        let version = try await ProcessRunner.runDetached(binary, ["--version"], environment: Self.bareEnvironment)
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout.hasPrefix("jobdir "), "\(version.stdout)")
        // The commit it was built from, as git names it.
        let head = try await ProcessRunner.runDetached("/usr/bin/git", ["-C", ProcessRunner.packageRoot, "rev-parse", "--short=12", "HEAD"])
        if head.status == 0 {
            #expect(version.stdout.contains("(commit \(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"), "\(version.stdout)")
        }
        let validate = try await ProcessRunner.runDetached(binary, ["validate", "--jobs", root + "/usr/share/doc/jobdir/examples"], environment: Self.bareEnvironment)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        #expect(validate.stdout.contains("all valid"), "\(validate.stdout)")
        // The man page is the argument parser's, with every verb.
        let man = try await ProcessRunner.runDetached("/bin/sh", ["-c", "gzip -dc \"$0\"", root + "/usr/share/man/man1/jobdir.1.gz"])
        #expect(man.stdout.contains(".Dt JOBDIR 1"))
        for verb in ["run", "validate", "metrics", "approve"] { #expect(man.stdout.contains(".It Em \(verb)\n"), "\(verb)") }
        #expect(man.stdout.contains("metrics-file"))
        let bash = try String(contentsOfFile: root + "/usr/share/bash-completion/completions/jobdir", encoding: .utf8)
        #expect(bash.contains("-F _jobdir jobdir"))
        #expect(!bash.hasPrefix("#!"))
    }

    @Test(.enabled(if: staticBinary != nil && tool("ldd") != nil, "no release binary: run Scripts/test.sh, which sets JOBDIR_STATIC_BINARY"))
    func releaseBinaryLinksOnlySystemCLibraries() async throws {
        let ldd = try await ProcessRunner.runDetached(Self.tool("ldd")!, [Self.staticBinary!], environment: Self.bareEnvironment)
        #expect(ldd.status == 0, "\(ldd.stderr)")
        let libraries = ldd.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(!libraries.isEmpty)
        var paths: [String] = []
        for line in libraries {
            let name = String(line.split(separator: " ").first ?? "")
            #expect(!line.contains("not found"), "\(line)")
            #expect(!line.lowercased().contains("swift") && !line.contains("Foundation") && !line.contains("dispatch")
                && !line.contains("BlocksRuntime") && !line.contains("icu"), "a Swift library is linked dynamically: \(line)")
            // Everything else resolves to the system's own library directories.
            if name.hasPrefix("linux-vdso") || name.contains("ld-linux") { continue }
            let path = line.components(separatedBy: "=> ").last?.split(separator: " ").first.map(String.init) ?? ""
            #expect(path.hasPrefix("/lib/") || path.hasPrefix("/usr/lib/") || path.hasPrefix("/lib64/"), "\(line)")
            paths.append(path)
        }
        // And each is a system package's (libc, libyaml, libcurl and what libcurl needs), none ours.
        if let dpkg = Self.tool("dpkg") {
            // By name: with /lib merged into /usr/lib, a package may list either path.
            let owners = try await ProcessRunner.runDetached(dpkg, ["-S"] + paths.map { "*/" + URL(fileURLWithPath: $0).lastPathComponent })
            #expect(owners.status == 0, "a library no system package owns: \(owners.stderr)")
        }
        let version = try await ProcessRunner.runDetached(Self.staticBinary!, ["--version"], environment: Self.bareEnvironment)
        #expect(version.status == 0 && version.stdout.hasPrefix("jobdir "), "\(version.stdout)\(version.stderr)")
    }
}
