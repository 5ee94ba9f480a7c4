/*
 * dtls.h - the DTLS 1.2 handshake of DTLS-SRTP, on OpenSSL 3, without sockets.
 *
 * A cv_dtls_t eats datagrams (cv_dtls_input) and produces datagrams
 * (cv_dtls_pop_output); the caller moves them over ICE. Once CONNECTED it
 * hands out the SRTP master keys exported from the handshake. The peer must
 * present a certificate whose SHA-256 fingerprint equals the one from its SDP
 * (RFC 8122 §5); there is no CA, self-signed certificates are the norm.
 *
 * Time: the caller's now_us drives our own deadlines (the 30 s handshake
 * limit) and the absolute time cv_dtls_next_timeout() returns. OpenSSL's DTLS
 * retransmission timer, however, reads the wall clock internally; we only
 * choose its durations (first retransmission after 50 ms, doubling, capped at
 * 3 s). So a test that wants a retransmission has to let ~50 ms of real time
 * pass. OpenSSL gives up on its own after 12 retransmissions (about 24 s
 * after the first flight, "handshake timed out: no answer to
 * retransmissions"), before our 30 s deadline ("handshake timed out").
 *
 * Thread: a cv_dtls_t has one owner thread (the network loop thread of its
 * peer) and is not thread-safe. A cv_dtls_cert_t is immutable once created and
 * may be shared by sessions on any threads. OpenSSL 3 initialises itself
 * thread-safely on first use.
 *
 * RFCs: RFC 6347 (DTLS 1.2), RFC 5764 (DTLS-SRTP: use_srtp, key export §4.2),
 * RFC 7714 §14.2 (AEAD profiles), RFC 8122 (fingerprints), RFC 8827 (WebRTC
 * security: ECDSA P-256 self-signed certificates).
 */
#ifndef CV_DTLS_H
#define CV_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "srtp.h" /* cv_srtp_keys_t, CV_SRTP_* profiles */

#define CV_DTLS_FP_LEN 32     /* SHA-256 */
#define CV_DTLS_FP_STR_LEN 96 /* "AB:CD:...:EF" + NUL for 32 bytes */
#define CV_DTLS_MTU 1200      /* largest datagram we emit (UDP payload) */
#define CV_DTLS_HANDSHAKE_TIMEOUT_US 30000000LL

/* --- certificate ------------------------------------------------------- */

typedef struct cv_dtls_cert cv_dtls_cert_t;

/* A fresh ECDSA P-256 key and a self-signed X.509 v3 certificate (random
 * serial, CN "conclave", valid from now - 1 day to now + 30 days, SHA-256
 * signature), with the OpenSSL context sessions are made from. NULL on
 * failure. Reads the wall clock (certificate validity). */
cv_dtls_cert_t *cv_dtls_cert_create(void);
void cv_dtls_cert_destroy(cv_dtls_cert_t *c); /* NULL ok */
/* The 32-byte SHA-256 of the DER certificate; lives as long as c. */
const uint8_t *cv_dtls_cert_fingerprint(const cv_dtls_cert_t *c);

/* Formats fp as upper-case hex pairs joined by ':' ("AB:CD:..."), as in
 * a=fingerprint (RFC 8122 §5). cap must hold 3 * len bytes (the NUL included).
 * Returns the string length, or CV_E_NOSPACE / CV_E_INVAL. */
int cv_dtls_fingerprint_str(const uint8_t *fp, size_t len, char *out, size_t cap);
/* The inverse: parses "AB:CD:..." (either case) into out. Returns the byte
 * count, or CV_E_INVAL (bad syntax) / CV_E_NOSPACE (more than cap bytes). */
int cv_dtls_fingerprint_parse(const char *s, uint8_t *out, size_t cap);

/* --- session ----------------------------------------------------------- */

enum { CV_DTLS_SERVER = 0, CV_DTLS_CLIENT = 1 };
enum { CV_DTLS_CONNECTING = 0, CV_DTLS_CONNECTED, CV_DTLS_FAILED, CV_DTLS_CLOSED };

typedef struct cv_dtls cv_dtls_t;

/*
 * A session in role CV_DTLS_SERVER (waits for a ClientHello; a=setup:passive)
 * or CV_DTLS_CLIENT (a=setup:active). cert is borrowed and must outlive the
 * session. peer_fp (fp_len must be 32: SHA-256) is the peer's fingerprint from
 * its SDP, copied. NULL on bad arguments or OpenSSL failure.
 */
cv_dtls_t *cv_dtls_create(const cv_dtls_cert_t *cert, int role, const uint8_t *peer_fp,
                          size_t fp_len);
void cv_dtls_destroy(cv_dtls_t *d); /* NULL ok; sends no close_notify */

/* Replaces the peer's fingerprint before the handshake starts: an offerer
 * (a client such as bench/loadgen) makes its session before the answer names
 * the peer's. 0, CV_E_INVAL (fp_len not 32, NULL), CV_E_STATE once started. */
int cv_dtls_set_peer_fingerprint(cv_dtls_t *d, const uint8_t *peer_fp, size_t fp_len);

/* Restricts the SRTP profiles offered (client) or accepted (server), by bits
 * (1 << CV_SRTP_AES128_CM_SHA1_80) | (1 << CV_SRTP_AEAD_AES_128_GCM). Default:
 * both, GCM preferred. Only before the handshake starts: else CV_E_STATE;
 * CV_E_INVAL for an empty or unknown mask. */
int cv_dtls_set_srtp_profiles(cv_dtls_t *d, unsigned mask);

/* Client: queues the ClientHello. Server: nothing to send. Both: arms the
 * 30 s handshake deadline at now_us (else the first input arms it).
 * Returns the state, CV_E_STATE if called twice, CV_E_CRYPTO on failure. */
int cv_dtls_start(cv_dtls_t *d, int64_t now_us);

/*
 * Feeds one received datagram (borrowed until return). Returns the state
 * after it, or: CV_E_INVAL if the datagram is not well-formed DTLS — a
 * record of type other than 20..23, a length past the end, a malformed
 * plaintext CCS, alert or handshake fragment header — or is larger than
 * 64 KiB: it is dropped and counted, and the session goes on; CV_E_STATE if
 * the session is already FAILED or CLOSED. Well-formed records that OpenSSL
 * rejects are mostly discarded silently (bad MAC, old epoch, replays, RFC
 * 6347 §4.1.2.7), but a well-formed plaintext fatal alert, or a handshake
 * message OpenSSL cannot accept, makes the session FAILED.
 * After CONNECTED, input still matters: the peer may retransmit its last
 * flight (we answer) or close (-> CLOSED); application data is dropped.
 */
int cv_dtls_input(cv_dtls_t *d, const uint8_t *p, size_t len, int64_t now_us);

/* Copies the next datagram to send into out. Returns its length, 0 if none,
 * CV_E_NOSPACE if it does not fit in cap (it stays queued; 1200 is enough). */
int cv_dtls_pop_output(cv_dtls_t *d, uint8_t *out, size_t cap);

/* Absolute time (caller's clock, us) at which cv_dtls_on_timeout() should be
 * called next: the earlier of the retransmission timer and the handshake
 * deadline. -1 if nothing is pending (connected, failed, closed). */
int64_t cv_dtls_next_timeout(cv_dtls_t *d, int64_t now_us);

/* Retransmits the last flight if OpenSSL's timer is due; fails the session
 * if the handshake deadline has passed. Calling it early is harmless.
 * Returns the state. */
int cv_dtls_on_timeout(cv_dtls_t *d, int64_t now_us);

int cv_dtls_state(const cv_dtls_t *d);

/* After CONNECTED: the SRTP keys, exported with
 * SSL_export_keying_material("EXTRACTOR-dtls_srtp") and split per RFC 5764
 * §4.2 into client/server key + salt, mapped to local/remote by our role.
 * 0, or CV_E_STATE before CONNECTED. */
int cv_dtls_get_srtp_keys(const cv_dtls_t *d, cv_srtp_keys_t *k);

/* The reason of the last failure ("peer certificate fingerprint mismatch",
 * "handshake timed out", ...), or "" if none. Lives as long as d. */
const char *cv_dtls_error(const cv_dtls_t *d);

/* Datagrams dropped before OpenSSL saw them (malformed, too large). */
uint64_t cv_dtls_dropped_in(const cv_dtls_t *d);

#endif
