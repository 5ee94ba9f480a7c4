/*
 * test_breakout.c - breakout groups (signaling/breakout.c): names of the
 * groups, opening and its refusals, assignments, the end of a duration on a
 * fake clock, and the bounds of the table.
 */
#include "breakout.h"
#include "check.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

#define S 1000000LL

static const char SUF[CV_BREAKOUT_MAX_GROUPS][CV_BREAKOUT_SUFFIX_LEN + 1] = {
    "0123456789abcdef", "fedcba9876543210", "00000000000000ff", "1111111111111111",
    "2222222222222222", "3333333333333333", "4444444444444444", "5555555555555555",
    "6666666666666666", "7777777777777777", "8888888888888888", "9999999999999999",
    "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc", "dddddddddddddddd",
    "eeeeeeeeeeeeeeee", "ffffffffffffffff", "0a0a0a0a0a0a0a0a", "0b0b0b0b0b0b0b0b",
};

static void test_names(void)
{
    char out[65];
    cv_breakout_group_name("class", 0, SUF[0], out);
    CHECK_STR(out, "class-g1-0123456789abcdef");
    cv_breakout_group_name("class", 19, SUF[1], out);
    CHECK_STR(out, "class-g20-fedcba9876543210");
    /* a parent of 64 characters: its first 40 are kept, the name is 60 long */
    const char *p64 = "A123456789B123456789C123456789D123456789E123456789F123456789G123";
    cv_breakout_group_name(p64, 1, SUF[2], out);
    CHECK_STR(out, "A123456789B123456789C123456789D123456789-g2-00000000000000ff");
    CHECK_EQ(strlen(out), 60);
}

static void test_open_assign_close(void)
{
    cv_breakouts_t *b = cv_breakouts_create();
    int err = 0;
    CHECK(cv_breakout_open(b, "r", 1, SUF, 0, &err) == NULL && err == CV_E_INVAL);
    CHECK(cv_breakout_open(b, "r", 21, SUF, 0, &err) == NULL && err == CV_E_INVAL);
    cv_breakout_t *r = cv_breakout_open(b, "r", 3, SUF, 50 * S, &err);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->n_groups, 3);
    CHECK_STR(r->group[2], "r-g3-00000000000000ff");
    CHECK(cv_breakout_open(b, "r", 2, SUF, 0, &err) == NULL && err == CV_E_STATE);
    CHECK(cv_breakout_by_parent(b, "r") == r);
    CHECK(cv_breakout_by_parent(b, "s") == NULL);
    int k = -1;
    CHECK(cv_breakout_by_group(b, "r-g2-fedcba9876543210", &k) == r && k == 1);
    CHECK(cv_breakout_by_group(b, "r-g2-fedcba9876543211", &k) == NULL);
    CHECK(cv_breakout_by_group(b, "r", &k) == NULL); /* the parent is no group */
    CHECK_EQ(cv_breakout_assign(r, "Ann", 0), 0);
    CHECK_EQ(cv_breakout_assign(r, "Bob", 2), 0);
    CHECK_EQ(cv_breakout_assign(r, "Cy", 3), CV_E_INVAL);
    CHECK_EQ(cv_breakout_assign(r, "Cy", -1), CV_E_INVAL);
    CHECK_EQ(cv_breakout_group_of(r, "Ann"), 0);
    CHECK_EQ(cv_breakout_group_of(r, "Bob"), 2);
    CHECK_EQ(cv_breakout_group_of(r, "Cy"), -1);
    CHECK_EQ(cv_breakout_assign(r, "Ann", 1), 0); /* moved, not added */
    CHECK_EQ(cv_breakout_group_of(r, "Ann"), 1);
    CHECK_EQ(r->n_people, 2);
    for (int i = 2; i < CV_BREAKOUT_MAX_PEOPLE; i++) {
        char n[16];
        snprintf(n, sizeof(n), "P%d", i);
        CHECK_EQ(cv_breakout_assign(r, n, i % 3), 0);
    }
    CHECK_EQ(cv_breakout_assign(r, "one more", 0), CV_E_FULL);
    /* the end of a duration on a fake clock */
    char due[65];
    CHECK_EQ(cv_breakout_due(b, 50 * S - 1, due), 0);
    CHECK_EQ(cv_breakout_due(b, 50 * S, due), 1);
    CHECK_STR(due, "r");
    cv_breakout_t *u = cv_breakout_open(b, "u", 2, SUF, 0, &err); /* no end */
    CHECK(u != NULL);
    CHECK_EQ(cv_breakout_close(b, "r"), 0);
    CHECK_EQ(cv_breakout_close(b, "r"), CV_E_NOTFOUND);
    CHECK_EQ(cv_breakout_due(b, 1000 * S, due), 0);
    CHECK(cv_breakout_by_group(b, "r-g2-fedcba9876543210", &k) == NULL);
    /* opened again: a fresh record */
    r = cv_breakout_open(b, "r", 2, SUF + 5, 0, &err);
    CHECK(r != NULL && r->n_people == 0 && strcmp(r->group[0], "r-g1-3333333333333333") == 0);
    cv_breakouts_destroy(b);
}

static void test_table_bound(void)
{
    cv_breakouts_t *b = cv_breakouts_create();
    int err = 0, opened = 0, used = 0;
    for (int i = 0; i < CV_BREAKOUT_PARENTS + 3; i++) {
        char room[16];
        snprintf(room, sizeof(room), "p%d", i);
        opened += cv_breakout_open(b, room, 2, SUF, 0, &err) != NULL;
    }
    CHECK_EQ(opened, CV_BREAKOUT_PARENTS);
    CHECK_EQ(err, CV_E_FULL);
    for (int i = 0; i < CV_BREAKOUT_PARENTS + 3; i++)
        used += cv_breakout_at(b, i) != NULL;
    CHECK_EQ(used, CV_BREAKOUT_PARENTS);
    cv_breakouts_destroy(b);
    cv_breakouts_destroy(NULL);
}

int main(void)
{
    test_names();
    test_open_assign_close();
    test_table_bound();
    return CHECK_DONE("test_breakout");
}
