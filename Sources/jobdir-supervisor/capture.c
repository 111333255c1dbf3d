// Bounded capture of the command's output into its log, byte for byte as the daemon's
// in-process capture (Sources/Execution/OutputCapture.swift): until `max_bytes` the log
// holds everything; past it, the log is cut back to its first half (the head), the last
// half is kept in memory, and at the end the marker line and that tail are appended.
#include "supervisor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void ring_init(struct ring *r, size_t capacity) {
    r->capacity = capacity;
    r->start = r->count = 0;
    r->bytes = capacity ? malloc(capacity) : NULL;
    if (capacity && !r->bytes) r->capacity = 0;
}

static void ring_append(struct ring *r, const unsigned char *bytes, size_t n) {
    if (r->capacity == 0 || n == 0) return;
    if (n >= r->capacity) {
        bytes += n - r->capacity;
        n = r->capacity;
        r->start = r->count = 0;
    }
    size_t over = r->count + n > r->capacity ? r->count + n - r->capacity : 0;
    r->start = (r->start + over) % r->capacity;
    r->count -= over;
    size_t at = (r->start + r->count) % r->capacity, done = 0;
    while (done < n) {
        size_t chunk = n - done < r->capacity - at ? n - done : r->capacity - at;
        memcpy(r->bytes + at, bytes + done, chunk);
        done += chunk;
        at = (at + chunk) % r->capacity;
    }
    r->count += n;
}

size_t ring_copy(const struct ring *r, unsigned char *out) {
    if (r->count == 0) return 0;
    size_t first = r->count < r->capacity - r->start ? r->count : r->capacity - r->start;
    memcpy(out, r->bytes + r->start, first);
    memcpy(out + first, r->bytes, r->count - first);
    return r->count;
}

void capture_init(struct capture *c, int fd, long long max_bytes) {
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->max_bytes = max_bytes < 2 ? 2 : max_bytes;
    c->head_size = c->max_bytes / 2;
    ring_init(&c->last, TAIL_SIZE);
}

static void log_failed(struct capture *c, const char *call, int code) {
    snprintf(c->log_error, sizeof c->log_error, "log: %s: %s (errno %d)", call, strerror(code), code);
}

static void write_log(struct capture *c, const unsigned char *bytes, size_t n) {
    if (c->log_error[0] || n == 0) return;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(c->fd, bytes + done, n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            log_failed(c, "write", errno);
            return;
        }
        done += (size_t)w;
    }
    c->written += (long long)n;
}

/// The log holds `written` bytes and the bound is passed: keep the head on disk and
/// move the rest (the start of the tail) into memory.
static void start_overflow(struct capture *c, const unsigned char *bytes, size_t n) {
    ring_init(&c->overflow, (size_t)(c->max_bytes - c->head_size));
    c->overflowing = 1;
    if (c->written > c->head_size && !c->log_error[0]) {
        size_t length = (size_t)(c->written - c->head_size), offset = 0;
        unsigned char *moved = malloc(length);
        while (moved && offset < length) {
            ssize_t r = pread(c->fd, moved + offset, length - offset, (off_t)(c->head_size + (long long)offset));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            offset += (size_t)r;
        }
        if (moved) ring_append(&c->overflow, moved, offset);
        free(moved);
        if (ftruncate(c->fd, (off_t)c->head_size) != 0) log_failed(c, "ftruncate", errno);
        else if (lseek(c->fd, (off_t)c->head_size, SEEK_SET) < 0) log_failed(c, "lseek", errno);
        c->written = c->head_size;
    } else if (c->written < c->head_size) {
        // Fill the head first; the rest starts the tail.
        size_t room = (size_t)(c->head_size - c->written);
        write_log(c, bytes, room);
        ring_append(&c->overflow, bytes + room, n - room);
        return;
    }
    ring_append(&c->overflow, bytes, n);
}

void capture_append(struct capture *c, const unsigned char *bytes, size_t n) {
    c->total += (long long)n;
    ring_append(&c->last, bytes, n);
    if (c->overflowing) ring_append(&c->overflow, bytes, n);
    else if (c->written + (long long)n <= c->max_bytes) write_log(c, bytes, n);
    else start_overflow(c, bytes, n);
}

void capture_finish(struct capture *c) {
    if (!c->overflowing) return;
    char marker[128];
    long long omitted = c->total - c->head_size - (long long)c->overflow.count;
    int length = snprintf(marker, sizeof marker, "\n[jobdir: output truncated: %lld bytes omitted of %lld]\n", omitted, c->total);
    write_log(c, (const unsigned char *)marker, (size_t)length);
    unsigned char *kept = malloc(c->overflow.count ? c->overflow.count : 1);
    if (kept) {
        size_t n = ring_copy(&c->overflow, kept);
        write_log(c, kept, n);
        free(kept);
    }
}
