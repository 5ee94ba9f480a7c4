/*
 * command.c - parse and check participant commands (JSON, RFC 8259, via
 * jansson). Pure.
 */
#include "command.h"

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
