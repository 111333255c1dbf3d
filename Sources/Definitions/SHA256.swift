import CCrypto

/// SHA-256, for definition hashes and watched files' content hashes: libcrypto's
/// (OpenSSL, the library libcurl already brings), behind a small value type.
package struct SHA256: @unchecked Sendable {
    // A value: copied before it changes when another copy shares the context.
    private var context: Context

    package init() { context = Context() }

    /// The lowercase hex digest of `bytes`.
    package static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    package mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            _ = EVP_DigestUpdate(context.pointer, buffer.baseAddress, buffer.count)
        }
        if handled == nil {
            let array = Array(bytes)
            array.withUnsafeBytes { _ = EVP_DigestUpdate(context.pointer, $0.baseAddress, $0.count) }
        }
    }

    /// The digest of everything given so far; the hasher starts over afterwards.
    package mutating func finalizeHex() -> String {
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context.pointer, &digest, &length)
        _ = EVP_DigestInit_ex(context.pointer, EVP_sha256(), nil)
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(Int(length) * 2)
        for byte in digest[0..<Int(length)] {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private final class Context {
        let pointer: OpaquePointer

        init() {
            pointer = EVP_MD_CTX_new()
            _ = EVP_DigestInit_ex(pointer, EVP_sha256(), nil)
        }

        private init(copying other: OpaquePointer) {
            pointer = EVP_MD_CTX_new()
            _ = EVP_MD_CTX_copy_ex(pointer, other)
        }

        func copy() -> Context { Context(copying: pointer) }

        deinit { EVP_MD_CTX_free(pointer) }
    }
}
