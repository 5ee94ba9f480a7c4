/*
 * moderation.h - the state of each room the signaling keeps beside the
 * mixer: who moderates, lock, password set by a moderator, layout, the
 * floor; admission of joins; the participants' commands; and the roster,
 * layout, room and hello events that show all this.
 *
 * Threads: HTTP threads. Nothing here has a lock of its own: every call is
 * made under the API's session-table lock, with that table passed in as
 * list/n (borrowed until return). Mixer setters called from here
 * (cv_part_set_muted, cv_room_set_layout, ...) are any-thread and quick.
 */
#ifndef CV_MODERATION_H
#define CV_MODERATION_H

#include "access.h"
#include "command.h"
#include "config.h"
#include "session.h"

typedef struct cv_moderation cv_moderation_t;

cv_moderation_t *cv_moderation_create(void);
/* NULL ok. */
void cv_moderation_destroy(cv_moderation_t *m);
/* Takes the [room NAME] sections of cfg (copied): passwords apply to the
 * next joins, a layout to rooms opened from now on. Safe to call again
 * (configuration reload). */
void cv_moderation_set_config(cv_moderation_t *m, const cv_config_t *cfg);

/* Admission of a join of `room` as role CV_ROLE_* (a screen share names its
 * owner's session id) presenting the Bearer credential `bearer` (NULL: none).
 * Returns 0 with *admit (CV_ACCESS_*) and the join counted as pending, or an
 * HTTP status (401, 403) with *why. Every admitted join must be followed by
 * one cv_moderation_enter. */
int cv_moderation_admit(cv_moderation_t *m, cv_session_t *const *list, int n, const char *room,
                        const char *bearer, int role, const char *owner, int *admit,
                        const char **why);
/* The admitted join's session s (NULL: the join failed) about to enter the
 * table: marks its role, mutes an attendee in the lecture layout, sets the
 * room's layout and the lecturer. */
void cv_moderation_enter(cv_moderation_t *m, const char *room, cv_session_t *s, int admit);
/* Forgets the state of room if it has no session left and no join pending
 * (so a room opened again starts unlocked, with the ini's settings). */
void cv_moderation_tidy(cv_moderation_t *m, cv_session_t *const *list, int n, const char *room);

/* What a command asks the API to do once its lock is released. */
typedef struct {
    char *chat;                         /* chat event to publish (heap), or NULL */
    int changed;                        /* publish roster, layout and room events */
    char remove[CV_SESSION_ID_LEN + 1]; /* session id to end, "" for none */
    int record;                         /* 0, or a moderator's record command: 1 stop, 2 start */
} cv_moderation_fx_t;

/* Applies cmd from session `from` of room. Returns 0, or an HTTP status
 * (400, 403, 404) with *why. */
int cv_moderation_apply(cv_moderation_t *m, cv_session_t *const *list, int n, const char *room,
                        cv_session_t *from, const cv_command_t *cmd, cv_moderation_fx_t *fx,
                        const char **why);

/* Whether room is being recorded, as its room event says (the API sets it
 * when a recording starts and ends). */
void cv_moderation_set_recording(cv_moderation_t *m, const char *room, int on);
int cv_moderation_recording(cv_moderation_t *m, const char *room);

/* Event payloads (one line of JSON each, heap, the caller frees):
 * roster {"participants":[{"id","name","role","muted","camera","hand",
 *   "moderator","floor"[,"owner"]}]}; layout {"mode","screen"[,"lecturer"]};
 * room {"layout","locked","password","recording","lobby"}; hello {"you","moderator"[,"token"]},
 * the token only to the room's creator. */
char *cv_moderation_roster_json(cv_session_t *const *list, int n, const char *room);
char *cv_moderation_layout_json(cv_moderation_t *m, cv_session_t *const *list, int n,
                                const char *room);
char *cv_moderation_room_json(cv_moderation_t *m, const char *room);
char *cv_moderation_hello_json(cv_moderation_t *m, cv_session_t *s);
/* Who waits in room's waiting room now (CV_LOBBY_*): the ini's lobby, or
 * what a moderator switched it to while the room is open. */
int cv_moderation_lobby(cv_moderation_t *m, const char *room);
/* room's layout now (CV_LAYOUT_MODE_*), grid for a room not open. */
int cv_moderation_layout(cv_moderation_t *m, const char *room);
/* Sets room's layout as a moderator's command would (a breakout group takes
 * its parent's). */
void cv_moderation_set_layout(cv_moderation_t *m, cv_session_t *const *list, int n,
                              const char *room, int layout);
/* 1 when room has a password now (the ini's or a moderator's). */
int cv_moderation_has_password(cv_moderation_t *m, const char *room);
/* The creator's moderator token of room (for a response header), or NULL. */
const char *cv_moderation_token(cv_moderation_t *m, cv_session_t *s);

#endif
