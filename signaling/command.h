/*
 * command.h - the JSON commands a participant's browser sends
 * (POST /rooms/{room}/command): parsed and checked here, applied
 * by the API. Pure: bytes in, a command or a one-line reason out. Any thread.
 */
#ifndef CV_COMMAND_H
#define CV_COMMAND_H

#include <stddef.h>

#define CV_COMMAND_MAX 4096 /* bytes of JSON */
#define CV_CHAT_MAX 1000    /* bytes of a chat message (UTF-8) */

#define CV_PUBLIC_ID_LEN 16 /* hex digits of a participant id in the roster */

/* Commands of everyone (mute .. chat), then those of a moderator only. */
enum {
    CV_CMD_MUTE = 1,
    CV_CMD_CAMERA,
    CV_CMD_HAND,
    CV_CMD_RECEIVE, /* {"video": bool}: false, low data (no video sent to it) */
    CV_CMD_VIEW,    /* {"portrait": bool}: its window is upright */
    CV_CMD_CHAT,
    CV_CMD_LAYOUT,             /* {"layout": "grid" | "speaker" | "lecture"} */
    CV_CMD_FLOOR,              /* {"participant": id, "on": bool} */
    CV_CMD_MUTE_PARTICIPANT,   /* {"participant": id} */
    CV_CMD_REMOVE,             /* {"participant": id} */
    CV_CMD_LOCK,               /* {"locked": bool} */
    CV_CMD_PASSWORD,           /* {"password": "..." | null} */
    CV_CMD_RECORD,             /* {"on": bool}: start or stop recording the room */
    CV_CMD_LOBBY,              /* {"lobby": "no" | "yes" | "all"} */
    CV_CMD_ADMIT,              /* {"participant": id of the waiting list} */
    CV_CMD_DENY,               /* {"participant": id of the waiting list} */
    CV_CMD_ADMIT_ALL,          /* {} */
    CV_CMD_BREAKOUT_OPEN,      /* {"groups": 2..20, "assign": "random" | {id: 1..groups},
                                  "duration": 0..14400 s} */
    CV_CMD_BREAKOUT_CLOSE,     /* {} */
    CV_CMD_BREAKOUT_VISIT,     /* {"group": 1..20} */
    CV_CMD_BREAKOUT_BROADCAST, /* {"text": "..."}, as chat */
};

#define CV_COMMAND_MAX_ASSIGN 100 /* ids a breakout_open may place by hand */

typedef struct {
    int type;   /* CV_CMD_* */
    int flag;   /* mute: audio muted; camera, floor, record: on; hand: raised; lock; lobby:
                   CV_LOBBY_*;   receive: video; view: portrait */
    int layout; /* layout: CV_LAYOUT_MODE_* */
    char participant[CV_PUBLIC_ID_LEN + 1]; /* floor, mute_participant, remove, admit, deny:
                                               16 hex digits */
    char text[CV_CHAT_MAX + 1]; /* chat, breakout_broadcast: valid UTF-8, NUL-free; password: the
                                   new one, "" = none */
    int groups;                 /* breakout_open: how many; breakout_visit: which, 1-based */
    int duration;               /* breakout_open: seconds, 0 = until closed */
    int n_assign;               /* breakout_open: -1 random, else the ids placed by hand */
    struct {
        char id[CV_PUBLIC_ID_LEN + 1];
        int group; /* 1-based */
    } assign[CV_COMMAND_MAX_ASSIGN];
} cv_command_t;

/* Parses one command. Returns 0, CV_E_NOSPACE (larger than CV_COMMAND_MAX)
 * or CV_E_INVAL with *why set to a static reason for a 400 answer. */
int cv_command_parse(const char *json, size_t len, cv_command_t *out, const char **why);

#endif
