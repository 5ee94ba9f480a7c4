/*
 * streamtok.h - short-lived tokens that open a session's event stream, so
 * that the session id (the session's credential) never travels in a URL:
 * POST /rooms/{room}/events with the session in a header mints one, and
 * GET /rooms/{room}/events?token= spends it. A token is good once, for its
 * room only, and for CV_STREAMTOK_TTL_US; a session holds at most one (a new
 * one replaces it). A fixed table: when it is full of live tokens the oldest
 * gives way. Not thread-safe: the caller locks. Pure but for the random
 * token.
 */
#ifndef CV_STREAMTOK_H
#define CV_STREAMTOK_H

#include <stddef.h>
#include <stdint.h>

#define CV_STREAMTOK_LEN 32                  /* hex characters */
#define CV_STREAMTOK_TTL_US (10 * 1000000LL) /* 10 s */

typedef struct cv_streamtok cv_streamtok_t;

cv_streamtok_t *cv_streamtok_create(int slots);
void cv_streamtok_destroy(cv_streamtok_t *t); /* NULL ok */
/* A new token for session (NUL-terminated, at most 64 bytes) of room into
 * out (CV_STREAMTOK_LEN + 1 bytes). 0, or -1 when no randomness. */
int cv_streamtok_mint(cv_streamtok_t *t, const char *session, const char *room, int64_t now_us,
                      char *out);
/* Spends token: 0 with its session id in session (cap bytes) when it is
 * live and of room; else -1. Either way the token is gone. */
int cv_streamtok_redeem(cv_streamtok_t *t, const char *token, const char *room, int64_t now_us,
                        char *session, size_t cap);

#endif
