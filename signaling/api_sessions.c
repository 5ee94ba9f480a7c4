/*
 * api_sessions.c - the session table and what the requests do to it: WHIP
 * and WHEP joins (admission, screen shares), leaves, a room's event stream
 * and its commands, and the roster and layout events that follow. Runs on
 * HTTP threads, and on the network loop for a session that failed; the
 * table lock is held for a lookup or a pointer move, never across a session
 * set-up or teardown.
 * WHIP: RFC 9725 §4.2 (201 + Location + answer), §4.3 (DELETE).
 */
#include "access.h"
#include "api_int.h"

#include "clientaddr.h"
#include "clock.h"
#include "command.h"
#include "err.h"
#include "mem.h"
#include "moderation.h"
#include "names.h"
#include "sdp.h"
#include "turn.h"
#include "streamtok.h"

#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_CAP 16384

/* What a session's commands may cost (cv_bucket_t: at once, then a second).
 * A person chats a few lines in a row, then at reading pace; a hand, mute or
 * camera toggled ten times in a row is a stuck key or a script; a moderator
 * may mute a whole room at once. Every command of a session counts, whether
 * it is then refused or not. */
#define CHAT_BURST 10
#define CHAT_RATE 1
#define SELF_BURST 10
#define SELF_RATE 2
#define MODERATOR_BURST 30
#define MODERATOR_RATE 5

static void publish_room(cv_api_t *api, const char *room);
static void forget_rates(cv_api_t *api, const char *id);
static void end_owned_screens(cv_api_t *api, const char *owner_id, int on_loop);

/* ---- session table ---- */

_Static_assert(CV_NAME_MAX_BYTES <= CV_PART_NAME_MAX, "a session's name holds any valid name");

/* Under the lock: 1 when a session of room other than self, not a screen
 * share, shows the name n. */
static int name_taken_locked(cv_api_t *api, const char *room, const cv_session_t *self,
                             const char *n)
{
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if (s != self && cv_api_same_room(cv_session_room(s), room) &&
            cv_session_info(s)->role != CV_ROLE_SCREEN && cv_name_same(cv_session_info(s)->name, n))
            return 1;
    }
    return 0;
}

/* Under the lock: the name a session of room joining as `base` is shown
 * with: base itself when nobody else in the room has it, else "base (2)",
 * "base (3)"... the first that is free. No name stays no name. */
static void unique_name_locked(cv_api_t *api, const char *room, const cv_session_t *self,
                               const char *base, char *out, size_t cap)
{
    snprintf(out, cap, "%s", base);
    /* n sessions take at most n names: one of the first n + 2 is free */
    for (int k = 2; base[0] && k <= api->n_sessions + 2; k++) {
        if (!name_taken_locked(api, room, self, out))
            return;
        cv_name_numbered(base, k, out, cap);
    }
}

/* Under the lock: 1 when no session of the table is in room. */
int cv_api_room_empty_locked(cv_api_t *api, const char *room)
{
    for (int i = 0; i < api->n_sessions; i++)
        if (cv_api_same_room(cv_session_room(api->sessions[i]), room))
            return 0;
    return 1;
}

/* Under the lock: takes entry i out of the table (the last one moves in). */
static void table_remove_locked(cv_api_t *api, int i)
{
    api->n_sessions--;
    api->sessions[i] = api->sessions[api->n_sessions];
    api->origins[i] = api->origins[api->n_sessions];
}

/* Adds s (NULL: the join failed), from client (a keyed hash, 0: not
 * limited), and settles its admission to room (NULL: the echo check, no
 * admission). base is the name the join asked for: when another join took
 * the same name meanwhile, s is numbered again. Returns 0, or CV_E_FULL when
 * s is NULL or the table is full (then s is not in the table). */
static int table_add(cv_api_t *api, cv_session_t *s, const char *room, int admit, const char *base,
                     uint64_t client)
{
    int rc = CV_E_FULL;
    pthread_mutex_lock(&api->lock);
    if (s && api->n_sessions < api->max_sessions)
        rc = 0;
    if (room) {
        cv_moderation_enter(api->mod, room, rc == 0 ? s : NULL, admit);
        if (rc < 0)
            cv_moderation_tidy(api->mod, api->sessions, api->n_sessions, room);
    }
    if (rc == 0) {
        cv_session_info_t *in = cv_session_info(s);
        if (room && in->role != CV_ROLE_SCREEN && name_taken_locked(api, room, s, in->name))
            unique_name_locked(api, room, s, base, in->name, sizeof(in->name));
        api->origins[api->n_sessions] = (cv_api_origin_t){
            .client = client,
            .since_us = cv_now_us(),
            .made_room = room && cv_api_room_empty_locked(api, room),
        };
        api->sessions[api->n_sessions++] = s;
    }
    pthread_mutex_unlock(&api->lock);
    return rc;
}

/* Both NULL (the echo check), or the same room name. */
int cv_api_same_room(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Removes and returns the session which, or when which is NULL the session
 * with this id in room (NULL: an echo check session); NULL when it is not in
 * the table (then someone else already took it out and closes it). */
static cv_session_t *table_take(cv_api_t *api, const char *id, const char *room,
                                const cv_session_t *which)
{
    cv_session_t *found = NULL;
    pthread_mutex_lock(&api->lock);
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if ((which && s == which) || (!which && strcmp(cv_session_id(s), id) == 0 &&
                                      cv_api_same_room(cv_session_room(s), room))) {
            found = s;
            table_remove_locked(api, i);
            break;
        }
    }
    pthread_mutex_unlock(&api->lock);
    return found;
}

int cv_api_session_count(cv_api_t *api)
{
    pthread_mutex_lock(&api->lock);
    int n = api->n_sessions;
    pthread_mutex_unlock(&api->lock);
    return n;
}

/* Under the lock: the session of this room with this id, or NULL. */
static cv_session_t *find_locked(cv_api_t *api, const char *room, const char *id)
{
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if (strcmp(cv_session_id(s), id) == 0 && cv_api_same_room(cv_session_room(s), room))
            return s;
    }
    return NULL;
}

/* Sessions and waiters (but the join's own ticket) fill the table. */
static int session_count_full(cv_api_t *api, const cv_api_req_t *rq, const char *room)
{
    pthread_mutex_lock(&api->lock);
    int n = api->n_sessions + (room ? cv_api_lobby_load_locked(api, rq, room) : 0);
    pthread_mutex_unlock(&api->lock);
    return n >= api->max_sessions;
}

/* Loop thread: the transport of s failed or timed out. */
void cv_api_on_session_failed(void *ud, cv_session_t *s)
{
    cv_api_t *api = ud;
    /* during shutdown the event streams and the HTTP server are being stopped on
     * the main thread: leave the session to cv_api_destroy, which closes them all */
    if (atomic_load(&api->stopping) || !table_take(api, NULL, NULL, s))
        return;
    char id[CV_SESSION_ID_LEN + 1], room[65];
    snprintf(id, sizeof(id), "%s", cv_session_id(s));
    snprintf(room, sizeof(room), "%s", cv_session_room(s) ? cv_session_room(s) : "");
    forget_rates(api, id);
    cv_session_close_on_loop(s);
    cv_events_end_session(api->events, id);
    end_owned_screens(api, id, 1);
    if (room[0])
        publish_room(api, room);
}

/* ---- the limits per client address ---- */

/* Under the lock: 1 while session i may still be setting up its connection:
 * it joined less than [ice] timeout ago and no media of it was decoded yet
 * (its transport ends it if it has not connected by then). */
static int pending_locked(cv_api_t *api, int i, int64_t now)
{
    if (now - api->origins[i].since_us >= api->env.connect_timeout_us)
        return 0;
    cv_part_t *p = cv_session_part(api->sessions[i]);
    if (!p)
        return 1;
    cv_part_stats_t st;
    cv_part_get_stats(p, &st);
    return st.audio_decoded == 0 && st.video_decoded == 0;
}

/* The per-client limits of a join ([rooms] max_pending_per_address and
 * max_rooms_per_address): 0 when within them, else the refusal in rs (429
 * with Retry-After). client is a keyed hash, 0 for a client not limited. */
int cv_api_over_client_limits(cv_api_t *api, uint64_t client, const char *room, cv_api_resp_t *rs)
{
    if (!client || !api->settings)
        return 0;
    const cv_config_t *cfg = cv_settings_hold(api->settings);
    int max_pending = cfg->rooms_max_pending_per_addr, max_rooms = cfg->rooms_max_rooms_per_addr;
    cv_settings_release(cfg);
    int64_t now = cv_now_us(), oldest = now;
    int pending = 0, made = 0;
    pthread_mutex_lock(&api->lock);
    for (int i = 0; i < api->n_sessions; i++) {
        const cv_api_origin_t *o = &api->origins[i];
        if (o->client != client)
            continue;
        made += o->made_room;
        if (pending_locked(api, i, now)) {
            pending++;
            if (o->since_us < oldest)
                oldest = o->since_us;
        }
    }
    int opens = room && cv_api_room_empty_locked(api, room);
    pending += cv_lobby_count_client(api->lobby, client); /* a waiter counts as connecting */
    pthread_mutex_unlock(&api->lock);
    if (max_pending > 0 && pending >= max_pending) {
        int64_t left = oldest + api->env.connect_timeout_us - now;
        rs->retry_after = (int)((left + 999999) / 1000000);
        if (rs->retry_after < 1)
            rs->retry_after = 1;
        cv_api_fail(rs, 429, "too-many-pending",
                    "too many sessions still connecting from your address: at most %d",
                    max_pending);
        return 1;
    }
    if (opens && max_rooms > 0 && made >= max_rooms) {
        rs->retry_after = 60;
        cv_api_fail(rs, 429, "too-many-rooms",
                    "too many rooms opened from your address: at most %d", max_rooms);
        return 1;
    }
    return 0;
}

/* ---- joins and leaves ---- */

/* A screen share's owner must be a participant of the room not already sharing. */
static const char *check_owner(cv_api_t *api, const char *room, const char *owner, int *status)
{
    *status = 400;
    if (!room)
        return "the echo check cannot share a screen";
    if (!owner)
        return "a screen share needs its owner's session in a Conclave-Session header";
    const char *why = NULL;
    pthread_mutex_lock(&api->lock);
    cv_session_t *o = find_locked(api, room, owner);
    if (!o || cv_session_info(o)->role != CV_ROLE_PARTICIPANT) {
        *status = 404;
        why = "no such participant to share a screen for";
    }
    for (int i = 0; i < api->n_sessions && !why; i++) {
        if (strcmp(cv_session_info(api->sessions[i])->owner, owner) == 0) {
            *status = 409;
            why = "this participant already shares a screen";
        }
    }
    pthread_mutex_unlock(&api->lock);
    return why;
}

/* Checks the join's credential (RFC 6750 §2.1, §3: a 401 challenges with
 * WWW-Authenticate: Bearer). Returns 1 when let in, with *admit, the join
 * then pending; else 0 with the refusal in rs. */
int cv_api_admitted(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role, int *admit,
                    cv_api_resp_t *rs)
{
    char cred[CV_ACCESS_SECRET_MAX + 1];
    int b = cv_access_bearer(rq->authorization, cred, sizeof(cred));
    if (b < 0) {
        cv_api_fail(rs, 401, "bad-authorization",
                    "Authorization must be 'Bearer <password>' (printable ASCII)");
        rs->www_authenticate = "Bearer realm=\"conclave\", error=\"invalid_request\"";
        return 0;
    }
    const char *why = NULL;
    pthread_mutex_lock(&api->lock);
    int st = cv_moderation_admit(api->mod, api->sessions, api->n_sessions, room, b ? cred : NULL,
                                 role, rq->session, admit, &why);
    pthread_mutex_unlock(&api->lock);
    if (!st)
        return 1;
    if (st == 401)
        cv_api_fail(rs, 401, "password-required", "%s", why);
    else if (why == cv_access_why_wrong)
        cv_api_fail(rs, st, "bad-password", "%s", why);
    else if (why == cv_access_why_locked)
        cv_api_fail(rs, st, "room-locked", "%s", why);
    else if (why == cv_access_why_floor)
        cv_api_fail(rs, st, "no-floor", "%s", why);
    else
        cv_api_fail_status(rs, st, why);
    if (st == 401)
        rs->www_authenticate = "Bearer realm=\"conclave\"";
    return 0;
}

/* The checks of a join's ?name= (names.h: the name without its outer
 * spaces goes to name, of CV_NAME_MAX_BYTES + 1 bytes) and ?role= (a viewer
 * takes no role, a screen share needs its owner, check_owner). Returns the
 * role the join takes, or -1 with the refusal in rs; check_owner sets
 * *status. */
static int join_role(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role, int *status,
                     char *name, cv_api_resp_t *rs)
{
    const char *why = cv_name_clean(rq->name ? rq->name : "", name, CV_NAME_MAX_BYTES + 1);
    if (why) {
        cv_api_fail(rs, 400, "bad-name",
                    "bad name: %s (at most 64 characters of UTF-8, none of them "
                    "control, invisible or bidirectional formatting characters)",
                    why);
        return -1;
    }
    if (role == CV_ROLE_VIEWER && rq->role) {
        cv_api_fail(rs, 400, "viewer-role", "a viewer takes no role");
        return -1;
    }
    if (rq->role && strcmp(rq->role, "screen") == 0) {
        const char *why = check_owner(api, room, rq->session, status);
        if (why) {
            if (*status == 409)
                cv_api_fail(rs, 409, "already-sharing", "%s", why);
            else if (*status == 404)
                cv_api_fail(rs, 404, "no-owner", "%s", why);
            else
                cv_api_fail(rs, *status, "bad-screen", "%s", why);
            return -1;
        }
        return CV_ROLE_SCREEN;
    }
    if (rq->role && strcmp(rq->role, "participant") != 0) {
        cv_api_fail(rs, 400, "bad-role", "bad role: participant or screen");
        return -1;
    }
    return role;
}

/* WHIP join (RFC 9725 §4.2) of `room`, or of the echo check when room is
 * NULL; a WHEP viewer's (role CV_ROLE_VIEWER) the same way. */
/* ---- TURN servers (turn.h) ---- */

/* A fresh credential for the [turn] servers in force, when some are configured. */
static int turn_cred(cv_api_t *api, char *urls, size_t cap, cv_turn_cred_t *cred)
{
    urls[0] = '\0';
    if (!api->settings)
        return 0;
    const cv_config_t *c = cv_settings_hold(api->settings);
    int ok = cv_turn_offer(c, (int64_t)time(NULL), urls, cap, cred);
    cv_settings_release(c);
    return ok;
}

/* The Link header of a 201 (RFC 9725 §4.6), NULL without TURN servers. */
static char *turn_link(cv_api_t *api)
{
    char urls[sizeof(((cv_config_t *)0)->turn_urls)];
    cv_turn_cred_t cred;
    return turn_cred(api, urls, sizeof(urls), &cred) ? cv_turn_link_header(urls, &cred) : NULL;
}

int cv_api_room_allowed(cv_api_t *api, const char *room)
{
    if (!api->settings)
        return 1;
    const cv_config_t *c = cv_settings_hold(api->settings);
    int ok = cv_config_room_allowed(c, room);
    cv_settings_release(c);
    return ok;
}

void cv_api_settle(cv_api_t *api, const char *room, int admit)
{
    table_add(api, NULL, room, admit, NULL, 0);
}

void cv_api_ice_servers(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "GET") != 0) {
        cv_api_method_not_allowed(rs, "GET");
        return;
    }
    if (!cv_api_room_allowed(api, room)) {
        cv_api_fail(rs, 404, "no-room", "no such room");
        return;
    }
    int admit = CV_ACCESS_ATTENDEE;
    if (!cv_api_admitted(api, rq, room, CV_ROLE_PARTICIPANT, &admit, rs))
        return;
    cv_api_settle(api, room, admit); /* no join follows here */
    char urls[sizeof(((cv_config_t *)0)->turn_urls)];
    cv_turn_cred_t cred;
    int ok = turn_cred(api, urls, sizeof(urls), &cred);
    rs->status = 200;
    rs->content_type = "application/json";
    free(rs->body);
    rs->body = cv_turn_ice_servers_json(ok ? urls : "", ok ? &cred : NULL);
    rs->body_len = strlen(rs->body);
    rs->no_store = 1;
    rs->recording = 1 + cv_api_recording(api, room); /* told before anything is sent */
}

void cv_api_join(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role,
                 cv_api_resp_t *rs)
{
    if (!cv_api_is_post_of(rq, "application/sdp", rs))
        return;
    int status = 500;
    char base[CV_NAME_MAX_BYTES + 1], name[CV_NAME_MAX_BYTES + 1];
    role = join_role(api, rq, room, role, &status, base, rs);
    if (role < 0)
        return;
    cv_sdp_offer_t *offer = cv_xmalloc(sizeof(*offer));
    const char *reason = "malformed SDP";
    if (cv_sdp_parse_offer(rq->body, rq->body_len, offer, &reason) < 0) {
        cv_api_fail(rs, 400, "bad-offer", "bad SDP offer: %s", reason);
        free(offer);
        return;
    }
    if (session_count_full(api, rq, room)) {
        cv_api_fail(rs, 503, "server-full", "server full: too many sessions");
        free(offer);
        return;
    }
    uint64_t client = rq->client ? cv_client_hash(api->client_seed, rq->client) : 0;
    if (cv_api_over_client_limits(api, client, room, rs)) {
        free(offer);
        return;
    }
    int admit = CV_ACCESS_ATTENDEE;
    if (room && !cv_api_admitted(api, rq, room, role, &admit, rs)) {
        free(offer);
        return;
    }
    uint64_t pass[2] = {0, 0};
    if (room && !cv_api_lobby_pass(api, rq, room, role, &admit, pass, rs)) {
        cv_api_settle(api, room, admit);
        free(offer);
        return;
    }
    snprintf(name, sizeof(name), "%s", base);
    if (room && role != CV_ROLE_SCREEN) {
        pthread_mutex_lock(&api->lock);
        unique_name_locked(api, room, NULL, base, name, sizeof(name));
        pthread_mutex_unlock(&api->lock);
    }
    char *answer = cv_xmalloc(ANSWER_CAP);
    cv_session_env_t env = api->env;
    if (role == CV_ROLE_SCREEN) { /* on its owner's loop: the owner's failure ends it there */
        pthread_mutex_lock(&api->lock);
        cv_session_t *o = find_locked(api, room, rq->session);
        env.pin = o ? cv_session_loop(o) : NULL;
        pthread_mutex_unlock(&api->lock);
    }
    cv_session_t *s = cv_session_create(&env, offer, room, name[0] ? name : NULL, role,
                                        role == CV_ROLE_SCREEN ? rq->session : NULL, answer,
                                        ANSWER_CAP, &status, &reason);
    free(offer);
    if (!s) {
        table_add(api, NULL, room, admit, base, client);
        if (status == 400)
            cv_api_fail(rs, 400, "bad-offer", "%s", reason);
        else if (status == 404)
            cv_api_fail(rs, 404, "no-room", "%s", reason);
        else if (status == 503)
            cv_api_fail(rs, 503, "room-full", "%s", reason);
        else
            cv_api_fail_status(rs, status, reason);
        free(answer);
        return;
    }
    if (table_add(api, s, room, admit, base, client) < 0) {
        cv_session_close(s);
        cv_api_fail(rs, 503, "server-full", "server full: too many sessions");
        free(answer);
        return;
    }
    if (room) {
        pthread_mutex_lock(&api->lock);
        if (pass[0] || pass[1]) /* let in by the waiting room: a reconnection is too */
            cv_lobby_grant(api->lobby, room, pass[0], pass[1], cv_session_id(s));
        int layout = cv_api_breakout_layout_locked(api, room);
        if (layout >= 0)
            cv_moderation_set_layout(api->mod, api->sessions, api->n_sessions, room, layout);
        const char *token = cv_moderation_token(api->mod, s);
        if (token)
            snprintf(rs->moderator_token, sizeof(rs->moderator_token), "%s", token);
        pthread_mutex_unlock(&api->lock);
    }
    rs->status = 201;
    rs->content_type = "application/sdp";
    rs->body = answer;
    rs->body_len = strlen(answer);
    rs->no_store = 1;
    if (room) /* the echo check is no room: whoever may join a room gets credentials */
        rs->link = turn_link(api);
    if (room)
        snprintf(rs->location, sizeof(rs->location), "/rooms/%s/sessions/%s", room,
                 cv_session_id(s));
    else
        snprintf(rs->location, sizeof(rs->location), "/echo/sessions/%s", cv_session_id(s));
    if (room) {
        rs->recording = 1 + cv_api_recording(api, room);
        publish_room(api, room);
    }
}

/* Closes a session already taken out of the table, and what hangs on it. */
static void end_session(cv_api_t *api, cv_session_t *s)
{
    char id[CV_SESSION_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", cv_session_id(s));
    forget_rates(api, id);
    cv_session_close(s);
    cv_events_end_session(api->events, id);
    end_owned_screens(api, id, 0);
}

/* WHIP leave (RFC 9725 §4.3). room is NULL for the echo check. */
void cv_api_leave(cv_api_t *api, const char *room, const char *id, cv_api_resp_t *rs)
{
    cv_session_t *s = table_take(api, id, room, NULL);
    if (!s) {
        cv_api_fail(rs, 404, "no-session", "no such session");
        return;
    }
    end_session(api, s);
    cv_api_reply(rs, 200, "session ended");
    if (room)
        publish_room(api, room);
}

static void end_owned_screens(cv_api_t *api, const char *owner_id, int on_loop)
{
    for (;;) {
        cv_session_t *found = NULL;
        pthread_mutex_lock(&api->lock);
        for (int i = 0; i < api->n_sessions && !found; i++) {
            if (strcmp(cv_session_info(api->sessions[i])->owner, owner_id) == 0) {
                found = api->sessions[i];
                table_remove_locked(api, i);
            }
        }
        pthread_mutex_unlock(&api->lock);
        if (!found)
            return;
        forget_rates(api, cv_session_id(found));
        cv_events_end_session(api->events, cv_session_id(found));
        if (on_loop) /* the screen is on its owner's loop, unless the owner was gone */
            cv_session_close_from_loop(found);
        else
            cv_session_close(found);
    }
}

/* ---- roster, event streams and commands (the browser client) ---- */

/* Under pub_lock: tells everyone in the room who is there and how the
 * picture is laid out, as things are now. */
static void publish_now(cv_api_t *api, const char *room)
{
    pthread_mutex_lock(&api->lock);
    char *roster = cv_moderation_roster_json(api->sessions, api->n_sessions, room);
    char *layout = cv_moderation_layout_json(api->mod, api->sessions, api->n_sessions, room);
    char *state = cv_moderation_room_json(api->mod, room);
    pthread_mutex_unlock(&api->lock);
    cv_events_publish(api->events, room, "roster", roster);
    cv_events_publish(api->events, room, "layout", layout);
    cv_events_publish(api->events, room, "room", state);
    free(roster);
    free(layout);
    free(state);
}

/* The room changed: its roster, layout and room events go out at once when
 * the last ones are CV_API_PUBLISH_GAP_US old, else once that gap has passed
 * (cv_api_flush_rooms), with whatever else changed meanwhile. So a burst of
 * joins, leaves or toggles costs each subscriber at most five publications
 * a second, and the last state always arrives. */
static void publish_room(cv_api_t *api, const char *room)
{
    pthread_mutex_lock(&api->lock);
    cv_moderation_tidy(api->mod, api->sessions, api->n_sessions, room);
    int ended = cv_api_room_empty_locked(api, room);
    pthread_mutex_unlock(&api->lock);
    cv_api_record_check_empty(api, room);
    if (ended)
        cv_api_lobby_room_ended(api, room);
    int64_t now = cv_now_us();
    pthread_mutex_lock(&api->pub_lock);
    struct cv_api_pub *p = g_hash_table_lookup(api->pubs, room);
    if (!p) {
        p = cv_xcalloc(1, sizeof(*p));
        g_hash_table_insert(api->pubs, cv_xstrdup(room), p);
        p->last_us = now;
        publish_now(api, room);
    } else if (!p->pending && now - p->last_us >= CV_API_PUBLISH_GAP_US) {
        p->last_us = now;
        publish_now(api, room);
    } else {
        p->pending = 1;
    }
    pthread_mutex_unlock(&api->pub_lock);
}

void cv_api_flush_rooms(cv_api_t *api)
{
    int64_t now = cv_now_us();
    GHashTableIter it;
    gpointer room, value;
    pthread_mutex_lock(&api->pub_lock);
    g_hash_table_iter_init(&it, api->pubs);
    while (g_hash_table_iter_next(&it, &room, &value)) {
        struct cv_api_pub *p = value;
        if (p->pending && now - p->last_us >= CV_API_PUBLISH_GAP_US) {
            p->pending = 0;
            p->last_us = now;
            publish_now(api, room);
        } else if (!p->pending && now - p->last_us >= 10 * CV_API_PUBLISH_GAP_US) {
            g_hash_table_iter_remove(&it); /* quiet: the next change goes out at once */
        }
    }
    pthread_mutex_unlock(&api->pub_lock);
}

static void forget_rates(cv_api_t *api, const char *id)
{
    pthread_mutex_lock(&api->lock);
    g_hash_table_remove(api->rates, id);
    pthread_mutex_unlock(&api->lock);
}

/* Under the lock: counts a command of type from session id (in the table,
 * so that the rates kept stay within one per session). Returns 0, or the
 * seconds to wait, with the 429 and its one-line reason in rs. */
static int command_wait_locked(cv_api_t *api, const char *id, int type, cv_api_resp_t *rs)
{
    struct cv_api_rates *r = g_hash_table_lookup(api->rates, id);
    if (!r) {
        r = cv_xcalloc(1, sizeof(*r));
        g_hash_table_insert(api->rates, cv_xstrdup(id), r);
    }
    int64_t now = cv_now_us();
    int wait;
    if (type == CV_CMD_CHAT) {
        wait = cv_bucket_take(&r->chat, CHAT_RATE, CHAT_BURST, now);
        if (wait)
            cv_api_fail(rs, 429, "rate-limited",
                        "too many chat messages: at most %d in a row, then %d a second", CHAT_BURST,
                        CHAT_RATE);
    } else if (type < CV_CMD_CHAT) {
        wait = cv_bucket_take(&r->self, SELF_RATE, SELF_BURST, now);
        if (wait)
            cv_api_fail(rs, 429, "rate-limited",
                        "too many mute, camera and hand changes: at most %d in a row, then %d "
                        "a second",
                        SELF_BURST, SELF_RATE);
    } else {
        wait = cv_bucket_take(&r->moderator, MODERATOR_RATE, MODERATOR_BURST, now);
        if (wait)
            cv_api_fail(rs, 429, "rate-limited",
                        "too many moderator commands: at most %d in a row, then %d a second",
                        MODERATOR_BURST, MODERATOR_RATE);
    }
    rs->retry_after = wait;
    return wait;
}

/* GET /rooms/{room}/events?token=, once the token is spent for the session
 * rq->session (api_routes.c) */
void cv_api_event_stream(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "GET") != 0) {
        cv_api_method_not_allowed(rs, "GET");
        return;
    }
    if (!rq->session || !cv_api_valid_session_id(rq->session)) {
        cv_api_fail(rs, 404, "no-session", "no such session");
        return;
    }
    pthread_mutex_lock(&api->lock);
    cv_session_t *s = find_locked(api, room, rq->session);
    char *hello = NULL, *roster = NULL, *layout = NULL, *state = NULL, *speakers = NULL;
    if (s) {
        hello = cv_moderation_hello_json(api->mod, s);
        roster = cv_moderation_roster_json(api->sessions, api->n_sessions, room);
        layout = cv_moderation_layout_json(api->mod, api->sessions, api->n_sessions, room);
        state = cv_moderation_room_json(api->mod, room);
        int idx;
        speakers = cv_api_speakers_json(cv_api_speaker_locked(api, room, &idx));
    }
    char *lobby =
        s && cv_session_info(s)->moderator ? cv_lobby_json(api->lobby, room, cv_now_us()) : NULL;
    cv_api_notes_t move = {0};
    if (s) /* a reconnection during breakouts goes to its group */
        cv_api_breakout_rejoin_locked(api, s, &move);
    pthread_mutex_unlock(&api->lock);
    if (!s) {
        if (!cv_api_lobby_stream(api, rq, room, rs))
            cv_api_fail(rs, 404, "no-session", "no such session");
        return;
    }
    const char *mv = move.n ? move.v[0].json : NULL;
    size_t cap = (lobby ? strlen(lobby) + 32 : 0) + (mv ? strlen(mv) + 32 : 0) + strlen(hello) +
                 strlen(roster) + strlen(layout) + strlen(state) + strlen(speakers) + 160;
    rs->body = cv_xmalloc(cap);
    rs->body_len = (size_t)snprintf(
        rs->body, cap,
        "event: hello\ndata: %s\n\nevent: roster\ndata: %s\n\n"
        "event: layout\ndata: %s\n\nevent: room\ndata: %s\n\nevent: speakers\ndata: %s\n\n",
        hello, roster, layout, state, speakers);
    if (lobby) /* who waits: to moderators only */
        rs->body_len += (size_t)snprintf(rs->body + rs->body_len, cap - rs->body_len,
                                         "event: lobby\ndata: %s\n\n", lobby);
    if (mv)
        rs->body_len += (size_t)snprintf(rs->body + rs->body_len, cap - rs->body_len,
                                         "event: breakout\ndata: %s\n\n", mv);
    free(lobby);
    for (int i = 0; i < move.n; i++)
        free(move.v[i].json);
    free(move.v);
    free(hello);
    free(roster);
    free(layout);
    free(state);
    free(speakers);
    rs->status = 200;
    rs->sse = 1;
    rs->no_store = 1;
    rs->content_type = "text/event-stream; charset=utf-8";
    snprintf(rs->sse_room, sizeof(rs->sse_room), "%s", room);
    snprintf(rs->sse_session, sizeof(rs->sse_session), "%s", rq->session);
}

/* POST /rooms/{room}/events with Conclave-Session: {id}: a token that opens
 * the session's event stream once within 10 s (streamtok.h), so that the
 * session id stays out of the stream's URL. */
void cv_api_stream_token(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    char tok[CV_STREAMTOK_LEN + 1];
    int rc = -2;
    if (rq->session && cv_api_valid_session_id(rq->session)) {
        pthread_mutex_lock(&api->lock);
        if (find_locked(api, room, rq->session) ||
            cv_api_lobby_is_waiter_locked(api, room, rq->session))
            rc = cv_streamtok_mint(api->tokens, rq->session, room, cv_now_us(), tok);
        pthread_mutex_unlock(&api->lock);
    }
    if (rc == -2) {
        cv_api_fail(rs, 404, "no-session", "no such session");
        return;
    }
    if (rc < 0) {
        cv_api_fail(rs, 503, "unavailable", "no stream token available");
        return;
    }
    char body[96];
    int n = snprintf(body, sizeof(body), "{\"token\":\"%s\",\"expires_in\":%d}", tok,
                     (int)(CV_STREAMTOK_TTL_US / 1000000));
    rs->status = 200;
    rs->content_type = "application/json";
    rs->body = cv_xmalloc((size_t)n);
    memcpy(rs->body, body, (size_t)n);
    rs->body_len = (size_t)n;
    rs->no_store = 1;
}

/* A command refused with st and why (moderation, waiting room, breakouts). */
static void command_refused(cv_api_resp_t *rs, int st, const char *why)
{
    if (st == 400)
        cv_api_fail(rs, 400, "bad-command", "bad command: %s", why);
    else if (why == cv_access_why_moderator)
        cv_api_fail(rs, st, "not-moderator", "%s", why);
    else if (why == cv_access_why_floor)
        cv_api_fail(rs, st, "no-floor", "%s", why);
    else if (st == 404)
        cv_api_fail(rs, 404, "no-target", "%s", why);
    else
        cv_api_fail_status(rs, st, why);
}

/* POST /rooms/{room}/command with Conclave-Session: {id}, JSON; only the
 * session's holder knows {id}, so the command is theirs. */
void cv_api_command(cv_api_t *api, const cv_api_req_t *rq, const char *room, const char *id,
                    cv_api_resp_t *rs)
{
    if (!cv_api_is_post_of(rq, "application/json", rs))
        return;
    if (!id || !cv_api_valid_session_id(id)) {
        cv_api_fail(rs, 404, "no-session", "no such session");
        return;
    }
    cv_command_t *cmd = cv_xmalloc(sizeof(*cmd));
    const char *why;
    int rc = cv_command_parse(rq->body, rq->body_len, cmd, &why);
    if (rc < 0) {
        if (rc == CV_E_NOSPACE)
            cv_api_fail(rs, 413, "too-large", "bad command: %s", why);
        else
            cv_api_fail(rs, 400, "bad-command", "bad command: %s", why);
        free(cmd);
        return;
    }
    cv_moderation_fx_t fx = {0};
    cv_lobby_note_t *notes = NULL;
    cv_api_notes_t moves = {0};
    int waiting = cmd->type >= CV_CMD_LOBBY && cmd->type <= CV_CMD_ADMIT_ALL;
    int st = 0, wait = 0, n_notes = 0;
    pthread_mutex_lock(&api->lock);
    cv_session_t *s = find_locked(api, room, id);
    if (s)
        wait = command_wait_locked(api, id, cmd->type, rs);
    if (s && !wait && cmd->type >= CV_CMD_BREAKOUT_OPEN)
        st = cv_api_breakout_command_locked(api, room, s, cmd, &moves, &why);
    else if (s && !wait && cmd->type > CV_CMD_LOBBY)
        st = cv_api_lobby_command_locked(api, room, s, cmd, &notes, &n_notes, &why);
    else if (s && !wait)
        st = cv_moderation_apply(api->mod, api->sessions, api->n_sessions, room, s, cmd, &fx, &why);
    if (s && !wait && !st && cmd->type == CV_CMD_LOBBY && cmd->flag == CV_LOBBY_NO) {
        cv_command_t all = {.type = CV_CMD_ADMIT_ALL}; /* no waiting room: everyone in */
        cv_api_lobby_command_locked(api, room, s, &all, &notes, &n_notes, &why);
    }
    pthread_mutex_unlock(&api->lock);
    free(cmd);
    if (waiting && s && !wait && !st)
        cv_api_lobby_tell(api, room, notes, n_notes);
    else
        free(notes);
    cv_api_notes_send(api, &moves);
    if (!s) {
        cv_api_fail(rs, 404, "no-session", "no such session");
    } else if (wait) {
        /* refused: the 429, its reason and Retry-After are in rs already */
    } else if (st) {
        command_refused(rs, st, why);
    } else {
        rs->status = 204;
        rs->no_store = 1;
    }
    if (fx.record)
        cv_api_record(api, room, fx.record == 2, rs);
    if (fx.chat)
        cv_events_publish(api->events, room, "chat", fx.chat);
    free(fx.chat);
    if (fx.remove[0]) {
        /* the removed client learns why before its stream ends, and does not rejoin */
        cv_events_publish_to(api->events, fx.remove, "removed", "{\"by\":\"moderator\"}");
        pthread_mutex_lock(&api->lock);
        cv_lobby_revoke(api->lobby, fx.remove); /* the waiting room no longer lets it back */
        pthread_mutex_unlock(&api->lock);
        cv_session_t *gone = table_take(api, fx.remove, room, NULL);
        if (gone)
            end_session(api, gone);
        fx.changed = 1;
    }
    if (fx.changed)
        publish_room(api, room);
}

/* Loop thread: s's video was paused for a weak connection, or resumed; only
 * that session's own event stream is told. */
void cv_api_on_video_paused(void *ud, cv_session_t *s, int paused)
{
    cv_api_t *api = ud;
    cv_events_publish_to(api->events, cv_session_id(s), "video",
                         paused ? "{\"paused\":true,\"reason\":\"weak connection\"}"
                                : "{\"paused\":false}");
}
