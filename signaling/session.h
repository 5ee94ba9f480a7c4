/*
 * session.h - one participant's session as signaling sees it: its ids, what
 * the roster shows, the role its offer fits, its place in a room of the mixer
 * and the SDP answer. Its media (transport, RTP in and out, feedback, tiers)
 * is the link's (media/link.h), whose core (media/core.h) gets the parameters
 * the offer negotiated.
 *
 * Threads: created and closed on an HTTP thread (or closed on the link's loop
 * thread after a failure); the callbacks of cv_session_env_t run on the
 * session's network loop thread, one of several: two sessions' callbacks may
 * run at the same time, each on its own loop.
 */
#ifndef CV_SESSION_H
#define CV_SESSION_H

#include "dtls.h"
#include "ice.h"
#include "loop.h"
#include "mixer.h"
#include "sdp.h"
#include "tier.h"

#include <stdint.h>

#define CV_SESSION_ID_LEN 32 /* hex digits: 128 random bits */

typedef struct cv_session cv_session_t;

/* What the roster shows of a session. Written at creation, then only under
 * the API's table lock. */
typedef struct {
    char public_id[17]; /* random, shown to others (never the session id) */
    char name[CV_PART_NAME_MAX + 1];
    int role;                          /* CV_ROLE_* */
    char owner[CV_SESSION_ID_LEN + 1]; /* a screen share: its owner's session id */
    int muted, camera, hand;
    int moderator; /* may send moderator commands (access.h) */
    int creator;   /* the room's creator: its hello event carries the moderator token */
    int floor;     /* given the floor by a moderator (lecture layout) */
} cv_session_info_t;

typedef struct {
    cv_loop_t *loop; /* the API's; the sessions' too when n_loops is 0 */
    /* The network loops a new session is given one of (the one with the
     * fewest sessions, cv_loop_pick), unless pin is set: then that one. */
    cv_loop_t *const *loops;
    int n_loops;
    cv_loop_t *pin;
    cv_mixer_t *mixer;
    const cv_dtls_cert_t *cert;
    cv_ice_cfg_t ice;
    int64_t connect_timeout_us;
    /* [ice] allow_private_candidates (candfilter.h): which loopback and
     * private-range candidates of an offer are probed; 0 is auto. */
    int private_candidates;
    /* Called once on the loop thread when the transport failed or timed out;
     * the owner must then remove the session and call cv_session_close. */
    void (*on_failed)(void *ud, cv_session_t *s);
    void *ud;
    /* Output tiers ([mixer] tiers); n == 0: CV_TIERS_DEFAULT. */
    cv_tiers_t tiers;
    /* Called on the loop thread when the session's video is paused for a weak
     * connection (paused = 1: audio only) or resumed (0). May be NULL. */
    void (*on_video_paused)(void *ud, cv_session_t *s, int paused);
} cv_session_env_t;

/* Sets up a participant of `room` (NULL: the private echo check) as role
 * CV_ROLE_* (a screen share names its owner's session id) from a parsed offer; the transport is
 * made on the session's loop thread (env: loops, pin) (this call waits for it). name (may be NULL)
 * is shown on the participant's placeholder tile. Writes the SDP answer into answer. Returns the
 * session (one reference, the caller's) or NULL with *status (HTTP) and *reason set. */
cv_session_t *cv_session_create(const cv_session_env_t *env, const cv_sdp_offer_t *offer,
                                const char *room, const char *name, int role, const char *owner,
                                char *answer, size_t answer_cap, int *status, const char **reason);
const char *cv_session_id(const cv_session_t *s);
/* The room's name, or NULL for the echo check. */
const char *cv_session_room(const cv_session_t *s);
cv_session_info_t *cv_session_info(cv_session_t *s);
/* The mixer's side of the session, and its index in the room (for the active
 * speaker). Valid until the session is closed. */
cv_part_t *cv_session_part(cv_session_t *s);
cv_mixer_room_t *cv_session_mixer_room(cv_session_t *s);
/* Tears the transport and the mixer link down (waits for the loop thread) and
 * drops the caller's reference. Not from the loop thread. */
void cv_session_close(cv_session_t *s);
/* digits (even, at most 64) lowercase hex digits from OpenSSL's CSPRNG
 * (RAND_bytes), 4 bits a digit, and a NUL: session ids, public ids, tickets,
 * breakout rooms' names. Aborts when no randomness is to be had. */
void cv_random_hex(char *out, size_t digits);
/* Same, from the loop thread that owns the session (used on failure). */
void cv_session_close_on_loop(cv_session_t *s);
/* Same, from any network loop's thread: at once when s is on this one, else
 * queued on s's own loop (closed there soon; not waited for). */
void cv_session_close_from_loop(cv_session_t *s);
/* The network loop s runs on, for the whole of its life. */
cv_loop_t *cv_session_loop(const cv_session_t *s);

#endif
