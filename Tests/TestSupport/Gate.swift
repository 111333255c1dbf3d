import Glibc

/// A FIFO a job's command waits on (`read x < PATH`) until the test opens it: the run
/// stays in a state for as long as the test needs, with no window to catch.
package struct Gate {
    package let path: String

    package init(at path: String) {
        self.path = path
        mkfifo(path, 0o600)
    }

    /// Lets the waiting command go on (blocks until it is reading).
    package func open() {
        let fd = Glibc.open(path, O_WRONLY)
        _ = write(fd, "go\n", 3)
        close(fd)
    }
}
