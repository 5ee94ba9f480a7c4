/*
 * api.h - the public HTTP interface (conclave(8), HTTP INTERFACE):
 * static files of www/, WHIP join (RFC 9725), leave, the echo check, health.
 *
 * A request arrives here whole (method, path, a few headers, body) and leaves
 * as a response description; the libmicrohttpd shell (http.c) does the I/O.
 * Called from HTTP threads concurrently: the session table has its own lock,
 * held for lookups only.
 */
#ifndef CV_API_H
#define CV_API_H

#include "config.h"
#include "events.h"
#include "session.h"
#include "settings.h"

#include <stddef.h>

typedef struct {
    const char *method;
    const char *path;         /* already %-decoded by the HTTP library */
    const char *content_type; /* NULL if absent */
    const char *name;         /* ?name= of a join, NULL if absent */
    const char *role;         /* ?role= of a join ("screen"), NULL if absent */
    /* Conclave-Session header: the session a command, an event stream token or
     * a screen share (its owner) is for; NULL if absent */
    const char *session;
    const char *token;           /* ?token= of an event stream (streamtok.h), NULL if absent */
    const char *authorization;   /* Authorization header of a join, NULL if absent */
    const char *ticket;          /* Conclave-Ticket header: a join let in by the waiting room */
    const char *client;          /* the client's key (clientaddr.h), NULL: not limited */
    const char *accept_encoding; /* Accept-Encoding header, NULL if absent */
    const char *if_none_match;   /* If-None-Match header, NULL if absent */
    const char *body;
    size_t body_len;
} cv_api_req_t;

typedef struct {
    int status;
    const char *content_type;
    char *body; /* heap, owned by the response (cv_api_resp_cleanup) */
    size_t body_len;
    char location[128];           /* "" if none */
    const char *allow;            /* Allow header for 405, or NULL */
    const char *www_authenticate; /* WWW-Authenticate header of a 401, or NULL */
    int retry_after;              /* Retry-After seconds of a 429 or 503, 0 = none */
    char moderator_token[33];     /* Conclave-Moderator-Token of a creator's 201, "" if none */
    char *link;                   /* Link header (TURN servers, RFC 9725 §4.6), heap, or NULL */
    int recording;                /* Conclave-Recording: 0 none, 1 "off", 2 "on" */
    int fd;                       /* static file to send, or -1 */
    size_t fd_len;
    int no_store; /* Cache-Control: no-store (API answers) */
    /* Conclave-Error of an error answer: a stable code, [a-z][a-z0-9-]*
     * (conclave(8), ERROR CODES), a string literal, or NULL */
    const char *error_code;
    /* a served file: ETag ("" none), Cache-Control (NULL none), Vary:
     * Accept-Encoding, Content-Encoding (NULL none) */
    char etag[80];
    const char *cache_control;
    int vary_encoding;
    const char *content_encoding;
    int sse; /* answer with an event stream (http.c asks cv_api_events) */
    char sse_room[65];
    char sse_session[CV_SESSION_ID_LEN + 1]; /* the body holds the first events */
} cv_api_resp_t;

typedef struct cv_api cv_api_t;

/* env is copied; its loop, pool and cert are borrowed. max_sessions bounds
 * the open sessions (503 past it). www_root must exist. */
cv_api_t *cv_api_create(const cv_session_env_t *env, const char *www_root, int max_sessions);
/* Closes every session, then frees. NULL ok. */
void cv_api_destroy(cv_api_t *api);
void cv_api_handle(cv_api_t *api, const cv_api_req_t *rq, cv_api_resp_t *rs);
void cv_api_resp_cleanup(cv_api_resp_t *rs);
int cv_api_session_count(cv_api_t *api);
/* Takes the [room NAME] sections of cfg (passwords, moderator passwords,
 * default layouts): at start-up and again on a configuration reload. Any
 * thread; applies to the joins that follow. */
void cv_api_set_rooms(cv_api_t *api, const cv_config_t *cfg);
/* The event streams of the browser clients (owned by the API). */
cv_events_t *cv_api_events(cv_api_t *api);
/* Tells every open event stream that the server is going down (event
 * "shutdown", data {"reason": reason}), ends them all and waits (up to
 * wait_ms) until the HTTP server has closed them. Before the HTTP server stops. */
void cv_api_end_streams(cv_api_t *api, const char *reason, int wait_ms);
/* The settings in force (borrowed; set once before requests arrive). The
 * HTTP threads read what a reload may change through it (settings.h). */
void cv_api_set_settings(cv_api_t *api, cv_settings_t *settings);
cv_settings_t *cv_api_settings(cv_api_t *api);

#endif
