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

#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Plain HTTP is for this machine only: without [http] cert a non-loopback
 * listen address becomes the loopback address of its family, with a warning. */
static void loopback_unless_tls(cv_config_t *cfg)
{
    if (cfg->http_cert[0] || cv_http_is_loopback(cfg->http_listen))
        return;
    const char *lo = strchr(cfg->http_listen, ':') ? "::1" : "127.0.0.1";
    CV_WARN("no [http] cert: listening on %s only, not %s; put a TLS reverse proxy in front "
            "(see conclave(8) HTTPS)",
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
    if (cv_config_load(next, path, err, sizeof(err)) < 0) {
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

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    if (parse_args(argc, argv, &config_path) < 0)
        return 1;
    cv_config_t cfg;
    cv_config_defaults(&cfg);
    char err[512];
    if (config_path && cv_config_load(&cfg, config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    cv_log_set_level(cfg.log_level);
    g_log_set_default_handler(glib_handler, NULL);
    g_log_set_writer_func(glib_writer, NULL, NULL);

    /* Signals go to the main thread only: block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    char addr_buf[sizeof(cfg.ice_addresses)];
    if (cfg.ice_addresses[0])
        snprintf(addr_buf, sizeof(addr_buf), "%s", cfg.ice_addresses);
    else
        cv_ice_default_addresses(addr_buf, sizeof(addr_buf));
    const char *addresses[MAX_ADDRESSES];
    int n_addresses = split_addresses(addr_buf, addresses, MAX_ADDRESSES);
    if (n_addresses < 0 && !cfg.ice_addresses[0])
        n_addresses = MAX_ADDRESSES; /* automatic: the first ones found */
    if (n_addresses < 0) {
        fprintf(stderr, "conclave: [ice] addresses: at most %d addresses\n", MAX_ADDRESSES);
        return 1;
    }

    int rc = 1;
    cv_dtls_cert_t *cert = NULL;
    cv_loop_t *loop = NULL;
    cv_pool_t *pool = NULL;
    cv_mixer_t *mixer = NULL;
    cv_api_t *api = NULL;
    cv_http_t *http = NULL;
    cv_settings_t *settings = cv_settings_create(&cfg);
    if (cv_srtp_global_init() < 0) {
        fprintf(stderr, "conclave: SRTP library initialisation failed\n");
        goto out;
    }
    cert = cv_dtls_cert_create();
    if (!cert) {
        fprintf(stderr, "conclave: could not create the DTLS certificate\n");
        goto out;
    }
    loop = cv_loop_create("cv-net");
    pool = cv_pool_create(cfg.mixer_threads);
    if (!pool) {
        fprintf(stderr, "conclave: could not start %d mixer threads\n", cfg.mixer_threads);
        goto out;
    }
    cv_mixer_cfg_t mcfg = {
        .room = {.width = cfg.mixer_width,
                 .height = cfg.mixer_height,
                 .fps = cfg.mixer_fps,
                 .video_kbps = cfg.mixer_video_kbps,
                 .audio_bps = cfg.mixer_audio_kbps * 1000,
                 .max_participants = cfg.rooms_max_participants,
                 .max_speakers = cfg.mixer_max_speakers,
                 .hidden_kbps = cfg.mixer_hidden_kbps,
                 .n_tiers = cfg.mixer_tiers.n},
        .max_rooms = cfg.rooms_max,
        .open_rooms = cfg.rooms_open,
        .names = cfg.rooms_names,
    };
    /* output tiers for weak links ([mixer] tiers), none faster than the room's tick */
    for (int i = 0; i < cfg.mixer_tiers.n; i++) {
        const cv_tier_t *t = &cfg.mixer_tiers.t[i];
        mcfg.room.tiers[i].width = t->width;
        mcfg.room.tiers[i].height = t->height;
        mcfg.room.tiers[i].fps = t->fps < cfg.mixer_fps ? t->fps : cfg.mixer_fps;
        mcfg.room.tiers[i].kbps = t->kbps;
    }
    mixer = cv_mixer_create(pool, &mcfg);
    if (!mixer) {
        fprintf(stderr, "conclave: could not start the mixer clock\n");
        goto out;
    }
    cv_session_env_t env = {
        .loop = loop,
        .mixer = mixer,
        .cert = cert,
        .ice = {.addresses = addresses,
                .n_addresses = n_addresses,
                .public_ip = cfg.ice_public_ip,
                .port_min = cfg.ice_port_min,
                .port_max = cfg.ice_port_max},
        .connect_timeout_us = (int64_t)cfg.ice_timeout * 1000000,
        .tiers = cfg.mixer_tiers,
    };
    api = cv_api_create(&env, cfg.www_root, cfg.rooms_max_sessions);
    if (!api) {
        fprintf(stderr, "conclave: www directory '%s' not usable\n", cfg.www_root);
        goto out;
    }
    cv_api_set_rooms(api, &cfg);
    cv_api_set_settings(api, settings);
    loopback_unless_tls(&cfg);
    cv_http_cfg_t hcfg = {
        .listen = cfg.http_listen,
        .port = cfg.http_port,
        .max_body = cfg.http_max_body,
        .cert = cfg.http_cert,
        .key = cfg.http_key,
        .trust_proxy = cfg.http_trust_proxy,
        .max_conns = cfg.http_max_conns,
        .conns_per_ip = cfg.http_conns_per_ip,
        .joins_per_minute = cfg.http_joins_per_minute,
    };
    http = cv_http_start(api, &hcfg, err, sizeof(err));
    if (!http) {
        fprintf(stderr, "conclave: %s\n", err);
        goto out;
    }
    int v6 = strchr(cfg.http_listen, ':') != NULL;
    fprintf(stderr, "conclave %s: serving %s://%s%s%s:%d/ (%d mixer threads)\n", CONCLAVE_VERSION,
            cv_http_tls(http) ? "https" : "http", v6 ? "[" : "", cfg.http_listen, v6 ? "]" : "",
            cfg.http_port, cfg.mixer_threads);

    int sig = 0;
    while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
        reload(config_path, settings, mixer, api);
    CV_INFO("signal %d: shutting down", sig);
    pthread_t dog;
    if (pthread_create(&dog, NULL, watchdog, NULL) == 0)
        pthread_detach(dog);
    rc = 0;
out:
    if (api) /* every browser hears why, then the streams end so the HTTP server can stop */
        cv_api_end_streams(api, "The server is shutting down", SHUTDOWN_STREAMS_MS);
    cv_http_stop(http);  /* no new requests */
    cv_api_destroy(api); /* ends every session */
    cv_mixer_destroy(mixer);
    cv_loop_destroy(loop);
    cv_pool_destroy(pool);
    cv_dtls_cert_destroy(cert);
    cv_settings_destroy(settings);
    return rc;
}
