/// Checks of `after` links across jobs: unknown upstream jobs and cycles.
package enum ChainCheck {
    package static func problems(in definitions: [JobID: JobDefinition]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let ids = definitions.keys.map(\.rawValue)
        for definition in definitions.values {
            for link in definition.after where definitions[link.job] == nil {
                let hint = KeySuggestion.closest(to: link.job.rawValue, among: ids).map { "; did you mean `\($0)`?" } ?? ""
                problems.append(Diagnostic("`after`: no job `\(link.job)`\(hint)", at: link.mark))
            }
        }
        for cycle in cycles(in: definitions) {
            let text = (cycle + [cycle[0]]).map(\.rawValue).joined(separator: " → ")
            for (index, id) in cycle.enumerated() {
                let upstream = cycle[(index + cycle.count - 1) % cycle.count]
                guard let link = definitions[id]?.after.first(where: { $0.job == upstream }) else { continue }
                problems.append(Diagnostic("`after` makes a chain cycle: \(text)", at: link.mark))
            }
        }
        return problems
    }

    /// Each cycle of "runs after" links once, listed in run order from its smallest id.
    package static func cycles(in definitions: [JobID: JobDefinition]) -> [[JobID]] {
        // Edge upstream → downstream; a cycle in either direction is the same set.
        var downstream: [JobID: [JobID]] = [:]
        for definition in definitions.values {
            for link in definition.after where definitions[link.job] != nil {
                downstream[link.job, default: []].append(definition.id)
            }
        }
        var found: [[JobID]] = []
        var seen = Set<[JobID]>()
        var color: [JobID: Int] = [:]
        var stack: [JobID] = []
        func visit(_ id: JobID) {
            color[id] = 1
            stack.append(id)
            for next in (downstream[id] ?? []).sorted() {
                if color[next] == 1, let start = stack.firstIndex(of: next) {
                    var cycle = Array(stack[start...])
                    let smallest = cycle.indices.min { cycle[$0] < cycle[$1] }!
                    cycle = Array(cycle[smallest...] + cycle[..<smallest])
                    if seen.insert(cycle).inserted { found.append(cycle) }
                } else if color[next] == nil {
                    visit(next)
                }
            }
            stack.removeLast()
            color[id] = 2
        }
        for id in definitions.keys.sorted() where color[id] == nil { visit(id) }
        return found
    }
}
