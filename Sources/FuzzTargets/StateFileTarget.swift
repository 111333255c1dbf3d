import Foundation
import Scheduling
import StateStore

/// The first byte picks the kind (modulo 5): execution record, result, approval file,
/// `daemon.json`, pending notifications (`notifications/<execution-id>.json`, read back
/// at start); the rest is the file. Decoded with the readers the daemon and the
/// command line use. What is accepted must survive the daemon writing it back: it
/// encodes (to Foundation's bytes exactly), the encoding decodes, and a second round
/// gives the same bytes.
enum StateFileTarget {
    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let file = Array(bytes.dropFirst())
        switch selector % 5 {
        case 0: roundTrip(ExecutionRecord.self, file)
        case 1: roundTrip(JobResult.self, file)
        case 2: roundTrip(ApprovalFile.self, file)
        case 3: daemonFile(file)
        default: roundTrip(PendingNotifications.self, file)
        }
    }

    static func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ bytes: [UInt8]) {
        let path = "state/fuzzed.json"
        guard let first = try? StateJSON.decode(type, from: bytes, path: path) else { return }
        let written: [UInt8]
        do { written = try StateJSON.encode(first, path: path) } catch {
            FuzzCheck.expect(false, "accepted \(type) does not encode: \(error)")
            return
        }
        FuzzCheck.expect((try? StateJSON.encodeByFoundation(first)) == written,
                         "\(type) is not written as Foundation writes it:\n\(String(decoding: written, as: UTF8.self))")
        let again: T
        do { again = try StateJSON.decode(type, from: written, path: path) } catch {
            FuzzCheck.expect(false, "written \(type) does not read back: \(error)\n\(String(decoding: written, as: UTF8.self))")
            return
        }
        let rewritten = try? StateJSON.encode(again, path: path)
        FuzzCheck.expect(rewritten == written, "\(type) changes when written back:\n\(String(decoding: written, as: UTF8.self))")
    }

    /// What `jobdir status` does with `daemon.json`: pick fields, print the object as JSON.
    static func daemonFile(_ bytes: [UInt8]) {
        let file = DaemonFile(bytes: Data(bytes))
        _ = (file.pid, file.host, file.startedAt)
        var object = file.object
        object["running"] = false
        FuzzCheck.expect(JSONSerialization.isValidJSONObject(object), "daemon.json object cannot be printed")
        _ = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
