/*
 * config.h - the daemon's settings and the ini file that changes them.
 *
 * One cv_config_t is filled at start-up by the main thread (defaults, then at
 * most one file given with -c) and read, never written, afterwards. Loading is
 * pure apart from reading the file: no logging, no globals. The file format is
 * the one of libinih (sections, key = value, ';' and '#' comments) with every
 * key checked; conclave.ini(5) documents each key.
 */
#ifndef CV_CONFIG_H
#define CV_CONFIG_H

#include "tier.h"

#include <stddef.h>

/* Where `make install` puts the browser client (www/). */
#ifndef CV_DATADIR
#define CV_DATADIR "/usr/local/share/conclave"
#endif

/* Where recordings go unless [recording] dir says otherwise. */
#ifndef CV_RECORD_DIR
#define CV_RECORD_DIR "/var/lib/conclave/recordings"
#endif

#define CV_CONFIG_ROOMS_MAX 64   /* [room NAME] sections */
#define CV_CONFIG_SECRET_MAX 128 /* bytes of a password or of the TURN secret */
/* [ice] threads: network loops, 0 (one a core, at most 4) to this */
#define CV_CONFIG_NET_THREADS_MAX 16

/* One [room NAME] section: settings of one room. */
typedef struct {
    char name[65];
    char password[CV_CONFIG_SECRET_MAX + 1];           /* "" = none: anyone may join */
    char moderator_password[CV_CONFIG_SECRET_MAX + 1]; /* "" = the first to join moderates */
    int layout;                                        /* CV_LAYOUT_MODE_*, grid */
    int recording; /* recording: a moderator may record this room (with [recording] on), yes */
    int lobby;     /* CV_LOBBY_*: lobby = no|yes|all, no */
} cv_config_room_t;

/* Who waits in a room's waiting room (lobby.h): nobody; everyone but
 * moderators and joins presenting the room's password; everyone but
 * moderators. */
enum { CV_LOBBY_NO = 0, CV_LOBBY_YES = 1, CV_LOBBY_ALL = 2 };

typedef struct {
    char http_listen[64]; /* [http] listen: IPv4/IPv6 literal to bind, "127.0.0.1" */
    int http_port;        /* [http] port: 1..65535, 8080 */
    char www_root[512];   /* [http] www: directory of the browser client */
    long http_max_body;   /* [http] max_body: bytes, 1024..1048576, 65536 */
    char http_cert[512];  /* [http] cert: PEM certificate chain, "" = no TLS */
    char http_key[512];   /* [http] key: PEM private key of cert, "" = no TLS */
    int http_trust_proxy; /* [http] trust_proxy: X-Forwarded-For from loopback or proxy_networks, no
                           */
    int http_max_conns;   /* [http] max_connections: 4..100000, 512 */
    int http_conns_per_ip;          /* [http] max_connections_per_ip: 0 = no limit, 64 */
    int http_joins_per_minute;      /* [http] joins_per_minute: per address, 0 = any, 30 */
    char http_metrics_token[129];   /* [http] metrics_token: Bearer for remote /metrics, "" */
    int http_request_timeout;       /* [http] request_timeout: s for a whole request, 10 */
    char http_proxy_networks[512];  /* [http] proxy_networks: "" = none (netlist.h) */
    int ice_port_min, ice_port_max; /* [ice] port_min / port_max: 1024..65535, 40000..40999 */
    char ice_addresses[512];        /* [ice] addresses: "a,b,c" IP literals, "" = automatic */
    char ice_public_ip[64];         /* [ice] public_ip: IPv4 announced for 1:1 NAT, "" = none */
    int ice_timeout;                /* [ice] timeout: s for ICE + DTLS set-up, 1..120, 30 */
    int ice_tcp;                    /* [ice] tcp: TCP-passive candidates (ICE-TCP) too, yes */
    int ice_check_timeout;          /* [ice] check_timeout: s to the peer's first check, 10 */
    int ice_private_candidates;     /* [ice] allow_private_candidates: CV_CAND_PRIVATE_*, auto */
    int ice_threads;                /* [ice] threads: network loops, 0..16, 0 = auto */
    int mixer_threads;              /* [mixer] threads: 1..64, 2 */
    int mixer_fps;                  /* [mixer] fps: composite frames a second, 1..60, 30 */
    int mixer_width, mixer_height;  /* [mixer] width/height: composite size, even, 1280x720 */
    int mixer_video_kbps;           /* [mixer] video_kbps: composite bit rate, 50..8000, 1500 */
    int mixer_audio_kbps;           /* [mixer] audio_kbps: each mix's Opus rate, 8..128, 32 */
    int mixer_max_speakers;         /* [mixer] max_speakers: voices decoded and mixed, 1..16, 3 */
    int mixer_hidden_kbps;          /* [mixer] hidden_bitrate: kbit/s asked of unseen senders, 50 */
    cv_tiers_t mixer_tiers;         /* [mixer] tiers: output tiers, CV_TIERS_DEFAULT */
    int rooms_open;                 /* [rooms] open: any room name may be joined, yes */
    char rooms_names[1024];         /* [rooms] names: "a,b" rooms allowed when not open, "" */
    int rooms_max_participants;     /* [rooms] max_participants: 1..1000, 16 */
    int rooms_max;                  /* [rooms] max_rooms: 1..1000, 32 */
    int rooms_max_sessions;         /* [rooms] max_sessions: all sessions, 1..10000, 256 */
    int rooms_max_pending_per_addr; /* [rooms] max_pending_per_address: 0 = any, 8 */
    int rooms_max_rooms_per_addr;   /* [rooms] max_rooms_per_address: 0 = any, 4 */
    int rooms_lobby_max;            /* [rooms] lobby_max: waiting a room, 1..1000, 32 */
    int rooms_lobby_timeout; /* [rooms] lobby_timeout: seconds a wait lasts, 10..86400, 600 */
    int log_level;           /* [log] level: CV_LOG_* from log.h, CV_LOG_WARN */

    /* [turn]: TURN servers handed to the clients, with short-lived credentials */
    char turn_urls[1024]; /* [turn] urls: "turn:h:p?transport=udp,turns:..", "" */
    char turn_secret[CV_CONFIG_SECRET_MAX + 1]; /* [turn] secret: shared with the TURN server */
    char turn_secret_file[512]; /* [turn] secret_file: a file holding it, "" = none */
    int turn_ttl;               /* [turn] ttl: s a credential lasts, 60..604800, 86400 */

    /* [recording]: a moderator records the room's picture and sound to WebM files */
    int rec_enabled;     /* [recording] enabled: recordings may be started, no */
    char rec_dir[512];   /* [recording] dir: where the files go (made 0700), CV_RECORD_DIR */
    long rec_max_bytes;  /* [recording] max_bytes: a recording stops at this size, 0 = none */
    int rec_max_seconds; /* [recording] max_seconds: ... or after this long, 0 = none, 14400 */

    cv_config_room_t rooms[CV_CONFIG_ROOMS_MAX]; /* [room NAME] sections, in file order */
    int n_rooms;
} cv_config_t;

/* "no", "yes", "all" <-> CV_LOBBY_*; parse returns CV_E_INVAL for another word. */
int cv_config_lobby_parse(const char *v);
const char *cv_config_lobby_name(int mode);
/* The [room NAME] section of room (names compared without regard to case), or NULL. */
const cv_config_room_t *cv_config_room(const cv_config_t *c, const char *room);

/* Sets every field to its default. www_root is "www" if ./www/index.html
 * exists (running from the source tree), else CV_DATADIR "/www". */
void cv_config_defaults(cv_config_t *c);

/* Loads the ini file at path on top of the current values of *c. All or
 * nothing: on error *c is left as it was. ice_addresses is stored without
 * spaces ("10.0.0.2,::1"). The [room NAME] sections of the file replace
 * the rooms of *c.
 * Returns 0; CV_E_IO if the file cannot be opened or read; CV_E_INVAL on the
 * first bad line (loading stops there). On error err (if errcap > 0) holds one
 * line without newline, "<path>:<line>: <reason>" or "<path>: <reason>":
 *   conclave.ini:7: unknown key 'prot' in [http]
 *   conclave.ini:3: port: '99999' is not an integer in 1..65535
 *   conclave.ini:1: unknown section [htp]
 *   conclave.ini: cannot open: No such file or directory */
int cv_config_load(cv_config_t *c, const char *path, char *err, size_t errcap);

/* The same for ini text held in memory (borrowed until return); name stands
 * for the path in messages. Returns 0 or CV_E_INVAL. */
int cv_config_load_string(cv_config_t *c, const char *name, const char *text, char *err,
                          size_t errcap);

/* A reload (SIGHUP): old is in force, next was just loaded from the file.
 * For each key whose value differs, in the order of the key table, calls
 * changed(ud, section, key, reloadable) (changed may be NULL); a key that
 * needs a restart (listen, ports, [ice], [mixer], ...) gets its old value
 * back in *next, so that *next is what will be in force. Whether a key is
 * reloadable is a flag of its entry in config.c's table (conclave.ini(5)
 * says which are). Returns the number of changed keys that need a restart.
 * Pure. */
int cv_config_reload_merge(const cv_config_t *old, cv_config_t *next,
                           void (*changed)(void *ud, const char *section, const char *key,
                                           int reloadable),
                           void *ud);

/* Room names (in [rooms] names and in URLs): 1..64 of [A-Za-z0-9_-].
 * cv_config_room_chars checks the characters only. Pure. */
int cv_config_room_name(const char *s, size_t len);
int cv_config_room_chars(const char *s, size_t len);

/* Whether room may be opened now: [rooms] open, or room is in [rooms] names.
 * Pure. */
int cv_config_room_allowed(const cv_config_t *c, const char *room);

/* A TURN secret as [turn] secret and secret_file take it: 1..CV_CONFIG_SECRET_MAX
 * printable ASCII characters, no blank at either end. Pure. */
int cv_config_secret_ok(const char *s);

#endif
