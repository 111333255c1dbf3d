import Foundation

/// UTC offsets of one IANA time zone, read from a TZif file, with the wall-time rules
/// of Python's `zoneinfo` (PEP 495 `fold`), which cronsim's DST behaviour rests on.
///
/// Transitions come from the file and, after its last one, from the footer's POSIX TZ
/// rule, precomputed for 800 years; later instants are shifted by whole 400-year
/// Gregorian cycles (146,097 days, a whole number of weeks), so any year is correct.
package struct TimeZoneRules: Sendable, Hashable, CustomStringConvertible {
    /// The IANA name, e.g. `Europe/Berlin`.
    package let identifier: String
    let table: Table

    package var description: String { identifier }

    package static func == (lhs: TimeZoneRules, rhs: TimeZoneRules) -> Bool {
        lhs.identifier == rhs.identifier && (lhs.table === rhs.table || lhs.table.isEqual(to: rhs.table))
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    /// Coordinated Universal Time, no file needed.
    package static let utc = TimeZoneRules(identifier: "UTC", table: Table(fixedOffset: 0))

    /// A zone with a constant offset (seconds east of UTC) and no transitions.
    package static func fixed(offsetSeconds: Int, identifier: String) -> TimeZoneRules {
        TimeZoneRules(identifier: identifier, table: Table(fixedOffset: Int64(offsetSeconds)))
    }

    init(identifier: String, table: Table) {
        self.identifier = identifier
        self.table = table
    }

    /// Parses TZif data (RFC 8536, versions 1 to 4).
    package init(identifier: String, tzif bytes: [UInt8]) throws(TimeZoneError) {
        guard let data = TZifData(bytes) else {
            throw TimeZoneError(message: "time zone \(identifier): not a valid TZif file")
        }
        self.init(identifier: identifier, table: Table(data))
    }

    /// Loads an IANA zone from the system tz database (`/usr/share/zoneinfo`).
    package init(named identifier: String, directory: String = "/usr/share/zoneinfo") throws(TimeZoneError) {
        if identifier == "UTC" || identifier == "Etc/UTC" || identifier == "Z" {
            if let zone = try? TimeZoneRules(fileAt: directory + "/" + identifier, identifier: identifier) {
                self = zone
            } else {
                self = TimeZoneRules(identifier: identifier, table: Table(fixedOffset: 0))
            }
            return
        }
        guard Self.isPlausibleName(identifier) else {
            throw TimeZoneError(message: "unknown time zone `\(identifier)` (expected an IANA name such as Europe/Berlin)")
        }
        do {
            self = try TimeZoneRules(fileAt: directory + "/" + identifier, identifier: identifier)
        } catch {
            throw TimeZoneError(message: "unknown time zone `\(identifier)` (no such zone in \(directory))")
        }
    }

    /// The machine's local zone: `TZ` if set to a zone name, else `/etc/localtime`, else UTC.
    package static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> TimeZoneRules {
        if var name = environment["TZ"], !name.isEmpty {
            if name.hasPrefix(":") { name.removeFirst() }
            if let zone = try? TimeZoneRules(named: name) { return zone }
        }
        let link = "/etc/localtime"
        var name = "localtime"
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link),
           let range = target.range(of: "zoneinfo/") {
            name = String(target[range.upperBound...])
        }
        if let zone = try? TimeZoneRules(fileAt: link, identifier: name) { return zone }
        if let zone = try? TimeZoneRules(named: TimeZone.current.identifier) { return zone }
        return .utc
    }

    private init(fileAt path: String, identifier: String) throws(TimeZoneError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TimeZoneError(message: "time zone \(identifier): cannot read \(path)")
        }
        try self.init(identifier: identifier, tzif: [UInt8](data))
    }

    private static func isPlausibleName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count < 256, !name.hasPrefix("/"), !name.hasSuffix("/") else { return false }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty || part == "." || part == ".." { return false }
        }
        return name.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 122)
                || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
        }
    }

    // MARK: Queries

    /// Offset from UTC (seconds east) in effect at a UTC instant.
    package func offset(atUTC seconds: Int64) -> Int64 {
        table.local(fromUTC: seconds).wall - seconds
    }

    /// Offset in effect at `date`.
    package func offset(at date: Date) -> Int {
        Int(offset(atUTC: Int64(floor(date.timeIntervalSince1970))))
    }

    // MARK: Table

    final class Table: Sendable {
        /// UTC instants of transitions, ascending.
        let transitions: [Int64]
        /// Offset in effect from `transitions[i]` on.
        let offsets: [Int64]
        /// zoneinfo's fold test: an instant is a repeated wall time if `foldShift[i] > u - transitions[i]`.
        let foldShift: [Int64]
        /// Local thresholds of each transition for `fold == 0` and `fold == 1` (zoneinfo's `_trans_local`).
        let wall0: [Int64]
        let wall1: [Int64]
        /// Offset before the first transition.
        let initialOffset: Int64
        /// Instants at or after this are shifted back by 400-year cycles before lookup.
        let cycleLimit: Int64

        static let cycle: Int64 = 146_097 * 86_400

        init(fixedOffset: Int64) {
            transitions = []; offsets = []; foldShift = []; wall0 = []; wall1 = []
            initialOffset = fixedOffset
            cycleLimit = .max
        }

        init(_ data: TZifData) {
            var transitions = data.transitions
            var offsets = data.transitionTypes.map { data.typeOffsets[Int($0)] }
            let before = data.typeIsDST.firstIndex(of: false).map { data.typeOffsets[$0] }
                ?? offsets.first ?? data.typeOffsets.first ?? data.rule?.standardOffset ?? 0
            var previousForLocal = [Int64]()
            var previousForFold = [Int64]()
            for i in transitions.indices {
                previousForLocal.append(i == 0 ? (data.typeOffsets.first ?? before) : offsets[i - 1])
                previousForFold.append(i == 0 ? before : offsets[i - 1])
            }
            var limit = Int64.max
            if let rule = data.rule {
                if rule.daylight != nil {
                    let lastExplicit = transitions.last ?? Int64.min
                    let firstYear = transitions.last.map { CivilDate(days: floorDiv($0, 86_400)).year } ?? 1800
                    var generated = [(Int64, Int64)]()
                    for year in firstYear..<(firstYear + 800) {
                        guard let (start, end) = rule.transitions(year: year) else { break }
                        generated.append((start, rule.daylight?.offset ?? 0))
                        generated.append((end, rule.standardOffset))
                    }
                    generated.sort { $0.0 < $1.0 }
                    for (instant, offset) in generated where instant > lastExplicit {
                        let previous = offsets.last ?? before
                        if offset == previous { continue }
                        previousForLocal.append(previous)
                        previousForFold.append(previous)
                        transitions.append(instant)
                        offsets.append(offset)
                    }
                    limit = CivilDate(year: firstYear + 800, month: 1, day: 1).days * 86_400 - 2 * 86_400
                } else if let last = offsets.last, last != rule.standardOffset {
                    // A footer without DST whose offset differs from the last type: it applies
                    // after the last transition (zoneinfo's `_tz_after`).
                    previousForLocal.append(last)
                    previousForFold.append(last)
                    transitions.append((transitions.last ?? 0) + 1)
                    offsets.append(rule.standardOffset)
                }
            }
            self.transitions = transitions
            self.offsets = offsets
            self.initialOffset = transitions.isEmpty ? (data.rule?.standardOffset ?? before) : before
            var shift = [Int64](), w0 = [Int64](), w1 = [Int64]()
            shift.reserveCapacity(transitions.count)
            for i in transitions.indices {
                shift.append(previousForFold[i] - offsets[i])
                w0.append(transitions[i] + max(previousForLocal[i], offsets[i]))
                w1.append(transitions[i] + min(previousForLocal[i], offsets[i]))
            }
            foldShift = shift
            wall0 = w0
            wall1 = w1
            cycleLimit = limit
        }

        func isEqual(to other: Table) -> Bool {
            transitions == other.transitions && offsets == other.offsets && initialOffset == other.initialOffset
        }

        /// Index of the last element `<= value`, or -1 (Python's `bisect_right - 1`).
        @inline(__always)
        static func lastIndex(in array: [Int64], notAfter value: Int64) -> Int {
            var low = 0
            var high = array.count
            while low < high {
                let mid = (low + high) >> 1
                if array[mid] <= value { low = mid + 1 } else { high = mid }
            }
            return low - 1
        }

        /// Wall time (local seconds since 1970) and fold of a UTC instant (zoneinfo's `fromutc`).
        func local(fromUTC u: Int64) -> (wall: Int64, fold: Bool) {
            if transitions.isEmpty { return (u + initialOffset, false) }
            if u >= cycleLimit {
                let k = (u - cycleLimit) / Self.cycle + 1
                let shifted = local(fromUTC: u - k * Self.cycle)
                return (shifted.wall + k * Self.cycle, shifted.fold)
            }
            let i = Self.lastIndex(in: transitions, notAfter: u)
            if i < 0 { return (u + initialOffset, false) }
            return (u + offsets[i], foldShift[i] > u - transitions[i])
        }

        /// The instant a repeated period (fall-back overlap) ends, for the first one within
        /// two days of `u` that ends after `u`.
        func endOfRepeatedPeriod(near u: Int64) -> Int64? {
            if transitions.isEmpty { return nil }
            if u >= cycleLimit {
                let k = (u - cycleLimit) / Self.cycle + 1
                return endOfRepeatedPeriod(near: u - k * Self.cycle).map { $0 + k * Self.cycle }
            }
            var i = Self.lastIndex(in: transitions, notAfter: u - 2 * 86_400) + 1
            while i < transitions.count && transitions[i] <= u + 2 * 86_400 {
                if foldShift[i] > 0 && transitions[i] + foldShift[i] > u { return transitions[i] + foldShift[i] }
                i += 1
            }
            return nil
        }

        /// Offset that zoneinfo gives a wall time with `fold` (PEP 495: in a gap or an
        /// overlap, fold 0 takes the offset before the transition, fold 1 the one after).
        func offset(forWall w: Int64, fold: Bool) -> Int64 {
            if transitions.isEmpty { return initialOffset }
            if w >= cycleLimit {
                let k = (w - cycleLimit) / Self.cycle + 1
                return offset(forWall: w - k * Self.cycle, fold: fold)
            }
            let i = Self.lastIndex(in: fold ? wall1 : wall0, notAfter: w)
            return i < 0 ? initialOffset : offsets[i]
        }
    }
}

/// Why a time zone could not be used.
package struct TimeZoneError: Error, Equatable, Sendable, CustomStringConvertible {
    package var message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}

extension TimeZoneRules {
    /// UTC instants (seconds since 1970) at which the offset changes, within `range`.
    package func transitions(in range: Range<Int64>) -> [Int64] {
        var result = [Int64]()
        var u = range.lowerBound
        // Walk the table, shifting by 400-year cycles past its end.
        while u < range.upperBound {
            let cycles = u >= table.cycleLimit ? (u - table.cycleLimit) / Table.cycle + 1 : 0
            let shifted = u - cycles * Table.cycle
            let i = Table.lastIndex(in: table.transitions, notAfter: shifted) + 1
            guard i < table.transitions.count else { break }
            let t = table.transitions[i] + cycles * Table.cycle
            if t >= range.upperBound { break }
            result.append(t)
            u = t + 1
        }
        return result
    }
}
