/*
 * breakout.h - breakout groups: a moderator splits a room (the parent) into
 * 2 to CV_BREAKOUT_MAX_GROUPS groups, each a room of its own whose name is
 * the parent's with an unguessable suffix; who belongs where (by the name
 * the roster shows), until when, and which room a name belongs to now.
 *
 * Pure: no clock (time is an argument), no lock, no random source (the
 * caller gives the suffixes). Every call is made under the API's table
 * lock. Bounded: CV_BREAKOUT_PARENTS rooms in breakouts at once,
 * CV_BREAKOUT_MAX_PEOPLE assignments each.
 */
#ifndef CV_BREAKOUT_H
#define CV_BREAKOUT_H

#include "names.h"

#include <stdint.h>

#define CV_BREAKOUT_MAX_GROUPS 20
#define CV_BREAKOUT_MIN_GROUPS 2
#define CV_BREAKOUT_PARENTS 32
#define CV_BREAKOUT_MAX_PEOPLE 100
#define CV_BREAKOUT_MAX_SECONDS 14400 /* a duration: at most 4 hours */
#define CV_BREAKOUT_SUFFIX_LEN 16     /* hex digits: 64 random bits */

typedef struct {
    char parent[65];
    int n_groups;
    char group[CV_BREAKOUT_MAX_GROUPS][65]; /* room names */
    int64_t ends_us;                        /* 0: until a moderator closes them */
    int n_people;
    struct {
        char name[CV_NAME_MAX_BYTES + 1];
        int group; /* 0-based */
    } people[CV_BREAKOUT_MAX_PEOPLE];
} cv_breakout_t;

typedef struct cv_breakouts cv_breakouts_t;

cv_breakouts_t *cv_breakouts_create(void);
/* NULL ok. */
void cv_breakouts_destroy(cv_breakouts_t *b);

/* The name of group k (0-based) of parent with the random suffix (hex
 * digits): the parent's first 40 characters, "-g", k + 1, "-", the suffix;
 * a valid room name of at most 64 characters. */
void cv_breakout_group_name(const char *parent, int k, const char *suffix, char out[65]);

/* Opens n groups of parent, with suffixes[k] for group k, ending at ends_us
 * (0: no end). Returns the record (valid until the next call that changes the
 * table), or NULL with CV_E_STATE in *err when parent already has groups,
 * CV_E_INVAL for n out of range, CV_E_FULL when CV_BREAKOUT_PARENTS rooms
 * have groups. */
cv_breakout_t *cv_breakout_open(cv_breakouts_t *b, const char *parent, int n,
                                const char suffixes[][CV_BREAKOUT_SUFFIX_LEN + 1], int64_t ends_us,
                                int *err);
/* Puts name in group k (0-based; moving it when it had one). Returns 0,
 * CV_E_INVAL for k out of range, CV_E_FULL past CV_BREAKOUT_MAX_PEOPLE. */
int cv_breakout_assign(cv_breakout_t *r, const char *name, int k);
/* The group (0-based) of name, or -1. */
int cv_breakout_group_of(const cv_breakout_t *r, const char *name);

/* Record i of the table (0 .. CV_BREAKOUT_PARENTS - 1), NULL when unused. */
const cv_breakout_t *cv_breakout_at(const cv_breakouts_t *b, int i);
/* The record whose parent is room, or NULL. */
cv_breakout_t *cv_breakout_by_parent(cv_breakouts_t *b, const char *room);
/* The record one of whose groups is room (then *k is its index), or NULL. */
cv_breakout_t *cv_breakout_by_group(cv_breakouts_t *b, const char *room, int *k);
/* Ends parent's groups: 0, or CV_E_NOTFOUND. */
int cv_breakout_close(cv_breakouts_t *b, const char *parent);
/* The parent of the first record whose end is due at now_us, into out;
 * 1 when there was one (close it, then call again), else 0. */
int cv_breakout_due(const cv_breakouts_t *b, int64_t now_us, char out[65]);

#endif
