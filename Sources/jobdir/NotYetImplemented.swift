import ArgumentParser
import Foundation

/// Printed, with exit 1, by verbs whose work has not landed yet.
func notYetImplemented(_ verb: String) -> ExitCode {
    FileHandle.standardError.write(Data("jobdir \(verb): not yet implemented\n".utf8))
    return ExitCode(1)
}
