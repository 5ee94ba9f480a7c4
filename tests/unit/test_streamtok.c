/*
 * test_streamtok.c - event stream tokens (streamtok.c) on a fake clock: a
 * token opens its session's stream once, in its room only, within its 10 s;
 * a session's new token replaces its old one; a full table gives way oldest
 * first; a made-up token opens nothing.
 */
#include "check.h"
#include "streamtok.h"

#define S 1000000LL
#define T0 (1000 * S)

int main(void)
{
    cv_streamtok_t *t = cv_streamtok_create(4);
    char tok[CV_STREAMTOK_LEN + 1], tok2[CV_STREAMTOK_LEN + 1], sid[65];

    CHECK_EQ(cv_streamtok_mint(t, "sess-a", "room1", T0, tok), 0);
    CHECK_EQ(strlen(tok), CV_STREAMTOK_LEN);
    CHECK(strspn(tok, "0123456789abcdef") == CV_STREAMTOK_LEN);
    /* once, and names its session */
    CHECK_EQ(cv_streamtok_redeem(t, tok, "room1", T0 + S, sid, sizeof(sid)), 0);
    CHECK_STR(sid, "sess-a");
    CHECK_EQ(cv_streamtok_redeem(t, tok, "room1", T0 + S, sid, sizeof(sid)), -1);

    /* in its room only; a try in another room spends it */
    CHECK_EQ(cv_streamtok_mint(t, "sess-a", "room1", T0, tok), 0);
    CHECK_EQ(cv_streamtok_redeem(t, tok, "room2", T0, sid, sizeof(sid)), -1);
    CHECK_EQ(cv_streamtok_redeem(t, tok, "room1", T0, sid, sizeof(sid)), -1);

    /* within its 10 s */
    CHECK_EQ(cv_streamtok_mint(t, "sess-a", "room1", T0, tok), 0);
    CHECK_EQ(cv_streamtok_redeem(t, tok, "room1", T0 + CV_STREAMTOK_TTL_US, sid, sizeof(sid)), -1);
    CHECK_EQ(cv_streamtok_mint(t, "sess-a", "room1", T0, tok), 0);
    CHECK_EQ(cv_streamtok_redeem(t, tok, "room1", T0 + CV_STREAMTOK_TTL_US - 1, sid, sizeof(sid)),
             0);

    /* a session's new token replaces its old one */
    CHECK_EQ(cv_streamtok_mint(t, "sess-b", "room1", T0, tok), 0);
    CHECK_EQ(cv_streamtok_mint(t, "sess-b", "room1", T0 + S, tok2), 0);
    CHECK(strcmp(tok, tok2) != 0);
    CHECK_EQ(cv_streamtok_redeem(t, tok, "room1", T0 + S, sid, sizeof(sid)), -1);
    CHECK_EQ(cv_streamtok_redeem(t, tok2, "room1", T0 + S, sid, sizeof(sid)), 0);
    CHECK_STR(sid, "sess-b");

    /* made-up tokens */
    CHECK_EQ(cv_streamtok_redeem(t, "", "room1", T0, sid, sizeof(sid)), -1);
    CHECK_EQ(cv_streamtok_redeem(t, NULL, "room1", T0, sid, sizeof(sid)), -1);
    CHECK_EQ(
        cv_streamtok_redeem(t, "00000000000000000000000000000000", "room1", T0, sid, sizeof(sid)),
        -1);

    /* a full table: the oldest live token gives way, the others stay good */
    char toks[5][CV_STREAMTOK_LEN + 1];
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "s%d", i);
        CHECK_EQ(cv_streamtok_mint(t, name, "room1", T0 + i * 1000, toks[i]), 0);
    }
    CHECK_EQ(cv_streamtok_redeem(t, toks[0], "room1", T0 + S, sid, sizeof(sid)), -1);
    for (int i = 1; i < 5; i++) {
        CHECK_EQ(cv_streamtok_redeem(t, toks[i], "room1", T0 + S, sid, sizeof(sid)), 0);
        CHECK(sid[0] == 's' && sid[1] == '0' + i);
    }
    cv_streamtok_destroy(t);
    cv_streamtok_destroy(NULL);
    return CHECK_DONE("streamtok");
}
