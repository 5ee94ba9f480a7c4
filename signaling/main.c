/*
 * main.c - the conclave daemon: options, configuration, start-up of the
 * network loop, mixer pool and clock, and HTTP server, and a clean stop on SIGINT or
 * SIGTERM. The main thread only waits for signals.
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
#include "pool.h"
#include "srtp.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONCLAVE_VERSION "0.1.0"
#define MAX_SESSIONS 256
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

    /* Signals go to the main thread only: block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
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
    /* output tiers for weak links: the composite, half its size at a third of
     * its bit rate, a quarter at half the frame rate and a tenth of the rate */
    int fps2 = cfg.mixer_fps > 1 ? cfg.mixer_fps / 2 : 1;
    int kb2 = cfg.mixer_video_kbps / 3 > 30 ? cfg.mixer_video_kbps / 3 : 30;
    int kb3 = cfg.mixer_video_kbps / 10 > 20 ? cfg.mixer_video_kbps / 10 : 20;
    cv_mixer_cfg_t mcfg = {
        .room = {.width = cfg.mixer_width,
                 .height = cfg.mixer_height,
                 .fps = cfg.mixer_fps,
                 .video_kbps = cfg.mixer_video_kbps,
                 .audio_bps = cfg.mixer_audio_kbps * 1000,
                 .max_participants = cfg.rooms_max_participants,
                 .max_speakers = cfg.mixer_max_speakers,
                 .hidden_kbps = cfg.mixer_hidden_kbps,
                 .n_tiers = 3,
                 .tiers = {{cfg.mixer_width, cfg.mixer_height, cfg.mixer_fps, cfg.mixer_video_kbps},
                           {(cfg.mixer_width / 2) & ~1, (cfg.mixer_height / 2) & ~1, cfg.mixer_fps,
                            kb2},
                           {(cfg.mixer_width / 4) & ~1, (cfg.mixer_height / 4) & ~1, fps2, kb3}}},
        .max_rooms = cfg.rooms_max,
        .open_rooms = cfg.rooms_open,
        .names = cfg.rooms_names,
    };
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
    };
    api = cv_api_create(&env, cfg.www_root, MAX_SESSIONS);
    if (!api) {
        fprintf(stderr, "conclave: www directory '%s' not usable\n", cfg.www_root);
        goto out;
    }
    http = cv_http_start(api, cfg.http_listen, cfg.http_port, cfg.http_max_body);
    if (!http) {
        fprintf(stderr, "conclave: cannot listen on %s port %d\n", cfg.http_listen, cfg.http_port);
        goto out;
    }
    fprintf(stderr, "conclave %s: serving http://%s%s%s:%d/ (%d mixer threads)\n", CONCLAVE_VERSION,
            strchr(cfg.http_listen, ':') ? "[" : "", cfg.http_listen,
            strchr(cfg.http_listen, ':') ? "]" : "", cfg.http_port, cfg.mixer_threads);

    int sig = 0;
    sigwait(&sigs, &sig);
    CV_INFO("signal %d: shutting down", sig);
    rc = 0;
out:
    if (api)
        cv_api_end_streams(api); /* event streams end, so the HTTP server can stop */
    cv_http_stop(http);          /* no new requests */
    cv_api_destroy(api);         /* ends every session */
    cv_mixer_destroy(mixer);
    cv_loop_destroy(loop);
    cv_pool_destroy(pool);
    cv_dtls_cert_destroy(cert);
    return rc;
}
