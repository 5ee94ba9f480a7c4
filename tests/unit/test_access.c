/*
 * test_access.c - room admission and role rules: the Bearer header, password
 * rules, SHA-256 digests (FIPS 180-2 known answers), constant-time equality,
 * every admission outcome, and who may command or speak.
 */
#include "access.h"
#include "check.h"
#include "command.h"
#include "err.h"
#include "room.h"

static void test_password_rules(void)
{
    CHECK_EQ(cv_access_password_ok("a", 1), 1);
    CHECK_EQ(cv_access_password_ok("open sesame", 11), 1);
    CHECK_EQ(cv_access_password_ok("~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./", 32), 1);
    CHECK_EQ(cv_access_password_ok("", 0), 0);
    CHECK_EQ(cv_access_password_ok(" a", 2), 0);
    CHECK_EQ(cv_access_password_ok("a ", 2), 0);
    CHECK_EQ(cv_access_password_ok("a\tb", 3), 0);
    CHECK_EQ(cv_access_password_ok("a\x7f", 2), 0);
    CHECK_EQ(cv_access_password_ok("caf\xc3\xa9", 5), 0);
    CHECK_EQ(cv_access_password_ok("a\0b", 3), 0);
    char s[CV_ACCESS_SECRET_MAX + 1];
    memset(s, 'x', sizeof(s));
    CHECK_EQ(cv_access_password_ok(s, CV_ACCESS_SECRET_MAX), 1);
    CHECK_EQ(cv_access_password_ok(s, CV_ACCESS_SECRET_MAX + 1), 0);
}

static void test_bearer(void)
{
    char out[CV_ACCESS_SECRET_MAX + 1];
    CHECK_EQ(cv_access_bearer(NULL, out, sizeof(out)), 0);
    CHECK_EQ(cv_access_bearer("Bearer abc", out, sizeof(out)), 1);
    CHECK_STR(out, "abc");
    CHECK_EQ(cv_access_bearer("bearer   open sesame  ", out, sizeof(out)), 1);
    CHECK_STR(out, "open sesame");
    CHECK_EQ(cv_access_bearer("BEARER\tx=", out, sizeof(out)), 1);
    CHECK_STR(out, "x=");
    CHECK_EQ(cv_access_bearer("Basic YTpi", out, sizeof(out)), CV_E_INVAL);
    /* an empty token, as a WHIP tool with an empty field sends it: no credential */
    CHECK_EQ(cv_access_bearer("Bearer", out, sizeof(out)), 0);
    CHECK_EQ(cv_access_bearer("Bearer   ", out, sizeof(out)), 0);
    CHECK_EQ(cv_access_bearer("Bearers", out, sizeof(out)), CV_E_INVAL);
    CHECK_EQ(cv_access_bearer("Bearerabc", out, sizeof(out)), CV_E_INVAL);
    CHECK_EQ(cv_access_bearer("Bearer caf\xc3\xa9", out, sizeof(out)), CV_E_INVAL);
    CHECK_EQ(cv_access_bearer("", out, sizeof(out)), CV_E_INVAL);
    /* a credential longer than the caller's buffer is refused, not cut */
    char small[4];
    CHECK_EQ(cv_access_bearer("Bearer abcd", small, sizeof(small)), CV_E_INVAL);
    CHECK_EQ(cv_access_bearer("Bearer abc", small, sizeof(small)), 1);
    CHECK_STR(small, "abc");
}

static void test_digest(void)
{
    /* FIPS 180-2 appendix B.1: SHA-256("abc") */
    static const uint8_t abc[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, /* */
        0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, /* */
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, /* */
        0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad, /* */
    };
    uint8_t d[32], e[32];
    cv_access_digest("abc", d);
    CHECK_MEM(d, abc, 32);
    CHECK_EQ(cv_access_same(d, abc), 1);
    cv_access_digest("abd", e);
    CHECK_EQ(cv_access_same(d, e), 0);
    /* a difference in the last byte only is still a difference */
    memcpy(e, abc, 32);
    e[31] ^= 1;
    CHECK_EQ(cv_access_same(abc, e), 0);
    e[31] ^= 1;
    e[0] ^= 0x80;
    CHECK_EQ(cv_access_same(abc, e), 0);
}

static cv_access_room_t room_with(const char *pw, const char *mod, const char *token, int locked,
                                  int empty)
{
    cv_access_room_t r;
    memset(&r, 0, sizeof(r));
    if (pw) {
        r.has_password = 1;
        cv_access_digest(pw, r.password);
    }
    if (mod) {
        r.has_moderator = 1;
        cv_access_digest(mod, r.moderator);
    }
    if (token) {
        r.has_token = 1;
        cv_access_digest(token, r.token);
    }
    r.locked = locked;
    r.empty = empty;
    return r;
}

static void expect_refused(const cv_access_room_t *r, const char *cred, int status,
                           const char *reason)
{
    const char *why = NULL;
    CHECK_EQ(cv_access_admit(r, cred, &why), status);
    CHECK(why && strcmp(why, reason) == 0);
}

static void test_admit(void)
{
    const char *why;
    /* an open room: its first is the creator, then attendees */
    cv_access_room_t r = room_with(NULL, NULL, NULL, 0, 1);
    CHECK_EQ(cv_access_admit(&r, NULL, &why), CV_ACCESS_CREATOR);
    r.empty = 0;
    CHECK_EQ(cv_access_admit(&r, NULL, &why), CV_ACCESS_ATTENDEE);
    /* a credential that matches nothing is wrong, even where none is needed */
    expect_refused(&r, "guess", 403, "wrong password");

    /* a password */
    r = room_with("open sesame", NULL, NULL, 0, 0);
    expect_refused(&r, NULL, 401, "this room needs a password");
    expect_refused(&r, "open sesam", 403, "wrong password");
    expect_refused(&r, "open sesame!", 403, "wrong password");
    CHECK_EQ(cv_access_admit(&r, "open sesame", &why), CV_ACCESS_ATTENDEE);
    r.empty = 1;
    CHECK_EQ(cv_access_admit(&r, "open sesame", &why), CV_ACCESS_CREATOR);

    /* a moderator password: nobody creates; it enters without the room's password */
    r = room_with("open sesame", "chair", NULL, 0, 1);
    CHECK_EQ(cv_access_admit(&r, "open sesame", &why), CV_ACCESS_ATTENDEE);
    CHECK_EQ(cv_access_admit(&r, "chair", &why), CV_ACCESS_MODERATOR);
    expect_refused(&r, NULL, 401, "this room needs a password");

    /* locked: only moderators */
    r = room_with("open sesame", "chair", "0123456789abcdef0123456789abcdef", 1, 0);
    expect_refused(&r, "open sesame", 403, "room is locked");
    expect_refused(&r, "wrong", 403, "wrong password");
    CHECK_EQ(cv_access_admit(&r, "chair", &why), CV_ACCESS_MODERATOR);
    CHECK_EQ(cv_access_admit(&r, "0123456789abcdef0123456789abcdef", &why), CV_ACCESS_MODERATOR);
    r = room_with(NULL, NULL, NULL, 1, 0);
    expect_refused(&r, NULL, 403, "room is locked");

    /* the creator's token, in a room without a password */
    r = room_with(NULL, NULL, "feedfacefeedfacefeedfacefeedface", 0, 0);
    CHECK_EQ(cv_access_admit(&r, "feedfacefeedfacefeedfacefeedface", &why), CV_ACCESS_MODERATOR);
    expect_refused(&r, "feedfacefeedfacefeedfacefeedfacf", 403, "wrong password");
    CHECK_EQ(cv_access_admit(&r, NULL, &why), CV_ACCESS_ATTENDEE);
}

static void test_rules(void)
{
    const char *why = NULL;
    static const int everyone[] = {CV_CMD_MUTE, CV_CMD_CAMERA, CV_CMD_HAND, CV_CMD_CHAT};
    static const int moderator[] = {CV_CMD_LAYOUT, CV_CMD_FLOOR, CV_CMD_MUTE_PARTICIPANT,
                                    CV_CMD_REMOVE, CV_CMD_LOCK,  CV_CMD_PASSWORD,
                                    CV_CMD_RECORD};
    for (size_t i = 0; i < sizeof(everyone) / sizeof(everyone[0]); i++) {
        CHECK_EQ(cv_access_may_command(everyone[i], 0, &why), 0);
        CHECK_EQ(cv_access_may_command(everyone[i], 1, &why), 0);
    }
    for (size_t i = 0; i < sizeof(moderator) / sizeof(moderator[0]); i++) {
        why = NULL;
        CHECK_EQ(cv_access_may_command(moderator[i], 0, &why), 403);
        CHECK(why && strcmp(why, "only a moderator may do that") == 0);
        CHECK_EQ(cv_access_may_command(moderator[i], 1, &why), 0);
    }
    /* speaking: only the lecture layout restricts, and not moderators or the floor */
    CHECK_EQ(cv_access_may_speak(0, 0, 0, &why), 0);
    CHECK_EQ(cv_access_may_speak(1, 1, 0, &why), 0);
    CHECK_EQ(cv_access_may_speak(1, 0, 1, &why), 0);
    why = NULL;
    CHECK_EQ(cv_access_may_speak(1, 0, 0, &why), 403);
    CHECK(why && strcmp(why, "you do not have the floor") == 0);
}

static void test_layout_names(void)
{
    CHECK_EQ(cv_access_layout_parse("grid"), CV_LAYOUT_MODE_GRID);
    CHECK_EQ(cv_access_layout_parse("speaker"), CV_LAYOUT_MODE_SPEAKER);
    CHECK_EQ(cv_access_layout_parse("lecture"), CV_LAYOUT_MODE_LECTURE);
    CHECK_EQ(cv_access_layout_parse("presenter"), CV_E_INVAL);
    CHECK_EQ(cv_access_layout_parse(""), CV_E_INVAL);
    CHECK_STR(cv_access_layout_name(CV_LAYOUT_MODE_LECTURE), "lecture");
    CHECK_STR(cv_access_layout_name(CV_LAYOUT_MODE_SPEAKER), "speaker");
    CHECK_STR(cv_access_layout_name(CV_LAYOUT_MODE_GRID), "grid");
    CHECK_STR(cv_access_layout_name(99), "grid");
}

int main(void)
{
    test_password_rules();
    test_bearer();
    test_digest();
    test_admit();
    test_rules();
    test_layout_names();
    return CHECK_DONE("test_access");
}
