/*
 * access.h - who may enter a room and what they may do there: the Bearer
 * credential of a join (RFC 6750 §2.1 header form), password digests
 * compared in constant time, the admission decision (attendee, moderator,
 * creator, or 401/403 with a reason) and the role rules of commands.
 * Pure: no clock, no globals, no locks. Any thread.
 */
#ifndef CV_ACCESS_H
#define CV_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#define CV_ACCESS_SECRET_MAX 128 /* bytes of a password or token */
#define CV_ACCESS_DIGEST_LEN 32  /* SHA-256 */
#define CV_ACCESS_TOKEN_LEN 32   /* hex digits of a moderator token: 128 random bits */

/* A password: 1..128 printable ASCII characters (0x20..0x7e), not starting
 * or ending with a space (an HTTP header value could not carry those).
 * Returns 1 if s qualifies. */
int cv_access_password_ok(const char *s, size_t len);

/* Parses an Authorization header value "Bearer <credential>" (scheme case-
 * insensitive). Returns 1 and copies the credential into out (cap bytes),
 * 0 if header is NULL or the token empty ("Bearer"), or CV_E_INVAL for
 * another scheme or a credential that is not a valid password (see
 * cv_access_password_ok). */
int cv_access_bearer(const char *header, char *out, size_t cap);

/* SHA-256 of the secret (so that comparing digests does not leak its length). */
void cv_access_digest(const char *secret, uint8_t out[CV_ACCESS_DIGEST_LEN]);
/* 1 if the digests are equal; the time taken does not depend on where they differ. */
int cv_access_same(const uint8_t a[CV_ACCESS_DIGEST_LEN], const uint8_t b[CV_ACCESS_DIGEST_LEN]);

/* Secrets of one room, as digests; has_* = 0 means there is none. */
typedef struct {
    int has_password;
    uint8_t password[CV_ACCESS_DIGEST_LEN];
    int has_moderator;
    uint8_t moderator[CV_ACCESS_DIGEST_LEN];
    int has_token; /* the creator's moderator token */
    uint8_t token[CV_ACCESS_DIGEST_LEN];
    int locked;
    int empty; /* nobody in the room and nobody joining it */
} cv_access_room_t;

enum {
    CV_ACCESS_ATTENDEE = 0,
    CV_ACCESS_MODERATOR = 1, /* presented the moderator password or token */
    CV_ACCESS_CREATOR = 2,   /* first into a room without a moderator password */
};

/* Who is let in. presented is the Bearer credential or NULL. Returns
 * CV_ACCESS_* or the HTTP status of a refusal (401: a password is needed and
 * none was given; 403: a wrong credential or a locked room) with *why set to
 * a static one-line reason. A moderator credential opens a locked room and
 * one with a password. */
int cv_access_admit(const cv_access_room_t *room, const char *presented, const char **why);

/* Role rules. A moderator command (layout, floor, mute_participant, remove,
 * lock, password, lobby, admit, deny, admit_all) needs a moderator: returns 0, or 403 with *why. */
int cv_access_may_command(int cmd_type, int moderator, const char **why);
/* In the lecture layout an attendee without the floor cannot unmute nor share
 * a screen: returns 0, or 403 with *why. */
int cv_access_may_speak(int lecture, int moderator, int floor, const char **why);
/* The reasons above that callers tell apart (compare the pointers): a wrong
 * credential, a locked room, a moderator's command, the floor. */
extern const char cv_access_why_wrong[], cv_access_why_locked[], cv_access_why_moderator[],
    cv_access_why_floor[];

/* Layout names of commands, the ini and events: "grid", "speaker", "lecture"
 * <-> CV_LAYOUT_MODE_*. Parse returns CV_E_INVAL for another name. */
int cv_access_layout_parse(const char *name);
const char *cv_access_layout_name(int mode);

#endif
