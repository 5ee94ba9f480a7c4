/*
 * access.c - room admission and role rules (access.h). Pure. Digests are
 * SHA-256 (FIPS 180-4) through OpenSSL's EVP interface; equal-length digests
 * are compared with CRYPTO_memcmp, whose time does not depend on the data.
 */
#include "access.h"

#include "command.h"
#include "err.h"
#include "room.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

int cv_access_password_ok(const char *s, size_t len)
{
    if (len < 1 || len > CV_ACCESS_SECRET_MAX || s[0] == ' ' || s[len - 1] == ' ')
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

int cv_access_bearer(const char *header, char *out, size_t cap)
{
    if (!header)
        return 0;
    while (*header == ' ' || *header == '\t')
        header++;
    if (strncasecmp(header, "Bearer", 6) != 0 ||
        (header[6] != ' ' && header[6] != '\t' && header[6] != 0))
        return CV_E_INVAL;
    const char *c = header + 6;
    while (*c == ' ' || *c == '\t')
        c++;
    size_t n = strlen(c);
    while (n && (c[n - 1] == ' ' || c[n - 1] == '\t'))
        n--;
    if (n == 0)
        return 0; /* an empty token (a WHIP tool's empty field): none */
    if (!cv_access_password_ok(c, n) || n + 1 > cap)
        return CV_E_INVAL;
    memcpy(out, c, n);
    out[n] = 0;
    return 1;
}

void cv_access_digest(const char *secret, uint8_t out[CV_ACCESS_DIGEST_LEN])
{
    unsigned int n = 0;
    if (!EVP_Digest(secret, strlen(secret), out, &n, EVP_sha256(), NULL) ||
        n != CV_ACCESS_DIGEST_LEN)
        memset(out, 0xff, CV_ACCESS_DIGEST_LEN); /* matches no real digest */
}

int cv_access_same(const uint8_t a[CV_ACCESS_DIGEST_LEN], const uint8_t b[CV_ACCESS_DIGEST_LEN])
{
    return CRYPTO_memcmp(a, b, CV_ACCESS_DIGEST_LEN) == 0;
}

const char cv_access_why_wrong[] = "wrong password";
const char cv_access_why_locked[] = "room is locked";
const char cv_access_why_moderator[] = "only a moderator may do that";
const char cv_access_why_floor[] = "you do not have the floor";

int cv_access_admit(const cv_access_room_t *room, const char *presented, const char **why)
{
    *why = NULL;
    if (presented) {
        uint8_t d[CV_ACCESS_DIGEST_LEN];
        cv_access_digest(presented, d);
        /* every comparison is made, so the time does not tell which matched */
        int mod = room->has_moderator && cv_access_same(d, room->moderator);
        int tok = room->has_token && cv_access_same(d, room->token);
        int pw = room->has_password && cv_access_same(d, room->password);
        if (mod || tok)
            return CV_ACCESS_MODERATOR;
        if (!pw) {
            *why = cv_access_why_wrong;
            return 403;
        }
    } else if (room->has_password) {
        *why = "this room needs a password";
        return 401;
    }
    if (room->locked) {
        *why = cv_access_why_locked;
        return 403;
    }
    if (room->empty && !room->has_moderator)
        return CV_ACCESS_CREATOR;
    return CV_ACCESS_ATTENDEE;
}

int cv_access_may_command(int cmd_type, int moderator, const char **why)
{
    switch (cmd_type) {
    case CV_CMD_LAYOUT:
    case CV_CMD_FLOOR:
    case CV_CMD_MUTE_PARTICIPANT:
    case CV_CMD_REMOVE:
    case CV_CMD_LOCK:
    case CV_CMD_PASSWORD:
    case CV_CMD_RECORD:
    case CV_CMD_LOBBY:
    case CV_CMD_ADMIT:
    case CV_CMD_DENY:
    case CV_CMD_ADMIT_ALL:
    case CV_CMD_BREAKOUT_OPEN:
    case CV_CMD_BREAKOUT_CLOSE:
    case CV_CMD_BREAKOUT_VISIT:
    case CV_CMD_BREAKOUT_BROADCAST:
        if (!moderator) {
            *why = cv_access_why_moderator;
            return 403;
        }
        return 0;
    default: return 0;
    }
}

int cv_access_may_speak(int lecture, int moderator, int floor, const char **why)
{
    if (lecture && !moderator && !floor) {
        *why = cv_access_why_floor;
        return 403;
    }
    return 0;
}

static const char *const layout_names[] = {
    [CV_LAYOUT_MODE_GRID] = "grid",
    [CV_LAYOUT_MODE_SPEAKER] = "speaker",
    [CV_LAYOUT_MODE_LECTURE] = "lecture",
};

int cv_access_layout_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof(layout_names) / sizeof(layout_names[0])); i++)
        if (strcmp(name, layout_names[i]) == 0)
            return i;
    return CV_E_INVAL;
}

const char *cv_access_layout_name(int mode)
{
    if (mode < 0 || mode >= (int)(sizeof(layout_names) / sizeof(layout_names[0])))
        return "grid";
    return layout_names[mode];
}
