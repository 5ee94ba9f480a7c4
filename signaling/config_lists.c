/*
 * config_lists.c - the values of conclave.ini that are lists (media
 * addresses, room names, TURN server URIs), the room and secret checks other
 * parts call, and the quoting of bad values in messages (config_int.h). Pure.
 */
#include "config.h"
#include "config_int.h"

#include "err.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *cv_config_quote(char *out, size_t cap, const char *s, size_t n)
{
    size_t i, o = 0;
    for (i = 0; i < n && s[i] && i < QUOTE_MAX && o + 4 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (i < n && s[i] && o + 4 <= cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

int cv_config_is_ip(const char *s, int allow_v6)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, s, buf) == 1)
        return 1;
    return allow_v6 && inet_pton(AF_INET6, s, buf) == 1;
}

/* "a, b ,c" -> "a,b,c" with each entry an IPv4 or IPv6 literal. */
int cv_config_set_addrs(char *out, size_t cap, const char *v, char *why, size_t whycap)
{
    char q[64], one[64];
    size_t o = 0;
    out[0] = '\0';
    while (*v) {
        const char *end = strchr(v, ',');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        const char *s = v;
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n == 0) {
            snprintf(why, whycap, "empty entry in the list");
            return CV_E_INVAL;
        }
        if (n >= sizeof(one) || (memcpy(one, s, n), one[n] = '\0', !cv_config_is_ip(one, 1))) {
            snprintf(why, whycap, "'%s' is not an IPv4 or IPv6 address",
                     cv_config_quote(q, sizeof(q), s, n));
            return CV_E_INVAL;
        }
        if (o + (o ? 1 : 0) + n + 1 > cap) {
            snprintf(why, whycap, "list longer than %zu bytes", cap - 1);
            return CV_E_INVAL;
        }
        if (o)
            out[o++] = ',';
        memcpy(out + o, s, n);
        o += n;
        out[o] = '\0';
        if (!end)
            break;
        v = end + 1;
        if (!*v) {
            snprintf(why, whycap, "empty entry in the list");
            return CV_E_INVAL;
        }
    }
    return 0;
}

int cv_config_room_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int cv_config_room_name(const char *s, size_t n)
{
    return n >= 1 && n <= 64 && cv_config_room_chars(s, n);
}

/* "a, b,c" -> "a,b,c": each a room name of 1..64 of [A-Za-z0-9_-]. */
int cv_config_set_rooms(char *out, size_t cap, const char *v, char *why, size_t whycap)
{
    size_t o = 0;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - start);
        if (!cv_config_room_chars(start, n)) {
            snprintf(why, whycap, "room names are 1 to 64 of A-Z a-z 0-9 _ -");
            return CV_E_INVAL;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (n == 0 || n > 64 || (*p && *p != ',')) {
            snprintf(why, whycap, "room names are 1 to 64 of A-Z a-z 0-9 _ -, comma-separated");
            return CV_E_INVAL;
        }
        if (o + n + 2 > cap) {
            snprintf(why, whycap, "list longer than %zu bytes", cap - 1);
            return CV_E_INVAL;
        }
        if (o)
            out[o++] = ',';
        memcpy(out + o, start, n);
        o += n;
        if (*p == ',' && !*++p) {
            snprintf(why, whycap, "empty room name after the last comma");
            return CV_E_INVAL;
        }
    }
    out[o] = 0;
    return 0;
}

/* One TURN server URI (RFC 7065): turn: or turns:, then host[:port] and an optional
 * ?transport=udp|tcp, with none of the characters that would break a Link header
 * (RFC 8288) or a JSON string: blanks, quotes, '<', '>', ';', ',' and '\\'. */
static int turn_url_ok(const char *s, size_t n)
{
    size_t scheme = n > 5 && memcmp(s, "turn:", 5) == 0    ? 5
                    : n > 6 && memcmp(s, "turns:", 6) == 0 ? 6
                                                           : 0;
    if (!scheme || n > 255)
        return 0;
    const char *q = memchr(s, '?', n);
    if (q && !((size_t)(s + n - q) == 14 && memcmp(q, "?transport=udp", 14) == 0) &&
        !((size_t)(s + n - q) == 14 && memcmp(q, "?transport=tcp", 14) == 0))
        return 0;
    size_t host_end = q ? (size_t)(q - s) : n;
    if (host_end == scheme)
        return 0;
    for (size_t i = scheme; i < host_end; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return 0;
    }
    return 1;
}

/* [turn] urls: "a, b" -> "a,b", each a TURN URI; "" is none. */
int cv_config_set_turn_urls(char *out, size_t cap, const char *v, char *why, size_t whycap)
{
    char q[64];
    size_t o = 0;
    const char *p = v;
    out[0] = '\0';
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - start);
        while (*p == ' ' || *p == '\t')
            p++;
        if (n == 0 || (*p && *p != ',') || !turn_url_ok(start, n)) {
            snprintf(why, whycap,
                     "'%s' is not a turn: or turns: URI (host[:port][?transport=udp|tcp])",
                     cv_config_quote(q, sizeof(q), start, n ? n : strlen(start)));
            return CV_E_INVAL;
        }
        if (o + n + 2 > cap) {
            snprintf(why, whycap, "list longer than %zu bytes", cap - 1);
            return CV_E_INVAL;
        }
        if (o)
            out[o++] = ',';
        memcpy(out + o, start, n);
        o += n;
        out[o] = '\0';
        if (*p == ',' && !*++p) {
            snprintf(why, whycap, "empty entry in the list");
            return CV_E_INVAL;
        }
    }
    return 0;
}

int cv_config_room_allowed(const cv_config_t *c, const char *room)
{
    size_t n = strlen(room);
    if (c->rooms_open)
        return 1;
    for (const char *p = c->rooms_names; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, room, n) == 0)
            return 1;
        p = end ? end + 1 : p + len;
    }
    return 0;
}

int cv_config_secret_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > CV_CONFIG_SECRET_MAX || s[0] == ' ' || s[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}
