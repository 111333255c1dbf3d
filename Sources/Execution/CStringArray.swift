import Glibc

/// A NULL-terminated `char *[]` for posix_spawn, freed explicitly.
struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() { pointers[i] = strdup(s) }
        pointers[strings.count] = nil
    }

    func free() {
        for i in 0..<count { Glibc.free(pointers[i]) }
        pointers.deallocate()
    }
}
