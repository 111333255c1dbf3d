import Glibc
import SystemCalls
import Scheduling

extension StateStore {
    /// Every `results/<job>.json` (job ids with `/` are subdirectories), sorted by job id.
    /// A file that cannot be read or decoded is returned among `problems` instead, so one
    /// bad file does not hide the rest; names starting with `.` (temp files) are skipped.
    package func allResults() -> (results: [JobResult], problems: [StateStoreError]) {
        var results: [JobResult] = [], problems: [StateStoreError] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? layout.resultsDirectory : layout.resultsDirectory + "/" + relative
            guard let entries = try? Sys.listDirectory(directory) else { continue }
            for entry in entries where !entry.name.hasPrefix(".") {
                let child = relative.isEmpty ? entry.name : relative + "/" + entry.name
                if entry.isDirectory {
                    pending.append(child)
                    continue
                }
                guard child.hasSuffix(".json") else { continue }
                let path = layout.resultsDirectory + "/" + child
                do {
                    results.append(try StateJSON.decode(JobResult.self, from: try AtomicFile.read(path), path: path))
                } catch where error.errno == EACCES {
                    continue  // another user's job (SPEC section 11)
                } catch {
                    problems.append(error)
                }
            }
        }
        return (results.sorted { $0.job < $1.job }, problems)
    }
}
