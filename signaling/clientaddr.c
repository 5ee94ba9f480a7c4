/*
 * clientaddr.c - client keys (IPv6 by /64) and the two-row count of open
 * requests (see clientaddr.h).
 */
#include "clientaddr.h"

#include "mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_COUNTERS 64

struct cv_openreq {
    uint32_t *row[2];
    size_t mask;
    uint64_t seed;
};

int cv_client_key(const char *ip, char *out, size_t cap)
{
    struct in_addr v4;
    struct in6_addr v6;
    char text[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, ip, &v4) == 1) {
        inet_ntop(AF_INET, &v4, text, sizeof(text));
        snprintf(out, cap, "%s", text);
        return 0;
    }
    if (inet_pton(AF_INET6, ip, &v6) != 1)
        return -1;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
        inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof(text));
        snprintf(out, cap, "%s", text);
        return 0;
    }
    memset(&v6.s6_addr[8], 0, 8); /* the interface half goes */
    inet_ntop(AF_INET6, &v6, text, sizeof(text));
    snprintf(out, cap, "%s/64", text);
    return 0;
}

/* FNV-1a over the key from the seed, then splitmix64's finaliser. */
static uint64_t mix(uint64_t seed, const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

cv_openreq_t *cv_openreq_create(size_t counters, uint64_t seed)
{
    size_t n = MIN_COUNTERS;
    while (n < counters && n < ((size_t)1 << 22))
        n <<= 1;
    cv_openreq_t *t = cv_xcalloc(1, sizeof(*t));
    t->row[0] = cv_xcalloc(n, sizeof(uint32_t));
    t->row[1] = cv_xcalloc(n, sizeof(uint32_t));
    t->mask = n - 1;
    t->seed = seed;
    return t;
}

void cv_openreq_destroy(cv_openreq_t *t)
{
    if (!t)
        return;
    free(t->row[0]);
    free(t->row[1]);
    free(t);
}

uint64_t cv_client_hash(uint64_t seed, const char *key)
{
    uint64_t h = mix(seed, key);
    return h ? h : 1;
}

uint64_t cv_openreq_token(const cv_openreq_t *t, const char *key)
{
    return cv_client_hash(t->seed, key);
}

/* The low half of the token picks the counter of row 0, the high half row 1. */
static uint32_t *counter(const cv_openreq_t *t, uint64_t token, int row)
{
    uint64_t i = row ? token >> 32 : token & 0xffffffffu;
    return &t->row[row][i & t->mask];
}

int cv_openreq_count(const cv_openreq_t *t, uint64_t token)
{
    uint32_t a = *counter(t, token, 0), b = *counter(t, token, 1);
    return (int)(a < b ? a : b);
}

int cv_openreq_take(cv_openreq_t *t, uint64_t token, int limit)
{
    if (cv_openreq_count(t, token) >= limit)
        return 0;
    (*counter(t, token, 0))++;
    (*counter(t, token, 1))++;
    return 1;
}

void cv_openreq_give(cv_openreq_t *t, uint64_t token)
{
    for (int row = 0; row < 2; row++) {
        uint32_t *c = counter(t, token, row);
        if (*c > 0)
            (*c)--;
    }
}
