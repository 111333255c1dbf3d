// The command's child, between fork and exec: it becomes the run's user and takes its
// limits there, so nothing after the fork uses the supervisor's (root's) rights on the
// job's behalf: the workdir, the env files, the shell and the program are reached as
// that user. A step that fails is reported on a close-on-exec pipe (EOF means the exec
// happened), the usual fork/exec idiom, and ends the run as a spawn failure.
//
// The child is made and set up ahead (while the daemon still flushes the run's record)
// and holds before its exec until the supervisor says go: the fork and the setup are off
// the path from the record's flush to the command's start.
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

static const int resources[LIMIT_COUNT] = {RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_CORE};

static void size_text(long long bytes, char *out, size_t size) {
    if (bytes > 0 && bytes % (1LL << 30) == 0) snprintf(out, size, "%lldGiB", bytes >> 30);
    else if (bytes > 0 && bytes % (1LL << 20) == 0) snprintf(out, size, "%lldMiB", bytes >> 20);
    else if (bytes > 0 && bytes % (1LL << 10) == 0) snprintf(out, size, "%lldKiB", bytes >> 10);
    else snprintf(out, size, "%lld bytes", bytes);
}

/// A limit's value as a job file writes it.
static void limit_text(int which, long long value, char *out, size_t size) {
    if (which == LIMIT_CPU_TIME) snprintf(out, size, "%llds", value);
    else if (which == LIMIT_MEMORY || which == LIMIT_FILE_SIZE || which == LIMIT_CORE) size_text(value, out, size);
    else snprintf(out, size, "%lld", value);
}

__attribute__((noreturn)) static void fail(int report, const struct spawn_failure *f) {
    ssize_t ignored = write(report, f, sizeof *f);
    (void)ignored;
    _exit(127);
}

/// Closes every descriptor from 3 up but `a` and `b` (both above 2).
static void close_all_but(int a, int b) {
    int low = a < b ? a : b, high = a < b ? b : a;
    if (low > 3) close_range(3, (unsigned)low - 1, 0);
    if (high > low + 1) close_range((unsigned)low + 1, (unsigned)high - 1, 0);
    close_range((unsigned)high + 1, ~0U, 0);
}

__attribute__((noreturn)) static void child(const struct invocation *inv, int stdin_fd, int output_fd, int report, int go) {
    struct spawn_failure f = {0};
    setsid();
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    if (dup2(stdin_fd, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) {
        set_failure(&f, KIND_OTHER, NULL, errno, "dup2: %s", strerror(errno));
        fail(report, &f);
    }
    // Nothing of the supervisor's but the report pipe and the go pipe (both closed by the
    // exec) reaches the command.
    close_all_but(report, go);

    if (inv->uid >= 0) {
        gid_t gid = (gid_t)inv->gid;
        uid_t uid = (uid_t)inv->uid;
        if (setgroups((size_t)inv->group_count, inv->groups) != 0) {
            set_failure(&f, KIND_PERMISSION, NULL, errno, "cannot take the groups of uid %u: %s", uid, strerror(errno));
            fail(report, &f);
        }
        if (setgid(gid) != 0 || setuid(uid) != 0) {
            set_failure(&f, KIND_PERMISSION, NULL, errno, "cannot become uid %u, gid %u: %s", uid, gid, strerror(errno));
            fail(report, &f);
        }
    }
    if (inv->umask >= 0) umask((mode_t)inv->umask);
    // With the user's own rights: a limit may be lowered, and raised only as far as the
    // user could (a negative nice or the realtime class need privileges the user has).
    for (int l = 0; l < LIMIT_COUNT; l++) {
        if (inv->limits[l] < 0) continue;
        // The hard CPU limit one second past the soft one: SIGXCPU names the limit first.
        rlim_t soft = (rlim_t)inv->limits[l], hard = l == LIMIT_CPU_TIME ? soft + 1 : soft;
        struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
        if (setrlimit(resources[l], &limit) != 0) {
            char text[64];
            limit_text(l, inv->limits[l], text, sizeof text);
            set_failure(&f, KIND_LIMIT, NULL, errno, "cannot set limits.%s to %s: %s", limit_names[l], text, strerror(errno));
            fail(report, &f);
        }
    }
    if (inv->has_nice && setpriority(PRIO_PROCESS, 0, inv->nice) != 0) {
        set_failure(&f, KIND_LIMIT, NULL, errno, "cannot set limits.nice to %d: %s", inv->nice, strerror(errno));
        fail(report, &f);
    }
    if (inv->io_class && syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (inv->io_class << IOPRIO_CLASS_SHIFT) | inv->io_level) != 0) {
        set_failure(&f, KIND_LIMIT, NULL, errno, "cannot set limits.io: %s", strerror(errno));
        fail(report, &f);
    }
    if (inv->workdir) {
        if (check_workdir(inv->workdir, &f) != 0) fail(report, &f);
        if (chdir(inv->workdir) != 0) {
            int e = errno;
            set_failure(&f, e == EACCES ? KIND_PERMISSION : KIND_BAD_WORKDIR, inv->workdir, e, "working directory %s: %s", inv->workdir, strerror(e));
            fail(report, &f);
        }
    }
    for (int i = 0; i < inv->env_file_count; i++)
        if (apply_env_file(inv->env_files[i], inv->env_keep, inv->env_keep_count, &f) != 0) fail(report, &f);
    char program[8192];
    if (resolve_program(inv->command_count > 0 ? inv->command[0] : NULL, inv->workdir, program, sizeof program, &f) != 0)
        fail(report, &f);
    // Hold until the supervisor says go; the pipe closed without a byte means the run is
    // not to start (its record was not committed, or it was canceled): nothing is told.
    char byte = 0;
    ssize_t n;
    do n = read(go, &byte, 1); while (n < 0 && errno == EINTR);
    if (n != 1) _exit(0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(program, inv->command);
    spawn_errno_failure(errno, program, inv->workdir, &f);
    fail(report, &f);
}

int prepare_command(const struct invocation *inv, int stdin_fd, int output_fd, struct held_command *held, struct spawn_failure *f) {
    int report[2], go[2];
    held->pid = -1;
    held->go = held->report = -1;
    if (pipe2(report, O_CLOEXEC) != 0) {
        set_failure(f, KIND_OTHER, NULL, errno, "pipe2: %s (errno %d)", strerror(errno), errno);
        return -1;
    }
    if (pipe2(go, O_CLOEXEC) != 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        set_failure(f, KIND_OTHER, NULL, e, "pipe2: %s (errno %d)", strerror(e), e);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        close(go[0]);
        close(go[1]);
        set_failure(f, KIND_OTHER, NULL, e, "fork: %s (errno %d)", strerror(e), e);
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        close(go[1]);
        child(inv, stdin_fd, output_fd, report[1], go[0]);
    }
    close(report[1]);
    close(go[0]);
    held->pid = pid;
    held->go = go[1];
    held->report = report[0];
    return 0;
}

pid_t release_command(struct held_command *held, struct spawn_failure *f) {
    // A child that failed its setup has exited: the byte finds no reader (EPIPE, SIGPIPE
    // is blocked) and its report says why.
    ssize_t sent;
    do sent = write(held->go, "g", 1); while (sent < 0 && errno == EINTR);
    close(held->go);
    held->go = -1;
    struct spawn_failure told;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(held->report, (char *)&told + got, sizeof told - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
        if (got == sizeof told) break;
    }
    close(held->report);
    held->report = -1;
    pid_t pid = held->pid;
    if (got == 0 && sent == 1) return pid;
    // The child reported and exits: reap it here, nothing of it ran.
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    held->pid = -1;
    if (got == sizeof told) *f = told;
    else set_failure(f, KIND_OTHER, NULL, 0, "the command's child ended before the exec");
    return -1;
}

void discard_command(struct held_command *held) {
    if (held->pid < 0) return;
    close(held->go);
    close(held->report);
    while (waitpid(held->pid, NULL, 0) < 0 && errno == EINTR) {}
    held->pid = -1;
    held->go = held->report = -1;
}

const char *limit_reached(const struct invocation *inv, int status, const struct rusage *usage, char *message, size_t size) {
    if (!WIFSIGNALED(status)) return NULL;
    int signal_number = WTERMSIG(status);
    char text[64];
    long long cpu = inv->limits[LIMIT_CPU_TIME];
    long long used_ms = (long long)(usage->ru_utime.tv_sec + usage->ru_stime.tv_sec) * 1000 +
                        (usage->ru_utime.tv_usec + usage->ru_stime.tv_usec) / 1000;
    if (cpu >= 0 && (signal_number == SIGXCPU || (signal_number == SIGKILL && used_ms >= cpu * 1000))) {
        limit_text(LIMIT_CPU_TIME, cpu, text, sizeof text);
        snprintf(message, size, "cpu_time limit %s reached (killed by %s)", text, signal_number == SIGXCPU ? "SIGXCPU" : "SIGKILL");
        return limit_names[LIMIT_CPU_TIME];
    }
    if (inv->limits[LIMIT_FILE_SIZE] >= 0 && signal_number == SIGXFSZ) {
        limit_text(LIMIT_FILE_SIZE, inv->limits[LIMIT_FILE_SIZE], text, sizeof text);
        snprintf(message, size, "file_size limit %s reached (killed by SIGXFSZ)", text);
        return limit_names[LIMIT_FILE_SIZE];
    }
    if (inv->limits[LIMIT_MEMORY] >= 0 &&
        (signal_number == SIGSEGV || signal_number == SIGABRT || signal_number == SIGKILL || signal_number == SIGBUS)) {
        limit_text(LIMIT_MEMORY, inv->limits[LIMIT_MEMORY], text, sizeof text);
        snprintf(message, size, "memory limit %s probably reached: killed by signal %d (%s); the kernel does not say why, "
                 "this is a guess from the signal", text, signal_number, strsignal(signal_number));
        return limit_names[LIMIT_MEMORY];
    }
    return NULL;
}
