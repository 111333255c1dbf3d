// JSON strings. The tail is decoded as the daemon's Swift code decodes it
// (`String(decoding:as: UTF8.self)`): each maximal ill-formed subpart becomes one U+FFFD
// (Unicode's recommended practice), after up to three continuation bytes at the start
// (a character cut by the 4 KiB window) are dropped.
#include "supervisor.h"

#include <string.h>

static void escape_byte(struct buffer *b, unsigned char c) {
    switch (c) {
    case '"': buffer_literal(b, "\\\""); break;
    case '\\': buffer_literal(b, "\\\\"); break;
    case '\n': buffer_literal(b, "\\n"); break;
    case '\r': buffer_literal(b, "\\r"); break;
    case '\t': buffer_literal(b, "\\t"); break;
    case '\b': buffer_literal(b, "\\b"); break;
    case '\f': buffer_literal(b, "\\f"); break;
    default:
        if (c < 0x20) buffer_printf(b, "\\u%04x", c);
        else buffer_append(b, &c, 1);
    }
}

/// Length of the well-formed sequence starting at `s` (1–4), or 0 if ill-formed; for an
/// ill-formed one, `*bad` is the length of its maximal subpart (at least 1).
static size_t well_formed(const unsigned char *s, size_t n, size_t *bad) {
    unsigned char c = s[0];
    size_t length;
    unsigned char low = 0x80, high = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) length = 2;
    else if (c == 0xE0) { length = 3; low = 0xA0; }
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) length = 3;
    else if (c == 0xED) { length = 3; high = 0x9F; }
    else if (c == 0xF0) { length = 4; low = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) length = 4;
    else if (c == 0xF4) { length = 4; high = 0x8F; }
    else { *bad = 1; return 0; }
    if (n < 2 || s[1] < low || s[1] > high) { *bad = 1; return 0; }
    for (size_t i = 2; i < length; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80) { *bad = i; return 0; }
    }
    return length;
}

void buffer_json_tail(struct buffer *b, const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n && i < 3 && (s[i] & 0xC0) == 0x80) i++;
    buffer_literal(b, "\"");
    while (i < n) {
        size_t bad = 0, length = well_formed(s + i, n - i, &bad);
        if (length == 0) {
            buffer_literal(b, "\xEF\xBF\xBD");
            i += bad;
        } else if (length == 1) {
            escape_byte(b, s[i++]);
        } else {
            buffer_append(b, s + i, length);
            i += length;
        }
    }
    buffer_literal(b, "\"");
}

void buffer_json_string(struct buffer *b, const char *text) {
    buffer_json_tail(b, (const unsigned char *)text, strlen(text));
}
