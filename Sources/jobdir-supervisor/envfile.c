// env_file, read in the command's child after it has become the run's user, so a file
// that user cannot read never reaches the run (SPEC section 11). The syntax is the
// daemon's (Sources/Execution/EnvFile.swift): blank lines and `#` comments, an optional
// `export ` prefix, unquoted values trimmed and ending at ` #`, 'single' quotes literal,
// "double" quotes with \n \t \r \" \\ \$ escapes; a later key wins. A message never
// holds a value.
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENV_FILE_MAX (1 << 20)

static int is_name(const char *s, size_t n) {
    if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) return 0;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) return 0;
    return 1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int protected_name(const char *name, char *const *keep, int keep_count) {
    for (int i = 0; i < keep_count; i++)
        if (strcmp(keep[i], name) == 0) return 1;
    return strncmp(name, "JOBDIR_", 7) == 0;
}

/// Parses one line (without its end) into `value`; returns NULL or the problem.
static const char *parse_value(const char *text, const char *end, char *value) {
    size_t n = 0;
    if (text < end && (*text == '\'' || *text == '"')) {
        char quote = *text++;
        for (; text < end; text++) {
            if (*text == quote) {
                const char *after = text + 1;
                while (after < end && is_blank(*after)) after++;
                if (after < end && *after != '#') return "unexpected text after the closing quote";
                value[n] = '\0';
                return NULL;
            }
            if (quote == '"' && *text == '\\' && text + 1 < end) {
                text++;
                switch (*text) {
                case 'n': value[n++] = '\n'; break;
                case 't': value[n++] = '\t'; break;
                case 'r': value[n++] = '\r'; break;
                case '"': case '\\': case '$': value[n++] = *text; break;
                default: value[n++] = '\\'; value[n++] = *text;
                }
            } else {
                value[n++] = *text;
            }
        }
        return quote == '"' ? "missing closing \"" : "missing closing '";
    }
    const char *stop = end;
    for (const char *p = text; p < end; p++)
        if (*p == '#' && p > text && is_blank(p[-1])) { stop = p; break; }
    while (stop > text && is_blank(stop[-1])) stop--;
    memcpy(value, text, (size_t)(stop - text));
    value[stop - text] = '\0';
    return NULL;
}

int apply_env_file(const char *path, char *const *keep, int keep_count, struct spawn_failure *f) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        set_failure(f, KIND_ENV_FILE, path, e, "%s: %s", path, strerror(e));
        return -1;
    }
    char *data = malloc(ENV_FILE_MAX + 1), *value = malloc(ENV_FILE_MAX + 1);
    if (!data || !value) abort();
    size_t size = 0;
    for (;;) {
        ssize_t got = read(fd, data + size, ENV_FILE_MAX + 1 - size);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            set_failure(f, KIND_ENV_FILE, path, e, "%s: %s", path, strerror(e));
            goto refuse;
        }
        if (got == 0 || (size += (size_t)got) > ENV_FILE_MAX) break;
    }
    close(fd);
    if (size > ENV_FILE_MAX) {
        set_failure(f, KIND_ENV_FILE, path, EFBIG, "%s: larger than 1 MiB", path);
        goto refuse;
    }
    int line_number = 0;
    for (const char *line = data; line < data + size;) {
        const char *end = memchr(line, '\n', (size_t)(data + size - line));
        if (!end) end = data + size;
        const char *next = end + 1;
        line_number++;
        if (end > line && end[-1] == '\r') end--;
        while (line < end && is_blank(*line)) line++;
        if (line == end || *line == '#') { line = next; continue; }
        if (end - line > 7 && strncmp(line, "export", 6) == 0 && is_blank(line[6])) {
            line += 7;
            while (line < end && is_blank(*line)) line++;
        }
        const char *equals = memchr(line, '=', (size_t)(end - line));
        if (!equals) {
            set_failure(f, KIND_ENV_FILE, path, 0, "%s:%d: expected KEY=VALUE", path, line_number);
            goto refuse;
        }
        const char *key_end = equals;
        while (key_end > line && is_blank(key_end[-1])) key_end--;
        if (!is_name(line, (size_t)(key_end - line))) {
            set_failure(f, KIND_ENV_FILE, path, 0, "%s:%d: invalid variable name `%.*s`", path, line_number,
                        (int)(key_end - line > 64 ? 64 : key_end - line), line);
            goto refuse;
        }
        const char *rest = equals + 1;
        while (rest < end && is_blank(*rest)) rest++;
        const char *problem = parse_value(rest, end, value);
        if (problem) {
            set_failure(f, KIND_ENV_FILE, path, 0, "%s:%d: %s", path, line_number, problem);
            goto refuse;
        }
        // The name in full, however long.
        size_t name_length = (size_t)(key_end - line);
        char *name = malloc(name_length + 1);
        if (!name) abort();
        memcpy(name, line, name_length);
        name[name_length] = '\0';
        if (!protected_name(name, keep, keep_count)) setenv(name, value, 1);
        free(name);
        line = next;
    }
    free(data);
    free(value);
    return 0;
refuse:
    free(data);
    free(value);
    return -1;
}
