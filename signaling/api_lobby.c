/*
 * api_lobby.c - the waiting room of a room (conclave(8), WAITING ROOM): a
 * knock, the waiter's own event stream, the moderators' answers and the
 * gate every join passes. A waiter holds no session: it gets a ticket (128
 * random bits) that opens its event stream, and once a moderator lets it in,
 * one join. HTTP threads, and the network loop for the expiry tick; the
 * waiting lists live under the API's table lock.
 */
#include "api_int.h"

#include "access.h"
#include "clientaddr.h"
#include "clock.h"
#include "err.h"
#include "mem.h"
#include "names.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MIN 16 /* characters of a browser's own key */
#define KEY_MAX 64
#define WAITER_ROOM "~lobby" /* the streams of waiters: no room has this name */

static void settings_of(cv_api_t *api, int *max_room, int *max_part, int64_t *timeout_us)
{
    *max_room = 32;
    *max_part = 16;
    *timeout_us = 600 * 1000000LL;
    if (!api->settings)
        return;
    const cv_config_t *c = cv_settings_hold(api->settings);
    *max_room = c->rooms_lobby_max;
    *max_part = c->rooms_max_participants;
    *timeout_us = (int64_t)c->rooms_lobby_timeout * 1000000;
    cv_settings_release(c);
}

static void reply_json(cv_api_resp_t *rs, int status, json_t *o)
{
    rs->status = status;
    rs->content_type = "application/json";
    free(rs->body);
    rs->body = json_dumps(o, JSON_COMPACT);
    rs->body_len = strlen(rs->body);
    rs->no_store = 1;
    json_decref(o);
}

/* The knock's body: nothing, or {"key": 16 to 64 of A-Z a-z 0-9 _ -}, a
 * key the browser keeps so that a reload is known. Returns its keyed hash
 * (0: none), or -1 with the refusal in rs. */
static int key_of(cv_api_t *api, const cv_api_req_t *rq, uint64_t *key, cv_api_resp_t *rs)
{
    *key = 0;
    if (rq->body_len == 0)
        return 0;
    json_t *o = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, NULL);
    const char *k = json_string_value(json_object_get(o, "key"));
    int ok = k && strlen(k) >= KEY_MIN && cv_config_room_name(k, strlen(k)) && strlen(k) <= KEY_MAX;
    if (ok)
        *key = cv_client_hash(api->client_seed ^ 0x6c6f626279ULL, k);
    json_decref(o);
    if (!ok) {
        cv_api_fail(rs, 400, "bad-knock",
                    "bad knock: the body is {\"key\": 16 to 64 of A-Z a-z 0-9 _ -}");
        return -1;
    }
    return 0;
}

/* Under the lock: sessions of room (screen shares apart) and its waiters. */
static int room_load_locked(cv_api_t *api, const char *room)
{
    int n = cv_lobby_count_room(api->lobby, room);
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        n += cv_api_same_room(cv_session_room(s), room) &&
             cv_session_info(s)->role != CV_ROLE_SCREEN;
    }
    return n;
}

/* Under the lock: the limits a knock meets, 0 or the 503 in rs. */
static int knock_full_locked(cv_api_t *api, const char *room, cv_api_resp_t *rs)
{
    int max_room, max_part;
    int64_t timeout_us;
    settings_of(api, &max_room, &max_part, &timeout_us);
    rs->retry_after = 30;
    if (api->n_sessions + cv_lobby_count(api->lobby) >= api->max_sessions ||
        cv_lobby_count(api->lobby) >= CV_LOBBY_CAP) {
        cv_api_fail(rs, 503, "server-full", "server full: too many sessions and waiting");
        return 1;
    }
    if (cv_lobby_count_room(api->lobby, room) >= max_room) {
        cv_api_fail(rs, 503, "lobby-full", "waiting room full: at most %d waiting", max_room);
        return 1;
    }
    if (room_load_locked(api, room) >= max_part) {
        cv_api_fail(rs, 503, "room-full", "room full: at most %d in it or waiting", max_part);
        return 1;
    }
    rs->retry_after = 0;
    return 0;
}

/* POST /rooms/{room}/lobby?name=: in at once when the room has no waiting
 * room or the knock presents a moderator's credential (200 {"state":"open"}),
 * in at once with a ticket when this browser (or address) was let in before
 * while the room lasts (200 {"state":"admitted","ticket"}), else a place in the waiting list (202
 * {"state":"waiting","ticket", "timeout"}), 403 for a browser or address turned away, 503 when
 * full. */
static void knock(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    cv_lobby_entry_t e;
    memset(&e, 0, sizeof(e));
    const char *why = cv_name_clean(rq->name ? rq->name : "", e.name, sizeof(e.name));
    if (why) {
        cv_api_fail(rs, 400, "bad-name", "bad name: %s", why);
        return;
    }
    if (key_of(api, rq, &e.key, rs) < 0)
        return;
    if (!cv_api_room_allowed(api, room)) {
        cv_api_fail(rs, 404, "no-room", "no such room");
        return;
    }
    e.client = rq->client ? cv_client_hash(api->client_seed, rq->client) : 0;
    if (cv_api_over_client_limits(api, e.client, NULL, rs))
        return;
    int admit = CV_ACCESS_ATTENDEE;
    if (!cv_api_admitted(api, rq, room, CV_ROLE_PARTICIPANT, &admit, rs))
        return;
    cv_api_settle(api, room, admit);
    int max_room, max_part;
    int64_t timeout_us;
    settings_of(api, &max_room, &max_part, &timeout_us);
    snprintf(e.room, sizeof(e.room), "%s", room);
    cv_random_hex(e.secret, CV_LOBBY_SECRET_LEN);
    cv_random_hex(e.public_id, CV_LOBBY_PUBLIC_LEN);
    e.since_us = cv_now_us();
    char replaced[CV_LOBBY_SECRET_LEN + 1] = "";
    int st = 0;
    pthread_mutex_lock(&api->lock);
    int mode = cv_moderation_lobby(api->mod, room);
    if (mode == CV_LOBBY_NO || admit != CV_ACCESS_ATTENDEE) {
        st = 200;
    } else if (cv_lobby_denied(api->lobby, room, e.key, e.client)) {
        st = 403;
    } else if (cv_lobby_granted(api->lobby, room, e.key, e.client)) {
        /* let in before while the room lasts: a reconnection or a reload */
        st = knock_full_locked(api, room, rs) ? 503 : 201;
        if (st == 201 && cv_lobby_knock_admitted(api->lobby, &e, e.since_us) < 0) {
            cv_api_fail(rs, 503, "server-full", "server full: too many sessions and waiting");
            st = 503;
        }
    } else if (!(e.key && cv_lobby_find_key(api->lobby, room, e.key)) &&
               knock_full_locked(api, room, rs)) {
        st = 503;
    } else if (cv_lobby_knock(api->lobby, &e, max_room, replaced) < 0) {
        cv_api_fail(rs, 503, "lobby-full", "waiting room full: at most %d waiting", max_room);
        st = 503;
    }
    pthread_mutex_unlock(&api->lock);
    if (st == 200) {
        reply_json(rs, 200, json_pack("{s:s}", "state", "open"));
    } else if (st == 201) {
        reply_json(rs, 200, json_pack("{s:s, s:s}", "state", "admitted", "ticket", e.secret));
    } else if (st == 403) {
        cv_api_fail(rs, 403, "denied", "a moderator turned you away from this room");
    } else if (st == 0) {
        if (replaced[0]) /* the same browser again: its old stream ends */
            cv_events_end_session(api->events, replaced);
        reply_json(rs, 202,
                   json_pack("{s:s, s:s, s:I}", "state", "waiting", "ticket", e.secret, "timeout",
                             (json_int_t)(timeout_us / 1000000)));
        cv_api_lobby_publish(api, room);
    }
}

/* DELETE /rooms/{room}/lobby/{ticket}: the waiter gave up. */
static void leave(cv_api_t *api, const char *room, const char *ticket, cv_api_resp_t *rs)
{
    pthread_mutex_lock(&api->lock);
    int rc = cv_lobby_leave(api->lobby, room, ticket);
    pthread_mutex_unlock(&api->lock);
    if (rc < 0) {
        cv_api_fail(rs, 404, "no-ticket", "no such ticket");
        return;
    }
    cv_events_end_session(api->events, ticket);
    cv_api_reply(rs, 200, "left the waiting room");
    cv_api_lobby_publish(api, room);
}

void cv_api_lobby_route(cv_api_t *api, const cv_api_req_t *rq, const char *room, const char *rest,
                        cv_api_resp_t *rs)
{
    if (!rest[0]) {
        if (strcmp(rq->method, "POST") != 0)
            cv_api_method_not_allowed(rs, "POST");
        else if (rq->body_len && !cv_api_is_post_of(rq, "application/json", rs))
            return;
        else
            knock(api, rq, room, rs);
        return;
    }
    if (rest[0] != '/' || !cv_api_valid_session_id(rest + 1)) {
        cv_api_fail(rs, 404, "no-ticket", "no such ticket");
        return;
    }
    if (strcmp(rq->method, "DELETE") != 0)
        cv_api_method_not_allowed(rs, "DELETE");
    else
        leave(api, room, rest + 1, rs);
}

int cv_api_lobby_pass(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role, int *admit,
                      uint64_t pass[2], cv_api_resp_t *rs)
{
    pass[0] = pass[1] = 0;
    char cred[CV_ACCESS_SECRET_MAX + 1];
    int with_password = cv_access_bearer(rq->authorization, cred, sizeof(cred)) == 1;
    pthread_mutex_lock(&api->lock);
    int mode = cv_moderation_lobby(api->mod, room);
    int ok = mode == CV_LOBBY_NO || *admit != CV_ACCESS_ATTENDEE || role == CV_ROLE_SCREEN ||
             (mode == CV_LOBBY_YES && with_password);
    int group = cv_api_breakout_gate_locked(api, room);
    if (group) {
        /* a breakout group: its ticket only; moderators are those the ticket says */
        const cv_lobby_entry_t *e = rq->ticket ? cv_lobby_find(api->lobby, room, rq->ticket) : NULL;
        ok = role == CV_ROLE_SCREEN;
        if (role != CV_ROLE_SCREEN)
            *admit = e && e->moderator ? CV_ACCESS_MODERATOR : CV_ACCESS_ATTENDEE;
    }
    int rc = CV_E_NOTFOUND;
    if (!ok && rq->ticket) {
        rc = cv_lobby_redeem(api->lobby, room, rq->ticket, &pass[0], &pass[1]);
        ok = rc == 0;
    }
    pthread_mutex_unlock(&api->lock);
    if (rc == 0) /* the ticket is spent: its stream ends, a session's begins */
        cv_events_end_session(api->events, rq->ticket);
    if (ok)
        return 1;
    if (rc == CV_E_STATE)
        cv_api_fail(rs, 403, "still-waiting", "still waiting for a moderator to let you in");
    else if (group)
        cv_api_fail(rs, 403, "group-ticket",
                    "a breakout group is joined with the ticket of a move");
    else
        cv_api_fail(rs, 403, "knock-first",
                    "this room has a waiting room: knock first (POST /rooms/%s/lobby), then "
                    "join with the Conclave-Ticket a moderator admitted",
                    room);
    return 0;
}

int cv_api_lobby_load_locked(cv_api_t *api, const cv_api_req_t *rq, const char *room)
{
    int own = rq->ticket && cv_lobby_find(api->lobby, room, rq->ticket);
    return cv_lobby_count(api->lobby) - own;
}

int cv_api_lobby_is_waiter_locked(cv_api_t *api, const char *room, const char *id)
{
    return cv_lobby_find(api->lobby, room, id) != NULL;
}

int cv_api_lobby_stream(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    pthread_mutex_lock(&api->lock);
    const cv_lobby_entry_t *e = cv_lobby_find(api->lobby, room, rq->session);
    int state = e ? e->state : -1;
    pthread_mutex_unlock(&api->lock);
    if (state < 0)
        return 0;
    char body[96];
    int n = snprintf(body, sizeof(body), "event: lobby\ndata: {\"state\":\"%s\"}\n\n",
                     state == CV_LOBBY_ADMITTED ? "admitted" : "waiting");
    rs->body = cv_xmalloc((size_t)n + 1);
    memcpy(rs->body, body, (size_t)n + 1);
    rs->body_len = (size_t)n;
    rs->status = 200;
    rs->sse = 1;
    rs->no_store = 1;
    rs->content_type = "text/event-stream; charset=utf-8";
    /* not the room's name: nothing published to the room reaches a waiter */
    snprintf(rs->sse_room, sizeof(rs->sse_room), "%s", WAITER_ROOM);
    snprintf(rs->sse_session, sizeof(rs->sse_session), "%s", rq->session);
    return 1;
}

int cv_api_lobby_command_locked(cv_api_t *api, const char *room, cv_session_t *from,
                                const cv_command_t *cmd, cv_lobby_note_t **notes, int *n,
                                const char **why)
{
    int st = cv_access_may_command(cmd->type, cv_session_info(from)->moderator, why);
    if (st)
        return st;
    int64_t now = cv_now_us();
    if (cmd->type == CV_CMD_ADMIT_ALL) {
        int max = cv_lobby_count_room(api->lobby, room);
        *notes = cv_xrealloc(*notes, (size_t)(*n + max + 1) * sizeof(**notes));
        *n += cv_lobby_admit_all(api->lobby, room, now, *notes + *n, max);
        return 0;
    }
    *notes = cv_xrealloc(*notes, (size_t)(*n + 1) * sizeof(**notes));
    cv_lobby_note_t *note = *notes + *n;
    int rc = cmd->type == CV_CMD_ADMIT
                 ? cv_lobby_admit(api->lobby, room, cmd->participant, now, note)
                 : cv_lobby_deny(api->lobby, room, cmd->participant, now, note);
    if (rc < 0) {
        *why = "no such person in the waiting list";
        return 404;
    }
    if (note->secret[0])
        (*n)++;
    return 0;
}

void cv_api_lobby_tell(cv_api_t *api, const char *room, cv_lobby_note_t *notes, int n)
{
    for (int i = 0; i < n; i++) {
        char json[64];
        snprintf(json, sizeof(json), "{\"state\":\"%s\"}", notes[i].state);
        cv_events_publish_to(api->events, notes[i].secret, "lobby", json);
        if (strcmp(notes[i].state, "admitted") != 0)
            cv_events_end_session(api->events, notes[i].secret);
    }
    free(notes);
    if (room)
        cv_api_lobby_publish(api, room);
}

void cv_api_lobby_publish(cv_api_t *api, const char *room)
{
    pthread_mutex_lock(&api->lock);
    char *json = cv_lobby_json(api->lobby, room, cv_now_us());
    int n = 0;
    char(*ids)[CV_SESSION_ID_LEN + 1] = cv_xcalloc((size_t)api->n_sessions + 1, sizeof(*ids));
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if (cv_api_same_room(cv_session_room(s), room) && cv_session_info(s)->moderator)
            snprintf(ids[n++], sizeof(ids[0]), "%s", cv_session_id(s));
    }
    pthread_mutex_unlock(&api->lock);
    for (int i = 0; i < n; i++)
        cv_events_publish_to(api->events, ids[i], "lobby", json);
    free(ids);
    free(json);
}

void cv_api_lobby_room_ended(cv_api_t *api, const char *room)
{
    cv_lobby_note_t *notes = cv_xcalloc(CV_LOBBY_CAP, sizeof(*notes));
    pthread_mutex_lock(&api->lock);
    /* a breakout group that empties keeps the tickets of those on their way */
    int n = cv_api_breakout_gate_locked(api, room)
                ? 0
                : cv_lobby_forget_room(api->lobby, room, notes, CV_LOBBY_CAP);
    pthread_mutex_unlock(&api->lock);
    cv_api_lobby_tell(api, NULL, notes, n);
}

void cv_api_lobby_tick(cv_api_t *api)
{
    int max_room, max_part;
    int64_t timeout_us;
    settings_of(api, &max_room, &max_part, &timeout_us);
    int n;
    do {
        cv_lobby_note_t notes[16];
        pthread_mutex_lock(&api->lock);
        n = cv_lobby_expire(api->lobby, cv_now_us(), timeout_us, notes, 16);
        pthread_mutex_unlock(&api->lock);
        for (int i = 0; i < n; i++) {
            cv_lobby_note_t *one = cv_xmalloc(sizeof(*one));
            *one = notes[i];
            cv_api_lobby_tell(api, notes[i].room, one, 1);
        }
    } while (n == 16);
}
