import Foundation

/// One key of etcd with its revisions (`mvccpb.KeyValue`).
package struct EtcdKeyValue: Sendable, Equatable {
    package var key: String
    package var value: [UInt8]
    package var createRevision: Int64
    package var modRevision: Int64
    package var version: Int64
    /// The lease the key is attached to; 0 for none.
    package var lease: Int64

    package init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64 = 1, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    init(_ object: [String: Any]) {
        key = String(decoding: EtcdValue.bytes(object, "key"), as: UTF8.self)
        value = EtcdValue.bytes(object, "value")
        createRevision = EtcdValue.int64(object, "create_revision")
        modRevision = EtcdValue.int64(object, "mod_revision")
        version = EtcdValue.int64(object, "version")
        lease = EtcdValue.int64(object, "lease")
    }

    package var text: String { String(decoding: value, as: UTF8.self) }
}

/// A comparison of a txn (`etcdserverpb.Compare`).
package enum EtcdCompare: Sendable, Equatable {
    /// The key's create revision equals `revision` (0: the key does not exist).
    case createRevision(key: String, equals: Int64)
    /// The key's last modification was at `revision`.
    case modRevision(key: String, equals: Int64)

    var json: [String: Any] {
        switch self {
        case .createRevision(let key, let revision):
            return ["key": EtcdValue.base64(key), "target": "CREATE", "result": "EQUAL", "create_revision": String(revision)]
        case .modRevision(let key, let revision):
            return ["key": EtcdValue.base64(key), "target": "MOD", "result": "EQUAL", "mod_revision": String(revision)]
        }
    }
}

/// One operation of a txn (`etcdserverpb.RequestOp`).
package enum EtcdOperation: Sendable, Equatable {
    case put(key: String, value: [UInt8], lease: Int64)
    case range(key: String)
    /// Every key starting with `prefix`.
    case rangePrefix(String)
    case delete(key: String)
    /// A txn inside a txn (etcd 3.3 and later, `request_txn`): its comparisons failing
    /// fails only it, not the operations around it.
    indirect case txn(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation])

    var json: [String: Any] {
        switch self {
        case .put(let key, let value, let lease):
            var put: [String: Any] = ["key": EtcdValue.base64(key), "value": EtcdValue.base64(value)]
            if lease != 0 { put["lease"] = String(lease) }
            return ["request_put": put]
        case .range(let key):
            return ["request_range": ["key": EtcdValue.base64(key)]]
        case .rangePrefix(let prefix):
            return ["request_range": EtcdRequests.prefixRange(prefix)]
        case .delete(let key):
            return ["request_delete_range": ["key": EtcdValue.base64(key)]]
        case .txn(let compare, let success, let failure):
            return ["request_txn": EtcdRequests.txnObject(compare: compare, success: success, failure: failure)]
        }
    }
}

/// The bodies of the gateway's requests, as JSON bytes.
package enum EtcdRequests {
    package static func grant(ttlSeconds: Int64) -> [UInt8] { encode(["TTL": String(ttlSeconds)]) }
    package static func keepAlive(lease: Int64) -> [UInt8] { encode(["ID": String(lease)]) }
    package static func revoke(lease: Int64) -> [UInt8] { encode(["ID": String(lease)]) }

    package static func txn(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation]) -> [UInt8] {
        encode(txnObject(compare: compare, success: success, failure: failure))
    }

    static func txnObject(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation]) -> [String: Any] {
        ["compare": compare.map(\.json), "success": success.map(\.json), "failure": failure.map(\.json)]
    }

    package static func range(prefix: String) -> [UInt8] { encode(prefixRange(prefix)) }
    package static func put(key: String, value: [UInt8], lease: Int64) -> [UInt8] {
        encode(EtcdOperation.put(key: key, value: value, lease: lease).json["request_put"] as? [String: Any] ?? [:])
    }
    package static func delete(key: String) -> [UInt8] { encode(["key": EtcdValue.base64(key)]) }

    /// A watch of every key under `prefix` from `startRevision`, deletes with their last value.
    package static func watch(prefix: String, startRevision: Int64) -> [UInt8] {
        var create = prefixRange(prefix)
        create["start_revision"] = String(startRevision)
        create["prev_kv"] = true
        create["progress_notify"] = true
        return encode(["create_request": create])
    }

    static func prefixRange(_ prefix: String) -> [String: Any] {
        let bytes = Array(prefix.utf8)
        return ["key": EtcdValue.base64(bytes), "range_end": EtcdValue.base64(EtcdValue.prefixEnd(bytes))]
    }

    static func encode(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }
}

/// An answer of the gateway that is not what was asked: `{"error":…,"message":…,"code":N}`,
/// a body that is not JSON, or no answer at all.
package struct EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    /// gRPC's code when etcd answered with an error; nil when nothing usable came back.
    package var code: Int?
    package var description: String { code.map { "\(message) (code \($0))" } ?? message }

    package init(message: String, code: Int? = nil) {
        self.message = message
        self.code = code
    }
}

/// Decoding the gateway's answers.
package enum EtcdResponses {
    /// The JSON object of a body, or the error it carries.
    package static func object(_ body: [UInt8]) -> Result<[String: Any], EtcdError> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(EtcdError(message: "not a JSON object: \(String(decoding: body.prefix(200), as: UTF8.self))"))
        }
        if let error = object["error"] as? String ?? object["message"] as? String, object["header"] == nil, object["result"] == nil {
            return .failure(EtcdError(message: error, code: (object["code"] as? NSNumber)?.intValue))
        }
        return .success(object)
    }

    /// The header's revision.
    package static func revision(_ object: [String: Any]) -> Int64 {
        EtcdValue.int64(object["header"] as? [String: Any] ?? [:], "revision")
    }

    /// `/v3/lease/grant`: the lease id and the TTL the server gave.
    package static func grant(_ object: [String: Any]) -> (id: Int64, ttl: Int64)? {
        let id = EtcdValue.int64(object, "ID")
        return id == 0 ? nil : (id, EtcdValue.int64(object, "TTL"))
    }

    /// `/v3/lease/keepalive`: the TTL left after the renewal; 0 when the lease is gone
    /// (etcd then leaves `TTL` out).
    package static func keepAliveTTL(_ object: [String: Any]) -> Int64 {
        EtcdValue.int64(object["result"] as? [String: Any] ?? object, "TTL")
    }

    /// `/v3/kv/txn`: whether the comparisons held, and the keys the range operations read.
    package static func txn(_ object: [String: Any]) -> (succeeded: Bool, ranges: [[EtcdKeyValue]], revision: Int64) {
        let responses = object["responses"] as? [[String: Any]] ?? []
        let ranges = responses.compactMap { $0["response_range"] as? [String: Any] }.map(keyValues)
        return (EtcdValue.bool(object, "succeeded"), ranges, revision(object))
    }

    /// `/v3/kv/range` (or a txn's range response): the keys found.
    package static func keyValues(_ object: [String: Any]) -> [EtcdKeyValue] {
        (object["kvs"] as? [[String: Any]] ?? []).map(EtcdKeyValue.init)
    }
}

/// One message of a watch stream.
package enum EtcdWatchMessage: Sendable, Equatable {
    case created(revision: Int64)
    /// Puts (`kv`) and deletes (`kv` with the revision of the delete, `previous` the last value).
    case events([EtcdWatchEvent], revision: Int64)
    /// The start revision was compacted: re-list, then watch again from the listing's revision.
    case canceled(compactRevision: Int64, reason: String)
    case failed(EtcdError)

    /// Decodes one line of the stream.
    package static func decode(_ line: [UInt8]) -> EtcdWatchMessage {
        switch EtcdResponses.object(line) {
        case .failure(let error):
            return .failed(error)
        case .success(let object):
            guard let result = object["result"] as? [String: Any] else {
                return .failed(EtcdError(message: "a watch message without result"))
            }
            let revision = EtcdResponses.revision(result)
            if EtcdValue.bool(result, "canceled") {
                return .canceled(compactRevision: EtcdValue.int64(result, "compact_revision"), reason: result["cancel_reason"] as? String ?? "")
            }
            if EtcdValue.bool(result, "created") { return .created(revision: revision) }
            let events = (result["events"] as? [[String: Any]] ?? []).map(EtcdWatchEvent.init)
            return .events(events, revision: revision)
        }
    }
}

package struct EtcdWatchEvent: Sendable, Equatable {
    /// Puts carry no `type` on the gateway; deletes carry `"DELETE"`.
    package var isDelete: Bool
    package var kv: EtcdKeyValue
    package var previous: EtcdKeyValue?

    package init(isDelete: Bool, kv: EtcdKeyValue, previous: EtcdKeyValue? = nil) {
        self.isDelete = isDelete
        self.kv = kv
        self.previous = previous
    }

    init(_ object: [String: Any]) {
        isDelete = object["type"] as? String == "DELETE"
        kv = EtcdKeyValue(object["kv"] as? [String: Any] ?? [:])
        previous = (object["prev_kv"] as? [String: Any]).map(EtcdKeyValue.init)
    }
}
