/*
 * link.h - the shell around one participant's media session core (core.h):
 * it owns the transport (peer.h: ICE, DTLS, SRTP), one timer set from the
 * core's next deadline, and the link to the participant's place in the mixer
 * (cv_part_t). It feeds the core what arrives, the mixer's output and the time,
 * and carries out what the core returns: packets sent, frames pushed to the
 * mixer, events applied to the participant or reported to the owner.
 *
 * Threads: cv_link_new and cv_link_unref from any thread; cv_link_start and
 * cv_link_stop from any thread but the link's loop (they wait for it);
 * cv_link_stop_on_loop on the loop; cv_link_on_output from the mixer's workers
 * (the notify callback of cv_mixer_join). Everything else of the link runs on
 * its network loop thread. The owner's callbacks run on that thread.
 */
#ifndef CV_LINK_H
#define CV_LINK_H

#include "core.h"
#include "dtls.h"
#include "ice.h"
#include "loop.h"
#include "room.h"

#include <stdint.h>

typedef struct cv_link cv_link_t;

#define CV_LINK_CRED_MAX 257 /* an ICE ufrag or password and its NUL (RFC 8839 §5.4) */

typedef struct {
    cv_loop_t *loop;
    const cv_dtls_cert_t *cert; /* borrowed; outlives the link */
    cv_ice_cfg_t ice;
    int64_t connect_timeout_us; /* ICE + DTLS set-up */
    /* Once, when the transport failed, timed out or the core declared the
     * session dead: the owner must then stop the link (cv_link_stop_on_loop). */
    void (*on_failed)(void *ud);
    /* Its video paused for a weak link (1) or resumed (0). May be NULL. */
    void (*on_video_paused)(void *ud, int paused);
    void *ud;
} cv_link_env_t;

/* The peer's side as the offer gave it: ICE credentials, candidates (IP
 * literals) and the DTLS certificate fingerprint (SHA-256). */
typedef struct {
    const char *ufrag, *pwd;
    const cv_ice_cand_t *cand;
    int n_cand;
    const uint8_t *fingerprint;
    size_t fingerprint_len;
} cv_link_remote_t;

/* A link with its core, not started. One reference, the caller's. */
cv_link_t *cv_link_new(const cv_link_env_t *env, const cv_core_params_t *params);
void cv_link_unref(cv_link_t *l); /* NULL ok */
/* The mixer's notify callback: output is waiting for this receiver. ud is the
 * link. Puts it on its loop's pending list (cv_loop_post) unless it is there
 * already: the loop flushes every link of the batch after one wake-up. */
void cv_link_on_output(void *ud);
/* On the loop: creates the transport for part (which must stay in the room
 * until cv_link_stop), sets the remote side, and copies our ICE credentials
 * (ufrag, pwd: CV_LINK_CRED_MAX bytes each) and candidates (at most CV_ICE_MAX_LOCAL) out.
 * Returns the number of candidates, or CV_E_NOSPACE when no media port is free. */
int cv_link_start(cv_link_t *l, cv_part_t *part, const cv_link_remote_t *remote, char *ufrag,
                  char *pwd, cv_ice_cand_t *local);
/* Tears the transport and the timer down; no callback of the owner and no use
 * of part after it returns. Safe on a link never started and twice. */
void cv_link_stop(cv_link_t *l);
void cv_link_stop_on_loop(cv_link_t *l);

#endif
