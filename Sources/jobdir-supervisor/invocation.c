// The invocation (version v1):
//
//   jobdir-supervisor v1 --id ID --log PATH --outcome PATH [--max-output BYTES]
//                     [--timeout-ms MS] [--kill-grace-ms MS] [--workdir DIR]
//                     [--report-fd FD] [--gate-fd FD] [--stdin PATH] -- PROGRAM [ARG...]
//
//                     [--uid UID --gid GID [--groups GID,GID...]] [--umask OCTAL]
//                     [--limit NAME=VALUE]... [--nice N] [--io CLASS[:LEVEL]]
//                     [--env-file PATH]... [--env-keep NAME]...
//
// The command's environment is the supervisor's own, with the env files read in its
// child on top (except the --env-keep names and JOBDIR_*). --limit names: memory,
// cpu_time (seconds), open_files, processes, file_size, core (bytes). --io classes:
// idle, best-effort, realtime. Options may be added; an unknown option or another
// version is refused (exit 2), never guessed at.
#include "supervisor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int number(const char *text, long long minimum, long long *out) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < minimum) return -1;
    *out = value;
    return 0;
}

const char *const limit_names[LIMIT_COUNT] = {"memory", "cpu_time", "open_files", "processes", "file_size", "core"};

static int limit_option(const char *value, struct invocation *inv) {
    const char *equals = strchr(value, '=');
    long long n = 0;
    if (!equals || number(equals + 1, 0, &n) != 0) return -1;
    for (int i = 0; i < LIMIT_COUNT; i++) {
        if (strlen(limit_names[i]) == (size_t)(equals - value) && strncmp(limit_names[i], value, (size_t)(equals - value)) == 0) {
            inv->limits[i] = n;
            return 0;
        }
    }
    return -1;
}

/// `idle`, `best-effort[:N]`, `realtime[:N]` as the kernel's IOPRIO_CLASS_* (3, 2, 1).
static int io_option(const char *value, struct invocation *inv) {
    static const char *const names[] = {"", "realtime", "best-effort", "idle"};
    const char *colon = strchr(value, ':');
    size_t length = colon ? (size_t)(colon - value) : strlen(value);
    for (int c = 1; c <= 3; c++) {
        if (strlen(names[c]) != length || strncmp(names[c], value, length) != 0) continue;
        long long level = c == 3 ? 0 : 4;
        if (colon && (c == 3 || number(colon + 1, 0, &level) != 0 || level > 7)) return -1;
        inv->io_class = c;
        inv->io_level = (int)level;
        return 0;
    }
    return -1;
}

/// `GID,GID,...` (possibly empty): the supplementary groups.
static int group_list(const char *value, struct invocation *inv) {
    inv->group_count = 0;
    const char *cursor = value;
    while (*cursor) {
        char *end = NULL;
        errno = 0;
        unsigned long long gid = strtoull(cursor, &end, 10);
        if (errno != 0 || end == cursor || gid >= 1ULL << 32 || (*end != ',' && *end != '\0')) return -1;
        if (inv->group_count == (int)(sizeof inv->groups / sizeof inv->groups[0])) return -1;
        inv->groups[inv->group_count++] = (gid_t)gid;
        cursor = *end == ',' ? end + 1 : end;
    }
    return 0;
}

static int signed_number(const char *text, long long minimum, long long maximum, long long *out) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < minimum || value > maximum) return -1;
    *out = value;
    return 0;
}

int parse_invocation(int argc, char **argv, struct invocation *inv, char *error, size_t error_size) {
    memset(inv, 0, sizeof *inv);
    inv->uid = inv->gid = inv->umask = -1;
    for (int l = 0; l < LIMIT_COUNT; l++) inv->limits[l] = -1;
    // At most one entry per argument: room enough for every --env-file and --env-keep.
    inv->env_files = calloc((size_t)argc + 1, sizeof *inv->env_files);
    inv->env_keep = calloc((size_t)argc + 1, sizeof *inv->env_keep);
    if (!inv->env_files || !inv->env_keep) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    inv->max_output = 10LL << 20;
    inv->timeout_ms = -1;
    inv->kill_grace_ms = 10000;
    inv->report_fd = -1;
    inv->gate_fd = -1;
    if (argc < 2 || strcmp(argv[1], SUPERVISOR_INVOCATION) != 0) {
        snprintf(error, error_size, "unsupported invocation `%s` (this supervisor speaks %s)",
                 argc < 2 ? "" : argv[1], SUPERVISOR_INVOCATION);
        return -1;
    }
    int i = 2;
    for (; i < argc; i++) {
        const char *option = argv[i];
        if (strcmp(option, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) {
            snprintf(error, error_size, "option %s needs a value", option);
            return -1;
        }
        const char *value = argv[++i];
        long long n = 0;
        if (strcmp(option, "--id") == 0) inv->id = value;
        else if (strcmp(option, "--log") == 0) inv->log_path = value;
        else if (strcmp(option, "--outcome") == 0) inv->outcome_path = value;
        else if (strcmp(option, "--workdir") == 0) inv->workdir = value;
        else if (strcmp(option, "--fence-file") == 0 && *value) inv->fence_file = value;
        else if (strcmp(option, "--stdin") == 0 && *value) inv->stdin_path = value;
        else if (strcmp(option, "--max-output") == 0 && number(value, 0, &n) == 0) inv->max_output = n;
        else if (strcmp(option, "--timeout-ms") == 0 && number(value, 0, &n) == 0) inv->timeout_ms = n;
        else if (strcmp(option, "--kill-grace-ms") == 0 && number(value, 0, &n) == 0) inv->kill_grace_ms = n;
        else if (strcmp(option, "--report-fd") == 0 && number(value, 0, &n) == 0 && n < 1 << 20) inv->report_fd = (int)n;
        else if (strcmp(option, "--gate-fd") == 0 && number(value, 0, &n) == 0 && n < 1 << 20) inv->gate_fd = (int)n;
        else if (strcmp(option, "--uid") == 0 && number(value, 0, &n) == 0 && n < 1LL << 32) inv->uid = n;
        else if (strcmp(option, "--gid") == 0 && number(value, 0, &n) == 0 && n < 1LL << 32) inv->gid = n;
        else if (strcmp(option, "--groups") == 0 && group_list(value, inv) == 0) {}
        else if (strcmp(option, "--umask") == 0 && *value && strspn(value, "01234567") == strlen(value) && strlen(value) <= 4)
            inv->umask = strtoll(value, NULL, 8) & 0777;
        else if (strcmp(option, "--limit") == 0 && limit_option(value, inv) == 0) {}
        else if (strcmp(option, "--nice") == 0 && signed_number(value, -20, 19, &n) == 0) { inv->has_nice = 1; inv->nice = (int)n; }
        else if (strcmp(option, "--io") == 0 && io_option(value, inv) == 0) {}
        else if (strcmp(option, "--env-file") == 0 && *value) inv->env_files[inv->env_file_count++] = (char *)value;
        else if (strcmp(option, "--env-keep") == 0 && *value) inv->env_keep[inv->env_keep_count++] = (char *)value;
        else {
            snprintf(error, error_size, "unknown option or bad value: %s %s", option, value);
            return -1;
        }
    }
    if ((inv->uid < 0) != (inv->gid < 0)) {
        snprintf(error, error_size, "--uid and --gid go together");
        return -1;
    }
    if (!inv->id || !inv->log_path || !inv->outcome_path) {
        snprintf(error, error_size, "--id, --log and --outcome are required");
        return -1;
    }
    inv->command = argv + i;
    inv->command_count = argc - i;
    return 0;
}
