/*
 * api_breakout.c - breakout groups (breakout.h; conclave(8), BREAKOUT
 * ROOMS): a moderator's commands that open, visit, message and close the
 * groups of a room, the moves they send, the gate of a group's room, the
 * move a reconnecting participant gets, and the end of a duration. A move
 * is a "breakout" event on the participant's own stream with a one-time
 * ticket (a waiting-room entry already admitted, lobby.h) for the room to
 * join; the client leaves its session and joins there. HTTP threads, and the
 * network loop for the tick; the records live under the API's table lock.
 */
#include "api_int.h"

#include "breakout.h"
#include "clock.h"
#include "err.h"
#include "mem.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void note(cv_api_notes_t *ns, const char *to, int to_room, const char *event, json_t *o)
{
    ns->v = cv_xrealloc(ns->v, (size_t)(ns->n + 1) * sizeof(ns->v[0]));
    struct cv_api_note *n = &ns->v[ns->n++];
    snprintf(n->to, sizeof(n->to), "%s", to);
    n->to_room = to_room;
    n->event = event;
    n->json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
}

void cv_api_notes_send(cv_api_t *api, cv_api_notes_t *ns)
{
    for (int i = 0; i < ns->n; i++) {
        struct cv_api_note *n = &ns->v[i];
        if (n->json && n->to_room)
            cv_events_publish(api->events, n->to, n->event, n->json);
        else if (n->json)
            cv_events_publish_to(api->events, n->to, n->event, n->json);
        free(n->json);
    }
    free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

/* Under the lock: a one-time ticket into room for the session named name;
 * "" when the waiting-room table is full. */
static void ticket_locked(cv_api_t *api, const char *room, const char *name, int moderator,
                          char out[CV_LOBBY_SECRET_LEN + 1])
{
    cv_lobby_entry_t e;
    memset(&e, 0, sizeof(e));
    snprintf(e.room, sizeof(e.room), "%s", room);
    snprintf(e.name, sizeof(e.name), "%s", name);
    cv_random_hex(e.secret, CV_LOBBY_SECRET_LEN);
    cv_random_hex(e.public_id, CV_LOBBY_PUBLIC_LEN);
    e.moderator = moderator;
    e.since_us = cv_now_us();
    out[0] = 0;
    if (cv_lobby_knock_admitted(api->lobby, &e, e.since_us) == 0)
        memcpy(out, e.secret, CV_LOBBY_SECRET_LEN + 1);
}

static json_int_t seconds_left(const cv_breakout_t *r)
{
    if (!r->ends_us)
        return -1;
    int64_t left = r->ends_us - cv_now_us();
    return left > 0 ? (json_int_t)((left + 999999) / 1000000) : 0;
}

/* Under the lock: the move of session s into group k of r. */
static void move_locked(cv_api_t *api, const cv_breakout_t *r, int k, cv_session_t *s,
                        const char *state, cv_api_notes_t *ns)
{
    char t[CV_LOBBY_SECRET_LEN + 1];
    const cv_session_info_t *in = cv_session_info(s);
    ticket_locked(api, r->group[k], in->name, in->moderator, t);
    json_int_t left = seconds_left(r);
    json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:s}", "state", state, "group", k + 1, "groups",
                          r->n_groups, "room", r->group[k], "ticket", t);
    json_object_set_new(o, "left", left < 0 ? json_null() : json_integer(left));
    note(ns, cv_session_id(s), 0, "breakout", o);
}

static int is_member(cv_session_t *s, const char *room)
{
    const cv_session_info_t *in = cv_session_info(s);
    return cv_api_same_room(cv_session_room(s), room) && in->role == CV_ROLE_PARTICIPANT &&
           !in->moderator;
}

/* Under the lock: the members placed at random, as evenly as the count allows. */
static int assign_random_locked(cv_api_t *api, const char *room, cv_breakout_t *r)
{
    int n = 0;
    cv_session_t **m = cv_xcalloc((size_t)api->n_sessions + 1, sizeof(*m));
    for (int i = 0; i < api->n_sessions; i++)
        if (is_member(api->sessions[i], room))
            m[n++] = api->sessions[i];
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
        uint32_t x;
        if (RAND_bytes((uint8_t *)&x, sizeof(x)) != 1)
            abort();
        int j = (int)(x % (uint32_t)(i + 1));
        cv_session_t *t = m[i];
        m[i] = m[j];
        m[j] = t;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = cv_breakout_assign(r, cv_session_info(m[i])->name, i % r->n_groups);
    free(m);
    return rc;
}

/* Under the lock: the ids of cmd placed by hand; 404 for an id not in room. */
static int assign_by_hand_locked(cv_api_t *api, const char *room, cv_breakout_t *r,
                                 const cv_command_t *cmd, const char **why)
{
    for (int a = 0; a < cmd->n_assign; a++) {
        cv_session_t *found = NULL;
        for (int i = 0; i < api->n_sessions && !found; i++) {
            cv_session_t *s = api->sessions[i];
            if (cv_api_same_room(cv_session_room(s), room) &&
                cv_session_info(s)->role == CV_ROLE_PARTICIPANT &&
                strcmp(cv_session_info(s)->public_id, cmd->assign[a].id) == 0)
                found = s;
        }
        if (!found) {
            *why = "no such participant in this room";
            return 404;
        }
        if (cv_breakout_assign(r, cv_session_info(found)->name, cmd->assign[a].group - 1) < 0) {
            *why = "too many participants placed";
            return 400;
        }
    }
    return 0;
}

static int open_locked(cv_api_t *api, const char *room, cv_session_t *from, const cv_command_t *cmd,
                       cv_api_notes_t *ns, const char **why)
{
    int k, err = 0, open = 1;
    if (api->settings) {
        const cv_config_t *c = cv_settings_hold(api->settings);
        open = c->rooms_open;
        cv_settings_release(c);
    }
    if (!open) {
        *why = "breakout groups need [rooms] open = yes";
        return 409;
    }
    if (cv_breakout_by_group(api->breakouts, room, &k)) {
        *why = "a breakout group cannot have groups of its own";
        return 409;
    }
    char suffix[CV_BREAKOUT_MAX_GROUPS][CV_BREAKOUT_SUFFIX_LEN + 1];
    for (int g = 0; g < cmd->groups; g++)
        cv_random_hex(suffix[g], CV_BREAKOUT_SUFFIX_LEN);
    int64_t ends = cmd->duration ? cv_now_us() + (int64_t)cmd->duration * 1000000 : 0;
    cv_breakout_t *r =
        cv_breakout_open(api->breakouts, room, cmd->groups,
                         (const char(*)[CV_BREAKOUT_SUFFIX_LEN + 1]) suffix, ends, &err);
    if (!r) {
        *why = err == CV_E_STATE ? "this room has breakout groups already"
                                 : "too many rooms have breakout groups";
        return err == CV_E_STATE ? 409 : 503;
    }
    int st = cmd->n_assign < 0 ? (assign_random_locked(api, room, r) < 0 ? 400 : 0)
                               : assign_by_hand_locked(api, room, r, cmd, why);
    if (st) {
        if (st == 400 && cmd->n_assign < 0)
            *why = "too many participants to place";
        cv_breakout_close(api->breakouts, room);
        return st;
    }
    json_t *groups = json_array();
    for (int g = 0; g < r->n_groups; g++)
        json_array_append_new(
            groups, json_pack("{s:i, s:s, s:[]}", "group", g + 1, "room", r->group[g], "members"));
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if (!cv_api_same_room(cv_session_room(s), room) ||
            cv_session_info(s)->role != CV_ROLE_PARTICIPANT)
            continue;
        int g = cv_breakout_group_of(r, cv_session_info(s)->name);
        if (g < 0)
            continue;
        json_array_append_new(json_object_get(json_array_get(groups, (size_t)g), "members"),
                              json_string(cv_session_info(s)->name));
        move_locked(api, r, g, s, "moved", ns);
    }
    json_int_t left = seconds_left(r);
    json_t *o = json_pack("{s:s, s:o}", "state", "open", "groups", groups);
    json_object_set_new(o, "left", left < 0 ? json_null() : json_integer(left));
    note(ns, cv_session_id(from), 0, "breakout", o);
    return 0;
}

/* Under the lock: everyone in r's groups goes back to its parent. */
static void close_locked(cv_api_t *api, const char *parent, cv_api_notes_t *ns)
{
    int k;
    cv_breakout_t *r = cv_breakout_by_parent(api->breakouts, parent);
    if (!r)
        return;
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        const char *sr = cv_session_room(s);
        cv_breakout_t *of = sr ? cv_breakout_by_group(api->breakouts, sr, &k) : NULL;
        if (of != r || cv_session_info(s)->role == CV_ROLE_SCREEN)
            continue;
        char t[CV_LOBBY_SECRET_LEN + 1];
        ticket_locked(api, parent, cv_session_info(s)->name, 0, t);
        note(ns, cv_session_id(s), 0, "breakout",
             json_pack("{s:s, s:s, s:s}", "state", "return", "room", parent, "ticket", t));
    }
    cv_breakout_close(api->breakouts, parent);
}

int cv_api_breakout_command_locked(cv_api_t *api, const char *room, cv_session_t *from,
                                   const cv_command_t *cmd, cv_api_notes_t *ns, const char **why)
{
    int st = cv_access_may_command(cmd->type, cv_session_info(from)->moderator, why);
    if (st)
        return st;
    if (cmd->type == CV_CMD_BREAKOUT_OPEN)
        return open_locked(api, room, from, cmd, ns, why);
    int k;
    cv_breakout_t *r = cv_breakout_by_parent(api->breakouts, room);
    cv_breakout_t *g = r ? NULL : cv_breakout_by_group(api->breakouts, room, &k);
    if (!r && g && cmd->type != CV_CMD_BREAKOUT_VISIT)
        r = g; /* a visiting moderator speaks for the parent from a group */
    if (!r && !g) {
        *why = "this room has no breakout groups";
        return 409;
    }
    if (!r)
        r = g;
    if (cmd->type == CV_CMD_BREAKOUT_CLOSE) {
        close_locked(api, r->parent, ns);
    } else if (cmd->type == CV_CMD_BREAKOUT_VISIT) {
        if (cmd->groups > r->n_groups) {
            *why = "no such group";
            return 404;
        }
        move_locked(api, r, cmd->groups - 1, from, "visit", ns);
    } else {
        const cv_session_info_t *in = cv_session_info(from);
        json_int_t t = (json_int_t)(cv_wall_us() / 1000);
        for (int i = -1; i < r->n_groups; i++)
            note(ns, i < 0 ? r->parent : r->group[i], 1, "chat",
                 json_pack("{s:s, s:s, s:s, s:I, s:b}", "from", in->public_id, "name", in->name,
                           "text", cmd->text, "time", t, "broadcast", 1));
    }
    return 0;
}

int cv_api_breakout_gate_locked(cv_api_t *api, const char *room)
{
    int k;
    return cv_breakout_by_group(api->breakouts, room, &k) != NULL;
}

int cv_api_breakout_layout_locked(cv_api_t *api, const char *room)
{
    int k;
    cv_breakout_t *r = cv_breakout_by_group(api->breakouts, room, &k);
    if (!r)
        return -1;
    int layout = cv_moderation_layout(api->mod, r->parent);
    /* a group has no lecturer: the lecture layout would only mute it */
    return layout == CV_LAYOUT_MODE_LECTURE ? CV_LAYOUT_MODE_GRID : layout;
}

void cv_api_breakout_rejoin_locked(cv_api_t *api, cv_session_t *s, cv_api_notes_t *ns)
{
    const char *room = cv_session_room(s);
    cv_breakout_t *r = room ? cv_breakout_by_parent(api->breakouts, room) : NULL;
    if (!r || cv_session_info(s)->role != CV_ROLE_PARTICIPANT)
        return;
    int g = cv_breakout_group_of(r, cv_session_info(s)->name);
    if (g >= 0)
        move_locked(api, r, g, s, "moved", ns);
}

void cv_api_breakout_tick(cv_api_t *api)
{
    cv_api_notes_t ns = {0};
    char parent[65];
    pthread_mutex_lock(&api->lock);
    int64_t now = cv_now_us();
    while (cv_breakout_due(api->breakouts, now, parent))
        close_locked(api, parent, &ns);
    /* groups nobody is in any more, of a parent nobody is in, end too */
    for (int i = 0; i < CV_BREAKOUT_PARENTS; i++) {
        const cv_breakout_t *r = cv_breakout_at(api->breakouts, i);
        int empty = r && cv_api_room_empty_locked(api, r->parent);
        for (int g = 0; r && empty && g < r->n_groups; g++) /* nor on its way there */
            empty = cv_api_room_empty_locked(api, r->group[g]) &&
                    cv_lobby_count_room(api->lobby, r->group[g]) == 0;
        if (empty)
            cv_breakout_close(api->breakouts, r->parent);
    }
    pthread_mutex_unlock(&api->lock);
    cv_api_notes_send(api, &ns);
}
