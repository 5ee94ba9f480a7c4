/*
 * turn.h - short-lived TURN credentials for the clients ([turn] in conclave.ini).
 *
 * conclave relays nothing itself: it hands a client that may join a room the
 * URIs of the TURN servers ([turn] urls) with a credential of the TURN REST
 * scheme that a TURN server sharing the secret checks on its own (coturn's
 * use-auth-secret / static-auth-secret): the username is "<expiry>:<random>",
 * expiry in Unix seconds, and the password is the base64 of
 * HMAC-SHA1(secret, username). The server refuses it once expiry has passed.
 * The browser client fetches them as JSON (GET /rooms/{room}/ice-servers);
 * other WHIP/WHEP clients find them in the Link headers (RFC 9725 §4.6) of
 * the 201 answering their offer.
 *
 * Pure apart from cv_turn_credential (OpenSSL's random bytes) and
 * cv_turn_read_secret (reads a file). Any thread.
 */
#ifndef CV_TURN_H
#define CV_TURN_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

#define CV_TURN_USER_MAX 64 /* "<expiry>:<16 hex digits>" and its NUL fit */
#define CV_TURN_PASS_MAX 32 /* base64 of a 20-byte HMAC-SHA1 (28) and its NUL */

typedef struct {
    char username[CV_TURN_USER_MAX];
    char password[CV_TURN_PASS_MAX];
    int64_t expires; /* Unix seconds */
} cv_turn_cred_t;

/* The credential for username "<now_s + ttl_s>:<tag>" signed with secret
 * (tag: 1..32 characters of [0-9A-Za-z]). Returns 0, or CV_E_INVAL for an
 * empty secret, a bad tag or a ttl_s < 1. Pure. */
int cv_turn_sign(const char *secret, int64_t now_s, int ttl_s, const char *tag,
                 cv_turn_cred_t *out);

/* The same with a random tag (16 hex digits, OpenSSL's CSPRNG). */
int cv_turn_credential(const char *secret, int64_t now_s, int ttl_s, cv_turn_cred_t *out);

/* The servers of c's [turn] section and a fresh credential (cv_turn_credential)
 * into urls (cap bytes) and *out: 1, or 0 when c names no TURN server. */
int cv_turn_offer(const cv_config_t *c, int64_t now_s, char *urls, size_t cap, cv_turn_cred_t *out);

/* The value of one Link header (RFC 8288) listing every URI of urls (the
 * comma-separated [turn] urls) with rel="ice-server" and the credential
 * (RFC 9725 §4.6), heap, the caller frees; NULL when urls is empty. */
char *cv_turn_link_header(const char *urls, const cv_turn_cred_t *cred);

/* The browser client's JSON: {"iceServers":[{"urls":[...],"username":...,
 * "credential":...}],"expires":N}, or {"iceServers":[]} when urls is empty
 * (cred may then be NULL). Heap, the caller frees. */
char *cv_turn_ice_servers_json(const char *urls, const cv_turn_cred_t *cred);

/* When c->turn_secret_file is set: reads the secret (its first line, without
 * the line end) into c->turn_secret. Returns 0, or CV_E_IO / CV_E_INVAL with
 * a one-line reason in err. */
int cv_turn_read_secret(cv_config_t *c, char *err, size_t errcap);

#endif
