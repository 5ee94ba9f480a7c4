/*
 * command.h - the JSON commands a participant's browser sends
 * (POST /rooms/{room}/sessions/{id}/command): parsed and checked here, applied
 * by the API. Pure: bytes in, a command or a one-line reason out. Any thread.
 */
#ifndef CV_COMMAND_H
#define CV_COMMAND_H

#include <stddef.h>

#define CV_COMMAND_MAX 4096 /* bytes of JSON */
#define CV_CHAT_MAX 1000    /* bytes of a chat message (UTF-8) */

enum { CV_CMD_MUTE = 1, CV_CMD_CAMERA, CV_CMD_HAND, CV_CMD_CHAT };

typedef struct {
    int type;                   /* CV_CMD_* */
    int flag;                   /* mute: audio muted; camera: on; hand: raised */
    char text[CV_CHAT_MAX + 1]; /* chat: valid UTF-8, NUL-free */
} cv_command_t;

/* Parses one command. Returns 0, CV_E_NOSPACE (larger than CV_COMMAND_MAX)
 * or CV_E_INVAL with *why set to a static reason for a 400 answer. */
int cv_command_parse(const char *json, size_t len, cv_command_t *out, const char **why);

#endif
