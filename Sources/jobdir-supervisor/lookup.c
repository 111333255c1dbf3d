// Checks before the spawn, so that a failure names the exact path and cause; the same
// kinds and messages as the daemon's own spawn path (Sources/Execution/ExecutableLookup.swift).
#include "supervisor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char default_path[] = "/usr/local/bin:/usr/bin:/bin";

void set_failure(struct spawn_failure *f, const char *kind, const char *path, int error_number, const char *format, ...) {
    f->kind = kind;
    f->error_number = error_number;
    snprintf(f->path, sizeof f->path, "%s", path ? path : "");
    va_list args;
    va_start(args, format);
    vsnprintf(f->message, sizeof f->message, format, args);
    va_end(args);
}

int check_workdir(const char *path, struct spawn_failure *f) {
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        set_failure(f, e == EACCES ? KIND_PERMISSION : KIND_BAD_WORKDIR, path, e, "working directory %s: %s", path, strerror(e));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_failure(f, KIND_BAD_WORKDIR, path, ENOTDIR, "working directory %s is not a directory", path);
        return -1;
    }
    if (access(path, X_OK) != 0) {
        int e = errno;
        set_failure(f, e == EACCES ? KIND_PERMISSION : KIND_BAD_WORKDIR, path, e, "working directory %s: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

/// `path` made absolute against `directory` when it is relative.
static void absolute(const char *path, const char *directory, char *out, size_t size) {
    if (path[0] == '/' || !directory) snprintf(out, size, "%s", path);
    else snprintf(out, size, "%s/%s", directory, path);
}

static int check_executable(const char *path, const char *shown, struct spawn_failure *f) {
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        set_failure(f, e == EACCES ? KIND_PERMISSION : KIND_NOT_FOUND, path, e, "%s: %s", shown, strerror(e));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        set_failure(f, KIND_PERMISSION, path, EISDIR, "%s is a directory", shown);
        return -1;
    }
    if (access(path, X_OK) != 0) {
        int e = errno;
        set_failure(f, KIND_PERMISSION, path, e, "%s: not executable (%s)", shown, strerror(e));
        return -1;
    }
    return 0;
}

int resolve_program(const char *program, const char *workdir, char *out, size_t out_size, struct spawn_failure *f) {
    char full[8192];
    if (!program || !*program) {
        set_failure(f, KIND_NOT_FOUND, NULL, 0, "empty command");
        return -1;
    }
    if (strchr(program, '/')) {
        absolute(program, workdir, full, sizeof full);
        if (check_executable(full, program, f) != 0) return -1;
        // As given: the child is in the working directory when it execs.
        snprintf(out, out_size, "%s", program);
        return 0;
    }
    const char *search = getenv("PATH");
    if (!search) search = default_path;
    struct spawn_failure refusal = {0};
    int refused = 0;
    const char *cursor = search;
    for (;;) {
        const char *colon = strchr(cursor, ':');
        size_t length = colon ? (size_t)(colon - cursor) : strlen(cursor);
        char candidate[8192];
        if (length == 0) snprintf(candidate, sizeof candidate, "./%s", program);
        else snprintf(candidate, sizeof candidate, "%.*s/%s", (int)length, cursor, program);
        absolute(candidate, workdir, full, sizeof full);
        struct spawn_failure problem;
        if (check_executable(full, candidate, &problem) == 0) {
            snprintf(out, out_size, "%s", full);
            return 0;
        }
        if (strcmp(problem.kind, KIND_NOT_FOUND) != 0 && !refused) {
            refusal = problem;
            refused = 1;
        }
        if (!colon) break;
        cursor = colon + 1;
    }
    if (refused) *f = refusal;
    else set_failure(f, KIND_NOT_FOUND, program, ENOENT, "command `%s` not found in PATH (%s)", program, search);
    return -1;
}

void spawn_errno_failure(int code, const char *program, const char *workdir, struct spawn_failure *f) {
    if ((code == ENOENT || code == ENOTDIR || code == EACCES || code == EPERM) && workdir && check_workdir(workdir, f) != 0)
        return;
    const char *text = strerror(code);
    switch (code) {
    case ENOENT: case ENOTDIR:
        set_failure(f, KIND_NOT_FOUND, program, code, "%s: %s", program, text);
        break;
    case EACCES: case EPERM: case EISDIR:
        set_failure(f, KIND_PERMISSION, program, code, "%s: %s", program, text);
        break;
    case ENOEXEC:
        set_failure(f, KIND_EXEC_FORMAT, program, code, "%s: not an executable format", program);
        break;
    default:
        set_failure(f, KIND_OTHER, program, code, "cannot start %s: %s", program, text);
    }
}
