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
    /// What a stop (SIGTERM, SIGINT) does to the runs going on (SPEC section 9).
    package var onStop: OnStop
    /// `--metrics-file`: where the Prometheus text is kept, absolute; nil for none.
    package var metricsFile: String?
    /// The program `mail` notifications go through, as `PATH -i -t`.
    package var sendmail: String = "/usr/sbin/sendmail"
    /// The wait before a failed notification's second attempt; it doubles after each.
    package var notifyRetryDelay: Duration = DeliverySchedule.standard.firstDelay
    /// `--host`: the host's name in records and in the fleet; nil for the system's host name.
    package var hostName: String?
    /// `--fleet` and its companions; nil runs without a fleet (`fleet`/`hosts` keys ignored).
    package var fleet: FleetSettings?

    package enum OnStop: String, Sendable, CaseIterable {
        /// Runs get `shutdownGrace`, then are canceled; the daemon exits when all have ended.
        case wait
        /// The daemon exits at once; runs go on under their supervisors for the next daemon.
        case detach
        /// Every run is canceled at once; the daemon exits when all have ended.
        case cancel
    }

    package init(jobsDirectory: String, stateDirectory: String, maxParallel: Int, pools: [String: Int], shutdownGrace: Duration,
                 logFormat: DaemonLog.Format, onStop: OnStop = .wait, metricsFile: String? = nil) {
        self.jobsDirectory = jobsDirectory
        self.stateDirectory = stateDirectory
        self.maxParallel = maxParallel
        self.pools = pools
        self.shutdownGrace = shutdownGrace
        self.logFormat = logFormat
        self.onStop = onStop
        self.metricsFile = metricsFile
    }
}
