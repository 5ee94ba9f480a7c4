/*
 * ratelimit.c - fixed one-minute windows per address in an open-addressed
 * table (see ratelimit.h). An address hashes to a home slot and may live in
 * any of the PROBE slots from there.
 */
#include "ratelimit.h"

#include "clientaddr.h"
#include "mem.h"

#include <stdlib.h>

#define PROBE 8
#define MIN_SLOTS 16

struct slot {
    uint64_t key;   /* keyed hash of the address; 0 = never used */
    int64_t start;  /* start of its window */
    uint32_t count; /* events counted in the window */
};

struct cv_ratelimit {
    struct slot *slots;
    size_t mask; /* slots - 1, slots a power of two */
    uint64_t seed;
};

static int expired(const struct slot *s, int64_t now_us)
{
    return s->key == 0 || now_us - s->start >= CV_RATELIMIT_WINDOW_US || now_us < s->start;
}

cv_ratelimit_t *cv_ratelimit_create(size_t slots, uint64_t seed)
{
    size_t n = MIN_SLOTS;
    while (n < slots && n < ((size_t)1 << 24))
        n <<= 1;
    cv_ratelimit_t *rl = cv_xcalloc(1, sizeof(*rl));
    rl->slots = cv_xcalloc(n, sizeof(*rl->slots));
    rl->mask = n - 1;
    rl->seed = seed;
    return rl;
}

void cv_ratelimit_destroy(cv_ratelimit_t *rl)
{
    if (!rl)
        return;
    free(rl->slots);
    free(rl);
}

/* The slot of key: its own if still live, else a free one, else the one
 * whose window started first. */
static struct slot *find(cv_ratelimit_t *rl, uint64_t key, int64_t now_us)
{
    struct slot *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct slot *s = &rl->slots[(key + i) & rl->mask];
        if (s->key == key && !expired(s, now_us))
            return s;
        if (expired(s, now_us)) {
            if (!free_slot)
                free_slot = s;
        } else if (!oldest || s->start < oldest->start) {
            oldest = s;
        }
    }
    struct slot *s = free_slot ? free_slot : oldest;
    s->key = key;
    s->start = now_us;
    s->count = 0;
    return s;
}

int cv_ratelimit_hit(cv_ratelimit_t *rl, const char *addr, int limit, int64_t now_us)
{
    if (limit <= 0)
        return 0;
    struct slot *s =
        find(rl, cv_client_hash(rl->seed, addr) /* keyed: never the address */, now_us);
    if (s->count < (uint32_t)limit) {
        s->count++;
        return 0;
    }
    int64_t left_us = s->start + CV_RATELIMIT_WINDOW_US - now_us;
    int64_t secs = (left_us + 999999) / 1000000;
    return secs < 1 ? 1 : (int)secs;
}

size_t cv_ratelimit_count(const cv_ratelimit_t *rl, int64_t now_us)
{
    size_t n = 0;
    for (size_t i = 0; i <= rl->mask; i++)
        n += !expired(&rl->slots[i], now_us);
    return n;
}

int cv_bucket_take(cv_bucket_t *b, int rate, int burst, int64_t now_us)
{
    int64_t step = 1000000 / (rate > 0 ? rate : 1);
    int64_t depth = (int64_t)((burst > 1 ? burst : 1) - 1) * step;
    int64_t at = b->full_at_us > now_us ? b->full_at_us : now_us;
    if (at - now_us > depth) {
        int64_t secs = (at - now_us - depth + 999999) / 1000000;
        return secs < 1 ? 1 : (int)secs;
    }
    b->full_at_us = at + step;
    return 0;
}
