import Foundation

/// The names in a directory, sorted; none when it cannot be read.
func directoryNames(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}
