/*
 * moderation.c - room state beside the mixer: admission, roles, commands
 * and the events that show them (moderation.h). HTTP threads, always under
 * the API's table lock. Secrets are kept as SHA-256 digests and compared in
 * constant time (access.c); tokens come from OpenSSL's RAND_bytes.
 */
#include "moderation.h"

#include "clock.h"
#include "err.h"
#include "mem.h"
#include "names.h"

#include <jansson.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rstate {
    struct rstate *next;
    char name[65];
    int pending;     /* admitted joins not yet in the table */
    int locked;      /* new attendees are refused */
    int pw_override; /* a moderator set or cleared the password: has_pw/pw, not the ini's */
    int has_pw;
    uint8_t pw[CV_ACCESS_DIGEST_LEN];
    char token[CV_ACCESS_TOKEN_LEN + 1]; /* the creator's moderator token, "" before */
    int layout;                          /* CV_LAYOUT_MODE_* */
    int recording;                       /* a recording of the room is on */
    int lobby;                           /* CV_LOBBY_*: the ini's, until a moderator switches it */
};

struct cv_moderation {
    struct rstate *rooms;
    cv_config_room_t *cfg; /* the ini's [room NAME] sections */
    int n_cfg;
};

cv_moderation_t *cv_moderation_create(void)
{
    return cv_xcalloc(1, sizeof(cv_moderation_t));
}

void cv_moderation_destroy(cv_moderation_t *m)
{
    if (!m)
        return;
    while (m->rooms) {
        struct rstate *r = m->rooms;
        m->rooms = r->next;
        free(r);
    }
    free(m->cfg);
    free(m);
}

void cv_moderation_set_config(cv_moderation_t *m, const cv_config_t *cfg)
{
    free(m->cfg);
    m->n_cfg = cfg->n_rooms;
    m->cfg = cv_xcalloc((size_t)cfg->n_rooms + 1, sizeof(cv_config_room_t));
    memcpy(m->cfg, cfg->rooms, (size_t)cfg->n_rooms * sizeof(cv_config_room_t));
}

static const cv_config_room_t *cfg_of(const cv_moderation_t *m, const char *room)
{
    for (int i = 0; i < m->n_cfg; i++)
        if (strcasecmp(m->cfg[i].name, room) == 0) /* the ini may spell it in any case */
            return &m->cfg[i];
    return NULL;
}

static struct rstate *find(cv_moderation_t *m, const char *room)
{
    for (struct rstate *r = m->rooms; r; r = r->next)
        if (strcmp(r->name, room) == 0)
            return r;
    return NULL;
}

static int in_room(cv_session_t *s, const char *room)
{
    return cv_session_room(s) && strcmp(cv_session_room(s), room) == 0;
}

/* A session that sends a voice: the floor and mutes apply to it. */
static int has_voice(const cv_session_info_t *in)
{
    return in->role == CV_ROLE_PARTICIPANT || in->role == CV_ROLE_PUBLISHER;
}

/* A name as JSON carries it: joins are checked (names.h), but a name JSON
 * cannot hold must never take its session out of the roster or a chat. */
static const char *shown_name(const char *n)
{
    char tmp[CV_NAME_MAX_BYTES + 1];
    return cv_name_clean(n, tmp, sizeof(tmp)) == NULL ? n : "?";
}

/* The secrets of a room as access.c weighs them. */
static void room_secrets(const cv_moderation_t *m, const struct rstate *r, const char *room,
                         cv_access_room_t *out)
{
    memset(out, 0, sizeof(*out));
    const cv_config_room_t *c = cfg_of(m, room);
    if (r && r->pw_override) {
        out->has_password = r->has_pw;
        memcpy(out->password, r->pw, sizeof(out->password));
    } else if (c && c->password[0]) {
        out->has_password = 1;
        cv_access_digest(c->password, out->password);
    }
    if (c && c->moderator_password[0]) {
        out->has_moderator = 1;
        cv_access_digest(c->moderator_password, out->moderator);
    }
    if (r && r->token[0]) {
        out->has_token = 1;
        cv_access_digest(r->token, out->token);
    }
    out->locked = r && r->locked;
    out->empty = !r;
}

/* In a lecture, a screen is shared by a moderator or whoever has the floor. */
static int screen_allowed(cv_session_t *const *list, int n, const struct rstate *r,
                          const char *owner, const char **why)
{
    if (!r || r->layout != CV_LAYOUT_MODE_LECTURE || !owner)
        return 0;
    for (int i = 0; i < n; i++) {
        const cv_session_info_t *in = cv_session_info(list[i]);
        if (strcmp(cv_session_id(list[i]), owner) == 0)
            return cv_access_may_speak(1, in->moderator, in->floor, why);
    }
    return 0;
}

int cv_moderation_admit(cv_moderation_t *m, cv_session_t *const *list, int n, const char *room,
                        const char *bearer, int role, const char *owner, int *admit,
                        const char **why)
{
    struct rstate *r = find(m, room);
    cv_access_room_t sec;
    room_secrets(m, r, room, &sec);
    if (role == CV_ROLE_SCREEN)
        sec.locked = 0; /* its owner is already in */
    int rc = cv_access_admit(&sec, bearer, why);
    if (rc >= 100)
        return rc;
    if (role == CV_ROLE_SCREEN) {
        int st = rc == CV_ACCESS_ATTENDEE ? screen_allowed(list, n, r, owner, why) : 0;
        if (st)
            return st;
    }
    if (!r) {
        r = cv_xcalloc(1, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", room);
        const cv_config_room_t *c = cfg_of(m, room);
        r->layout = c ? c->layout : CV_LAYOUT_MODE_GRID;
        r->lobby = c ? c->lobby : CV_LOBBY_NO;
        r->next = m->rooms;
        m->rooms = r;
    }
    r->pending++;
    *admit = rc;
    return 0;
}

static void new_token(char *out)
{
    uint8_t b[CV_ACCESS_TOKEN_LEN / 2];
    if (RAND_bytes(b, sizeof(b)) != 1)
        abort(); /* no randomness: nothing safe to hand out */
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

void cv_moderation_enter(cv_moderation_t *m, const char *room, cv_session_t *s, int admit)
{
    struct rstate *r = find(m, room);
    if (!r)
        return;
    r->pending--;
    if (!s)
        return;
    cv_session_info_t *in = cv_session_info(s);
    in->moderator = admit != CV_ACCESS_ATTENDEE && in->role != CV_ROLE_SCREEN;
    in->creator = admit == CV_ACCESS_CREATOR && in->moderator;
    if (in->creator && !r->token[0])
        new_token(r->token);
    cv_part_t *part = cv_session_part(s);
    if (!part)
        return;
    if (cv_session_mixer_room(s))
        cv_room_set_layout(cv_mixer_room_of(cv_session_mixer_room(s)), r->layout);
    if (in->moderator && has_voice(in))
        cv_part_set_lecturer(part, 1);
    if (r->layout == CV_LAYOUT_MODE_LECTURE && !in->moderator && has_voice(in)) {
        in->muted = 1;
        cv_part_set_muted(part, 1);
    }
}

void cv_moderation_tidy(cv_moderation_t *m, cv_session_t *const *list, int n, const char *room)
{
    for (int i = 0; i < n; i++)
        if (in_room(list[i], room))
            return;
    for (struct rstate **pp = &m->rooms; *pp; pp = &(*pp)->next) {
        struct rstate *r = *pp;
        if (strcmp(r->name, room) == 0) {
            if (r->pending == 0) {
                *pp = r->next;
                free(r);
            }
            return;
        }
    }
}

/* ---- commands ---- */

static void set_muted(cv_session_t *s, int muted)
{
    cv_session_info(s)->muted = muted;
    if (cv_session_part(s))
        cv_part_set_muted(cv_session_part(s), muted);
}

/* mute, camera, hand, receive, view, chat: a participant about itself. */
static int self_command(const struct rstate *r, cv_session_t *s, const cv_command_t *cmd,
                        cv_moderation_fx_t *fx, const char **why)
{
    cv_session_info_t *in = cv_session_info(s);
    if (in->role != CV_ROLE_PARTICIPANT) {
        *why = "only participants send commands";
        return 400;
    }
    int lecture = r && r->layout == CV_LAYOUT_MODE_LECTURE;
    int st, was;
    switch (cmd->type) {
    case CV_CMD_MUTE:
        if (!cmd->flag && (st = cv_access_may_speak(lecture, in->moderator, in->floor, why)))
            return st;
        was = in->muted;
        set_muted(s, cmd->flag);
        break;
    case CV_CMD_CAMERA:
        was = in->camera;
        in->camera = cmd->flag;
        cv_part_set_camera(cv_session_part(s), cmd->flag);
        break;
    case CV_CMD_HAND:
        was = in->hand;
        in->hand = cmd->flag;
        break;
    case CV_CMD_RECEIVE: /* what it receives: nothing others see */
        if (cv_session_part(s))
            cv_part_set_receive_video(cv_session_part(s), cmd->flag);
        return 0;
    case CV_CMD_VIEW:
        if (cv_session_part(s))
            cv_part_set_portrait(cv_session_part(s), cmd->flag);
        return 0;
    case CV_CMD_CHAT: {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:I}", "from", in->public_id, "name", shown_name(in->name),
                      "text", cmd->text, "time", (json_int_t)(cv_wall_us() / 1000));
        fx->chat = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return 0;
    }
    default: return 0;
    }
    fx->changed = !!was != !!cmd->flag; /* the same again changes nothing others see */
    return 0;
}

static cv_session_t *by_public_id(cv_session_t *const *list, int n, const char *room,
                                  const char *id)
{
    for (int i = 0; i < n; i++)
        if (in_room(list[i], room) && strcmp(cv_session_info(list[i])->public_id, id) == 0)
            return list[i];
    return NULL;
}

static void set_layout(struct rstate *r, cv_session_t *const *list, int n, int layout)
{
    r->layout = layout;
    int applied = 0;
    for (int i = 0; i < n; i++) {
        cv_session_t *s = list[i];
        if (!in_room(s, r->name))
            continue;
        if (!applied && cv_session_mixer_room(s)) {
            cv_room_set_layout(cv_mixer_room_of(cv_session_mixer_room(s)), layout);
            applied = 1;
        }
        const cv_session_info_t *in = cv_session_info(s);
        if (layout == CV_LAYOUT_MODE_LECTURE && has_voice(in) && !in->moderator && !in->floor)
            set_muted(s, 1);
    }
}

/* floor, mute_participant, remove: about another session of the room. */
static int target_command(cv_session_t *const *list, int n, const char *room, cv_session_t *from,
                          const cv_command_t *cmd, cv_moderation_fx_t *fx, const char **why)
{
    cv_session_t *t = by_public_id(list, n, room, cmd->participant);
    if (!t) {
        *why = "no such participant in this room";
        return 404;
    }
    cv_session_info_t *in = cv_session_info(t);
    if (cmd->type == CV_CMD_REMOVE) {
        if (t == from) {
            *why = "to leave, end your own session (DELETE)";
            return 400;
        }
        snprintf(fx->remove, sizeof(fx->remove), "%s", cv_session_id(t));
        return 0;
    }
    if (!has_voice(in)) {
        *why = "that participant sends no sound";
        return 400;
    }
    if (cmd->type == CV_CMD_FLOOR) {
        in->floor = cmd->flag;
        if (cmd->flag)
            in->hand = 0;
        set_muted(t, !cmd->flag);
    } else {
        set_muted(t, 1);
    }
    fx->changed = 1;
    return 0;
}

int cv_moderation_apply(cv_moderation_t *m, cv_session_t *const *list, int n, const char *room,
                        cv_session_t *from, const cv_command_t *cmd, cv_moderation_fx_t *fx,
                        const char **why)
{
    memset(fx, 0, sizeof(*fx));
    struct rstate *r = find(m, room);
    const cv_session_info_t *in = cv_session_info(from);
    if (in->role == CV_ROLE_SCREEN) {
        *why = "only participants send commands";
        return 400;
    }
    int st = cv_access_may_command(cmd->type, in->moderator, why);
    if (st)
        return st;
    if (cmd->type <= CV_CMD_CHAT)
        return self_command(r, from, cmd, fx, why);
    if (!r) {
        *why = "room state lost";
        return 500;
    }
    switch (cmd->type) {
    case CV_CMD_LAYOUT: set_layout(r, list, n, cmd->layout); break;
    case CV_CMD_LOCK: r->locked = cmd->flag; break;
    case CV_CMD_RECORD: fx->record = cmd->flag ? 2 : 1; return 0; /* the API starts or stops it */
    case CV_CMD_LOBBY: r->lobby = cmd->flag; break;
    case CV_CMD_PASSWORD:
        r->pw_override = 1;
        r->has_pw = cmd->text[0] != 0;
        if (r->has_pw)
            cv_access_digest(cmd->text, r->pw);
        break;
    default: return target_command(list, n, room, from, cmd, fx, why);
    }
    fx->changed = 1;
    return 0;
}

/* ---- events ---- */

static char *dump(json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static const char *role_name(int role)
{
    switch (role) {
    case CV_ROLE_SCREEN: return "screen";
    case CV_ROLE_PUBLISHER: return "publisher";
    case CV_ROLE_VIEWER: return "viewer";
    default: return "participant";
    }
}

static const char *public_of(cv_session_t *const *list, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cv_session_id(list[i]), id) == 0)
            return cv_session_info(list[i])->public_id;
    return "";
}

char *cv_moderation_roster_json(cv_session_t *const *list, int n, const char *room)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        cv_session_t *s = list[i];
        if (!in_room(s, room))
            continue;
        const cv_session_info_t *in = cv_session_info(s);
        json_t *p = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b}", "id", in->public_id,
                              "name", shown_name(in->name), "role", role_name(in->role), "muted",
                              in->muted, "camera", in->camera, "hand", in->hand, "moderator",
                              in->moderator, "floor", in->floor);
        if (!p) /* cannot happen with shown_name; still, never leave anyone out */
            p = json_pack("{s:s, s:s, s:s}", "id", in->public_id, "name", "?", "role",
                          role_name(in->role));
        if (in->role == CV_ROLE_SCREEN)
            json_object_set_new(p, "owner", json_string(public_of(list, n, in->owner)));
        json_array_append_new(arr, p);
    }
    return dump(json_pack("{s:o}", "participants", arr));
}

char *cv_moderation_layout_json(cv_moderation_t *m, cv_session_t *const *list, int n,
                                const char *room)
{
    const struct rstate *r = find(m, room);
    int layout = r ? r->layout : CV_LAYOUT_MODE_GRID;
    const char *screen = NULL, *lecturer = NULL;
    for (int i = 0; i < n; i++) {
        const cv_session_info_t *in = cv_session_info(list[i]);
        if (!in_room(list[i], room))
            continue;
        if (!screen && in->role == CV_ROLE_SCREEN)
            screen = in->public_id;
        if (!lecturer && in->moderator && has_voice(in))
            lecturer = in->public_id;
    }
    const char *mode = cv_access_layout_name(layout);
    if (layout == CV_LAYOUT_MODE_GRID && screen)
        mode = "presenter";
    json_t *o =
        json_pack("{s:s, s:o}", "mode", mode, "screen", screen ? json_string(screen) : json_null());
    if (layout == CV_LAYOUT_MODE_LECTURE)
        json_object_set_new(o, "lecturer", lecturer ? json_string(lecturer) : json_null());
    return dump(o);
}

char *cv_moderation_room_json(cv_moderation_t *m, const char *room)
{
    const struct rstate *r = find(m, room);
    cv_access_room_t sec;
    room_secrets(m, r, room, &sec);
    return dump(json_pack("{s:s, s:b, s:b, s:b, s:s}", "layout",
                          cv_access_layout_name(r ? r->layout : CV_LAYOUT_MODE_GRID), "locked",
                          sec.locked, "password", sec.has_password, "recording", r && r->recording,
                          "lobby", cv_config_lobby_name(cv_moderation_lobby(m, room))));
}

void cv_moderation_set_recording(cv_moderation_t *m, const char *room, int on)
{
    struct rstate *r = find(m, room);
    if (r)
        r->recording = on;
}

int cv_moderation_recording(cv_moderation_t *m, const char *room)
{
    const struct rstate *r = find(m, room);
    return r && r->recording;
}

int cv_moderation_lobby(cv_moderation_t *m, const char *room)
{
    const struct rstate *r = find(m, room);
    if (r)
        return r->lobby;
    const cv_config_room_t *c = cfg_of(m, room);
    return c ? c->lobby : CV_LOBBY_NO;
}

int cv_moderation_layout(cv_moderation_t *m, const char *room)
{
    const struct rstate *r = find(m, room);
    return r ? r->layout : CV_LAYOUT_MODE_GRID;
}

void cv_moderation_set_layout(cv_moderation_t *m, cv_session_t *const *list, int n,
                              const char *room, int layout)
{
    struct rstate *r = find(m, room);
    if (r && r->layout != layout)
        set_layout(r, list, n, layout);
}

int cv_moderation_has_password(cv_moderation_t *m, const char *room)
{
    cv_access_room_t sec;
    room_secrets(m, find(m, room), room, &sec);
    return sec.has_password;
}

const char *cv_moderation_token(cv_moderation_t *m, cv_session_t *s)
{
    const struct rstate *r = cv_session_room(s) ? find(m, cv_session_room(s)) : NULL;
    return r && r->token[0] && cv_session_info(s)->creator ? r->token : NULL;
}

char *cv_moderation_hello_json(cv_moderation_t *m, cv_session_t *s)
{
    const cv_session_info_t *in = cv_session_info(s);
    json_t *o = json_pack("{s:s, s:b}", "you", in->public_id, "moderator", in->moderator);
    const char *token = cv_moderation_token(m, s);
    if (token)
        json_object_set_new(o, "token", json_string(token));
    return dump(o);
}
