/*
 * command.c - parse and check participant commands (JSON, RFC 8259, via
 * jansson). Pure.
 */
#include "command.h"

#include "access.h"
#include "config.h"
#include "err.h"

#include <jansson.h>
#include <string.h>

static int flag_of(json_t *cmd, const char *key, int *out)
{
    json_t *v = json_object_get(cmd, key);
    if (!json_is_boolean(v))
        return CV_E_INVAL;
    *out = json_is_true(v);
    return 0;
}

/* "participant": the public id of a roster entry (16 lowercase hex digits). */
static int participant_of(json_t *cmd, cv_command_t *out)
{
    const char *v = json_string_value(json_object_get(cmd, "participant"));
    if (!v || strlen(v) != CV_PUBLIC_ID_LEN)
        return CV_E_INVAL;
    for (size_t i = 0; i < CV_PUBLIC_ID_LEN; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return CV_E_INVAL;
    memcpy(out->participant, v, CV_PUBLIC_ID_LEN + 1);
    return 0;
}

/* The commands of a moderator; CV_E_NOTFOUND for another type. */
static int parse_moderator(json_t *cmd, const char *type, cv_command_t *out, const char **why)
{
    if (strcmp(type, "layout") == 0) {
        out->type = CV_CMD_LAYOUT;
        const char *v = json_string_value(json_object_get(cmd, "layout"));
        out->layout = v ? cv_access_layout_parse(v) : CV_E_INVAL;
        *why = "layout needs \"layout\": \"grid\", \"speaker\" or \"lecture\"";
        return out->layout < 0 ? CV_E_INVAL : 0;
    }
    if (strcmp(type, "floor") == 0) {
        out->type = CV_CMD_FLOOR;
        *why = "floor needs \"participant\": an id of the roster and \"on\": true or false";
        return participant_of(cmd, out) < 0 ? CV_E_INVAL : flag_of(cmd, "on", &out->flag);
    }
    if (strcmp(type, "mute_participant") == 0 || strcmp(type, "remove") == 0) {
        out->type = type[0] == 'm' ? CV_CMD_MUTE_PARTICIPANT : CV_CMD_REMOVE;
        *why = type[0] == 'm' ? "mute_participant needs \"participant\": an id of the roster"
                              : "remove needs \"participant\": an id of the roster";
        return participant_of(cmd, out);
    }
    if (strcmp(type, "lobby") == 0) {
        out->type = CV_CMD_LOBBY;
        const char *v = json_string_value(json_object_get(cmd, "lobby"));
        out->flag = v ? cv_config_lobby_parse(v) : CV_E_INVAL;
        *why = "lobby needs \"lobby\": \"no\", \"yes\" or \"all\"";
        return out->flag < 0 ? CV_E_INVAL : 0;
    }
    if (strcmp(type, "admit") == 0 || strcmp(type, "deny") == 0) {
        out->type = type[0] == 'a' ? CV_CMD_ADMIT : CV_CMD_DENY;
        *why = type[0] == 'a' ? "admit needs \"participant\": an id of the waiting list"
                              : "deny needs \"participant\": an id of the waiting list";
        return participant_of(cmd, out);
    }
    if (strcmp(type, "admit_all") == 0) {
        out->type = CV_CMD_ADMIT_ALL;
        return 0;
    }
    if (strcmp(type, "lock") == 0) {
        out->type = CV_CMD_LOCK;
        *why = "lock needs \"locked\": true or false";
        return flag_of(cmd, "locked", &out->flag);
    }
    if (strcmp(type, "record") == 0) {
        out->type = CV_CMD_RECORD;
        *why = "record needs \"on\": true or false";
        return flag_of(cmd, "on", &out->flag);
    }
    if (strcmp(type, "password") == 0) {
        out->type = CV_CMD_PASSWORD;
        json_t *p = json_object_get(cmd, "password");
        if (json_is_null(p))
            return 0; /* text "" : no password */
        size_t n = json_string_length(p);
        const char *v = json_string_value(p);
        if (!v || !cv_access_password_ok(v, n)) {
            *why = "password needs \"password\": null or 1 to 128 printable ASCII characters, "
                   "no space at either end";
            return CV_E_INVAL;
        }
        memcpy(out->text, v, n + 1);
        return 0;
    }
    return CV_E_NOTFOUND;
}

/* "text" of 1 to CV_CHAT_MAX bytes into out->text. */
static int text_of(json_t *cmd, cv_command_t *out)
{
    json_t *t = json_object_get(cmd, "text");
    size_t n = json_string_length(t);
    /* jansson checked the UTF-8; a \u0000 escape would cut the text short */
    if (!json_is_string(t) || n < 1 || n > CV_CHAT_MAX || memchr(json_string_value(t), 0, n))
        return CV_E_INVAL;
    memcpy(out->text, json_string_value(t), n);
    out->text[n] = 0;
    return 0;
}

/* "assign": "random", or an object of public ids to groups 1..groups. */
static int assign_of(json_t *cmd, cv_command_t *out)
{
    json_t *a = json_object_get(cmd, "assign");
    if (!a || (json_is_string(a) && strcmp(json_string_value(a), "random") == 0)) {
        out->n_assign = -1;
        return 0;
    }
    if (!json_is_object(a) || json_object_size(a) > CV_COMMAND_MAX_ASSIGN)
        return CV_E_INVAL;
    const char *id;
    json_t *g;
    json_object_foreach(a, id, g)
    {
        json_t *one = json_pack("{s:s}", "participant", id);
        int rc = one ? participant_of(one, out) : CV_E_INVAL;
        json_decref(one);
        if (rc < 0 || !json_is_integer(g) || json_integer_value(g) < 1 ||
            json_integer_value(g) > out->groups)
            return CV_E_INVAL;
        memcpy(out->assign[out->n_assign].id, out->participant, CV_PUBLIC_ID_LEN + 1);
        out->assign[out->n_assign].group = (int)json_integer_value(g);
        out->n_assign++;
    }
    out->participant[0] = 0;
    return 0;
}

/* The breakout commands; CV_E_NOTFOUND for another type. */
static int parse_breakout(json_t *cmd, const char *type, cv_command_t *out, const char **why)
{
    if (strcmp(type, "breakout_open") == 0) {
        out->type = CV_CMD_BREAKOUT_OPEN;
        *why = "breakout_open needs \"groups\": 2 to 20, \"assign\": \"random\" or {id: group}, "
               "\"duration\": 0 to 14400 seconds";
        json_t *g = json_object_get(cmd, "groups"), *d = json_object_get(cmd, "duration");
        if (!json_is_integer(g) || json_integer_value(g) < 2 || json_integer_value(g) > 20)
            return CV_E_INVAL;
        out->groups = (int)json_integer_value(g);
        if (d &&
            (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > 14400))
            return CV_E_INVAL;
        out->duration = d ? (int)json_integer_value(d) : 0;
        return assign_of(cmd, out);
    }
    if (strcmp(type, "breakout_close") == 0) {
        out->type = CV_CMD_BREAKOUT_CLOSE;
        return 0;
    }
    if (strcmp(type, "breakout_visit") == 0) {
        out->type = CV_CMD_BREAKOUT_VISIT;
        *why = "breakout_visit needs \"group\": 1 to 20";
        json_t *g = json_object_get(cmd, "group");
        if (!json_is_integer(g) || json_integer_value(g) < 1 || json_integer_value(g) > 20)
            return CV_E_INVAL;
        out->groups = (int)json_integer_value(g);
        return 0;
    }
    if (strcmp(type, "breakout_broadcast") == 0) {
        out->type = CV_CMD_BREAKOUT_BROADCAST;
        *why = "breakout_broadcast needs \"text\" of 1 to 1000 bytes";
        return text_of(cmd, out);
    }
    return CV_E_NOTFOUND;
}

static int parse_object(json_t *cmd, cv_command_t *out, const char **why)
{
    const char *type = json_string_value(json_object_get(cmd, "type"));
    if (!type) {
        *why = "\"type\" must be a string";
        return CV_E_INVAL;
    }
    if (strcmp(type, "mute") == 0) {
        out->type = CV_CMD_MUTE;
        *why = "mute needs \"audio\": true or false";
        return flag_of(cmd, "audio", &out->flag);
    }
    if (strcmp(type, "camera") == 0) {
        out->type = CV_CMD_CAMERA;
        *why = "camera needs \"on\": true or false";
        return flag_of(cmd, "on", &out->flag);
    }
    if (strcmp(type, "hand") == 0) {
        out->type = CV_CMD_HAND;
        *why = "hand needs \"raised\": true or false";
        return flag_of(cmd, "raised", &out->flag);
    }
    if (strcmp(type, "receive") == 0) {
        out->type = CV_CMD_RECEIVE;
        *why = "receive needs \"video\": true or false";
        return flag_of(cmd, "video", &out->flag);
    }
    if (strcmp(type, "view") == 0) {
        out->type = CV_CMD_VIEW;
        *why = "view needs \"portrait\": true or false";
        return flag_of(cmd, "portrait", &out->flag);
    }
    if (strcmp(type, "chat") == 0) {
        json_t *t = json_object_get(cmd, "text");
        size_t n = json_string_length(t);
        /* jansson checked the UTF-8; a \u0000 escape would cut the text short */
        if (!json_is_string(t) || n < 1 || n > CV_CHAT_MAX || memchr(json_string_value(t), 0, n)) {
            *why = "chat needs \"text\" of 1 to 1000 bytes";
            return CV_E_INVAL;
        }
        out->type = CV_CMD_CHAT;
        memcpy(out->text, json_string_value(t), n);
        out->text[n] = 0;
        return 0;
    }
    int rc = parse_moderator(cmd, type, out, why);
    if (rc != CV_E_NOTFOUND)
        return rc;
    rc = parse_breakout(cmd, type, out, why);
    if (rc != CV_E_NOTFOUND)
        return rc;
    *why = "unknown command type";
    return CV_E_INVAL;
}

int cv_command_parse(const char *json, size_t len, cv_command_t *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (len > CV_COMMAND_MAX) {
        *why = "command larger than 4096 bytes";
        return CV_E_NOSPACE;
    }
    json_error_t err;
    json_t *cmd = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (!cmd) {
        *why = "malformed JSON";
        return CV_E_INVAL;
    }
    int rc;
    if (!json_is_object(cmd)) {
        *why = "not a JSON object";
        rc = CV_E_INVAL;
    } else {
        rc = parse_object(cmd, out, why);
    }
    json_decref(cmd);
    if (rc == 0)
        *why = NULL;
    return rc;
}
