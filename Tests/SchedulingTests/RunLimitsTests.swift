import Scheduling
import Testing

@Suite struct RunLimitsTests {
    @Test func defaultsFromCores() throws {
        let limits = try RunLimits.parse(maxParallel: nil, pools: [], cores: 2)
        #expect(limits.maxParallel == 8)
        #expect(limits.poolSizes.isEmpty)
        #expect(limits.size(ofPool: "db") == 1)
        #expect(RunLimits.defaultMaxParallel(cores: 0) == 4)
        #expect(RunLimits.defaultMaxParallel(cores: 16) == 64)
    }

    @Test func explicitValues() throws {
        let limits = try RunLimits.parse(maxParallel: 3, pools: ["db=2", "gpu.a_1-x=10"], cores: 8)
        #expect(limits == RunLimits(maxParallel: 3, poolSizes: ["db": 2, "gpu.a_1-x": 10]))
        #expect(limits.size(ofPool: "db") == 2)
        #expect(limits.size(ofPool: "other") == 1)
    }

    @Test(arguments: [
        ("db", "invalid --pool `db`: expected NAME=SIZE, e.g. --pool db=2"),
        ("=2", "invalid --pool `=2`: the pool name before `=` is empty; expected NAME=SIZE, e.g. --pool db=2"),
        ("-db=2", "invalid --pool `-db=2`: pool name `-db` must start with a letter or digit and hold only letters, digits, `.`, `_` and `-` (at most 64)"),
        ("d b=2", "invalid --pool `d b=2`: pool name `d b` must start with a letter or digit and hold only letters, digits, `.`, `_` and `-` (at most 64)"),
        ("a/b=2", "invalid --pool `a/b=2`: pool name `a/b` must start with a letter or digit and hold only letters, digits, `.`, `_` and `-` (at most 64)"),
        ("db=0", "invalid --pool `db=0`: size `0` must be a whole number ≥ 1, e.g. --pool db=2"),
        ("db=", "invalid --pool `db=`: size `` must be a whole number ≥ 1, e.g. --pool db=2"),
        ("db=-1", "invalid --pool `db=-1`: size `-1` must be a whole number ≥ 1, e.g. --pool db=2"),
        ("db=+2", "invalid --pool `db=+2`: size `+2` must be a whole number ≥ 1, e.g. --pool db=2"),
        ("db=two", "invalid --pool `db=two`: size `two` must be a whole number ≥ 1, e.g. --pool db=2"),
        ("db=99999999999999999999", "invalid --pool `db=99999999999999999999`: size `99999999999999999999` must be a whole number ≥ 1, e.g. --pool db=2"),
    ])
    func badPools(_ text: String, _ message: String) {
        #expect(throws: RunLimitsError.self) { try RunLimits.parsePool(text) }
        do {
            _ = try RunLimits.parse(maxParallel: nil, pools: [text], cores: 1)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description == message)
            #expect(error.option == "--pool" && error.value == text)
        }
    }

    @Test func longestPoolName() throws {
        let name = String(repeating: "p", count: 64)
        #expect(try RunLimits.parsePool("\(name)=1") == (name, 1))
        #expect(throws: RunLimitsError.self) { try RunLimits.parsePool("\(name)p=1") }
    }

    @Test func poolGivenTwice() {
        #expect(throws: RunLimitsError(option: "--pool", value: "db=3", message: "pool `db` is already given (db=2); give each pool once")) {
            try RunLimits.parse(maxParallel: nil, pools: ["db=2", "db=3"], cores: 1)
        }
    }

    @Test(arguments: [0, -1])
    func badMaxParallel(_ value: Int) {
        #expect(throws: RunLimitsError(option: "--max-parallel", value: String(value), message: "must be a whole number ≥ 1, e.g. --max-parallel 8")) {
            try RunLimits.parse(maxParallel: value, pools: [], cores: 1)
        }
    }
}
