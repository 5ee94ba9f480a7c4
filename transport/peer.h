/*
 * peer.h - one WebRTC transport: ICE (libnice) + DTLS (RFC 6347, keys for
 * SRTP per RFC 5764) + SRTP/SRTCP, all over one BUNDLEd, rtcp-muxed component.
 * Incoming datagrams are demultiplexed per RFC 7983; RTP and RTCP come out
 * decrypted, outgoing ones are encrypted in place.
 * Owned by one network thread: create, every call and every callback.
 */
#ifndef CV_PEER_H
#define CV_PEER_H

#include "dtls.h"
#include "ice.h"

#include <glib.h>
#include <stdint.h>

enum { CV_PEER_CONNECTING = 0, CV_PEER_CONNECTED, CV_PEER_FAILED };

typedef struct {
    void (*on_rtp)(void *ud, uint8_t *pkt, size_t len);  /* decrypted; borrowed */
    void (*on_rtcp)(void *ud, uint8_t *pkt, size_t len); /* decrypted; borrowed */
    void (*on_state)(void *ud, int state, const char *why);
} cv_peer_cb_t;

typedef struct {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t drop_unknown, drop_srtp, drop_replay, drop_early, drop_dtls;
} cv_peer_stats_t;

typedef struct cv_peer cv_peer_t;

/* The server side: ICE as ice_cfg->controlling says (0 for the daemon), DTLS
 * server (a=setup:passive). The cert is borrowed and must outlive the peer.
 * connect_timeout_us bounds ICE + DTLS set-up; past it the peer fails, and
 * past ice_cfg->check_timeout_us (when shorter) too if no ICE check of the
 * peer arrived by then. NULL on failure. */
cv_peer_t *cv_peer_create(GMainContext *ctx, const cv_ice_cfg_t *ice_cfg,
                          const cv_dtls_cert_t *cert, const uint8_t *remote_fp, size_t fp_len,
                          int64_t connect_timeout_us, const cv_peer_cb_t *cb, void *ud);
/* The same with the DTLS role given: CV_DTLS_CLIENT (a=setup:active) sends the
 * ClientHello once ICE is connected; SRTP keys follow the role (dtls.h). A
 * client (bench/loadgen) also sets ice_cfg->controlling. */
cv_peer_t *cv_peer_create_role(GMainContext *ctx, const cv_ice_cfg_t *ice_cfg,
                               const cv_dtls_cert_t *cert, int dtls_role, const uint8_t *remote_fp,
                               size_t fp_len, int64_t connect_timeout_us, const cv_peer_cb_t *cb,
                               void *ud);
void cv_peer_destroy(cv_peer_t *p);
cv_ice_t *cv_peer_ice(cv_peer_t *p);
/* Sets the remote certificate fingerprint after creation, for an offerer that
 * learns it from the answer; before DTLS starts. 0 or CV_E_INVAL / CV_E_STATE. */
int cv_peer_set_remote_fingerprint(cv_peer_t *p, const uint8_t *fp, size_t fp_len);
/* Encrypts in place (buf has cap bytes) and sends. Returns bytes sent or CV_E_*. */
int cv_peer_send_rtp(cv_peer_t *p, uint8_t *buf, size_t len, size_t cap);
int cv_peer_send_rtcp(cv_peer_t *p, uint8_t *buf, size_t len, size_t cap);
int cv_peer_state(const cv_peer_t *p);
/* Monotonic time the peer last showed it is there: the end of the DTLS
 * handshake, then each SRTP or SRTCP packet that authenticates (junk, replays
 * and stray datagrams do not count). 0 before the handshake ends. */
int64_t cv_peer_last_rx_us(const cv_peer_t *p);
/* Declares the peer failed (e.g. it said goodbye with RTCP BYE or went
 * silent); on_state reports it as usual. */
void cv_peer_fail(cv_peer_t *p, const char *why);
const cv_peer_stats_t *cv_peer_stats(const cv_peer_t *p);

#endif
