// libFuzzer harness for the supervisor's env_file parser (Sources/jobdir-supervisor/envfile.c),
// built by Scripts/fuzz.sh env-file with clang -fsanitize=fuzzer,address,undefined.
//
// The input is an env_file: it is written to a memfd and `apply_env_file` reads it through
// /proc/self/fd/N, as the run's child reads the job owner's file. envfile.c is compiled with
// -Dsetenv=envfile_fuzz_setenv, so each variable it would set comes here instead and is
// checked: its name is a valid name, written in full in the file (not cut), neither kept
// nor JOBDIR_*; its value is no longer than the file. A refusal names the env_file kind,
// the path and a line inside the file.
#define _GNU_SOURCE
#include "supervisor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint8_t *input;
static size_t input_size;
static size_t variables_set;

static void fail(const char *what, const char *name) {
    fprintf(stderr, "env-file: %s (name `%.80s`)\n", what, name ? name : "");
    abort();
}

static int name_char(char c, int first) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}

/// Whether `name` stands in the input as a whole key: at a line's start (after blanks and
/// an optional `export `), followed by blanks and `=`.
static int written_in_full(const char *name) {
    size_t n = strlen(name);
    for (const uint8_t *p = input; p + n <= input + input_size; p++) {
        p = memmem(p, (size_t)(input + input_size - p), name, n);
        if (!p) return 0;
        if (p > input && name_char((char)p[-1], 0)) continue;
        const uint8_t *after = p + n;
        while (after < input + input_size && (*after == ' ' || *after == '\t')) after++;
        if (after < input + input_size && *after == '=') return 1;
    }
    return 0;
}

int envfile_fuzz_setenv(const char *name, const char *value, int overwrite) {
    variables_set++;
    if (!overwrite) fail("set without overwrite", name);
    if (!name_char(name[0], 1)) fail("invalid first character", name);
    for (const char *c = name + 1; *c; c++)
        if (!name_char(*c, 0)) fail("invalid character in a name", name);
    if (strncmp(name, "JOBDIR_", 7) == 0 || strcmp(name, "KEPT") == 0) fail("set a kept name", name);
    if (!written_in_full(name)) fail("the name is not a key of the file (cut?)", name);
    if (strlen(value) > input_size) fail("value longer than the file", name);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("env-file", MFD_CLOEXEC);
        if (fd < 0) { perror("memfd_create"); abort(); }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) { perror("memfd"); abort(); }
    input = data;
    input_size = size;
    variables_set = 0;
    char *keep[] = {"KEPT", "PATH"};
    struct spawn_failure f;
    memset(&f, 0, sizeof f);
    int result = apply_env_file(path, keep, 2, &f);
    if (result != 0 && result != -1) fail("neither 0 nor -1", NULL);
    if (result == -1) {
        if (!f.kind || strcmp(f.kind, KIND_ENV_FILE) != 0) fail("a refusal of another kind", NULL);
        if (strcmp(f.path, path) != 0) fail("a refusal without the path", NULL);
        if (strncmp(f.message, path, strlen(path)) != 0) fail("a message that does not start with the path", NULL);
        int line = 0;
        if (sscanf(f.message + strlen(path), ":%d:", &line) == 1) {
            size_t lines = 1;
            for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
            if (line < 1 || (size_t)line > lines) fail("a line outside the file", NULL);
        }
    }
    return 0;
}
