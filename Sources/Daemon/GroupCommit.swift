import Execution
import Scheduling
import StateStore

/// The writes of one loop turn, made durable together: the documents (records, results,
/// approval files), then the runs whose `running` records they hold are spawned, then
/// the request files that may go once their effect is recorded (a claimed trigger, a
/// decided approval marker) are removed. The one owner of what is yet to be written;
/// the daemon commits it once a turn.
///
/// A commit the disk refuses is put back (`restore`): its documents stay owed, merged
/// with later writes (the later document of a path wins), and are tried again until
/// they land; nothing the daemon knows is dropped.
///
/// The owed documents are also kept outside the state directory, for a daemon started
/// after this one (`StateRuntimeFiles`); `owedCopyChange` says when that copy must be
/// written again or removed.
///
/// Invariants: a run is spawned only after the batch holding its record is durable; a
/// request file is removed only after a successful commit; a later write to the same
/// path replaces the earlier one.
struct GroupCommit {
    /// A run whose process starts once its record is durable.
    struct Spawn {
        var run: ActiveRun
        var request: SpawnRequest
    }

    /// One turn's work, taken out for committing.
    struct Batch {
        var documents: [String: [UInt8]]
        var spawns: [Spawn]
        /// Request files to remove once the documents are durable.
        var removals: [String]
        /// Supervisors to tell that their outcome is recorded once the documents are durable.
        var acknowledgements: [ExecutionID] = []
    }

    private var documents: [String: [UInt8]] = [:]
    private var spawns: [Spawn] = []
    private var removals: [String] = []
    private var acknowledgements: [ExecutionID] = []
    /// The owed documents as last kept outside the state directory.
    private var keptOutside: [String: [UInt8]] = [:]

    var isEmpty: Bool { documents.isEmpty && spawns.isEmpty && removals.isEmpty && acknowledgements.isEmpty }

    /// How many documents wait to be written.
    var owedDocuments: Int { documents.count }

    /// Whether a document for `path` waits to be written.
    func writes(_ path: String) -> Bool { documents[path] != nil }

    /// The document that waits to be written to `path`, if any.
    func document(at path: String) -> [UInt8]? { documents[path] }

    /// Every document that waits, by path.
    var owed: [String: [UInt8]] { documents }

    /// How many documents wait to be written, not counting the one at `path`.
    func owedDocuments(besides path: String) -> Int { documents.count - (documents[path] == nil ? 0 : 1) }

    /// The owed documents to keep outside the state directory, when they differ from
    /// those kept last: empty when nothing is owed any more (the copy goes), nil when the
    /// copy is as it should be. Called after a commit, with nothing taken out. The
    /// document at `excluded` is never kept (the daemon's own `daemon.json`: a daemon
    /// started later writes its own).
    mutating func owedCopyChange(excluding excluded: String) -> [String: [UInt8]]? {
        var owed = documents
        owed[excluded] = nil
        guard owed != keptOutside else { return nil }
        keptOutside = owed
        return owed
    }

    /// Encodes `document` for this turn's commit.
    mutating func write<Document: Encodable>(_ document: Document, to path: String) throws(StateStoreError) {
        documents[path] = try StateJSON.encode(document, path: path)
    }

    mutating func spawnWhenDurable(_ spawn: Spawn) { spawns.append(spawn) }

    /// Removes the file at `path` once this turn's documents are durable.
    mutating func removeWhenDurable(_ path: String) { removals.append(path) }

    /// Tells the supervisor of `id` its outcome is recorded once this turn is durable.
    mutating func acknowledgeWhenDurable(_ id: ExecutionID) { acknowledgements.append(id) }

    /// Everything queued so far; the commit starts empty again.
    mutating func take() -> Batch {
        defer {
            documents.removeAll()
            spawns.removeAll()
            removals.removeAll()
            acknowledgements.removeAll()
        }
        return Batch(documents: documents, spawns: spawns, removals: removals, acknowledgements: acknowledgements)
    }

    /// Puts back what a refused commit held: its documents and removals stay owed
    /// (documents written since win), its spawns are the caller's to settle.
    mutating func restore(_ batch: Batch) {
        documents.merge(batch.documents) { newer, _ in newer }
        removals = batch.removals + removals
        acknowledgements = batch.acknowledgements + acknowledgements
    }
}
