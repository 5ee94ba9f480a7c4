/*
 * api_record.c - recordings of rooms (mixer/recorder.h): a moderator's
 * record command starts or stops one; it also stops when its room empties,
 * at its limits, on a write error and at shutdown. Every start and stop is
 * told to everyone in the room (a "recording" event), a write error to the
 * moderators as well ("recording_error"); WHIP and WHEP answers and the
 * pre-join ice-servers answer carry Conclave-Recording. HTTP threads and the
 * network loop (the API's tick); the table of recordings is under the API's
 * lock, which is never held while a file is made or a writer joined.
 */
#include "api_int.h"

#include "log.h"
#include "mem.h"
#include "recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cv_api_record_init(cv_api_t *api)
{
    api->recs = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
    api->ended = g_ptr_array_new();
}

/* Everyone in the room hears of the change. */
static void announce(cv_api_t *api, const char *room, int on, const char *reason)
{
    char json[96];
    if (on)
        snprintf(json, sizeof(json), "{\"on\":true}");
    else
        snprintf(json, sizeof(json), "{\"on\":false,\"reason\":\"%s\"}", reason);
    cv_events_publish(api->events, room, "recording", json);
}

/* Under the lock: the recording of room is asked to stop and leaves the
 * table for the ended ones (stopped first: once there, the tick may free it
 * as soon as its writer is done). Returns 1, or 0 if none (or one still
 * starting). */
static int take_locked(cv_api_t *api, const char *room)
{
    cv_recorder_t *rec = g_hash_table_lookup(api->recs, room);
    if (!rec)
        return 0;
    cv_recorder_stop(rec);
    g_hash_table_remove(api->recs, room);
    g_ptr_array_add(api->ended, rec);
    cv_moderation_set_recording(api->mod, room, 0);
    return 1;
}

static int stop_room(cv_api_t *api, const char *room, const char *reason)
{
    pthread_mutex_lock(&api->lock);
    int taken = take_locked(api, room);
    pthread_mutex_unlock(&api->lock);
    if (taken)
        announce(api, room, 0, reason);
    return taken;
}

static int sessions_in_locked(cv_api_t *api, const char *room)
{
    int n = 0;
    for (int i = 0; i < api->n_sessions; i++) {
        const char *r = cv_session_room(api->sessions[i]);
        n += r && strcmp(r, room) == 0;
    }
    return n;
}

/* What the settings in force say of recording room: 0 with cfg filled
 * (dir is copied to dir), or 403 with why. */
static int allowed(cv_api_t *api, const char *room, cv_recorder_cfg_t *cfg, char *dir,
                   size_t dircap, const char **why)
{
    if (!api->settings) {
        *why = "recording is disabled";
        return 403;
    }
    const cv_config_t *c = cv_settings_hold(api->settings);
    const cv_config_room_t *rc = cv_config_room(c, room);
    int st = 0;
    if (!c->rec_enabled) {
        *why = "recording is disabled";
        st = 403;
    } else if (rc && !rc->recording) {
        *why = "recording is forbidden in this room";
        st = 403;
    } else {
        snprintf(dir, dircap, "%s", c->rec_dir);
        cfg->dir = dir;
        cfg->max_bytes = c->rec_max_bytes;
        cfg->max_seconds = c->rec_max_seconds;
        cfg->width = c->mixer_tiers.n ? c->mixer_tiers.t[0].width : c->mixer_width;
        cfg->height = c->mixer_tiers.n ? c->mixer_tiers.t[0].height : c->mixer_height;
    }
    cv_settings_release(c);
    return st;
}

static void start_room(cv_api_t *api, const char *room, cv_api_resp_t *rs)
{
    cv_recorder_cfg_t cfg = {.room = room};
    char dir[sizeof(((cv_config_t *)0)->rec_dir)], why_buf[160];
    const char *why;
    int st = allowed(api, room, &cfg, dir, sizeof(dir), &why);
    if (st) {
        cv_api_fail(rs, 403, "recording-forbidden", "%s", why);
        return;
    }
    pthread_mutex_lock(&api->lock);
    int busy = g_hash_table_contains(api->recs, room);
    if (!busy) /* starting: a NULL place keeps a second start out */
        g_hash_table_insert(api->recs, cv_xstrdup(room), NULL);
    pthread_mutex_unlock(&api->lock);
    if (busy) {
        rs->status = 204; /* already on */
        rs->no_store = 1;
        return;
    }
    int err = 0;
    cv_recorder_t *rec =
        cv_recorder_start(api->env.mixer, &cfg, NULL, 0, &err, why_buf, sizeof(why_buf));
    pthread_mutex_lock(&api->lock);
    int empty = sessions_in_locked(api, room) == 0;
    if (rec && !empty) {
        g_hash_table_insert(api->recs, cv_xstrdup(room), rec);
        cv_moderation_set_recording(api->mod, room, 1);
    } else {
        g_hash_table_remove(api->recs, room);
        if (rec) { /* everyone left meanwhile */
            cv_recorder_stop(rec);
            g_ptr_array_add(api->ended, rec);
        }
    }
    pthread_mutex_unlock(&api->lock);
    if (!rec) {
        CV_WARN("recording: %s", why_buf);
        cv_api_fail(rs, 503, "recording-failed", "could not start the recording: %s", why_buf);
        return;
    }
    if (empty) {
        cv_api_fail(rs, 409, "room-empty", "the room emptied");
        return;
    }
    announce(api, room, 1, NULL);
    rs->status = 204;
    rs->no_store = 1;
}

void cv_api_record(cv_api_t *api, const char *room, int start, cv_api_resp_t *rs)
{
    if (start) {
        start_room(api, room, rs);
        return;
    }
    pthread_mutex_lock(&api->lock);
    int starting = g_hash_table_contains(api->recs, room) && !g_hash_table_lookup(api->recs, room);
    pthread_mutex_unlock(&api->lock);
    if (starting) {
        cv_api_fail(rs, 409, "recording-starting", "the recording is still starting");
        return;
    }
    stop_room(api, room, "stopped");
    rs->status = 204;
    rs->no_store = 1;
}

int cv_api_recording(cv_api_t *api, const char *room)
{
    pthread_mutex_lock(&api->lock);
    int on = g_hash_table_lookup(api->recs, room) != NULL;
    pthread_mutex_unlock(&api->lock);
    return on;
}

void cv_api_record_check_empty(cv_api_t *api, const char *room)
{
    pthread_mutex_lock(&api->lock);
    int empty = g_hash_table_lookup(api->recs, room) && sessions_in_locked(api, room) == 0;
    pthread_mutex_unlock(&api->lock);
    if (empty)
        stop_room(api, room, "empty");
}

/* A write error: each moderator of the room is told why. */
static void tell_moderators(cv_api_t *api, const char *room)
{
    pthread_mutex_lock(&api->lock);
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        const char *r = cv_session_room(s);
        if (r && strcmp(r, room) == 0 && cv_session_info(s)->moderator)
            cv_events_publish_to(api->events, cv_session_id(s), "recording_error",
                                 "{\"reason\":\"the recording could not be written (is the "
                                 "disk full?): it stopped, the meeting goes on\"}");
    }
    pthread_mutex_unlock(&api->lock);
}

/* Network loop, on the API's tick: recordings that ended by themselves are
 * announced; writers that finished are joined. */
void cv_api_record_tick(cv_api_t *api)
{
    GPtrArray *gone = g_ptr_array_new_with_free_func(free), *done = g_ptr_array_new();
    GArray *why = g_array_new(FALSE, FALSE, sizeof(int));
    pthread_mutex_lock(&api->lock);
    GHashTableIter it;
    gpointer room, rec;
    g_hash_table_iter_init(&it, api->recs);
    while (g_hash_table_iter_next(&it, &room, &rec)) {
        if (!rec || !cv_recorder_done(rec))
            continue;
        int state = cv_recorder_state(rec);
        g_ptr_array_add(gone, cv_xstrdup(room));
        g_array_append_val(why, state);
        cv_moderation_set_recording(api->mod, room, 0);
        g_ptr_array_add(api->ended, rec);
        g_hash_table_iter_remove(&it);
    }
    for (guint i = 0; i < api->ended->len;) {
        cv_recorder_t *r = g_ptr_array_index(api->ended, i);
        if (cv_recorder_done(r)) {
            g_ptr_array_add(done, r);
            g_ptr_array_remove_index_fast(api->ended, i);
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&api->lock);
    for (guint i = 0; i < gone->len; i++) {
        int state = g_array_index(why, int, i);
        const char *room_name = g_ptr_array_index(gone, i);
        announce(api, room_name, 0, state == CV_RECORDER_LIMIT ? "limit" : "error");
        if (state == CV_RECORDER_FAILED)
            tell_moderators(api, room_name);
    }
    for (guint i = 0; i < done->len; i++)
        cv_recorder_destroy(g_ptr_array_index(done, i)); /* its writer has returned */
    g_ptr_array_free(gone, TRUE);
    g_ptr_array_free(done, TRUE);
    g_array_free(why, TRUE);
}

void cv_api_record_end_all(cv_api_t *api)
{
    pthread_mutex_lock(&api->lock);
    GHashTableIter it;
    gpointer room, rec;
    g_hash_table_iter_init(&it, api->recs);
    while (g_hash_table_iter_next(&it, &room, &rec))
        if (rec)
            g_ptr_array_add(api->ended, rec);
    g_hash_table_remove_all(api->recs);
    GPtrArray *all = api->ended;
    api->ended = g_ptr_array_new();
    pthread_mutex_unlock(&api->lock);
    for (guint i = 0; i < all->len; i++)
        cv_recorder_stop(g_ptr_array_index(all, i));
    for (guint i = 0; i < all->len; i++)
        cv_recorder_destroy(g_ptr_array_index(all, i)); /* each file finished */
    g_ptr_array_free(all, TRUE);
}

void cv_api_record_cleanup(cv_api_t *api)
{
    /* cv_api_record_end_all ran first, while the lock existed: nothing is left */
    g_hash_table_destroy(api->recs);
    g_ptr_array_free(api->ended, TRUE);
}
