/*
 * names.c - display names (names.h): a strict UTF-8 decoder (RFC 3629 §3:
 * shortest forms only, no surrogates, nothing past U+10FFFF) and the
 * characters a name may not hold.
 */
#include "names.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Decodes one character at s. Returns its length in bytes (1 to 4) with
 * *cp, or 0 when s does not start with a valid UTF-8 sequence. */
static size_t decode(const unsigned char *s, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t n;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2;
        c = b & 0x1f;
        min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        c = b & 0x0f;
        min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        c = b & 0x07;
        min = 0x10000;
    } else {
        return 0; /* a continuation byte, 0xc0, 0xc1 or 0xf5 and above */
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* Characters that change how the text around them reads or that show
 * nothing: they let one name pass for another. */
static int hidden_or_control(uint32_t c)
{
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return 1; /* C0, DEL, C1 */
    switch (c) {
    case 0x00ad: /* soft hyphen */
    case 0x034f: /* combining grapheme joiner */
    case 0x061c: /* Arabic letter mark */
    case 0x115f: /* Hangul fillers */
    case 0x1160:
    case 0x3164:
    case 0xffa0:
    case 0x180e:           /* Mongolian vowel separator */
    case 0x2028:           /* line separator */
    case 0x2029:           /* paragraph separator */
    case 0xfeff: return 1; /* zero-width no-break space, byte order mark */
    }
    return (c >= 0x200b && c <= 0x200f) || /* zero-width space, joiners, LRM, RLM */
           (c >= 0x202a && c <= 0x202e) || /* embeddings and overrides */
           (c >= 0x2060 && c <= 0x206f) || /* word joiner, invisible operators, isolates */
           (c >= 0xfff9 && c <= 0xfffb) || /* interlinear annotation */
           (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe || /* noncharacters */
           (c >= 0xe0000 && c <= 0xe007f);                           /* tags */
}

const char *cv_name_clean(const char *name, char *out, size_t cap)
{
    out[0] = 0;
    while (*name == ' ')
        name++;
    size_t len = strlen(name);
    while (len && name[len - 1] == ' ')
        len--;
    const unsigned char *p = (const unsigned char *)name;
    size_t chars = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = decode(p + i, &c);
        if (n == 0 || i + n > len)
            return "not valid UTF-8";
        if (hidden_or_control(c))
            return "control, invisible or bidirectional formatting characters";
        if (++chars > CV_NAME_MAX_CHARS)
            return "longer than 64 characters";
        i += n;
    }
    if (len + 1 > cap)
        return "longer than 64 characters";
    memcpy(out, name, len);
    out[len] = 0;
    return NULL;
}

int cv_name_same(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return 0;
        if (!x)
            return 1;
    }
}

size_t cv_name_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

void cv_name_numbered(const char *base, int k, char *out, size_t cap)
{
    char tail[16];
    int tn = snprintf(tail, sizeof(tail), " (%d)", k);
    size_t keep_chars = CV_NAME_MAX_CHARS - (size_t)tn, bytes = 0, chars = 0;
    /* the bytes of the first keep_chars characters of base */
    while (base[bytes] && chars < keep_chars) {
        bytes++;
        while (((unsigned char)base[bytes] & 0xc0) == 0x80)
            bytes++;
        chars++;
    }
    while (bytes && base[bytes - 1] == ' ')
        bytes--; /* "Ana (2)", never "Ana  (2)" */
    snprintf(out, cap, "%.*s%s", (int)bytes, base, tail);
}
