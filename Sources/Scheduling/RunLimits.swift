import Definitions

/// How many runs may go at once (SPEC section 7): `--max-parallel N` over all jobs,
/// and `--pool NAME=SIZE` for the jobs naming pool NAME.
///
/// - `maxParallel` defaults to 4 × the number of CPU cores (cores are a parameter).
/// - A pool that no `--pool` names has size 1.
/// - A pool name follows the job-id segment rule `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`;
///   a size is a whole number ≥ 1; naming a pool twice is an error.
package struct RunLimits: Hashable, Sendable {
    package static let defaultPoolSize = 1

    package var maxParallel: Int
    /// Sizes given with `--pool`; other pools have `defaultPoolSize`.
    package var poolSizes: [String: Int]

    package init(maxParallel: Int, poolSizes: [String: Int] = [:]) {
        self.maxParallel = maxParallel
        self.poolSizes = poolSizes
    }

    /// 4 × `cores` (a machine reporting fewer than one core counts as one).
    package static func defaultMaxParallel(cores: Int) -> Int { 4 * max(1, cores) }

    /// How many runs of pool `name` may go at once.
    package func size(ofPool name: String) -> Int { poolSizes[name] ?? Self.defaultPoolSize }

    /// Reads the command line's values: `maxParallel` nil means the default for `cores`;
    /// `pools` are the `--pool` arguments in order.
    package static func parse(maxParallel: Int?, pools: [String], cores: Int) throws(RunLimitsError) -> RunLimits {
        if let maxParallel, maxParallel < 1 {
            throw RunLimitsError(option: "--max-parallel", value: String(maxParallel),
                                 message: "must be a whole number ≥ 1, e.g. --max-parallel 8")
        }
        var sizes: [String: Int] = [:]
        for text in pools {
            let (name, size) = try parsePool(text)
            if let earlier = sizes[name] {
                throw RunLimitsError(option: "--pool", value: text,
                                     message: "pool `\(name)` is already given (\(name)=\(earlier)); give each pool once")
            }
            sizes[name] = size
        }
        return RunLimits(maxParallel: maxParallel ?? defaultMaxParallel(cores: cores), poolSizes: sizes)
    }

    /// Reads one `--pool NAME=SIZE` argument.
    package static func parsePool(_ text: String) throws(RunLimitsError) -> (name: String, size: Int) {
        func failure(_ message: String) -> RunLimitsError { RunLimitsError(option: "--pool", value: text, message: message) }
        guard let equals = text.firstIndex(of: "=") else {
            throw failure("expected NAME=SIZE, e.g. --pool db=2")
        }
        let name = text[..<equals]
        let sizeText = text[text.index(after: equals)...]
        guard !name.isEmpty else { throw failure("the pool name before `=` is empty; expected NAME=SIZE, e.g. --pool db=2") }
        guard JobID.isValidSegment(name) else {
            throw failure("pool name `\(name)` must start with a letter or digit and hold only letters, digits, `.`, `_` and `-` (at most 64)")
        }
        guard !sizeText.isEmpty, sizeText.utf8.allSatisfy({ (48...57).contains($0) }), let size = Int(sizeText), size >= 1 else {
            throw failure("size `\(sizeText)` must be a whole number ≥ 1, e.g. --pool \(name)=2")
        }
        return (String(name), size)
    }
}
