// jobdir-supervisor: the parent of one run's command, started by the daemon once per
// run. It is the child subreaper of everything the command starts, starts the command
// in its own session (as the run's user, with its limits: child.c), writes its output
// to the log with the head/tail bound, enforces
// the timeout and kill grace, acts on a cancel (SIGTERM or SIGINT to the supervisor),
// reaps every process it is handed, and at the end hands the outcome over (on the report
// pipe to a daemon that records it, else in the outcome file, written atomically) and
// exits. It blocks in ppoll on a signalfd and the output pipe; deadlines are ppoll's
// timeout on CLOCK_MONOTONIC. The invocation is in invocation.c.
//
// Exit status: 0 once the outcome is recorded or written; 1 if it could not be written;
// 2 for an invocation it does not understand, 3 when its gate closed without a go
// (nothing is started or written then).
//
// --gate-fd: the daemon starts the supervisor while the run's record is being flushed,
// so that the exec overlaps the flush; the supervisor waits for one byte `g` on the
// gate before it opens the log or starts anything. The daemon sends it once the record
// is durable, or closes the gate (or dies) when it is not: then nothing runs.
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NONE INT64_MAX
#define NS_PER_MS 1000000LL
/// How long output may stay open after the group is gone (a process that left the
/// session may hold the pipe), as in the daemon's own capture.
#define LINGER_NS (200 * NS_PER_MS)
#define SECOND_NS (1000 * NS_PER_MS)

static int64_t monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int64_t wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/// The fence deadline the daemon last wrote (a CLOCK_MONOTONIC instant in ns), or 0 when
/// the file cannot be read: then the lease is not known to be alive.
static int64_t read_fence(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[32];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return 0;
    text[n] = 0;
    char *end = NULL;
    long long value = strtoll(text, &end, 10);
    return end != text && value > 0 ? (int64_t)value : 0;
}

/// How long the command gets between SIGTERM and SIGKILL when its lease's deadline has
/// passed: the lease may expire soon after, and another host then takes the occurrence.
#define FENCE_GRACE_NS (500 * NS_PER_MS)

/// One run, from spawn to outcome.
struct run {
    const struct invocation *inv;
    int64_t start_ns, started_at_ms;
    pid_t pid;                  // the command, leader of its own session and group
    int out_fd;                 // read end of the output pipe; -1 once closed
    struct capture capture;
    int leader_done, status;
    struct rusage usage;
    const char *stopped_by;
    int terminated_leftovers;
    int64_t timeout_at, kill_at, drain_until, killed_at;
    int64_t fence_at;           // NONE without --fence-file
};

static int group_exists(pid_t pgid) {
    return pgid > 1 && (kill(-pgid, 0) == 0 || errno == EPERM);
}

/// SIGTERM to the group now, SIGKILL after the grace (a kill already due stays due).
static void terminate_group(struct run *r, int64_t now) {
    kill(-r->pid, SIGTERM);
    if (r->kill_at == NONE) r->kill_at = now + r->inv->kill_grace_ms * NS_PER_MS;
}

static void stop(struct run *r, const char *reason, int64_t now) {
    if (r->leader_done || r->stopped_by) return;
    r->stopped_by = reason;
    r->timeout_at = NONE;
    terminate_group(r, now);
}

/// Reaps every child that has ended: the leader (its status and rusage are kept) and
/// whatever was reparented here.
static void reap(struct run *r, int64_t now) {
    int leader_now = 0;
    for (;;) {
        int status = 0;
        struct rusage usage;
        pid_t pid = wait4(-1, &status, WNOHANG, &usage);
        if (pid < 0 && errno == EINTR) continue;
        if (pid <= 0) break;
        if (pid == r->pid && !r->leader_done) {
            r->leader_done = 1;
            r->status = status;
            r->usage = usage;
            leader_now = 1;
        }
    }
    if (!leader_now) return;
    // The leader is gone: end what it left in its group and bound how long its output
    // may stay open.
    r->timeout_at = NONE;
    if (group_exists(r->pid)) {
        if (!r->stopped_by) r->terminated_leftovers = 1;
        terminate_group(r, now);
        r->drain_until = r->kill_at + SECOND_NS;
    } else {
        r->drain_until = now + LINGER_NS;
    }
}

static unsigned char chunk[1 << 16];

/// Reads what the pipe holds now (a bounded number of reads, so deadlines and signals
/// are looked at between them); closes it at EOF.
static void drain(struct run *r, int until_empty) {
    for (int i = 0; r->out_fd >= 0 && (until_empty || i < 16); i++) {
        ssize_t n = read(r->out_fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (until_empty) break;
            return;
        }
        if (n <= 0) {
            close(r->out_fd);
            r->out_fd = -1;
            return;
        }
        capture_append(&r->capture, chunk, (size_t)n);
    }
    if (until_empty && r->out_fd >= 0) {
        close(r->out_fd);
        r->out_fd = -1;
    }
}

/// The signalfd, once made (the outcome's wait for an acknowledgement reads it).
static int signal_fd = -1;

/// Hands the outcome to the daemon on the report pipe (`outcome LENGTH\n` and the JSON);
/// whether all of it went. EPIPE when no daemon listens (SIGPIPE is blocked).
static int report_outcome(int fd, const struct outcome *o) {
    struct buffer b = {0};
    render_outcome(&b, o);
    char head[48];
    int n = snprintf(head, sizeof head, "outcome %zu\n", b.length);
    size_t done = 0;
    if (write(fd, head, (size_t)n) == n) {
        while (done < b.length) {
            ssize_t w = write(fd, b.data + done, b.length - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            done += (size_t)w;
        }
    }
    int whole = b.data && done == b.length;
    free(b.data);
    return whole;
}

/// How long a supervisor whose outcome went over the report pipe waits for the daemon's
/// word that the run's end is recorded before it writes the outcome file all the same.
#define ACKNOWLEDGEMENT_WAIT_MS 1000

/// Reads the signals waiting on the signalfd: whether SIGUSR1, the daemon's word that it
/// has recorded the outcome, is among them.
static int read_acknowledgement(void) {
    struct signalfd_siginfo info[16];
    ssize_t got = read(signal_fd, info, sizeof info);
    for (ssize_t i = 0; got > 0 && i < got / (ssize_t)sizeof info[0]; i++)
        if (info[i].ssi_signo == SIGUSR1) return 1;
    return 0;
}

/// Whether the daemon says it has recorded the outcome (SIGUSR1) before it goes away (the
/// report pipe has no reader) or `ACKNOWLEDGEMENT_WAIT_MS` pass.
static int acknowledged(int report_fd) {
    int64_t deadline = monotonic_ns() + ACKNOWLEDGEMENT_WAIT_MS * NS_PER_MS;
    for (;;) {
        int64_t left = deadline - monotonic_ns();
        if (left <= 0) return 0;
        struct timespec wait = {.tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL};
        struct pollfd p[2] = {{.fd = signal_fd, .events = POLLIN}, {.fd = report_fd, .events = 0}};
        int n = ppoll(p, 2, &wait, NULL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        if ((p[0].revents & POLLIN) && read_acknowledgement()) return 1;
        if (p[1].revents & (POLLERR | POLLHUP)) return 0;
    }
}

/// Hands the outcome over. A daemon that listens gets it on the report pipe, records the
/// run's end durably and says so (SIGUSR1): the outcome file, which is for a daemon that
/// is gone or restarts, is then not written at all. Without that word (no daemon listens,
/// it went away, or it took longer than the wait), the outcome is written to its file,
/// atomically and flushed. The word is waited for only when `may_wait`: a run whose
/// process group still has members is not left with them unreaped (or a SIGKILL still
/// due unsent) while the daemon records it; its outcome goes to the file at once.
/// When the state directory refuses the file (a full disk), the outcome is not dropped:
/// it is kept, the file tried again with a backoff of 50 ms doubling to 2 s, until it
/// lands or the daemon says it has recorded it (SIGUSR1), or the outcome's directory is
/// gone.
static int finish(const struct invocation *inv, struct outcome *o, int64_t start_ns, int64_t started_at_ms, int may_wait) {
    int64_t elapsed = monotonic_ns() - start_ns;
    o->execution = inv->id;
    o->started_at_ms = started_at_ms;
    o->duration_ms = elapsed / NS_PER_MS;
    o->finished_at_ms = started_at_ms + elapsed / NS_PER_MS;
    if (inv->report_fd >= 0 && report_outcome(inv->report_fd, o) && may_wait && signal_fd >= 0 && acknowledged(inv->report_fd)) return 0;
    if (write_outcome(inv->outcome_path, o) == 0) return 0;
    fprintf(stderr, "jobdir-supervisor: cannot write the outcome %s: %s; keeping it until it can be\n", inv->outcome_path, strerror(errno));
    int64_t backoff = 50 * NS_PER_MS;
    for (;;) {
        struct timespec wait = {.tv_sec = backoff / 1000000000LL, .tv_nsec = backoff % 1000000000LL};
        struct pollfd p = {.fd = signal_fd, .events = POLLIN};
        if (ppoll(&p, signal_fd >= 0 ? 1 : 0, &wait, NULL) > 0 && read_acknowledgement()) return 0;
        if (write_outcome(inv->outcome_path, o) == 0) return 0;
        // The outcome's directory is gone (the state directory removed or unmounted):
        // nothing can ever record it there, and no daemon took it over the pipe.
        if (errno == ENOENT) {
            fprintf(stderr, "jobdir-supervisor: %s: its directory is gone; giving the outcome up\n", inv->outcome_path);
            return 1;
        }
        if (backoff < 2000 * NS_PER_MS) backoff *= 2;
    }
}

static int spawn_failed(const struct invocation *inv, const struct spawn_failure *f, int64_t start_ns, int64_t started_at_ms) {
    struct outcome o = {.termination = "spawn_failed", .exit_code = -1, .signal = -1, .failure = f};
    if (strcmp(f->kind, KIND_CANCELED) == 0) o.stopped_by = "cancel";
    return finish(inv, &o, start_ns, started_at_ms, 1);
}

/// Whether a cancel (SIGTERM, SIGINT) is among the signals read now.
static int read_signals(int sfd, int *child) {
    int cancel = 0;
    struct signalfd_siginfo info[16];
    for (;;) {
        ssize_t n = read(sfd, info, sizeof info);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (size_t i = 0; i < (size_t)n / sizeof info[0]; i++) {
            if (info[i].ssi_signo == SIGCHLD) *child = 1;
            if (info[i].ssi_signo == SIGTERM || info[i].ssi_signo == SIGINT) cancel = 1;
        }
    }
    return cancel;
}

// The mode of the log: 0640 where its directory carries its job's ACL (the group bits of a
// file made under a default ACL become its mask, so the job's readers read it), 0600
// otherwise (the owning group is the daemon's, and others may pass through the directory
// to reach a job below it).
static mode_t log_mode(const char *log_path) {
    const char *slash = strrchr(log_path, '/');
    if (!slash || slash == log_path) return 0600;
    char directory[4096];
    directory_of(log_path, directory, sizeof directory);
    struct stat info;
    return stat(directory, &info) == 0 && (info.st_mode & 0050) ? 0640 : 0600;
}

static void show_id(const char *id) {
    // The kernel keeps 15 bytes of the name; the end of an execution id (trigger kind
    // and random part) tells runs apart best. The full id is in argv.
    size_t n = strlen(id);
    prctl(PR_SET_NAME, (unsigned long)(n > 15 ? id + n - 15 : id), 0, 0, 0);
}

int main(int argc, char **argv) {
    int64_t start_ns = monotonic_ns(), started_at_ms = wall_ms();
    struct invocation inv;
    char problem[512];
    if (parse_invocation(argc, argv, &inv, problem, sizeof problem) != 0) {
        fprintf(stderr, "jobdir-supervisor: %s\n", problem);
        return 2;
    }
    show_id(inv.id);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    // Its own session: out of the daemon's terminal and process group (a Ctrl-C there
    // does not reach it), and it outlives the daemon.
    setsid();

    // Every signal it acts on arrives through the signalfd. SIGHUP, SIGPIPE and SIGUSR2
    // are blocked and ignored; SIGUSR1 acknowledges an outcome handed over the report pipe.
    sigset_t handled;
    sigemptyset(&handled);
    int signals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&handled, signals[i]);
    sigprocmask(SIG_BLOCK, &handled, NULL);
    int sfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    signal_fd = sfd;

    // The command's child is made and set up first, and holds before its exec: with a
    // gate, this happens while the daemon still flushes the run's record. A step that
    // fails here is told only after the go (the record must be durable first).
    struct spawn_failure failure = {0};
    int failed = 0;
    const char *stdin_path = inv.stdin_path ? inv.stdin_path : "/dev/null";
    int stdin_fd = -1, pipe_fds[2] = {-1, -1};
    struct held_command held = {.pid = -1, .go = -1, .report = -1};
    if (sfd < 0) {
        set_failure(&failure, KIND_OTHER, NULL, errno, "signalfd: %s (errno %d)", strerror(errno), errno);
        failed = 1;
    } else if ((stdin_fd = open(stdin_path, O_RDONLY | O_CLOEXEC)) < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
        // The command's stdin: --stdin is opened here, with the supervisor's rights (a
        // notifier's input is in the daemon's state directory), before the child changes user.
        int e = errno;
        set_failure(&failure, KIND_OTHER, stdin_fd < 0 ? stdin_path : NULL, e, "%s %s: %s (errno %d)",
                    stdin_fd < 0 ? "open" : "pipe2", stdin_fd < 0 ? stdin_path : "", strerror(e), e);
        failed = 1;
    } else if (prepare_command(&inv, stdin_fd, pipe_fds[1], &held, &failure) != 0) {
        failed = 1;
    }
    if (stdin_fd >= 0) close(stdin_fd);
    if (pipe_fds[1] >= 0) close(pipe_fds[1]);
    // The log's inode is made while the daemon flushes the record too, and named only after
    // the go. So is the outcome's when no daemon listens (one that listens takes the outcome
    // on the report pipe, and an inode made and freed at every run would slow the making of
    // every later one: see `SpareFiles` in the daemon).
    int log_ahead = failed ? -1 : make_file_ahead(inv.log_path, O_RDWR, log_mode(inv.log_path));
    if (inv.report_fd < 0) outcome_ahead_fd = make_file_ahead(inv.outcome_path, O_WRONLY, 0600);

    if (inv.gate_fd >= 0) {
        char go = 0;
        ssize_t n;
        do n = read(inv.gate_fd, &go, 1); while (n < 0 && errno == EINTR);
        close(inv.gate_fd);
        if (n != 1 || go != 'g') {
            discard_command(&held);
            // The files made ahead had no name: they go with their descriptors.
            return 3;
        }
        // The run starts now, not when the supervisor did.
        start_ns = monotonic_ns();
        started_at_ms = wall_ms();
    }

    int log_fd = -1;
    if (log_ahead >= 0) {
        if (!failed && name_file_made_ahead(log_ahead, inv.log_path) == 0) log_fd = log_ahead;
        else close(log_ahead);
    }
    if (!failed && log_fd < 0 && (log_fd = open(inv.log_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, log_mode(inv.log_path))) < 0) {
        int e = errno;
        set_failure(&failure, KIND_LOG, inv.log_path, e, "log %s: %s", inv.log_path, strerror(e));
        failed = 1;
    }
    // A cancel that came before the go: nothing starts.
    int child_signal = 0;
    if (!failed && read_signals(sfd, &child_signal)) {
        set_failure(&failure, KIND_CANCELED, NULL, 0, "canceled before it started");
        failed = 1;
    }
    // A fleet lease already past its deadline (the daemon was paused between the claim and
    // the spawn, or the file is gone): the occurrence may be another host's by now.
    int64_t fence_at = NONE;
    if (!failed && inv.fence_file) {
        fence_at = read_fence(inv.fence_file);
        if (fence_at <= monotonic_ns()) {
            set_failure(&failure, KIND_CANCELED, NULL, 0, "the fleet lease's deadline had passed before it started");
            failed = 1;
        }
    }
    if (failed) {
        discard_command(&held);
        if (pipe_fds[0] >= 0) close(pipe_fds[0]);
        return spawn_failed(&inv, &failure, start_ns, started_at_ms);
    }
    struct run r = {.inv = &inv, .start_ns = start_ns, .started_at_ms = started_at_ms, .out_fd = pipe_fds[0],
                    .timeout_at = NONE, .kill_at = NONE, .drain_until = NONE, .killed_at = NONE, .fence_at = fence_at};
    r.pid = release_command(&held, &failure);
    if (r.pid < 0) return spawn_failed(&inv, &failure, start_ns, started_at_ms);
    if (inv.report_fd >= 0) {
        char line[32];
        int n = snprintf(line, sizeof line, "started %d\n", (int)r.pid);
        if (write(inv.report_fd, line, (size_t)n) < 0) { /* the daemon may be gone: nothing to tell */ }
        // Kept open: an outcome the disk refuses is handed over on it (see `finish`).
    }
    fcntl(r.out_fd, F_SETFL, O_NONBLOCK);
    capture_init(&r.capture, log_fd, inv.max_output);
    if (inv.timeout_ms >= 0) r.timeout_at = start_ns + inv.timeout_ms * NS_PER_MS;

    int finished = 0, status = 0;
    for (;;) {
        int64_t now = monotonic_ns();
        if (r.timeout_at <= now) stop(&r, "timeout", now);
        if (r.fence_at <= now) {
            // The deadline may have been moved on since it was read: read it again first.
            int64_t again = read_fence(inv.fence_file);
            if (again > now) {
                r.fence_at = again;
            } else {
                r.fence_at = NONE;
                if (!r.leader_done && !r.stopped_by) {
                    fprintf(stderr, "jobdir-supervisor: %s: the fleet lease's deadline has passed; stopping the run\n", inv.id);
                    stop(&r, "cancel", now);
                    if (r.kill_at > now + FENCE_GRACE_NS) r.kill_at = now + FENCE_GRACE_NS;
                }
            }
        }
        if (r.kill_at <= now) {
            kill(-r.pid, SIGKILL);
            r.kill_at = NONE;
            r.killed_at = now;
        }
        if (r.out_fd >= 0 && r.drain_until <= now) drain(&r, 1);
        if (!finished && r.leader_done && r.out_fd < 0) {
            capture_finish(&r.capture);
            // The log's data is flushed before the outcome tells its size; a log with
            // nothing in it has no data to flush (most short runs of cron-style jobs).
            if (r.capture.total > 0 && fdatasync(log_fd) != 0 && !r.capture.log_error[0])
                snprintf(r.capture.log_error, sizeof r.capture.log_error, "log: fdatasync: %s (errno %d)", strerror(errno), errno);
            close(log_fd);
            unsigned char tail[TAIL_SIZE];
            size_t tail_count = ring_copy(&r.capture.last, tail);
            int exited = WIFEXITED(r.status);
            char limit_message[512];
            const char *limit = r.stopped_by ? NULL : limit_reached(&inv, r.status, &r.usage, limit_message, sizeof limit_message);
            struct outcome o = {
                .termination = exited ? "exited" : "signaled",
                .exit_code = exited ? WEXITSTATUS(r.status) : -1,
                .signal = exited ? -1 : WTERMSIG(r.status),
                .stopped_by = r.stopped_by, .pid = r.pid, .usage = &r.usage,
                .output_bytes = r.capture.total, .truncated = r.capture.overflowing,
                .tail = tail, .tail_count = tail_count,
                .log_error = r.capture.log_error[0] ? r.capture.log_error : NULL,
                .terminated_leftovers = r.terminated_leftovers,
                .limit = limit, .limit_message = limit ? limit_message : NULL,
            };
            status = finish(&inv, &o, start_ns, started_at_ms, !group_exists(r.pid));
            finished = 1;
        }
        if (finished) {
            // Stay until the group is gone (a SIGKILL still due is sent first), at most
            // a second past the SIGKILL.
            if (!group_exists(r.pid) || (r.kill_at == NONE && (r.killed_at == NONE || now >= r.killed_at + SECOND_NS)))
                break;
        }

        int64_t next = r.timeout_at;
        if (!r.leader_done && r.fence_at < next) next = r.fence_at;
        if (r.kill_at < next) next = r.kill_at;
        if (r.out_fd >= 0 && r.drain_until < next) next = r.drain_until;
        if (finished && r.killed_at != NONE && r.killed_at + SECOND_NS < next) next = r.killed_at + SECOND_NS;
        struct timespec wait, *timeout = NULL;
        if (next != NONE) {
            int64_t delta = next > now ? next - now : 0;
            wait.tv_sec = delta / 1000000000LL;
            wait.tv_nsec = delta % 1000000000LL;
            timeout = &wait;
        }
        struct pollfd fds[2] = {{.fd = sfd, .events = POLLIN}, {.fd = r.out_fd, .events = POLLIN}};
        int ready = ppoll(fds, r.out_fd >= 0 ? 2 : 1, timeout, NULL);
        if (ready < 0 && errno != EINTR) break;
        now = monotonic_ns();
        if (ready > 0 && fds[0].revents) {
            int child = 0;
            if (read_signals(sfd, &child)) stop(&r, "cancel", now);
            if (child) reap(&r, now);
        }
        if (ready > 0 && r.out_fd >= 0 && fds[1].revents) drain(&r, 0);
    }
    // Reap what has ended meanwhile; anything still running goes to the next subreaper.
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    return status;
}
