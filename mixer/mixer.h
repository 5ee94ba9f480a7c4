/*
 * mixer.h - the rooms of the server and the clock that drives them: a
 * scheduler thread wakes at absolute CLOCK_MONOTONIC deadlines and hands each
 * room's video tick (every 1/fps s) and audio tick (every 20 ms) to the
 * worker pool. A tick still running when its next deadline comes is not run
 * twice: that deadline is skipped and counted, so a slow room never delays
 * another one. When the workers fall behind, an overload controller
 * (overload.h) sheds video, never audio: some video ticks of every room, then
 * the best output tiers. Rooms are created on first join and freed when empty.
 * All functions may be called from any thread.
 */
#ifndef CV_MIXER_H
#define CV_MIXER_H

#include "pool.h"
#include "room.h"

typedef struct {
    cv_room_cfg_t room; /* settings of every new room */
    int max_rooms;      /* named rooms at once; echo checks are not counted */
    int open_rooms;     /* 0: only the rooms in `names` may be joined */
    const char *names;  /* comma-separated room names allowed when rooms are not open */
} cv_mixer_cfg_t;

typedef struct cv_mixer cv_mixer_t;
typedef struct cv_mixer_room cv_mixer_room_t;

/* The pool is borrowed. NULL on failure. */
cv_mixer_t *cv_mixer_create(cv_pool_t *pool, const cv_mixer_cfg_t *cfg);
/* Stops the clock and waits for running ticks; every participant must have left. NULL ok. */
void cv_mixer_destroy(cv_mixer_t *m);

/* Joins `room` as role CV_ROLE_* (NULL: a private echo room of one participant who sees and
 * hears themselves). Returns the participant and sets *handle for
 * cv_mixer_leave, or NULL with *err: CV_E_NOTFOUND (the room may not be
 * opened), CV_E_FULL (room or server full), CV_E_CODEC. */
cv_part_t *cv_mixer_join(cv_mixer_t *m, const char *room, const char *name, int role,
                         void (*notify)(void *ud), void *ud, cv_mixer_room_t **handle, int *err);
/* The room behind a handle (for its layout), valid while a participant of it
 * has not left. */
cv_room_t *cv_mixer_room_of(cv_mixer_room_t *handle);
/* The public index (cv_part_index) of the room's active speaker, or -1. */
int cv_mixer_active_speaker(cv_mixer_room_t *handle);
void cv_mixer_leave(cv_mixer_t *m, cv_mixer_room_t *handle, cv_part_t *p);

/* New limits from a reload (SIGHUP): cfg->room.max_participants (for new
 * rooms and for later joins of open ones; an echo check stays at one),
 * max_rooms, open_rooms and names (copied). The other fields of cfg are
 * ignored. Whoever is in a room stays; a room no longer allowed takes no
 * more joins. */
void cv_mixer_set_limits(cv_mixer_t *m, const cv_mixer_cfg_t *cfg);

typedef struct {
    int rooms, participants;
    uint64_t late_ticks;    /* deadlines skipped because the previous tick still ran */
    int overload_level;     /* 0..CV_OVERLOAD_MAX (overload.h) */
    uint64_t overload_shed; /* video ticks not run because of overload */
} cv_mixer_stats_t;
void cv_mixer_get_stats(cv_mixer_t *m, cv_mixer_stats_t *st);

#endif
