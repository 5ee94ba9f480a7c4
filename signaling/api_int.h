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
#include "breakout.h"
#include "lobby.h"
#include "moderation.h"
#include "ratelimit.h"
#include "streamtok.h"

#include <glib.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#define SPEAKER_ROOMS 256

/* Where a session in the table came from, for the limits per client. */
typedef struct {
    uint64_t client;  /* keyed hash of its client's key, 0 = not limited (loopback) */
    int64_t since_us; /* when it joined (cv_now_us) */
    int made_room;    /* its join opened its room (nobody was in it) */
} cv_api_origin_t;

struct cv_api {
    cv_session_env_t env;
    char www[PATH_MAX];
    int max_sessions;
    pthread_mutex_t lock;
    cv_session_t **sessions;  /* unordered; a room-less echo session or a room's */
    cv_api_origin_t *origins; /* origins[i] is that of sessions[i] */
    int n_sessions;
    uint64_t client_seed; /* keys the hashes of origins */
    cv_events_t *events;
    cv_settings_t *settings;   /* borrowed */
    cv_moderation_t *mod;      /* room states: under the lock */
    cv_streamtok_t *tokens;    /* event stream tokens: under the lock */
    cv_lobby_t *lobby;         /* waiting rooms: under the lock */
    cv_breakouts_t *breakouts; /* breakout groups: under the lock */
    GSource *tick;             /* on the network loop: speakers and pings */
    atomic_int stopping;       /* shutdown began: failed sessions wait for cv_api_destroy */
    int ticks;
    struct {
        char room[65];
        int active;       /* last active speaker index published, -2: none yet */
    } spk[SPEAKER_ROOMS]; /* loop thread only */
    int n_spk;
    GSource *flush;           /* on the network loop: roster publications held back */
    pthread_mutex_t pub_lock; /* publications of rooms: order and pace */
    GHashTable *pubs;         /* room name -> struct cv_api_pub, under pub_lock */
    GHashTable *rates;        /* session id -> struct cv_api_rates, under the lock */
    GHashTable *recs;         /* room -> its cv_recorder_t (NULL while starting), under the lock */
    GPtrArray *ended;         /* recorders stopped, their writers not yet joined, under the lock */
    pthread_mutex_t files_lock; /* the compressed static files */
    GHashTable *files;          /* full path -> struct gz_entry (api_files.c), under files_lock */
    size_t files_bytes;         /* their compressed bytes, under files_lock */
};

/* The pace of a room's roster, layout and room events (api_sessions.c). */
struct cv_api_pub {
    int64_t last_us; /* when they were last published */
    int pending;     /* a change is waiting for CV_API_PUBLISH_GAP_US to pass */
};

/* What one session's commands may cost (api_sessions.c). */
struct cv_api_rates {
    cv_bucket_t chat, self, moderator;
};

#define CV_API_PUBLISH_GAP_US 200000 /* at most one roster publication a room this often */
#define CV_API_FLUSH_MS 50           /* how often held-back publications are looked at */

/* api.c: the room's active speaker (under the lock) and its event data. */
const char *cv_api_speaker_locked(cv_api_t *api, const char *room, int *index);
char *cv_api_speakers_json(const char *public_id);

/* api_routes.c: answers and checks every route uses. reply: a one-line
 * answer that is not an error; fail: an error (status >= 400) with its
 * stable code (a string literal, [a-z][a-z0-9-]*) for Conclave-Error beside
 * the English line; fail_status: a reason met elsewhere, its code chosen
 * by status alone. */
void cv_api_reply(cv_api_resp_t *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cv_api_fail(cv_api_resp_t *rs, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cv_api_fail_status(cv_api_resp_t *rs, int status, const char *why);
void cv_api_method_not_allowed(cv_api_resp_t *rs, const char *allow);
int cv_api_is_post_of(const cv_api_req_t *rq, const char *type, cv_api_resp_t *rs);
int cv_api_valid_session_id(const char *id);

/* api_sessions.c: the requests on sessions, and the session callbacks. */
int cv_api_same_room(const char *a, const char *b);
/* GET /rooms/{room}/ice-servers: the browser client's ICE servers, before it
 * builds its peer connection; only to whom may join the room now (the join's
 * password and lock rules), {"iceServers":[]} without [turn]. */
void cv_api_ice_servers(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs);
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
/* Network loop, every CV_API_FLUSH_MS: publishes the rooms whose roster
 * changed while their publications were held back. */
void cv_api_flush_rooms(cv_api_t *api);
void cv_api_on_video_paused(void *ud, cv_session_t *s, int paused);

/* api_record.c: recordings of rooms. init and cleanup at the API's creation
 * and destruction (end_all, which ends every recording and waits for its
 * file, before the lock goes);
 * record: a moderator's record command (start 1, or stop), answered in rs;
 * recording: 1 while room is recorded; check_empty: stops the recording of
 * a room left empty; tick: the network loop's look at ended recordings. */
void cv_api_record_init(cv_api_t *api);
void cv_api_record_cleanup(cv_api_t *api);
void cv_api_record(cv_api_t *api, const char *room, int start, cv_api_resp_t *rs);
int cv_api_recording(cv_api_t *api, const char *room);
void cv_api_record_check_empty(cv_api_t *api, const char *room);
void cv_api_record_tick(cv_api_t *api);
void cv_api_record_end_all(cv_api_t *api);
/* api_sessions.c, for the waiting room: the join's credential checked as
 * a join's (the check then pending: cv_api_settle), the [rooms] rules, the
 * per-client limits (429 in rs), and whether room has no session. */
int cv_api_admitted(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role, int *admit,
                    cv_api_resp_t *rs);
void cv_api_settle(cv_api_t *api, const char *room, int admit);
int cv_api_room_allowed(cv_api_t *api, const char *room);
int cv_api_over_client_limits(cv_api_t *api, uint64_t client, const char *room, cv_api_resp_t *rs);
int cv_api_room_empty_locked(cv_api_t *api, const char *room);

/* api_lobby.c: the waiting room (lobby.h; conclave(8), WAITING ROOM).
 * POST /rooms/{room}/lobby knocks, DELETE /rooms/{room}/lobby/{ticket}
 * leaves. */
void cv_api_lobby_route(cv_api_t *api, const cv_api_req_t *rq, const char *room, const char *rest,
                        cv_api_resp_t *rs);
/* A join of room admitted as admit (CV_ACCESS_*): 1 when the waiting room
 * lets it through (spending its ticket: pass then holds the waiter's key and
 * client hashes for cv_lobby_grant, else zeros), else 0 with the refusal in
 * rs. */
int cv_api_lobby_pass(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role, int *admit,
                      uint64_t pass[2], cv_api_resp_t *rs);
/* Under the lock: waiters counted against the limits of a join, leaving
 * out the join's own ticket of room. */
int cv_api_lobby_load_locked(cv_api_t *api, const cv_api_req_t *rq, const char *room);
/* Under the lock: 1 when id is a waiter's ticket of room (its stream). */
int cv_api_lobby_is_waiter_locked(cv_api_t *api, const char *room, const char *id);
/* The event stream of a waiter (rq->session is its ticket); 0 if it is none. */
int cv_api_lobby_stream(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs);
/* Under the lock: a waiting-room command of a moderator (admit, deny,
 * admit_all) applied; what to tell goes to *notes (heap, caller frees with
 * cv_api_lobby_tell). Returns 0 or an HTTP status with *why. */
int cv_api_lobby_command_locked(cv_api_t *api, const char *room, cv_session_t *from,
                                const cv_command_t *cmd, cv_lobby_note_t **notes, int *n,
                                const char **why);
/* Tells the waiters of notes (and frees them), then the room's moderators
 * who waits now. */
void cv_api_lobby_tell(cv_api_t *api, const char *room, cv_lobby_note_t *notes, int n);
/* The moderators of room learn who waits ("lobby" event). */
void cv_api_lobby_publish(cv_api_t *api, const char *room);
/* The room ended: its waiters are told and its waiting room forgotten. */
void cv_api_lobby_room_ended(cv_api_t *api, const char *room);
/* Network loop, each second: waits and tickets past their time end. */
void cv_api_lobby_tick(cv_api_t *api);

/* Events to send once the lock is released: to a session, or to a room. */
struct cv_api_note {
    char to[65];
    int to_room;
    const char *event;
    char *json; /* heap */
};
typedef struct {
    struct cv_api_note *v;
    int n;
} cv_api_notes_t;

/* api_breakout.c: breakout groups (breakout.h; conclave(8), BREAKOUT ROOMS).
 * Sends the notes and frees them. */
void cv_api_notes_send(cv_api_t *api, cv_api_notes_t *ns);
/* Under the lock: breakout_open, _close, _visit, _broadcast of session from
 * in room; 0 or an HTTP status with *why; the moves go to ns. */
int cv_api_breakout_command_locked(cv_api_t *api, const char *room, cv_session_t *from,
                                   const cv_command_t *cmd, cv_api_notes_t *ns, const char **why);
/* Under the lock: 1 when room is a breakout group (joined with a ticket only). */
int cv_api_breakout_gate_locked(cv_api_t *api, const char *room);
/* Under the lock: the layout a breakout group takes from its parent, or -1. */
int cv_api_breakout_layout_locked(cv_api_t *api, const char *room);
/* Under the lock: s (re)joined a room in breakouts whose groups have its
 * name: its move goes to ns. */
void cv_api_breakout_rejoin_locked(cv_api_t *api, cv_session_t *s, cv_api_notes_t *ns);
/* Network loop, each second: durations that ended bring everyone back. */
void cv_api_breakout_tick(cv_api_t *api);

/* api_files.c: a GET or HEAD of a file under the www root; init and
 * cleanup of the compressed files' cache with the API. Pure helpers:
 * accepts_gzip of an Accept-Encoding value, etag_matches of an
 * If-None-Match value and an entity tag (quotes included). */
void cv_api_serve_file(cv_api_t *api, const cv_api_req_t *rq, cv_api_resp_t *rs);
void cv_api_files_init(cv_api_t *api);
void cv_api_files_cleanup(cv_api_t *api);
int cv_api_accepts_gzip(const char *accept_encoding);
int cv_api_etag_matches(const char *if_none_match, const char *etag);

#endif
