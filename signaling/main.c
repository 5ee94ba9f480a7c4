/*
 * main.c - the conclave daemon: options, configuration, start-up of the
 * network loop, mixer pool and clock, and HTTP server; a reload of the
 * configuration file on SIGHUP and a clean stop on SIGINT or SIGTERM
 * (conclave(8) SIGNALS). The main thread only waits for signals.
 */
#include "api.h"
#include "config.h"
#include "dtls.h"
#include "err.h"
#include "http.h"
#include "ice.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "mixer.h"
#include "settings.h"
#include "pool.h"
#include "srtp.h"
#include "turn.h"
#include "webm.h"

#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define CONCLAVE_VERSION "0.1.0"
#define MAX_ADDRESSES CV_ICE_MAX_LOCAL

static void usage(FILE *f)
{
    fprintf(f, "usage: conclave [-c conclave.ini] [-h] [-V]\n"
               "  -c FILE  read settings from FILE (default: built-in defaults)\n"
               "  -h       show this help\n"
               "  -V       show the version\n"
               "See conclave(8) and conclave.ini(5).\n");
}

/* Splits "a,b,c" in place into at most max pointers; -1 if there are more. */
static int split_addresses(char *list, const char **out, int max)
{
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return -1;
        out[n++] = tok;
    }
    return n;
}

/* GLib and libnice messages may carry addresses (a candidate, a peer): their
 * text goes to the debug level only; a warning or worse says at the default
 * level that one happened and where, without the text. */
static void glib_message(const char *domain, GLogLevelFlags level, const char *text)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        CV_WARN("%s: a %s (its text at [log] level = debug)", domain ? domain : "glib",
                (level & G_LOG_LEVEL_WARNING) ? "warning" : "critical error");
    CV_DEBUG("%s: %s", domain ? domain : "glib", text ? text : "");
}

static void glib_handler(const gchar *domain, GLogLevelFlags level, const gchar *text, gpointer u)
{
    glib_message(domain, level, text);
}

static GLogWriterOutput glib_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                    gpointer u)
{
    const char *domain = NULL, *text = NULL;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
            domain = fields[i].value;
        else if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
            text = fields[i].value;
    }
    glib_message(domain, level, text);
    return G_LOG_WRITER_HANDLED;
}

/* Plain HTTP is for this machine, or for the proxies of [http] proxy_networks
 * (a backend network the administrator named): without either a certificate
 * or proxy_networks a non-loopback listen address becomes the loopback
 * address of its family, with a warning. */
static void loopback_unless_tls(cv_config_t *cfg)
{
    if (cfg->http_cert[0] || cfg->http_proxy_networks[0] || cv_http_is_loopback(cfg->http_listen))
        return;
    const char *lo = strchr(cfg->http_listen, ':') ? "::1" : "127.0.0.1";
    CV_WARN("no [http] cert: listening on %s only, not %s; put a TLS reverse proxy in front, "
            "or name the proxies' network in [http] proxy_networks (see conclave(8) HTTPS)",
            lo, cfg->http_listen);
    snprintf(cfg->http_listen, sizeof(cfg->http_listen), "%s", lo);
}

#define SHUTDOWN_STREAMS_MS 1500 /* event streams get this long to take their last event */
#define SHUTDOWN_LIMIT_S 5       /* the whole stop, at most */

static void mixer_limits(const cv_config_t *c, cv_mixer_cfg_t *m)
{
    m->room.max_participants = c->rooms_max_participants;
    m->max_rooms = c->rooms_max;
    m->open_rooms = c->rooms_open;
    m->names = c->rooms_names;
}

static void on_changed(void *ud, const char *section, const char *key, int reloadable)
{
    (void)ud;
    if (reloadable)
        CV_INFO("reload: [%s] %s changed", section, key);
    else
        CV_WARN("reload: [%s] %s changed, needs a restart", section, key);
}

/* SIGHUP: reads the file again (defaults first, as at start) and puts in
 * force what may change while running; a file with an error changes nothing. */
static void reload(const char *path, cv_settings_t *settings, cv_mixer_t *mixer, cv_api_t *api)
{
    if (!path) {
        CV_WARN("reload: no configuration file (-c) to read again");
        return;
    }
    cv_config_t *next = cv_xmalloc(sizeof(*next));
    char err[512];
    cv_config_defaults(next);
    if (cv_config_load(next, path, err, sizeof(err)) < 0 ||
        cv_turn_read_secret(next, err, sizeof(err)) < 0) {
        CV_ERROR("reload: %s; the settings in force are kept", err);
        free(next);
        return;
    }
    cv_log_set_level(next->log_level); /* first, so the lines below follow it */
    const cv_config_t *old = cv_settings_hold(settings);
    int restart = cv_config_reload_merge(old, next, on_changed, NULL);
    cv_settings_release(old);
    cv_settings_replace(settings, next);
    cv_mixer_cfg_t limits = {0};
    mixer_limits(next, &limits);
    cv_mixer_set_limits(mixer, &limits);
    cv_api_set_rooms(api, next); /* [room NAME] passwords and layouts */
    CV_INFO("reload: settings of %s in force (%d change%s need a restart)", path, restart,
            restart == 1 ? "" : "s");
    free(next);
}

/* The stop must not hang on a stuck client or thread: past SHUTDOWN_LIMIT_S
 * the process ends anyway, with status 1. */
static void *watchdog(void *arg)
{
    (void)arg;
    struct timespec ts = {.tv_sec = SHUTDOWN_LIMIT_S - 1, .tv_nsec = 500 * 1000 * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
    CV_ERROR("shutdown still not done after %d.5 s: exiting now", SHUTDOWN_LIMIT_S - 1);
    _exit(1);
    return NULL;
}

static int parse_args(int argc, char **argv, const char **config_path)
{
    int opt;
    while ((opt = getopt(argc, argv, "c:hV")) != -1) {
        switch (opt) {
        case 'c': *config_path = optarg; break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("conclave %s\n", CONCLAVE_VERSION); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "conclave: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Reads the configuration: the built-in defaults, then the file if one was
 * given. Sets the log level and routes GLib's messages through our log. */
static int load_config(const char *path, cv_config_t *cfg)
{
    cv_config_defaults(cfg);
    char err[512];
    if ((path && cv_config_load(cfg, path, err, sizeof(err)) < 0) ||
        cv_turn_read_secret(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    cv_log_set_level(cfg->log_level);
    g_log_set_default_handler(glib_handler, NULL);
    g_log_set_writer_func(glib_writer, NULL, NULL);
    return 0;
}

/* Signals go to the main thread only: block them before any thread starts;
 * returns the set that main waits for. */
static sigset_t block_signals(void)
{
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    return sigs;
}

/* What the daemon runs, started by start() and stopped by stop() in its
 * order. The ICE addresses point into addr_buf, which lives as long. */
struct daemon {
    char addr_buf[sizeof(((cv_config_t *)0)->ice_addresses)];
    const char *addresses[MAX_ADDRESSES];
    int n_addresses;
    cv_settings_t *settings;
    cv_dtls_cert_t *cert;
    cv_loop_t *loops[CV_CONFIG_NET_THREADS_MAX]; /* [0] also runs the API's tick */
    int n_loops;
    cv_pool_t *pool;
    cv_mixer_t *mixer;
    cv_api_t *api;
    cv_http_t *http;
};

/* The addresses of the host candidates: [ice] addresses, else those found. */
static int local_addresses(const cv_config_t *cfg, struct daemon *d)
{
    if (cfg->ice_addresses[0])
        snprintf(d->addr_buf, sizeof(d->addr_buf), "%s", cfg->ice_addresses);
    else
        cv_ice_default_addresses(d->addr_buf, sizeof(d->addr_buf));
    d->n_addresses = split_addresses(d->addr_buf, d->addresses, MAX_ADDRESSES);
    if (d->n_addresses < 0 && !cfg->ice_addresses[0])
        d->n_addresses = MAX_ADDRESSES; /* automatic: the first ones found */
    if (d->n_addresses < 0) {
        fprintf(stderr, "conclave: [ice] addresses: at most %d addresses\n", MAX_ADDRESSES);
        return -1;
    }
    return 0;
}

static void mixer_config(const cv_config_t *cfg, cv_mixer_cfg_t *mcfg)
{
    *mcfg = (cv_mixer_cfg_t){
        .room = {.width = cfg->mixer_width,
                 .height = cfg->mixer_height,
                 .fps = cfg->mixer_fps,
                 .video_kbps = cfg->mixer_video_kbps,
                 .audio_bps = cfg->mixer_audio_kbps * 1000,
                 .max_participants = cfg->rooms_max_participants,
                 .max_speakers = cfg->mixer_max_speakers,
                 .hidden_kbps = cfg->mixer_hidden_kbps,
                 .n_tiers = cfg->mixer_tiers.n},
        .max_rooms = cfg->rooms_max,
        .open_rooms = cfg->rooms_open,
        .names = cfg->rooms_names,
    };
    /* output tiers for weak links ([mixer] tiers), none faster than the room's tick */
    for (int i = 0; i < cfg->mixer_tiers.n; i++) {
        const cv_tier_t *t = &cfg->mixer_tiers.t[i];
        mcfg->room.tiers[i].width = t->width;
        mcfg->room.tiers[i].height = t->height;
        mcfg->room.tiers[i].fps = t->fps < cfg->mixer_fps ? t->fps : cfg->mixer_fps;
        mcfg->room.tiers[i].kbps = t->kbps;
    }
}

/* The HTTP API and its sessions, on the network loop and the mixer. */
static int start_api(struct daemon *d, const cv_config_t *cfg)
{
    cv_session_env_t env = {
        .loop = d->loops[0],
        .loops = d->loops,
        .n_loops = d->n_loops,
        .mixer = d->mixer,
        .cert = d->cert,
        .ice = {.addresses = d->addresses,
                .n_addresses = d->n_addresses,
                .public_ip = cfg->ice_public_ip,
                .port_min = cfg->ice_port_min,
                .port_max = cfg->ice_port_max,
                .tcp = cfg->ice_tcp,
                .check_timeout_us = (int64_t)cfg->ice_check_timeout * 1000000},
        .connect_timeout_us = (int64_t)cfg->ice_timeout * 1000000,
        .private_candidates = cfg->ice_private_candidates,
        .tiers = cfg->mixer_tiers,
    };
    d->api = cv_api_create(&env, cfg->www_root, cfg->rooms_max_sessions);
    if (!d->api) {
        fprintf(stderr, "conclave: www directory '%s' not usable\n", cfg->www_root);
        return -1;
    }
    cv_api_set_rooms(d->api, cfg);
    cv_api_set_settings(d->api, d->settings);
    return 0;
}

static int start_http(struct daemon *d, cv_config_t *cfg)
{
    loopback_unless_tls(cfg);
    cv_http_cfg_t hcfg = {
        .listen = cfg->http_listen,
        .port = cfg->http_port,
        .max_body = cfg->http_max_body,
        .cert = cfg->http_cert,
        .key = cfg->http_key,
        .trust_proxy = cfg->http_trust_proxy,
        .proxy_networks = cfg->http_proxy_networks,
        .max_conns = cfg->http_max_conns,
        .conns_per_ip = cfg->http_conns_per_ip,
        .joins_per_minute = cfg->http_joins_per_minute,
        .request_timeout = cfg->http_request_timeout,
    };
    char err[512];
    d->http = cv_http_start(d->api, &hcfg, err, sizeof(err));
    if (!d->http) {
        fprintf(stderr, "conclave: %s\n", err);
        return -1;
    }
    int v6 = strchr(cfg->http_listen, ':') != NULL;
    fprintf(stderr, "conclave %s: serving %s://%s%s%s:%d/ (%d mixer threads, %d network threads)\n",
            CONCLAVE_VERSION, cv_http_tls(d->http) ? "https" : "http", v6 ? "[" : "",
            cfg->http_listen, v6 ? "]" : "", cfg->http_port, cfg->mixer_threads, d->n_loops);
    return 0;
}

/* [ice] threads, or for 0 one a core up to AUTO_NET_THREADS. */
static int net_threads(const cv_config_t *cfg)
{
    enum { AUTO_NET_THREADS = 4 };
    if (cfg->ice_threads > 0)
        return cfg->ice_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > AUTO_NET_THREADS ? AUTO_NET_THREADS : (int)n;
}

/* Starts everything in order; on a failure what started is left to stop(). */
static int start(struct daemon *d, cv_config_t *cfg)
{
    if (cv_srtp_global_init() < 0) {
        fprintf(stderr, "conclave: SRTP library initialisation failed\n");
        return -1;
    }
    d->cert = cv_dtls_cert_create();
    if (!d->cert) {
        fprintf(stderr, "conclave: could not create the DTLS certificate\n");
        return -1;
    }
    d->n_loops = net_threads(cfg);
    for (int i = 0; i < d->n_loops; i++) {
        char name[24]; /* the kernel keeps 15 bytes of a thread's name */
        snprintf(name, sizeof(name), "cv-net-%d", i);
        d->loops[i] = cv_loop_create(name);
    }
    if (cfg->rec_enabled && !cv_webm_load()) /* the first recording then starts at once */
        fprintf(stderr, "conclave: recordings are enabled but FFmpeg's libavformat is missing\n");
    d->pool = cv_pool_create(cfg->mixer_threads);
    if (!d->pool) {
        fprintf(stderr, "conclave: could not start %d mixer threads\n", cfg->mixer_threads);
        return -1;
    }
    cv_mixer_cfg_t mcfg;
    mixer_config(cfg, &mcfg);
    d->mixer = cv_mixer_create(d->pool, &mcfg);
    if (!d->mixer) {
        fprintf(stderr, "conclave: could not start the mixer clock\n");
        return -1;
    }
    if (start_api(d, cfg) < 0 || start_http(d, cfg) < 0)
        return -1;
    return 0;
}

/* Waits for signals: SIGHUP reloads, SIGINT or SIGTERM returns, with the
 * watchdog started for the stop. */
static void serve(struct daemon *d, const char *config_path, const sigset_t *sigs)
{
    int sig = 0;
    while (sigwait(sigs, &sig) == 0 && sig == SIGHUP)
        reload(config_path, d->settings, d->mixer, d->api);
    CV_INFO("signal %d: shutting down", sig);
    pthread_t dog;
    if (pthread_create(&dog, NULL, watchdog, NULL) == 0)
        pthread_detach(dog);
}

/* Stops what start() started, in this order; each part may be NULL. */
static void stop(struct daemon *d)
{
    if (d->api) /* every browser hears why, then the streams end so the HTTP server can stop */
        cv_api_end_streams(d->api, "The server is shutting down", SHUTDOWN_STREAMS_MS);
    cv_http_stop(d->http);  /* no new requests */
    cv_api_destroy(d->api); /* ends every session */
    cv_mixer_destroy(d->mixer);
    for (int i = 0; i < d->n_loops; i++)
        cv_loop_destroy(d->loops[i]);
    cv_pool_destroy(d->pool);
    cv_dtls_cert_destroy(d->cert);
    cv_settings_destroy(d->settings);
}

/* Open files a session holds: its UDP socket, its ICE-TCP listener, a timer,
 * and a client's event stream; and what the daemon holds besides. */
#define FDS_PER_SESSION 4
#define FDS_BASE 64

/* The soft limit on open files goes up to the hard one: at the usual soft
 * 1024 a room would stop at about 250 sessions. A warning when even the hard
 * limit cannot hold a full room, or as many sessions as the server takes. */
static void raise_nofile(const cv_config_t *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur != rl.rlim_max) {
        rlim_t soft = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            rl.rlim_cur = soft;
    }
    int sessions = cfg->rooms_max_sessions > cfg->rooms_max_participants
                       ? cfg->rooms_max_sessions
                       : cfg->rooms_max_participants;
    rlim_t need = FDS_BASE + (rlim_t)sessions * FDS_PER_SESSION;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
        CV_WARN("open files are limited to %llu: %d sessions ([rooms] max_participants, "
                "max_sessions) need about %llu; raise the hard limit (LimitNOFILE=)",
                (unsigned long long)rl.rlim_cur, sessions, (unsigned long long)need);
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
    /* A fixed threshold: blocks of 128 KiB and more (pictures, decoder
     * buffers) are mapped and given back when freed. glibc would otherwise
     * raise it to the largest block freed so far, and keep the memory of a
     * big room that ended. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    const char *config_path = NULL;
    if (parse_args(argc, argv, &config_path) < 0)
        return 1;
    cv_config_t cfg;
    if (load_config(config_path, &cfg) < 0)
        return 1;
    raise_nofile(&cfg);
    sigset_t sigs = block_signals();
    struct daemon d = {0};
    if (local_addresses(&cfg, &d) < 0)
        return 1;
    int rc = 1;
    d.settings = cv_settings_create(&cfg);
    if (start(&d, &cfg) == 0) {
        serve(&d, config_path, &sigs);
        rc = 0;
    }
    stop(&d);
    return rc;
}
