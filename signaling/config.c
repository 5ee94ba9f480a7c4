/*
 * config.c - defaults and the checked ini loader of conclave (conclave.ini(5)).
 *
 * Main thread, at start-up only. libinih splits lines into section, key and
 * value; this file feeds it one line at a time through a reader, so that it
 * knows the line number (Debian's libinih is built without
 * INI_HANDLER_LINENO), checks section headers itself (libinih does not report
 * a section without keys), strips leading blanks (so an indented key is a key,
 * not a continuation of the previous value) and stops at the first error.
 * The values are written into a copy that replaces the caller's only when the
 * whole file is good.
 */
#include "config.h"
#include "config_int.h"

#include "candfilter.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "netlist.h"
#include "parse.h"
#include "tier.h"
#include "room.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_FILE (1024 * 1024) /* a config file larger than this is a mistake */

enum kind {
    K_INT,
    K_EVEN,
    K_LONG,
    K_BOOL,
    K_IP,
    K_IPV4_OPT,
    K_PATH,
    K_PATH_OPT,
    K_TOKEN,
    K_ADDRS,
    K_ROOMS,
    K_LEVEL,
    K_TIERS,
    K_TURN_URLS,
    K_SECRET,
    K_AUTO_YES_NO,
    K_NETS
};

struct key {
    const char *section;
    const char *name;
    enum kind kind;
    size_t off;  /* offset of the field in cv_config_t */
    size_t size; /* size of the field (char arrays) */
    long min, max;
    int reload; /* R: a reload (SIGHUP) applies a change; 0: it needs a restart */
};

#define R 1       /* reloadable */
#define RESTART 0 /* needs a restart */

#define FIELD(f) offsetof(cv_config_t, f), sizeof(((cv_config_t *)0)->f)

static const struct key keys[] = {
    {"http", "listen", K_IP, FIELD(http_listen), 0, 0, RESTART},
    {"http", "port", K_INT, FIELD(http_port), 1, 65535, RESTART},
    {"http", "www", K_PATH, FIELD(www_root), 0, 0, RESTART},
    {"http", "max_body", K_LONG, FIELD(http_max_body), 1024, 1048576, R},
    {"http", "cert", K_PATH_OPT, FIELD(http_cert), 0, 0, RESTART},
    {"http", "key", K_PATH_OPT, FIELD(http_key), 0, 0, RESTART},
    {"http", "trust_proxy", K_BOOL, FIELD(http_trust_proxy), 0, 1, RESTART},
    {"http", "max_connections", K_INT, FIELD(http_max_conns), 4, 100000, RESTART},
    {"http", "max_connections_per_ip", K_INT, FIELD(http_conns_per_ip), 0, 100000, RESTART},
    {"http", "joins_per_minute", K_INT, FIELD(http_joins_per_minute), 0, 100000, RESTART},
    {"http", "metrics_token", K_TOKEN, FIELD(http_metrics_token), 16, 128, R},
    {"http", "request_timeout", K_INT, FIELD(http_request_timeout), 1, 300, RESTART},
    {"http", "proxy_networks", K_NETS, FIELD(http_proxy_networks), 0, 0, RESTART},
    {"ice", "port_min", K_INT, FIELD(ice_port_min), 1024, 65535, RESTART},
    {"ice", "port_max", K_INT, FIELD(ice_port_max), 1024, 65535, RESTART},
    {"ice", "addresses", K_ADDRS, FIELD(ice_addresses), 0, 0, RESTART},
    {"ice", "public_ip", K_IPV4_OPT, FIELD(ice_public_ip), 0, 0, RESTART},
    {"ice", "timeout", K_INT, FIELD(ice_timeout), 1, 120, RESTART},
    {"ice", "tcp", K_BOOL, FIELD(ice_tcp), 0, 1, RESTART},
    {"ice", "check_timeout", K_INT, FIELD(ice_check_timeout), 1, 120, RESTART},
    {"ice", "allow_private_candidates", K_AUTO_YES_NO, FIELD(ice_private_candidates), 0, 0,
     RESTART},
    {"ice", "threads", K_INT, FIELD(ice_threads), 0, CV_CONFIG_NET_THREADS_MAX, RESTART},
    {"mixer", "threads", K_INT, FIELD(mixer_threads), 1, 64, RESTART},
    {"mixer", "fps", K_INT, FIELD(mixer_fps), 1, 60, RESTART},
    {"mixer", "width", K_EVEN, FIELD(mixer_width), 160, 1920, RESTART},
    {"mixer", "height", K_EVEN, FIELD(mixer_height), 90, 1080, RESTART},
    {"mixer", "video_kbps", K_INT, FIELD(mixer_video_kbps), 50, 8000, RESTART},
    {"mixer", "audio_kbps", K_INT, FIELD(mixer_audio_kbps), 8, 128, RESTART},
    {"mixer", "max_speakers", K_INT, FIELD(mixer_max_speakers), 1, 16, RESTART},
    {"mixer", "hidden_bitrate", K_INT, FIELD(mixer_hidden_kbps), 10, 1000, RESTART},
    {"mixer", "tiers", K_TIERS, FIELD(mixer_tiers), 0, 0, RESTART},
    {"rooms", "open", K_BOOL, FIELD(rooms_open), 0, 1, R},
    {"rooms", "names", K_ROOMS, FIELD(rooms_names), 0, 0, R},
    {"rooms", "max_participants", K_INT, FIELD(rooms_max_participants), 1, CV_ROOM_MAX_PARTICIPANTS,
     R},
    {"rooms", "max_rooms", K_INT, FIELD(rooms_max), 1, 1000, R},
    {"rooms", "max_sessions", K_INT, FIELD(rooms_max_sessions), 1, 10000, RESTART},
    {"rooms", "max_pending_per_address", K_INT, FIELD(rooms_max_pending_per_addr), 0, 10000, R},
    {"rooms", "max_rooms_per_address", K_INT, FIELD(rooms_max_rooms_per_addr), 0, 1000, R},
    {"rooms", "lobby_max", K_INT, FIELD(rooms_lobby_max), 1, 1000, R},
    {"rooms", "lobby_timeout", K_INT, FIELD(rooms_lobby_timeout), 10, 86400, R},
    {"log", "level", K_LEVEL, FIELD(log_level), 0, 0, R},
    {"turn", "urls", K_TURN_URLS, FIELD(turn_urls), 0, 0, RESTART},
    {"turn", "secret", K_SECRET, FIELD(turn_secret), 0, 0, RESTART},
    {"turn", "secret_file", K_PATH_OPT, FIELD(turn_secret_file), 0, 0, RESTART},
    {"turn", "ttl", K_INT, FIELD(turn_ttl), 60, 604800, RESTART},
    {"recording", "enabled", K_BOOL, FIELD(rec_enabled), 0, 1, R},
    {"recording", "dir", K_PATH, FIELD(rec_dir), 0, 0, R},
    {"recording", "max_bytes", K_LONG, FIELD(rec_max_bytes), 0, 1L << 40, R},
    {"recording", "max_seconds", K_INT, FIELD(rec_max_seconds), 0, 604800, R},
};

static const char *const sections[] = {"http", "ice", "mixer", "rooms", "log", "turn", "recording"};

/* Keys of a [room NAME] section (one per room, up to CV_CONFIG_ROOMS_MAX). */
enum room_key { R_PASSWORD, R_MODERATOR_PASSWORD, R_LAYOUT, R_RECORDING, R_LOBBY };
static const char *const room_keys[] = {"password", "moderator_password", "layout", "recording",
                                        "lobby"};

/* One load in progress. */
struct load {
    cv_config_t c;  /* the copy being filled */
    const char *p;  /* next unread byte of the text */
    int lineno;     /* lines handed to libinih so far */
    int failed;     /* an error was found: loading stops */
    int err_line;   /* its line, 0 = not tied to a line */
    char why[256];  /* its reason */
    int line_min;   /* line that last set [ice] port_min, 0 = not in this text */
    int line_max;   /* the same for port_max */
    int line_tiers; /* line that set [mixer] tiers, 0 = derived from the composite keys */
    int in_room;    /* the current section is [room NAME], c.rooms[c.n_rooms - 1] */
};

/* [mixer] tiers when the file does not give them: the composite of [mixer]
 * width, height, fps and video_kbps, then half its size at a third of the bit
 * rate, then a quarter at half the frame rate and a tenth of the bit rate
 * (a smaller tier only while its rate stays above 30 kbit/s and below the one
 * before). With the default keys: CV_TIERS_DEFAULT. */
static void derive_tiers(cv_config_t *c)
{
    cv_tiers_t *t = &c->mixer_tiers;
    int kbps[3] = {c->mixer_video_kbps, c->mixer_video_kbps / 3, c->mixer_video_kbps / 10};
    int fps[3] = {c->mixer_fps, c->mixer_fps, c->mixer_fps > 1 ? c->mixer_fps / 2 : 1};
    t->n = 0;
    for (int i = 0; i < 3 && i < CV_TIERS_MAX; i++) {
        int w = (c->mixer_width >> i) & ~1, h = (c->mixer_height >> i) & ~1;
        if (i > 0 && (kbps[i] < 30 || kbps[i] >= t->t[t->n - 1].kbps || w < 16 || h < 16))
            break;
        t->t[t->n++] = (cv_tier_t){.width = w, .height = h, .fps = fps[i], .kbps = kbps[i]};
    }
}

void cv_config_defaults(cv_config_t *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->http_listen, sizeof(c->http_listen), "127.0.0.1");
    c->http_port = 8080;
    if (access("www/index.html", R_OK) == 0)
        snprintf(c->www_root, sizeof(c->www_root), "www");
    else
        snprintf(c->www_root, sizeof(c->www_root), "%s", CV_DATADIR "/www");
    c->http_max_body = 65536;
    c->http_cert[0] = '\0';
    c->http_key[0] = '\0';
    c->http_trust_proxy = 0;
    c->http_max_conns = 512;
    c->http_conns_per_ip = 64;
    c->http_joins_per_minute = 30;
    c->http_metrics_token[0] = '\0';
    c->http_request_timeout = 10;
    c->http_proxy_networks[0] = '\0';
    c->ice_port_min = 40000;
    c->ice_port_max = 40999;
    c->ice_addresses[0] = '\0';
    c->ice_public_ip[0] = '\0';
    c->ice_timeout = 30;
    c->ice_tcp = 1;
    c->turn_urls[0] = '\0';
    c->turn_secret[0] = '\0';
    c->turn_secret_file[0] = '\0';
    c->turn_ttl = 86400;
    c->ice_check_timeout = 10;
    c->ice_private_candidates = CV_CAND_PRIVATE_AUTO;
    c->ice_threads = 0;
    c->mixer_threads = 2;
    c->mixer_fps = 30;
    c->mixer_width = 1280;
    c->mixer_height = 720;
    c->mixer_video_kbps = 1500;
    c->mixer_audio_kbps = 32;
    c->mixer_max_speakers = 3;
    c->mixer_hidden_kbps = 50;
    derive_tiers(c);
    c->rooms_open = 1;
    c->rooms_names[0] = '\0';
    c->rooms_max_participants = 16;
    c->rooms_max = 32;
    c->rooms_max_sessions = 256;
    c->rooms_max_pending_per_addr = 8;
    c->rooms_max_rooms_per_addr = 4;
    c->rooms_lobby_max = 32;
    c->rooms_lobby_timeout = 600;
    c->log_level = CV_LOG_WARN;
    c->rec_enabled = 0;
    snprintf(c->rec_dir, sizeof(c->rec_dir), "%s", CV_RECORD_DIR);
    c->rec_max_bytes = 0;
    c->rec_max_seconds = 14400;
}

/* Records the first error only; line 0 when no line is to blame. */
static void fail(struct load *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct load *ld, int line, const char *fmt, ...)
{
    if (ld->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->why, sizeof(ld->why), fmt, ap);
    va_end(ap);
    ld->failed = 1;
    ld->err_line = line;
}

/* Writes "'V' is not WHAT" as the reason, V quoted and WHAT a format;
 * returns CV_E_INVAL. */
static int not_a(char *why, size_t whycap, const char *v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int not_a(char *why, size_t whycap, const char *v, const char *fmt, ...)
{
    char q[64];
    int n = snprintf(why, whycap, "'%s' is not ", cv_config_quote(q, sizeof(q), v, strlen(v)));
    if (n >= 0 && (size_t)n < whycap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why + n, whycap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return CV_E_INVAL;
}

/* K_EVEN, K_INT and K_LONG: a decimal in the key's range. */
static int set_number(const struct key *k, char *field, const char *v, char *why, size_t whycap)
{
    long n;
    if (k->kind == K_EVEN) {
        if (cv_parse_long(v, k->min, k->max, &n, NULL) < 0 || n % 2)
            return not_a(why, whycap, v, "an even integer in %ld..%ld", k->min, k->max);
    } else if (cv_parse_long(v, k->min, k->max, &n, NULL) < 0) {
        return not_a(why, whycap, v, "an integer in %ld..%ld", k->min, k->max);
    }
    if (k->kind == K_LONG)
        *(long *)(void *)field = n;
    else
        *(int *)(void *)field = (int)n;
    return 0;
}

static int set_bool(char *field, const char *v, char *why, size_t whycap)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0)
        *(int *)(void *)field = 1;
    else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0)
        *(int *)(void *)field = 0;
    else
        return not_a(why, whycap, v, "one of yes, no, true, false, on, off");
    return 0;
}

/* K_AUTO_YES_NO: auto, or a yes/no word (CV_CAND_PRIVATE_*). */
static int set_auto_yes_no(char *field, const char *v, char *why, size_t whycap)
{
    int yes_no;
    if (strcmp(v, "auto") == 0) {
        *(int *)(void *)field = CV_CAND_PRIVATE_AUTO;
        return 0;
    }
    if (set_bool((char *)&yes_no, v, why, whycap) < 0)
        return not_a(why, whycap, v, "one of auto, yes, no");
    *(int *)(void *)field = yes_no ? CV_CAND_PRIVATE_YES : CV_CAND_PRIVATE_NO;
    return 0;
}

/* K_IP: an IPv4 or IPv6 literal; K_IPV4_OPT: an IPv4 literal or nothing. */
static int set_ip(const struct key *k, char *field, const char *v, char *why, size_t whycap)
{
    if (k->kind == K_IPV4_OPT && !*v) {
        field[0] = '\0';
        return 0;
    }
    if (strlen(v) >= k->size || !cv_config_is_ip(v, k->kind == K_IP))
        return not_a(why, whycap, v, "an %s address", k->kind == K_IP ? "IPv4 or IPv6" : "IPv4");
    snprintf(field, k->size, "%s", v);
    return 0;
}

/* Checks value v for key k and stores it in c; on error why holds the reason. */
static int set_value(cv_config_t *c, const struct key *k, const char *v, char *why, size_t whycap)
{
    char *field = (char *)c + k->off;
    int lvl;

    switch (k->kind) {
    case K_EVEN:
    case K_INT:
    case K_LONG: return set_number(k, field, v, why, whycap);
    case K_BOOL: return set_bool(field, v, why, whycap);
    case K_AUTO_YES_NO: return set_auto_yes_no(field, v, why, whycap);
    case K_ROOMS:
        if (cv_config_set_rooms(field, k->size, v, why, whycap) < 0)
            return CV_E_INVAL;
        return 0;
    case K_IP:
    case K_IPV4_OPT: return set_ip(k, field, v, why, whycap);
    case K_PATH:
    case K_PATH_OPT:
        if (strlen(v) >= k->size) {
            snprintf(why, whycap, "path longer than %zu bytes", k->size - 1);
            return CV_E_INVAL;
        }
        snprintf(field, k->size, "%s", v);
        return 0;
    case K_TOKEN: {
        /* nothing, or min..max printable ASCII but space: it must fit a Bearer header */
        size_t n = strlen(v);
        int ok = n == 0 || (n >= (size_t)k->min && n <= (size_t)k->max);
        for (size_t i = 0; i < n && ok; i++)
            ok = v[i] > 0x20 && v[i] < 0x7f;
        if (!ok) {
            snprintf(why, whycap, "%ld to %ld printable ASCII characters, no spaces", k->min,
                     k->max);
            return CV_E_INVAL;
        }
        snprintf(field, k->size, "%s", v);
        return 0;
    }
    case K_ADDRS: {
        char tmp[sizeof(c->ice_addresses)];
        if (cv_config_set_addrs(tmp, sizeof(tmp), v, why, whycap) < 0)
            return CV_E_INVAL;
        memcpy(field, tmp, sizeof(tmp));
        return 0;
    }
    case K_NETS: {
        cv_netlist_t nets;
        if (strlen(v) >= k->size) {
            snprintf(why, whycap, "list longer than %zu bytes", k->size - 1);
            return CV_E_INVAL;
        }
        if (cv_netlist_parse(v, &nets, why, whycap) < 0)
            return CV_E_INVAL;
        snprintf(field, k->size, "%s", v);
        return 0;
    }
    case K_TIERS: return cv_tiers_parse(v, (cv_tiers_t *)(void *)field, why, whycap);
    case K_TURN_URLS: {
        char tmp[sizeof(c->turn_urls)];
        if (cv_config_set_turn_urls(tmp, sizeof(tmp), v, why, whycap) < 0)
            return CV_E_INVAL;
        memcpy(field, tmp, sizeof(tmp));
        return 0;
    }
    case K_SECRET:
        if (*v && !cv_config_secret_ok(v)) {
            snprintf(why, whycap, "1 to %d printable ASCII characters", CV_CONFIG_SECRET_MAX);
            return CV_E_INVAL;
        }
        snprintf(field, k->size, "%s", v);
        return 0;
    case K_LEVEL:
        lvl = cv_log_parse_level(v);
        if (lvl < 0)
            return not_a(why, whycap, v, "one of error, warn, info, debug");
        *(int *)(void *)field = lvl;
        return 0;
    }
    return CV_E_INVAL;
}

/* A key of the current [room NAME] section. Returns 1 to go on, 0 on error. */
static int on_room_pair(struct load *ld, const char *name, const char *value)
{
    cv_config_room_t *r = &ld->c.rooms[ld->c.n_rooms - 1];
    char q[64];
    size_t k = 0, n = strlen(value);
    while (k < sizeof(room_keys) / sizeof(room_keys[0]) && strcmp(room_keys[k], name) != 0)
        k++;
    switch (k) {
    case R_PASSWORD:
    case R_MODERATOR_PASSWORD: {
        /* the same rule as cv_access_password_ok: it must fit a Bearer header */
        int ok = n >= 1 && n <= CV_CONFIG_SECRET_MAX && value[0] != ' ' && value[n - 1] != ' ';
        for (size_t i = 0; i < n && ok; i++)
            ok = (unsigned char)value[i] >= 0x20 && (unsigned char)value[i] <= 0x7e;
        if (!ok) {
            fail(ld, ld->lineno, "%s: 1 to %d printable ASCII characters", name,
                 CV_CONFIG_SECRET_MAX);
            return 0;
        }
        snprintf(k == R_PASSWORD ? r->password : r->moderator_password, CV_CONFIG_SECRET_MAX + 1,
                 "%s", value);
        return 1;
    }
    case R_LAYOUT:
        if (strcmp(value, "grid") == 0)
            r->layout = CV_LAYOUT_MODE_GRID;
        else if (strcmp(value, "speaker") == 0)
            r->layout = CV_LAYOUT_MODE_SPEAKER;
        else if (strcmp(value, "lecture") == 0)
            r->layout = CV_LAYOUT_MODE_LECTURE;
        else {
            fail(ld, ld->lineno, "layout: '%s' is not one of grid, speaker, lecture",
                 cv_config_quote(q, sizeof(q), value, n));
            return 0;
        }
        return 1;
    case R_RECORDING: {
        char why[128];
        if (set_bool((char *)&r->recording, value, why, sizeof(why)) < 0) {
            fail(ld, ld->lineno, "recording: %s", why);
            return 0;
        }
        return 1;
    }
    case R_LOBBY:
        r->lobby = cv_config_lobby_parse(value);
        if (r->lobby < 0) {
            fail(ld, ld->lineno, "lobby: '%s' is not one of no, yes, all",
                 cv_config_quote(q, sizeof(q), value, n));
            return 0;
        }
        return 1;
    default:
        fail(ld, ld->lineno, "unknown key '%s' in [room %s]",
             cv_config_quote(q, sizeof(q), name, strlen(name)), r->name);
        return 0;
    }
}

int cv_config_lobby_parse(const char *v)
{
    static const char *const names[] = {"no", "yes", "all"};
    for (int i = 0; i < 3; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return CV_E_INVAL;
}

const char *cv_config_lobby_name(int mode)
{
    return mode == CV_LOBBY_ALL ? "all" : mode == CV_LOBBY_YES ? "yes" : "no";
}

const cv_config_room_t *cv_config_room(const cv_config_t *c, const char *room)
{
    for (int i = 0; i < c->n_rooms; i++)
        if (strcasecmp(c->rooms[i].name, room) == 0)
            return &c->rooms[i];
    return NULL;
}

/* "[room NAME]" (s + 1, n bytes, between the brackets): opens that room's
 * section. libinih keeps only the first 50 bytes of a section name, so the
 * name is taken from the line here. Returns 1 if it is one, 0 if not, or
 * CV_E_INVAL after an error. */
static int room_section(struct load *ld, const char *s, size_t n)
{
    char q[64];
    if (n < 5 || memcmp(s, "room", 4) != 0 || (s[4] != ' ' && s[4] != '\t'))
        return 0;
    size_t i = 5;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    const char *name = s + i;
    size_t len = n - i;
    if (!cv_config_room_name(name, len)) {
        fail(ld, ld->lineno, "[room %s]: room names are 1 to 64 of A-Z a-z 0-9 _ -",
             cv_config_quote(q, sizeof(q), name, len));
        return CV_E_INVAL;
    }
    for (int r = 0; r < ld->c.n_rooms; r++) {
        if (strlen(ld->c.rooms[r].name) == len &&
            strncasecmp(ld->c.rooms[r].name, name, len) == 0) {
            /* room names are matched without regard to case */
            fail(ld, ld->lineno, "[room %.*s] given twice", (int)len, name);
            return CV_E_INVAL;
        }
    }
    if (ld->c.n_rooms == CV_CONFIG_ROOMS_MAX) {
        fail(ld, ld->lineno, "more than %d [room] sections", CV_CONFIG_ROOMS_MAX);
        return CV_E_INVAL;
    }
    cv_config_room_t *r = &ld->c.rooms[ld->c.n_rooms++];
    memset(r, 0, sizeof(*r));
    memcpy(r->name, name, len);
    r->layout = CV_LAYOUT_MODE_GRID;
    r->recording = 1;
    ld->in_room = 1;
    return 1;
}

/* libinih calls this for each key = value, right after our reader handed it
 * the line, so ld->lineno is that line. Returns 1 to go on, 0 on error. */
static int on_pair(void *user, const char *section, const char *name, const char *value)
{
    struct load *ld = user;
    const struct key *k = NULL;
    char q[64], why[200];

    if (ld->failed)
        return 0;
    if (!*section) {
        fail(ld, ld->lineno, "key '%s' outside of any section",
             cv_config_quote(q, sizeof(q), name, strlen(name)));
        return 0;
    }
    if (ld->in_room)
        return on_room_pair(ld, name, value);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            k = &keys[i];
    if (!k) {
        fail(ld, ld->lineno, "unknown key '%s' in [%s]",
             cv_config_quote(q, sizeof(q), name, strlen(name)), section);
        return 0;
    }
    if (!*value && k->kind != K_ADDRS && k->kind != K_IPV4_OPT && k->kind != K_PATH_OPT &&
        k->kind != K_TOKEN && k->kind != K_TURN_URLS && k->kind != K_SECRET && k->kind != K_NETS) {
        fail(ld, ld->lineno, "%s: empty value", k->name);
        return 0;
    }
    if (set_value(&ld->c, k, value, why, sizeof(why)) < 0) {
        fail(ld, ld->lineno, "%s: %s", k->name, why);
        return 0;
    }
    if (k->off == offsetof(cv_config_t, ice_port_min))
        ld->line_min = ld->lineno;
    if (k->off == offsetof(cv_config_t, ice_port_max))
        ld->line_max = ld->lineno;
    if (k->off == offsetof(cv_config_t, mixer_tiers))
        ld->line_tiers = ld->lineno;
    return 1;
}

/* Checks a "[name]" line (s starts with '['). Returns 0 or CV_E_INVAL. */
static int check_section(struct load *ld, const char *s)
{
    char q[64];
    const char *close = strchr(s, ']');
    if (!close) {
        fail(ld, ld->lineno, "section header without ']'");
        return CV_E_INVAL;
    }
    size_t n = (size_t)(close - s - 1);
    int known = 0;
    ld->in_room = 0;
    int room = room_section(ld, s + 1, n);
    if (room < 0)
        return CV_E_INVAL;
    known = room;
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (strlen(sections[i]) == n && memcmp(sections[i], s + 1, n) == 0)
            known = 1;
    if (!known) {
        fail(ld, ld->lineno, "unknown section [%s]", cv_config_quote(q, sizeof(q), s + 1, n));
        return CV_E_INVAL;
    }
    const char *t = close + 1;
    while (*t == ' ' || *t == '\t')
        t++;
    if (*t && *t != ';' && *t != '#') {
        fail(ld, ld->lineno, "unexpected text after [%.*s]", (int)n, s + 1);
        return CV_E_INVAL;
    }
    return 0;
}

static int blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* The ini_reader for libinih: hands over the next line, without leading and
 * trailing blanks, and returns NULL at the end of the text or after an error. */
static char *next_line(char *str, int num, void *stream)
{
    struct load *ld = stream;
    if (ld->failed || !*ld->p)
        return NULL;
    const char *s = ld->p;
    const char *nl = strchr(s, '\n');
    size_t n = nl ? (size_t)(nl - s) : strlen(s);
    ld->p = nl ? nl + 1 : s + n;
    ld->lineno++;

    if (ld->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, n -= 3; /* UTF-8 byte order mark */
    while (n && blank(*s))
        s++, n--;
    while (n && blank(s[n - 1]))
        n--;
    if (num < 2 || n > (size_t)num - 1) {
        fail(ld, ld->lineno, "line longer than %d characters", num - 1);
        return NULL;
    }
    memcpy(str, s, n);
    str[n] = '\0';
    if (str[0] == '[' && check_section(ld, str) < 0)
        return NULL;
    return str;
}

static void report(const char *name, int line, const char *why, char *err, size_t errcap)
{
    if (!err || errcap == 0)
        return;
    if (line > 0)
        snprintf(err, errcap, "%s:%d: %s", name, line, why);
    else
        snprintf(err, errcap, "%s: %s", name, why);
}

int cv_config_load_string(cv_config_t *c, const char *name, const char *text, char *err,
                          size_t errcap)
{
    struct load *ld;
    int rc, line;

    if (!name)
        name = "(config)";
    if (!text) {
        report(name, 0, "no text", err, errcap);
        return CV_E_INVAL;
    }
    ld = cv_xcalloc(1, sizeof(*ld));
    ld->c = *c;
    ld->c.n_rooms = 0; /* the rooms are those of this text */
    ld->p = text;
    rc = ini_parse_stream(next_line, ld, on_pair, ld);
    if (rc > 0 && (!ld->failed || rc < ld->err_line)) {
        /* libinih found a line that is neither a comment, nor [section], nor key = value */
        ld->failed = 0;
        fail(ld, rc, "expected 'key = value', '[section]' or a comment");
    } else if (rc < 0) {
        fail(ld, 0, "cannot parse (libinih error %d)", rc);
    }
    if (ld->c.ice_port_min > ld->c.ice_port_max) {
        line = ld->line_min > ld->line_max ? ld->line_min : ld->line_max;
        fail(ld, line, "port_min %d is greater than port_max %d", ld->c.ice_port_min,
             ld->c.ice_port_max);
    }
    if (!ld->line_tiers)
        derive_tiers(&ld->c);
    if (!ld->c.http_cert[0] != !ld->c.http_key[0])
        fail(ld, 0, "[http] cert and key go together: give both or neither");
    if (ld->c.turn_secret[0] && ld->c.turn_secret_file[0])
        fail(ld, 0, "[turn] secret and secret_file: give one, not both");
    else if (ld->c.turn_urls[0] && !ld->c.turn_secret[0] && !ld->c.turn_secret_file[0])
        fail(ld, 0, "[turn] urls needs the shared secret: secret or secret_file");
    if (ld->failed) {
        report(name, ld->err_line, ld->why, err, errcap);
        free(ld);
        return CV_E_INVAL;
    }
    *c = ld->c;
    free(ld);
    if (err && errcap)
        err[0] = '\0';
    return 0;
}

int cv_config_load(cv_config_t *c, const char *path, char *err, size_t errcap)
{
    char why[200];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
        report(path, 0, why, err, errcap);
        return CV_E_IO;
    }
    char *buf = cv_xmalloc(MAX_FILE + 1);
    size_t len = fread(buf, 1, MAX_FILE + 1, f);
    int rd_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (rd_errno) {
        snprintf(why, sizeof(why), "cannot read: %s", strerror(rd_errno));
        report(path, 0, why, err, errcap);
        free(buf);
        return CV_E_IO;
    }
    if (len > MAX_FILE) {
        snprintf(why, sizeof(why), "larger than %d bytes", MAX_FILE);
        report(path, 0, why, err, errcap);
        free(buf);
        return CV_E_INVAL;
    }
    buf[len] = '\0';
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *s = buf; s < nul; s++)
            line += *s == '\n';
        report(path, line, "NUL byte in the file", err, errcap);
        free(buf);
        return CV_E_INVAL;
    }
    int rc = cv_config_load_string(c, path, buf, err, errcap);
    free(buf);
    return rc;
}

int cv_config_reload_merge(const cv_config_t *old, cv_config_t *next,
                           void (*changed)(void *ud, const char *section, const char *key,
                                           int reloadable),
                           void *ud)
{
    int restart = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct key *k = &keys[i];
        char *to = (char *)next + k->off;
        const char *from = (const char *)old + k->off;
        int text = k->kind == K_IP || k->kind == K_IPV4_OPT || k->kind == K_PATH ||
                   k->kind == K_PATH_OPT || k->kind == K_ADDRS || k->kind == K_ROOMS ||
                   k->kind == K_TOKEN || k->kind == K_TURN_URLS || k->kind == K_SECRET ||
                   k->kind == K_NETS;
        if (text ? strncmp(to, from, k->size) == 0 : memcmp(to, from, k->size) == 0)
            continue;
        if (changed)
            changed(ud, k->section, k->name, k->reload);
        if (!k->reload) {
            memcpy(to, from, k->size); /* the running value stays in force */
            restart++;
        }
    }
    return restart;
}
