import Foundation
import FuzzTargets

/// `jobdir-fuzz`: the fuzz targets as one program. Built with `-DFUZZING` and
/// `-sanitize=fuzzer,address` (Scripts/fuzz.sh), libFuzzer drives the target named by
/// `JOBDIR_FUZZ_TARGET`; built normally, `jobdir-fuzz TARGET FILE...` runs each file
/// through the target once (to reproduce a finding without the fuzzer).
@main
struct FuzzMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        _ = selected
        exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in testOneInput(data, size) }))
        #else
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            complain("usage: jobdir-fuzz TARGET FILE...  (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                complain("jobdir-fuzz: cannot read \(path)")
                exit(1)
            }
            target.run([UInt8](data))
            print("\(path): ok")
        }
        #endif
    }

    static func complain(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    #if FUZZING
    static let selected: FuzzTarget = {
        let name = getenv("JOBDIR_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            complain("set JOBDIR_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
            exit(2)
        }
        return target
    }()
    #endif
}

#if FUZZING
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzCallback
) -> Int32

/// libFuzzer's entry point (its own `main` links against it too).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    FuzzMain.selected.run(bytes)
    return 0
}
#endif
