import Scheduling

/// What `jobdir run` was asked to do.
package struct DaemonConfiguration: Sendable {
    /// The jobs directory, absolute.
    package var jobsDirectory: String
    /// The state directory, absolute.
    package var stateDirectory: String
    package var maxParallel: Int
    package var pools: [String: Int]
    package var shutdownGrace: Duration
    package var logFormat: DaemonLog.Format
    /// The program `mail` notifications go through, as `PATH -i -t`.
    package var sendmail: String = "/usr/sbin/sendmail"
    /// The wait before a failed notification's second attempt; it doubles after each.
    package var notifyRetryDelay: Duration = DeliverySchedule.standard.firstDelay

    package init(jobsDirectory: String, stateDirectory: String, maxParallel: Int, pools: [String: Int], shutdownGrace: Duration, logFormat: DaemonLog.Format) {
        self.jobsDirectory = jobsDirectory
        self.stateDirectory = stateDirectory
        self.maxParallel = maxParallel
        self.pools = pools
        self.shutdownGrace = shutdownGrace
        self.logFormat = logFormat
    }
}
