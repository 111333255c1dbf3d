import Testing
@testable import Definitions

/// `fleet` and `hosts` (SPEC section 13): read, checked with positions, defaults.
@Suite struct FleetKeysTests {
    func parse(_ text: String) -> Result<JobDefinition, Diagnostics> { JobText.parse(text) }
    func problems(_ text: String) -> [String] { JobText.problems(text) }

    @Test func readsTheKeys() throws {
        let definition = try parse("command: x\nfleet: every\nhosts: {role: db, zone: eu-1}\n").get()
        #expect(definition.fleet == .every)
        #expect(definition.fleetMode == .every)
        #expect(definition.hosts == ["role": "db", "zone": "eu-1"])
        #expect(definition.mayRun(onHostLabelled: ["role": "db", "zone": "eu-1", "disk": "ssd"]))
        #expect(!definition.mayRun(onHostLabelled: ["role": "db"]))
        #expect(!definition.mayRun(onHostLabelled: ["role": "web", "zone": "eu-1"]))
    }

    @Test func defaultIsOnceOnEveryHost() throws {
        let definition = try parse("command: x\n").get()
        #expect(definition.fleet == nil)
        #expect(definition.fleetMode == .once)
        #expect(definition.hosts.isEmpty)
        #expect(definition.mayRun(onHostLabelled: [:]))
    }

    @Test func badValuesAreReportedWithPositions() {
        #expect(problems("command: x\nfleet: all\n") == ["job.yaml:2:8: `fleet` must be one of once, every; found `all`"])
        #expect(problems("command: x\nhosts: db\n") == ["job.yaml:2:8: `hosts` must be a mapping of label: value (like {role: db}); found a string"])
        #expect(problems("command: x\nhosts:\n  '-x': y\n") == ["job.yaml:3:3: `hosts` label `-x` must be letters, digits, `.`, `_`, `-` and `/`"])
        #expect(problems("command: x\nflet: once\n").first?.contains("did you mean `fleet`") == true)
    }

    @Test func hostLabelsParse() {
        #expect(HostLabel.parse("role=db")! == ("role", "db"))
        #expect(HostLabel.parse("role=")! == ("role", ""))
        #expect(HostLabel.parse("role") == nil)
        #expect(HostLabel.parse("=db") == nil)
    }
}
