/*
 * api.c - the public HTTP interface's lifecycle: creating and destroying the
 * API, the settings and room sections it is given, the end of the event
 * streams at shutdown, and the tick on the network loop that publishes
 * active speaker changes and pings the event streams. The requests
 * themselves are answered in api_routes.c, api_sessions.c and api_files.c.
 */
#include "api_int.h"

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "moderation.h"

#include <jansson.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define TICK_MS 250   /* active speaker polling */
#define PING_TICKS 60 /* a comment on every event stream each 15 s */
#define REAP_TICKS 4  /* stalled event streams are looked for each second */

/* ---- active speakers and pings, on the network loop ---- */

/* Under the lock: the public id of the room's active speaker, or NULL. */
const char *cv_api_speaker_locked(cv_api_t *api, const char *room, int *index)
{
    *index = -1;
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if (cv_api_same_room(cv_session_room(s), room) && cv_session_part(s)) {
            *index = cv_mixer_active_speaker(cv_session_mixer_room(s));
            break;
        }
    }
    for (int i = 0; i < api->n_sessions && *index >= 0; i++) {
        cv_session_t *s = api->sessions[i];
        if (cv_api_same_room(cv_session_room(s), room) && cv_session_part(s) &&
            cv_part_index(cv_session_part(s)) == *index)
            return cv_session_info(s)->public_id;
    }
    return NULL;
}

char *cv_api_speakers_json(const char *public_id)
{
    json_t *o = json_pack("{s:o}", "active", public_id ? json_string(public_id) : json_null());
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Loop thread, every TICK_MS: a speakers event where the active speaker changed. */
static void poll_room(const char *room, void *ud)
{
    cv_api_t *api = ud;
    if (room[0] == '~')
        return; /* the streams of waiters (api_lobby.c): no room, no speakers */
    int idx;
    char id[17] = "";
    pthread_mutex_lock(&api->lock);
    const char *pub = cv_api_speaker_locked(api, room, &idx);
    if (pub)
        snprintf(id, sizeof(id), "%s", pub);
    pthread_mutex_unlock(&api->lock);
    int slot = -1;
    for (int i = 0; i < api->n_spk && slot < 0; i++)
        if (strcmp(api->spk[i].room, room) == 0)
            slot = i;
    if (slot < 0) {
        if (api->n_spk == SPEAKER_ROOMS)
            api->n_spk = 0; /* forget the oldest rooms: they publish once more */
        slot = api->n_spk++;
        snprintf(api->spk[slot].room, sizeof(api->spk[slot].room), "%s", room);
        api->spk[slot].active = -2;
    }
    int now = id[0] ? idx : -1;
    if (api->spk[slot].active == now)
        return;
    api->spk[slot].active = now;
    char *json = cv_api_speakers_json(id[0] ? id : NULL);
    cv_events_publish(api->events, room, "speakers", json);
    free(json);
}

static gboolean tick_cb(gpointer arg)
{
    cv_api_t *api = arg;
    cv_events_each_room(api->events, poll_room, api);
    if (++api->ticks % PING_TICKS == 0)
        cv_events_ping(api->events);
    if (api->ticks % REAP_TICKS == 0) {
        cv_events_reap(api->events, cv_now_us());
        cv_api_lobby_tick(api);
        cv_api_breakout_tick(api);
    }
    cv_api_record_tick(api);
    return G_SOURCE_CONTINUE;
}

static gboolean flush_cb(gpointer arg)
{
    cv_api_flush_rooms(arg);
    return G_SOURCE_CONTINUE;
}

static void stop_tick(void *arg)
{
    cv_api_t *api = arg;
    g_source_destroy(api->tick);
    g_source_unref(api->tick);
    g_source_destroy(api->flush);
    g_source_unref(api->flush);
}

static void barrier(void *arg)
{
}

/* ---- lifecycle and settings ---- */

void cv_api_set_rooms(cv_api_t *api, const cv_config_t *cfg)
{
    pthread_mutex_lock(&api->lock);
    cv_moderation_set_config(api->mod, cfg);
    pthread_mutex_unlock(&api->lock);
}

cv_events_t *cv_api_events(cv_api_t *api)
{
    return api->events;
}

void cv_api_end_streams(cv_api_t *api, const char *reason, int wait_ms)
{
    atomic_store(&api->stopping, 1);
    json_t *o = json_pack("{s:s}", "reason", reason ? reason : "");
    char *json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    cv_events_broadcast(api->events, "shutdown", json);
    free(json);
    if (cv_events_end_all(api->events, wait_ms) < 0)
        CV_WARN("event streams still open at shutdown");
}

void cv_api_set_settings(cv_api_t *api, cv_settings_t *settings)
{
    api->settings = settings;
}

cv_settings_t *cv_api_settings(cv_api_t *api)
{
    return api->settings;
}

cv_api_t *cv_api_create(const cv_session_env_t *env, const char *www_root, int max_sessions)
{
    cv_api_t *api = cv_xcalloc(1, sizeof(*api));
    api->env = *env;
    api->env.on_failed = cv_api_on_session_failed;
    api->env.on_video_paused = cv_api_on_video_paused;
    api->env.ud = api;
    if (!realpath(www_root, api->www)) {
        CV_ERROR("www root %s: %s", www_root, strerror(errno));
        free(api);
        return NULL;
    }
    api->max_sessions = max_sessions;
    api->sessions = cv_xcalloc((size_t)max_sessions, sizeof(cv_session_t *));
    api->origins = cv_xcalloc((size_t)max_sessions, sizeof(cv_api_origin_t));
    if (getrandom(&api->client_seed, sizeof(api->client_seed), 0) != sizeof(api->client_seed))
        api->client_seed = (uint64_t)cv_now_us();
    pthread_mutex_init(&api->lock, NULL);
    api->events = cv_events_create();
    api->mod = cv_moderation_create();
    api->lobby = cv_lobby_create();
    api->breakouts = cv_breakouts_create();
    pthread_mutex_init(&api->pub_lock, NULL);
    api->pubs = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
    api->rates = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
    api->tokens = cv_streamtok_create(max_sessions);
    cv_api_record_init(api);
    cv_api_files_init(api);
    api->tick = g_timeout_source_new(TICK_MS);
    g_source_set_callback(api->tick, tick_cb, api, NULL);
    g_source_attach(api->tick, cv_loop_context(env->loop));
    api->flush = g_timeout_source_new(CV_API_FLUSH_MS);
    g_source_set_callback(api->flush, flush_cb, api, NULL);
    g_source_attach(api->flush, cv_loop_context(env->loop));
    return api;
}

void cv_api_destroy(cv_api_t *api)
{
    if (!api)
        return;
    cv_loop_call_sync(api->env.loop, stop_tick, api); /* never under a running tick_cb */
    cv_api_record_end_all(api); /* SIGTERM: every file is finished before the rooms go */
    for (;;) {
        pthread_mutex_lock(&api->lock);
        cv_session_t *s = api->n_sessions ? api->sessions[--api->n_sessions] : NULL;
        pthread_mutex_unlock(&api->lock);
        if (!s)
            break;
        cv_session_close(s);
    }
    /* closes queued on the loops before that (cv_session_close_from_loop) are
     * done once each loop ran one more call: nothing of a session outlives this */
    for (int i = 0; i < api->env.n_loops; i++)
        cv_loop_call_sync(api->env.loops[i], barrier, NULL);
    pthread_mutex_destroy(&api->lock);
    pthread_mutex_destroy(&api->pub_lock);
    g_hash_table_destroy(api->pubs);
    g_hash_table_destroy(api->rates);
    cv_api_record_cleanup(api);
    cv_api_files_cleanup(api);
    cv_events_destroy(api->events);
    cv_moderation_destroy(api->mod);
    cv_lobby_destroy(api->lobby);
    cv_breakouts_destroy(api->breakouts);
    cv_streamtok_destroy(api->tokens);
    free(api->sessions);
    free(api->origins);
    free(api);
}
