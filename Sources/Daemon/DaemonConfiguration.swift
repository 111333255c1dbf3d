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
    /// `--metrics-file`: where the Prometheus text is kept, absolute; nil for none.
    package var metricsFile: String?

    package init(jobsDirectory: String, stateDirectory: String, maxParallel: Int, pools: [String: Int], shutdownGrace: Duration, logFormat: DaemonLog.Format,
                 metricsFile: String? = nil) {
        self.jobsDirectory = jobsDirectory
        self.stateDirectory = stateDirectory
        self.maxParallel = maxParallel
        self.pools = pools
        self.shutdownGrace = shutdownGrace
        self.logFormat = logFormat
        self.metricsFile = metricsFile
    }
}
