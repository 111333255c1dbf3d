// The outcome file, `"schema": "jobdir.outcome/v1"`: pretty-printed JSON with sorted
// keys, timestamps RFC 3339 UTC with milliseconds, written atomically.
#define _GNU_SOURCE  // O_TMPFILE
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void buffer_append(struct buffer *b, const void *bytes, size_t count) {
    if (b->length + count > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + count) capacity *= 2;
        char *grown = realloc(b->data, capacity);
        if (!grown) abort();
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, bytes, count);
    b->length += count;
}

void buffer_printf(struct buffer *b, const char *format, ...) {
    char text[512];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(text, sizeof text, format, args);
    va_end(args);
    if (n > 0) buffer_append(b, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

/// `2026-11-23T01:30:00.000Z`. Civil date by arithmetic (days to year/month/day), so
/// no time zone file is read.
static void timestamp(struct buffer *b, int64_t ms) {
    int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
    int64_t second_of_day = seconds - days * 86400;
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    buffer_printf(b, "\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ\"", (long long)year, (long long)month,
                  (long long)day, (long long)(second_of_day / 3600), (long long)(second_of_day / 60 % 60),
                  (long long)(second_of_day % 60), (long long)(ms - seconds * 1000));
}

static void integer_or_null(struct buffer *b, int present, long long value) {
    if (present) buffer_printf(b, "%lld", value);
    else buffer_literal(b, "null");
}

static long long milliseconds(struct timeval t) { return (long long)t.tv_sec * 1000 + t.tv_usec / 1000; }

void render_outcome(struct buffer *b, const struct outcome *o) {
    buffer_printf(b, "{\n  \"duration_ms\" : %lld,\n", (long long)o->duration_ms);
    buffer_literal(b, "  \"error\" : ");
    if (o->failure) {
        const struct spawn_failure *f = o->failure;
        buffer_literal(b, "{\n    \"errno\" : ");
        integer_or_null(b, f->error_number != 0, f->error_number);
        buffer_literal(b, ",\n    \"kind\" : ");
        buffer_json_string(b, f->kind);
        buffer_literal(b, ",\n    \"message\" : ");
        buffer_json_string(b, f->message);
        buffer_literal(b, ",\n    \"path\" : ");
        if (f->path[0]) buffer_json_string(b, f->path);
        else buffer_literal(b, "null");
        buffer_literal(b, "\n  }");
    } else {
        buffer_literal(b, "null");
    }
    buffer_literal(b, ",\n  \"execution\" : ");
    buffer_json_string(b, o->execution);
    buffer_literal(b, ",\n  \"exit_code\" : ");
    integer_or_null(b, o->exit_code >= 0, o->exit_code);
    buffer_literal(b, ",\n  \"finished_at\" : ");
    timestamp(b, o->finished_at_ms);
    buffer_literal(b, ",\n  \"limit\" : ");
    if (o->limit) {
        buffer_literal(b, "{\n    \"message\" : ");
        buffer_json_string(b, o->limit_message);
        buffer_literal(b, ",\n    \"name\" : ");
        buffer_json_string(b, o->limit);
        buffer_literal(b, "\n  }");
    } else {
        buffer_literal(b, "null");
    }
    buffer_printf(b, ",\n  \"output\" : {\n    \"bytes\" : %lld,\n    \"log_error\" : ", o->output_bytes);
    if (o->log_error) buffer_json_string(b, o->log_error);
    else buffer_literal(b, "null");
    buffer_literal(b, ",\n    \"tail\" : ");
    buffer_json_tail(b, o->tail, o->tail_count);
    buffer_printf(b, ",\n    \"truncated\" : %s\n  },\n  \"pid\" : ", o->truncated ? "true" : "false");
    integer_or_null(b, o->pid > 0, o->pid);
    buffer_literal(b, ",\n  \"rusage\" : ");
    if (o->usage) {
        buffer_printf(b, "{\n    \"max_rss_kib\" : %ld,\n    \"system_cpu_ms\" : %lld,\n    \"user_cpu_ms\" : %lld\n  }",
                      o->usage->ru_maxrss, milliseconds(o->usage->ru_stime), milliseconds(o->usage->ru_utime));
    } else {
        buffer_literal(b, "null");
    }
    buffer_literal(b, ",\n  \"schema\" : \"" OUTCOME_SCHEMA "\",\n  \"signal\" : ");
    integer_or_null(b, o->signal > 0, o->signal);
    buffer_literal(b, ",\n  \"started_at\" : ");
    timestamp(b, o->started_at_ms);
    buffer_literal(b, ",\n  \"stopped_by\" : ");
    if (o->stopped_by) buffer_json_string(b, o->stopped_by);
    else buffer_literal(b, "null");
    buffer_printf(b, ",\n  \"supervisor_pid\" : %d,\n  \"terminated_leftovers\" : %s,\n  \"termination\" : ",
                  (int)getpid(), o->terminated_leftovers ? "true" : "false");
    buffer_json_string(b, o->termination);
    buffer_literal(b, "\n}\n");
}

static int write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

int outcome_ahead_fd = -1;

void directory_of(const char *path, char *directory, size_t size) {
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(directory, size, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    else snprintf(directory, size, ".");
}

int make_file_ahead(const char *path, int flags, mode_t mode) {
    char directory[4096];
    directory_of(path, directory, sizeof directory);
    return open(directory, O_TMPFILE | flags | O_CLOEXEC, mode);
}

/// fsync of the directory: the new name in it is durable. 0, or -1 with errno set.
static int sync_directory(const char *directory) {
    int dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    int synced = fsync(dir);
    int saved = errno;
    close(dir);
    errno = saved;
    return synced;
}

int name_file_made_ahead(int fd, const char *path) {
    // Through /proc, which needs no capability (AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH).
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/// The outcome written into its file made ahead and flushed, then named: the name appears
/// with the whole content, as a rename would show it. -1 (and the caller writes it the
/// usual way) when anything fails.
static int write_outcome_ahead(const char *path, const struct buffer *b) {
    int fd = outcome_ahead_fd;
    outcome_ahead_fd = -1;
    if (fd < 0) return -1;
    int ok = write_all(fd, b->data, b->length) == 0 && fsync(fd) == 0 && name_file_made_ahead(fd, path) == 0;
    close(fd);
    return ok ? 0 : -1;
}

int write_outcome(const char *path, const struct outcome *o) {
    struct buffer b = {0};
    render_outcome(&b, o);
    // Temp name as the daemon's own atomic writes (`.<name>.tmp.<pid>.<random>`), so a
    // crash leaves only what its start-up clean-up already removes.
    const char *slash = strrchr(path, '/');
    char directory[4096], temp[4096];
    const char *name = slash ? slash + 1 : path;
    directory_of(path, directory, sizeof directory);
    if (write_outcome_ahead(path, &b) == 0) {
        free(b.data);
        return sync_directory(directory);
    }
    int fd = -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (unsigned attempt = 0; fd < 0 && attempt < 16; attempt++) {
        snprintf(temp, sizeof temp, "%s/.%s.tmp.%d.%08lx", directory, name, (int)getpid(),
                 (unsigned long)(now.tv_nsec ^ (attempt * 2654435761u)) & 0xffffffffUL);
        fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int saved = errno;
        free(b.data);
        errno = saved;
        return -1;
    }
    int failed = write_all(fd, b.data, b.length) != 0 || fsync(fd) != 0;
    int saved = errno;
    close(fd);
    free(b.data);
    if (failed || rename(temp, path) != 0) {
        if (!failed) saved = errno;
        unlink(temp);
        errno = saved;
        return -1;
    }
    return sync_directory(directory);
}
