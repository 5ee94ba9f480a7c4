/*
 * api_int.h - what the parts of the API share, private to signaling/api*.c:
 * the API structure and the functions one part calls in another. api.c holds
 * the lifecycle and the speaker tick, api_routes.c the routing and the plain
 * answers, api_sessions.c the session table and the requests that change
 * it, api_files.c the static files of www/.
 */
#ifndef CV_API_INT_H
#define CV_API_INT_H

#include "api.h"
#include "moderation.h"
#include "streamtok.h"

#include <glib.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#define SPEAKER_ROOMS 256

struct cv_api {
    cv_session_env_t env;
    char www[PATH_MAX];
    int max_sessions;
    pthread_mutex_t lock;
    cv_session_t **sessions; /* unordered; a room-less echo session or a room's */
    int n_sessions;
    cv_events_t *events;
    cv_settings_t *settings; /* borrowed */
    cv_moderation_t *mod;    /* room states: under the lock */
    cv_streamtok_t *tokens;  /* event stream tokens: under the lock */
    GSource *tick;           /* on the network loop: speakers and pings */
    atomic_int stopping;     /* shutdown began: failed sessions wait for cv_api_destroy */
    int ticks;
    struct {
        char room[65];
        int active;       /* last active speaker index published, -2: none yet */
    } spk[SPEAKER_ROOMS]; /* loop thread only */
    int n_spk;
};

/* api.c: the room's active speaker (under the lock) and its event data. */
const char *cv_api_speaker_locked(cv_api_t *api, const char *room, int *index);
char *cv_api_speakers_json(const char *public_id);

/* api_routes.c: answers and checks every route uses. */
void cv_api_reply(cv_api_resp_t *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cv_api_method_not_allowed(cv_api_resp_t *rs, const char *allow);
int cv_api_is_post_of(const cv_api_req_t *rq, const char *type, cv_api_resp_t *rs);
int cv_api_valid_session_id(const char *id);

/* api_sessions.c: the requests on sessions, and the session callbacks. */
int cv_api_same_room(const char *a, const char *b);
void cv_api_join(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role,
                 cv_api_resp_t *rs);
void cv_api_leave(cv_api_t *api, const char *room, const char *id, cv_api_resp_t *rs);
void cv_api_event_stream(cv_api_t *api, const cv_api_req_t *rq, const char *room,
                         cv_api_resp_t *rs);
void cv_api_command(cv_api_t *api, const cv_api_req_t *rq, const char *room, const char *id,
                    cv_api_resp_t *rs);
void cv_api_stream_token(cv_api_t *api, const cv_api_req_t *rq, const char *room,
                         cv_api_resp_t *rs);
void cv_api_on_session_failed(void *ud, cv_session_t *s);
void cv_api_on_video_paused(void *ud, cv_session_t *s, int paused);

/* api_files.c: a GET or HEAD of a file under the www root. */
void cv_api_serve_file(cv_api_t *api, const cv_api_req_t *rq, cv_api_resp_t *rs);

#endif
