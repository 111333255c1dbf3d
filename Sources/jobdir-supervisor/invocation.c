// The invocation (version v1):
//
//   jobdir-supervisor v1 --id ID --log PATH --outcome PATH [--max-output BYTES]
//                     [--timeout-ms MS] [--kill-grace-ms MS] [--workdir DIR]
//                     [--report-fd FD] -- PROGRAM [ARG...]
//
// The command's environment is the supervisor's own. Options may be added; an
// unknown option or another version is refused (exit 2), never guessed at.
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

int parse_invocation(int argc, char **argv, struct invocation *inv, char *error, size_t error_size) {
    memset(inv, 0, sizeof *inv);
    inv->max_output = 10LL << 20;
    inv->timeout_ms = -1;
    inv->kill_grace_ms = 10000;
    inv->report_fd = -1;
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
        else if (strcmp(option, "--max-output") == 0 && number(value, 0, &n) == 0) inv->max_output = n;
        else if (strcmp(option, "--timeout-ms") == 0 && number(value, 0, &n) == 0) inv->timeout_ms = n;
        else if (strcmp(option, "--kill-grace-ms") == 0 && number(value, 0, &n) == 0) inv->kill_grace_ms = n;
        else if (strcmp(option, "--report-fd") == 0 && number(value, 0, &n) == 0 && n < 1 << 20) inv->report_fd = (int)n;
        else {
            snprintf(error, error_size, "unknown option or bad value: %s %s", option, value);
            return -1;
        }
    }
    if (!inv->id || !inv->log_path || !inv->outcome_path) {
        snprintf(error, error_size, "--id, --log and --outcome are required");
        return -1;
    }
    inv->command = argv + i;
    inv->command_count = argc - i;
    return 0;
}
