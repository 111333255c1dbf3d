// The per-run supervisor: shared declarations of its parts (see main.c).
#ifndef JOBDIR_SUPERVISOR_H
#define JOBDIR_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SUPERVISOR_INVOCATION "v1"
#define OUTCOME_SCHEMA "jobdir.outcome/v1"

/// The `limits` a run may have: names as in job files, and their resources.
enum limit { LIMIT_MEMORY, LIMIT_CPU_TIME, LIMIT_OPEN_FILES, LIMIT_PROCESSES, LIMIT_FILE_SIZE, LIMIT_CORE, LIMIT_COUNT };
extern const char *const limit_names[LIMIT_COUNT];

/// What the daemon asked for (invocation.c).
struct invocation {
    const char *id;
    const char *log_path;
    const char *outcome_path;
    const char *workdir;        // NULL: keep the supervisor's
    long long max_output;       // bytes
    long long timeout_ms;       // < 0: none
    long long kill_grace_ms;
    int report_fd;              // < 0: none
    int gate_fd;                // < 0: none; else wait for `g` on it before anything else
    // A fleet lease's deadline (SPEC section 13): the file holds a CLOCK_MONOTONIC instant
    // in nanoseconds, moved on by the daemon after each acknowledged renewal; past it the
    // run is stopped, even while the daemon is paused or gone. NULL: none.
    const char *fence_file;
    const char *stdin_path;     // the command's stdin, opened by the supervisor; NULL: /dev/null
    char **command;             // NULL-terminated argv
    int command_count;
    // Who the command runs as and how it is held (SPEC section 11); applied in its child.
    long long uid, gid;         // < 0: keep the supervisor's
    gid_t groups[256];          // the supplementary groups (the daemon looks them up:
    int group_count;            // a static binary has no NSS for initgroups)
    long long umask;            // < 0: keep
    long long limits[LIMIT_COUNT]; // < 0: keep
    int has_nice, nice;
    int io_class, io_level;     // io_class 0: keep
    char **env_files;           // env_file paths, in order
    int env_file_count;
    char **env_keep;            // names an env_file may not set (env, the request's --env)
    int env_keep_count;
};


/// Fills `inv` from argv; returns 0, or -1 with a message in `error`.
int parse_invocation(int argc, char **argv, struct invocation *inv, char *error, size_t error_size);

/// Why the command could not be started; kinds as the daemon's SpawnFailure (lookup.c).
struct spawn_failure {
    const char *kind;
    char message[1024];
    char path[4096];            // "" if none
    int error_number;           // 0 if none
};

#define KIND_NOT_FOUND "spawn_not_found"
#define KIND_BAD_WORKDIR "spawn_bad_workdir"
#define KIND_PERMISSION "spawn_permission"
#define KIND_EXEC_FORMAT "spawn_exec_format"
#define KIND_LOG "spawn_log"
#define KIND_OTHER "spawn_failed"
#define KIND_CANCELED "canceled"
#define KIND_ENV_FILE "env_file"
#define KIND_LIMIT "limit"

void set_failure(struct spawn_failure *f, const char *kind, const char *path, int error_number, const char *format, ...)
    __attribute__((format(printf, 5, 6)));
int check_workdir(const char *path, struct spawn_failure *f);
/// The path to exec for `program` (into `out`), or -1 with `f` filled.
int resolve_program(const char *program, const char *workdir, char *out, size_t out_size, struct spawn_failure *f);
/// Maps posix_spawn's errno to a failure naming the path concerned.
void spawn_errno_failure(int code, const char *program, const char *workdir, struct spawn_failure *f);

/// Reads an env_file with the caller's rights and sets its variables, except the names in
/// `keep` and JOBDIR_*; returns 0, or -1 with `f` filled, never with a value (envfile.c).
int apply_env_file(const char *path, char *const *keep, int keep_count, struct spawn_failure *f);

/// The command's child, made and set up, holding before its exec (child.c).
struct held_command {
    pid_t pid;
    /// The supervisor's end of the pipe the child waits on: a byte is the go.
    int go;
    /// Read end of the child's close-on-exec report pipe: EOF means the exec happened.
    int report;
};

/// Forks the command's child: its own session, the run's user and groups, umask, limits,
/// nice, I/O class, workdir, env files, then it holds before the exec until
/// `release_command`. Returns 0, or -1 with `f` filled when no child could be made; a
/// failure of the child's setup is told by `release_command` (child.c).
int prepare_command(const struct invocation *inv, int stdin_fd, int output_fd, struct held_command *held, struct spawn_failure *f);

/// Lets the held child exec. Returns its pid once the exec happened, or -1 with `f`
/// filled from the child's report (the child is reaped then) (child.c).
pid_t release_command(struct held_command *held, struct spawn_failure *f);

/// Ends a held child without its exec (nothing of the command ran) and reaps it (child.c).
void discard_command(struct held_command *held);

/// What the kernel says about a run ended by one of its limits: the limit's name and a
/// message, or NULL (child.c).
const char *limit_reached(const struct invocation *inv, int status, const struct rusage *usage, char *message, size_t size);

/// The last `capacity` bytes appended (capture.c).
struct ring {
    unsigned char *bytes;
    size_t capacity, start, count;
};

/// The log with the head/tail bound of the daemon's in-process capture (capture.c).
struct capture {
    int fd;
    long long max_bytes, head_size, written, total;
    int overflowing;
    struct ring overflow;
    struct ring last;           // the tail of the outcome: last 4 KiB
    char log_error[256];        // "" unless a write to the log failed
};

#define TAIL_SIZE 4096

void capture_init(struct capture *c, int fd, long long max_bytes);
void capture_append(struct capture *c, const unsigned char *bytes, size_t count);
/// Appends the marker line and the tail if the bound was passed.
void capture_finish(struct capture *c);
size_t ring_copy(const struct ring *r, unsigned char *out);

/// A growable byte buffer (outcome.c).
struct buffer {
    char *data;
    size_t length, capacity;
};

void buffer_append(struct buffer *b, const void *bytes, size_t count);
#define buffer_literal(b, text) buffer_append((b), text, sizeof text - 1)
void buffer_printf(struct buffer *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
/// A JSON string of `bytes` taken as UTF-8, ill-formed parts replaced by U+FFFD and a
/// character cut at the start dropped, as the daemon decodes a tail (utf8.c).
void buffer_json_tail(struct buffer *b, const unsigned char *bytes, size_t count);
void buffer_json_string(struct buffer *b, const char *text);

/// What the outcome file says (outcome.c).
struct outcome {
    const char *execution;
    const char *termination;    // "exited", "signaled", "spawn_failed"
    int exit_code, signal;      // -1 when not applicable
    const char *stopped_by;     // NULL, "timeout", "cancel"
    const struct spawn_failure *failure;
    int pid;                    // 0: nothing started
    int64_t started_at_ms, finished_at_ms, duration_ms;
    const struct rusage *usage;
    long long output_bytes;
    int truncated;
    const unsigned char *tail;
    size_t tail_count;
    const char *log_error;      // NULL or text
    int terminated_leftovers;
    const char *limit;          // NULL, or the limit that ended the run
    const char *limit_message;
};

/// Writes the outcome atomically: temp file in the same directory, fsync, rename, fsync
/// of the directory. Returns 0, or -1 with errno set.
int write_outcome(const char *path, const struct outcome *o);

// The directory part of `path` ("." when it has none) into `directory`.
void directory_of(const char *path, char *directory, size_t size);
// A file of `path`'s directory made now without a name (O_TMPFILE): its inode is allocated
// before the run needs it (on ext4 an allocation scans past every inode freed lately, at
// times for most of a millisecond), and `name_file_made_ahead` gives it the name later, at
// once. -1 when the filesystem cannot (the caller then makes the file when it needs it).
int make_file_ahead(const char *path, int flags, mode_t mode);
// Links the file made ahead as `path`; fails with EEXIST when `path` exists.
int name_file_made_ahead(int fd, const char *path);
// The outcome file's inode, made ahead at start (-1 when none): `write_outcome` names it
// on its first try.
extern int outcome_ahead_fd;
/// The outcome's JSON, as the file holds it.
void render_outcome(struct buffer *b, const struct outcome *o);

#endif
