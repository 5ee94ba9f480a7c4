/*
 * test_lobby.c - the waiting rooms (signaling/lobby.c) on a fake clock:
 * knocks, reloads, admit, deny and its memory, tickets, limits, expiry and a
 * room that ends.
 */
#include "check.h"
#include "err.h"
#include "lobby.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define S 1000000LL

/* A waiter of room numbered i: secret "s<i>..." and public id "p<i>...",
 * padded with zeros to their lengths. */
static cv_lobby_entry_t waiter(const char *room, int i, uint64_t key, uint64_t client, int64_t t)
{
    cv_lobby_entry_t e;
    memset(&e, 0, sizeof(e));
    snprintf(e.room, sizeof(e.room), "%s", room);
    snprintf(e.secret, sizeof(e.secret), "%032x", 0x50000 + i);
    snprintf(e.public_id, sizeof(e.public_id), "%016x", 0x70000 + i);
    snprintf(e.name, sizeof(e.name), "W%d", i);
    e.key = key;
    e.client = client;
    e.since_us = t;
    return e;
}

static char *secret_of(int i)
{
    static char s[CV_LOBBY_SECRET_LEN + 1];
    snprintf(s, sizeof(s), "%032x", 0x50000 + i);
    return s;
}

static char *public_of(int i)
{
    static char s[CV_LOBBY_PUBLIC_LEN + 1];
    snprintf(s, sizeof(s), "%016x", 0x70000 + i);
    return s;
}

static void test_knock_admit_redeem(void)
{
    cv_lobby_t *l = cv_lobby_create();
    char old[CV_LOBBY_SECRET_LEN + 1];
    cv_lobby_entry_t e = waiter("class", 1, 11, 0, 5 * S);
    CHECK_EQ(cv_lobby_knock(l, &e, 3, old), 0);
    CHECK_STR(old, "");
    CHECK_EQ(cv_lobby_count_room(l, "class"), 1);
    CHECK(cv_lobby_find(l, "class", secret_of(1)) != NULL);
    CHECK(cv_lobby_find(l, "other", secret_of(1)) == NULL); /* a ticket is of one room */
    CHECK(cv_lobby_find(l, "class", "short") == NULL);
    /* waiting: a join with the ticket is refused and the ticket stays */
    uint64_t key = 0, client = 0;
    CHECK_EQ(cv_lobby_redeem(l, "class", secret_of(1), &key, &client), CV_E_STATE);
    char *json = cv_lobby_json(l, "class", 12 * S + 900000);
    CHECK_STR(json, "{\"waiting\":[{\"id\":\"0000000000070001\",\"name\":\"W1\",\"waited\":7}],"
                    "\"denied\":[]}");
    free(json);
    cv_lobby_note_t note;
    CHECK_EQ(cv_lobby_admit(l, "other", public_of(1), 6 * S, &note), CV_E_NOTFOUND);
    CHECK_EQ(cv_lobby_admit(l, "class", public_of(1), 6 * S, &note), 0);
    CHECK_STR(note.secret, secret_of(1));
    CHECK_STR(note.state, "admitted");
    /* an admitted waiter leaves the moderators' list but still counts */
    json = cv_lobby_json(l, "class", 7 * S);
    CHECK_STR(json, "{\"waiting\":[],\"denied\":[]}");
    free(json);
    CHECK_EQ(cv_lobby_count_room(l, "class"), 1);
    CHECK_EQ(cv_lobby_redeem(l, "other", secret_of(1), &key, &client), CV_E_NOTFOUND);
    CHECK_EQ(cv_lobby_redeem(l, "class", secret_of(1), &key, &client), 0);
    CHECK(key == 11 && client == 0);
    CHECK_EQ(cv_lobby_redeem(l, "class", secret_of(1), &key, &client), CV_E_NOTFOUND); /* once */
    CHECK_EQ(cv_lobby_count(l), 0);
    cv_lobby_destroy(l);
}

static void test_reload_and_limits(void)
{
    cv_lobby_t *l = cv_lobby_create();
    char old[CV_LOBBY_SECRET_LEN + 1];
    for (int i = 1; i <= 3; i++) {
        cv_lobby_entry_t e = waiter("r", i, 100 + i, 7, i * S);
        CHECK_EQ(cv_lobby_knock(l, &e, 3, old), 0);
    }
    cv_lobby_entry_t e4 = waiter("r", 4, 104, 7, 4 * S);
    CHECK_EQ(cv_lobby_knock(l, &e4, 3, old), CV_E_FULL);
    /* another room has its own list */
    cv_lobby_entry_t o = waiter("s", 5, 105, 8, 4 * S);
    CHECK_EQ(cv_lobby_knock(l, &o, 3, old), 0);
    CHECK_EQ(cv_lobby_count_client(l, 7), 3);
    CHECK_EQ(cv_lobby_count_client(l, 8), 1);
    CHECK_EQ(cv_lobby_count_client(l, 0), 0); /* not limited: never counted */
    /* a reload (same key) replaces, even when full, and keeps its time */
    cv_lobby_entry_t again = waiter("r", 6, 102, 7, 9 * S);
    CHECK_EQ(cv_lobby_knock(l, &again, 3, old), 0);
    CHECK_STR(old, secret_of(2));
    CHECK(cv_lobby_find(l, "r", secret_of(2)) == NULL);
    const cv_lobby_entry_t *f = cv_lobby_find(l, "r", secret_of(6));
    CHECK(f != NULL && f->since_us == 2 * S);
    CHECK(cv_lobby_find_key(l, "r", 102));
    CHECK(!cv_lobby_find_key(l, "s", 102));
    CHECK_EQ(cv_lobby_count_room(l, "r"), 3);
    /* the same key in another room is another waiter */
    cv_lobby_entry_t other = waiter("s", 7, 102, 7, 9 * S);
    CHECK_EQ(cv_lobby_knock(l, &other, 3, old), 0);
    CHECK_STR(old, "");
    CHECK_EQ(cv_lobby_leave(l, "r", secret_of(6)), 0);
    CHECK_EQ(cv_lobby_leave(l, "r", secret_of(6)), CV_E_NOTFOUND);
    CHECK_EQ(cv_lobby_count(l), 4);
    /* the table as a whole is bounded */
    cv_lobby_t *big = cv_lobby_create();
    int ok = 0;
    for (int i = 0; i < CV_LOBBY_CAP + 5; i++) {
        char room[16];
        snprintf(room, sizeof(room), "r%d", i % 64);
        cv_lobby_entry_t e = waiter(room, i, 0, 0, 0);
        ok += cv_lobby_knock(big, &e, 1000, old) == 0;
    }
    CHECK_EQ(ok, CV_LOBBY_CAP);
    cv_lobby_destroy(big);
    cv_lobby_destroy(l);
}

static void test_deny(void)
{
    cv_lobby_t *l = cv_lobby_create();
    char old[CV_LOBBY_SECRET_LEN + 1];
    cv_lobby_entry_t a = waiter("r", 1, 41, 51, 0), b = waiter("r", 2, 0, 52, 0);
    CHECK_EQ(cv_lobby_knock(l, &a, 9, old), 0);
    CHECK_EQ(cv_lobby_knock(l, &b, 9, old), 0);
    cv_lobby_note_t note;
    CHECK_EQ(cv_lobby_deny(l, "r", public_of(1), S, &note), 0);
    CHECK_STR(note.state, "denied");
    CHECK_STR(note.secret, secret_of(1));
    CHECK_EQ(cv_lobby_deny(l, "r", public_of(1), S, &note), CV_E_NOTFOUND);
    CHECK_EQ(cv_lobby_deny(l, "r", public_of(2), S, &note), 0);
    CHECK_EQ(cv_lobby_count(l), 0);
    /* a with a key: known by that key, from any address */
    CHECK(cv_lobby_denied(l, "r", 41, 999));
    CHECK(!cv_lobby_denied(l, "s", 41, 51)); /* of that room only */
    /* a knock with another key from a's address is not a */
    CHECK(!cv_lobby_denied(l, "r", 42, 51));
    /* b knocked without a key: known by its address when it knocks without one */
    CHECK(cv_lobby_denied(l, "r", 0, 52));
    CHECK(!cv_lobby_denied(l, "r", 0, 53));
    CHECK(!cv_lobby_denied(l, "r", 0, 0));
    char *json = cv_lobby_json(l, "r", S);
    CHECK_STR(json, "{\"waiting\":[],\"denied\":[{\"id\":\"0000000000070001\",\"name\":\"W1\"},"
                    "{\"id\":\"0000000000070002\",\"name\":\"W2\"}]}");
    free(json);
    /* a moderator admits a turned-away person: the denial is lifted, no one to tell */
    CHECK_EQ(cv_lobby_admit(l, "r", public_of(1), S, &note), 0);
    CHECK_STR(note.secret, "");
    CHECK(!cv_lobby_denied(l, "r", 41, 999));
    /* a room remembers CV_LOBBY_DENIED_ROOM: the oldest gives way */
    for (int i = 10; i < 10 + CV_LOBBY_DENIED_ROOM + 1; i++) {
        cv_lobby_entry_t e = waiter("r", i, (uint64_t)(1000 + i), 0, 0);
        CHECK_EQ(cv_lobby_knock(l, &e, 9, old), 0);
        CHECK_EQ(cv_lobby_deny(l, "r", public_of(i), S, &note), 0);
    }
    CHECK(!cv_lobby_denied(l, "r", 0, 52)); /* b was the oldest left */
    CHECK(!cv_lobby_denied(l, "r", 1010, 0));
    CHECK(cv_lobby_denied(l, "r", 1011, 0));
    CHECK(cv_lobby_denied(l, "r", 1000 + 10 + CV_LOBBY_DENIED_ROOM, 0));
    cv_lobby_destroy(l);
}

static void test_admit_all_expire_forget(void)
{
    cv_lobby_t *l = cv_lobby_create();
    char old[CV_LOBBY_SECRET_LEN + 1];
    for (int i = 1; i <= 4; i++) {
        cv_lobby_entry_t e = waiter(i == 4 ? "s" : "r", i, 0, 0, i * S);
        CHECK_EQ(cv_lobby_knock(l, &e, 9, old), 0);
    }
    cv_lobby_note_t notes[8];
    CHECK_EQ(cv_lobby_admit_all(l, "r", 10 * S, notes, 8), 3);
    CHECK_STR(notes[0].secret, secret_of(1));
    CHECK_STR(notes[2].secret, secret_of(3));
    CHECK_EQ(cv_lobby_admit_all(l, "r", 10 * S, notes, 8), 0); /* nobody waits now */
    /* waits end after the timeout, admitted tickets after CV_LOBBY_TICKET_US */
    CHECK_EQ(cv_lobby_expire(l, 33 * S, 30 * S, notes, 8), 0);
    CHECK_EQ(cv_lobby_expire(l, 34 * S, 30 * S, notes, 8), 1); /* s's waiter, since 4 s */
    CHECK_STR(notes[0].secret, secret_of(4));
    CHECK_STR(notes[0].state, "expired");
    CHECK_STR(notes[0].room, "s");
    CHECK_EQ(cv_lobby_count(l), 3);
    CHECK_EQ(cv_lobby_expire(l, 10 * S + CV_LOBBY_TICKET_US - 1, 30 * S, notes, 8), 0);
    CHECK_EQ(cv_lobby_expire(l, 10 * S + CV_LOBBY_TICKET_US, 30 * S, notes, 2), 2);
    CHECK_EQ(cv_lobby_expire(l, 10 * S + CV_LOBBY_TICKET_US, 30 * S, notes, 2), 1);
    CHECK_EQ(cv_lobby_count(l), 0);
    /* a room that ends forgets its waiters and its denials, not another room's */
    cv_lobby_entry_t a = waiter("r", 1, 61, 0, 0), b = waiter("r", 2, 62, 0, 0),
                     c = waiter("s", 3, 63, 0, 0), d = waiter("s", 4, 64, 0, 0);
    cv_lobby_knock(l, &a, 9, old);
    cv_lobby_knock(l, &b, 9, old);
    cv_lobby_knock(l, &c, 9, old);
    cv_lobby_knock(l, &d, 9, old);
    cv_lobby_deny(l, "r", public_of(2), 0, notes);
    cv_lobby_deny(l, "s", public_of(4), 0, notes);
    CHECK_EQ(cv_lobby_forget_room(l, "r", notes, 8), 1);
    CHECK_STR(notes[0].state, "ended");
    CHECK_STR(notes[0].secret, secret_of(1));
    CHECK(!cv_lobby_denied(l, "r", 62, 0));
    CHECK(cv_lobby_denied(l, "s", 64, 0));
    CHECK_EQ(cv_lobby_count_room(l, "s"), 1);
    cv_lobby_destroy(l);
    cv_lobby_destroy(NULL);
}

static void test_passes(void)
{
    cv_lobby_t *l = cv_lobby_create();
    cv_lobby_grant(l, "r", 0, 0, "s0"); /* nothing to know it by: not kept */
    CHECK(!cv_lobby_granted(l, "r", 0, 0));
    cv_lobby_grant(l, "r", 21, 31, "s1"); /* a browser key */
    cv_lobby_grant(l, "r", 0, 32, "s2");  /* no key: its address */
    CHECK(cv_lobby_granted(l, "r", 21, 999));
    CHECK(!cv_lobby_granted(l, "s", 21, 31)); /* of that room only */
    CHECK(!cv_lobby_granted(l, "r", 22, 31)); /* another browser at the same address */
    CHECK(!cv_lobby_granted(l, "r", 0, 31));  /* a keyed pass is not the address's */
    CHECK(cv_lobby_granted(l, "r", 0, 32));
    CHECK(!cv_lobby_granted(l, "r", 0, 33));
    /* a moderator removed session s1: its pass goes */
    cv_lobby_revoke(l, "s1");
    CHECK(!cv_lobby_granted(l, "r", 21, 31));
    CHECK(cv_lobby_granted(l, "r", 0, 32));
    /* an admitted entry at once, then spent by its join */
    cv_lobby_entry_t e = waiter("r", 1, 21, 31, 0);
    CHECK_EQ(cv_lobby_knock_admitted(l, &e, 5 * S), 0);
    uint64_t key = 0, client = 0;
    CHECK_EQ(cv_lobby_redeem(l, "r", secret_of(1), &key, &client), 0);
    CHECK(key == 21 && client == 31);
    /* a room keeps CV_LOBBY_PASS_ROOM: the oldest gives way */
    for (int i = 0; i < CV_LOBBY_PASS_ROOM; i++)
        cv_lobby_grant(l, "r", (uint64_t)(100 + i), 0, "sx");
    CHECK(!cv_lobby_granted(l, "r", 0, 32));
    CHECK(cv_lobby_granted(l, "r", 100, 0));
    /* granting the same key again keeps one row */
    cv_lobby_grant(l, "r", 100, 0, "sy");
    cv_lobby_grant(l, "r", 1000, 0, "sz");
    CHECK(cv_lobby_granted(l, "r", 100, 0));
    CHECK(!cv_lobby_granted(l, "r", 101, 0));
    /* the room ends: its passes go */
    cv_lobby_note_t notes[2];
    cv_lobby_forget_room(l, "r", notes, 2);
    CHECK(!cv_lobby_granted(l, "r", 100, 0));
    cv_lobby_destroy(l);
}

int main(void)
{
    test_knock_admit_redeem();
    test_reload_and_limits();
    test_deny();
    test_admit_all_expire_forget();
    test_passes();
    return CHECK_DONE("test_lobby");
}
