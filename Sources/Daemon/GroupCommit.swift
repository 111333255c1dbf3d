import Execution
import Scheduling
import StateStore

/// The writes of one loop turn, made durable together: the documents (records, results,
/// approval files), then the runs whose `running` records they hold are spawned, then
/// what had to wait for durability (removing a claimed trigger or a decided marker).
/// The one owner of what the turn has yet to write; the daemon commits it once a turn.
///
/// Invariants: a run is spawned only after the batch holding its record is durable; an
/// action queued with `whenDurable` runs only after a successful commit; a later write
/// to the same path in one turn replaces the earlier one.
struct GroupCommit {
    /// A run whose process starts once its record is durable.
    struct Spawn {
        var run: ActiveRun
        var request: SpawnRequest
    }

    /// One turn's work, taken out for committing.
    struct Batch {
        var documents: [(path: String, bytes: [UInt8])]
        var spawns: [Spawn]
        var afterDurable: [() -> Void]
    }

    private var documents: [String: [UInt8]] = [:]
    private var spawns: [Spawn] = []
    private var afterDurable: [() -> Void] = []

    var isEmpty: Bool { documents.isEmpty && spawns.isEmpty && afterDurable.isEmpty }

    /// Whether a document for `path` waits to be written this turn.
    func writes(_ path: String) -> Bool { documents[path] != nil }

    /// Encodes `document` for this turn's commit.
    mutating func write<Document: Encodable>(_ document: Document, to path: String) throws(StateStoreError) {
        documents[path] = try StateJSON.encode(document, path: path)
    }

    mutating func spawnWhenDurable(_ spawn: Spawn) { spawns.append(spawn) }

    mutating func whenDurable(_ action: @escaping () -> Void) { afterDurable.append(action) }

    /// Everything queued so far; the commit starts empty again.
    mutating func take() -> Batch {
        defer {
            documents.removeAll()
            spawns.removeAll()
            afterDurable.removeAll()
        }
        return Batch(documents: documents.map { (path: $0.key, bytes: $0.value) }, spawns: spawns, afterDurable: afterDurable)
    }
}
