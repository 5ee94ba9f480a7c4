/*
 * streamtok.c - single-use event stream tokens (streamtok.h).
 */
#include "streamtok.h"

#include "mem.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct slot {
    char token[CV_STREAMTOK_LEN + 1]; /* "" when free */
    char session[65];
    char room[65];
    int64_t expires_us;
};

struct cv_streamtok {
    int n;
    struct slot *s;
};

cv_streamtok_t *cv_streamtok_create(int slots)
{
    cv_streamtok_t *t = cv_xcalloc(1, sizeof(*t));
    t->n = slots > 0 ? slots : 1;
    t->s = cv_xcalloc((size_t)t->n, sizeof(*t->s));
    return t;
}

void cv_streamtok_destroy(cv_streamtok_t *t)
{
    if (!t)
        return;
    free(t->s);
    free(t);
}

int cv_streamtok_mint(cv_streamtok_t *t, const char *session, const char *room, int64_t now_us,
                      char *out)
{
    unsigned char r[CV_STREAMTOK_LEN / 2];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -1;
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    /* the session's own slot, else a free or expired one, else the oldest */
    int pick = -1;
    for (int i = 0; i < t->n && pick < 0; i++)
        if (t->s[i].token[0] && strcmp(t->s[i].session, session) == 0)
            pick = i;
    for (int i = 0; i < t->n && pick < 0; i++)
        if (!t->s[i].token[0] || t->s[i].expires_us <= now_us)
            pick = i;
    if (pick < 0) {
        pick = 0;
        for (int i = 1; i < t->n; i++)
            if (t->s[i].expires_us < t->s[pick].expires_us)
                pick = i;
    }
    struct slot *s = &t->s[pick];
    snprintf(s->token, sizeof(s->token), "%s", out);
    snprintf(s->session, sizeof(s->session), "%s", session);
    snprintf(s->room, sizeof(s->room), "%s", room);
    s->expires_us = now_us + CV_STREAMTOK_TTL_US;
    return 0;
}

int cv_streamtok_redeem(cv_streamtok_t *t, const char *token, const char *room, int64_t now_us,
                        char *session, size_t cap)
{
    if (!token || strlen(token) != CV_STREAMTOK_LEN)
        return -1;
    for (int i = 0; i < t->n; i++) {
        struct slot *s = &t->s[i];
        if (!s->token[0] || CRYPTO_memcmp(s->token, token, CV_STREAMTOK_LEN) != 0)
            continue;
        int ok = s->expires_us > now_us && strcmp(s->room, room) == 0;
        if (ok)
            snprintf(session, cap, "%s", s->session);
        memset(s, 0, sizeof(*s));
        return ok ? 0 : -1;
    }
    return -1;
}
