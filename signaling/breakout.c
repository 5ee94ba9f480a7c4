/*
 * breakout.c - breakout groups (breakout.h). Pure: a fixed table of
 * CV_BREAKOUT_PARENTS records searched linearly.
 */
#include "breakout.h"

#include "err.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cv_breakouts {
    cv_breakout_t r[CV_BREAKOUT_PARENTS];
    int used[CV_BREAKOUT_PARENTS];
};

cv_breakouts_t *cv_breakouts_create(void)
{
    return cv_xcalloc(1, sizeof(cv_breakouts_t));
}

void cv_breakouts_destroy(cv_breakouts_t *b)
{
    free(b);
}

void cv_breakout_group_name(const char *parent, int k, const char *suffix, char out[65])
{
    char tmp[96]; /* 40 + "-g" + 2 digits + "-" + 16 = 61 characters */
    snprintf(tmp, sizeof(tmp), "%.40s-g%d-%.16s", parent, k + 1, suffix);
    memcpy(out, tmp, 64);
    out[64] = '\0';
}

cv_breakout_t *cv_breakout_open(cv_breakouts_t *b, const char *parent, int n,
                                const char suffixes[][CV_BREAKOUT_SUFFIX_LEN + 1], int64_t ends_us,
                                int *err)
{
    if (n < CV_BREAKOUT_MIN_GROUPS || n > CV_BREAKOUT_MAX_GROUPS) {
        *err = CV_E_INVAL;
        return NULL;
    }
    if (cv_breakout_by_parent(b, parent)) {
        *err = CV_E_STATE;
        return NULL;
    }
    for (int i = 0; i < CV_BREAKOUT_PARENTS; i++) {
        if (b->used[i])
            continue;
        cv_breakout_t *r = &b->r[i];
        memset(r, 0, sizeof(*r));
        b->used[i] = 1;
        snprintf(r->parent, sizeof(r->parent), "%s", parent);
        r->n_groups = n;
        r->ends_us = ends_us;
        for (int k = 0; k < n; k++)
            cv_breakout_group_name(parent, k, suffixes[k], r->group[k]);
        return r;
    }
    *err = CV_E_FULL;
    return NULL;
}

int cv_breakout_assign(cv_breakout_t *r, const char *name, int k)
{
    if (k < 0 || k >= r->n_groups)
        return CV_E_INVAL;
    for (int i = 0; i < r->n_people; i++) {
        if (strcmp(r->people[i].name, name) == 0) {
            r->people[i].group = k;
            return 0;
        }
    }
    if (r->n_people >= CV_BREAKOUT_MAX_PEOPLE)
        return CV_E_FULL;
    snprintf(r->people[r->n_people].name, sizeof(r->people[0].name), "%s", name);
    r->people[r->n_people].group = k;
    r->n_people++;
    return 0;
}

int cv_breakout_group_of(const cv_breakout_t *r, const char *name)
{
    for (int i = 0; i < r->n_people; i++)
        if (strcmp(r->people[i].name, name) == 0)
            return r->people[i].group;
    return -1;
}

const cv_breakout_t *cv_breakout_at(const cv_breakouts_t *b, int i)
{
    return i >= 0 && i < CV_BREAKOUT_PARENTS && b->used[i] ? &b->r[i] : NULL;
}

cv_breakout_t *cv_breakout_by_parent(cv_breakouts_t *b, const char *room)
{
    for (int i = 0; i < CV_BREAKOUT_PARENTS; i++)
        if (b->used[i] && strcmp(b->r[i].parent, room) == 0)
            return &b->r[i];
    return NULL;
}

cv_breakout_t *cv_breakout_by_group(cv_breakouts_t *b, const char *room, int *k)
{
    for (int i = 0; i < CV_BREAKOUT_PARENTS; i++) {
        for (int g = 0; b->used[i] && g < b->r[i].n_groups; g++) {
            if (strcmp(b->r[i].group[g], room) == 0) {
                *k = g;
                return &b->r[i];
            }
        }
    }
    return NULL;
}

int cv_breakout_close(cv_breakouts_t *b, const char *parent)
{
    for (int i = 0; i < CV_BREAKOUT_PARENTS; i++) {
        if (b->used[i] && strcmp(b->r[i].parent, parent) == 0) {
            b->used[i] = 0;
            return 0;
        }
    }
    return CV_E_NOTFOUND;
}

int cv_breakout_due(const cv_breakouts_t *b, int64_t now_us, char out[65])
{
    for (int i = 0; i < CV_BREAKOUT_PARENTS; i++) {
        if (b->used[i] && b->r[i].ends_us && now_us >= b->r[i].ends_us) {
            snprintf(out, 65, "%s", b->r[i].parent);
            return 1;
        }
    }
    return 0;
}
