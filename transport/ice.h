/*
 * ice.h - ICE (RFC 8445) through libnice, one stream with one component
 * (BUNDLE + rtcp-mux). The server is ICE-controlled and full (not lite); its
 * candidates are host candidates on the configured addresses, announced all at
 * once (non-trickle) and, for a 1:1 NAT, under the public address: UDP ones and,
 * with cfg.tcp, TCP-passive ones (ICE-TCP, RFC 6544) that a client behind a
 * firewall blocking UDP connects to. libnice listens for them, frames the
 * stream (RFC 4571) and turns each accepted connection into a peer-reflexive
 * candidate once its checks arrive; it binds the TCP listener from the same
 * port range as the UDP socket (one range per component in libnice 0.1.21;
 * each transport starts at a random port of it and takes the first free). A guard ends the TCP
 * connections that are not the selected pair after a few seconds, and those over a small number
 * pending from one address (counted in stats.h: CV_STAT_ICE_TCP_CLOSED_*). A client
 * (bench/loadgen) sets cfg.controlling and nominates the pair itself.
 * Owned by one network thread: every call and callback happens on it.
 * Once connected the agent never fails the pair on its own: liveness (in the
 * spirit of RFC 7675 consent) is the session's, from authenticated packets
 * (cv_peer_last_rx_us).
 */
#ifndef CV_ICE_H
#define CV_ICE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define CV_ICE_MAX_LOCAL 16
/* Pending (not selected) ICE-TCP connections one address may hold on one
 * agent's listener; more are ended at once, and any pending one after 5 s. */
#define CV_ICE_TCP_PER_ADDR 4

enum { CV_ICE_CHECKING = 0, CV_ICE_CONNECTED, CV_ICE_FAILED };

typedef struct {
    const char *const *addresses; /* IP literals to bind host candidates on */
    int n_addresses;
    const char *public_ip; /* "" or NULL: none */
    int port_min, port_max;
    int controlling; /* 0: ICE-controlled (the server); 1: controlling (a client) */
    int tcp;         /* 1: also TCP-passive host candidates (RFC 6544), in the same range */
    /* The server side: the peer's first connectivity check must arrive within
     * this long, or its transport fails (cv_peer_create); 0 = no such limit. */
    int64_t check_timeout_us;
} cv_ice_cfg_t;

typedef struct {
    char addr[64];
    int port;
    uint32_t priority;
    char foundation[33];
    int tcp; /* 0: UDP; 1: TCP, tcptype passive (RFC 6544 §4.5) */
} cv_ice_cand_t;

typedef struct {
    void (*on_recv)(void *ud, uint8_t *data, size_t len); /* data may be modified in place */
    void (*on_state)(void *ud, int state);
} cv_ice_cb_t;

typedef struct cv_ice cv_ice_t;

/* Creates the agent, binds and gathers host candidates. NULL on failure
 * (e.g. no port free in the range). Callbacks run on ctx's thread. */
cv_ice_t *cv_ice_create(GMainContext *ctx, const cv_ice_cfg_t *cfg, const cv_ice_cb_t *cb,
                        void *ud);
void cv_ice_destroy(cv_ice_t *ice);
const char *cv_ice_ufrag(const cv_ice_t *ice);
const char *cv_ice_pwd(const cv_ice_t *ice);
/* Our announced candidates (after public_ip mapping). */
int cv_ice_local_candidates(const cv_ice_t *ice, const cv_ice_cand_t **out);
/* Sets the peer's credentials and candidates; starts checks. */
int cv_ice_set_remote(cv_ice_t *ice, const char *ufrag, const char *pwd);
int cv_ice_add_remote_candidate(cv_ice_t *ice, const char *addr, int port, uint32_t priority,
                                const char *foundation);
/* Sends one datagram on the selected pair; CV_E_STATE before it exists.
 * Inside a batch it may only be queued (returns len). */
int cv_ice_send(cv_ice_t *ice, const uint8_t *data, size_t len);
/* A batch of the calling thread: the datagrams sent until its end on a UDP
 * pair that is not relayed leave together at cv_ice_batch_end, in one
 * sendmmsg(2), a run of equal-size datagrams to one peer as one UDP GSO
 * message. Batches nest; the outermost end sends. Others (TCP, TURN) are
 * sent at once. */
void cv_ice_batch_begin(void);
void cv_ice_batch_end(void);
/* CV_ICE_CHECKING, CV_ICE_CONNECTED (a pair is selected) or CV_ICE_FAILED. */
int cv_ice_state(const cv_ice_t *ice);
/* 1 once a connectivity check of the peer (a STUN binding request with its
 * credentials) has arrived. */
int cv_ice_checked(const cv_ice_t *ice);

/* The addresses of the interfaces that hold a default route (IPv4; IPv6
 * global ones when there is no IPv4 one), comma-separated into out; 127.0.0.1
 * when there is none (no default route, as in a network namespace of tests). */
int cv_ice_default_addresses(char *out, size_t cap);

#endif
