import Definitions
import Foundation
import Scheduling

/// The content of `triggers/<job-id>`, through `TriggerRequest.environment(from:)`.
enum TriggerRequestTarget {
    static func run(_ bytes: [UInt8]) {
        switch TriggerRequest.environment(from: Data(bytes)) {
        case .success(let environment):
            for name in environment.keys {
                FuzzCheck.expect(EnvironmentExpansion.isValidName(name), "accepted variable name `\(name)`")
            }
        case .failure(let problem):
            FuzzCheck.expect(!problem.message.isEmpty, "refusal without a reason")
        }
    }
}
