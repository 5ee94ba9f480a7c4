/*
 * lobby.h - the waiting rooms: who knocked at which room and waits for a
 * moderator, who was let in and may now join once, and whom a moderator
 * turned away. A waiting person has no session: nothing of the meeting
 * (media, roster, chat) can reach them; their own event stream only hears
 * the answer.
 *
 * Pure: no clock (time is an argument), no lock, no random source (the
 * caller draws the secrets). Every call is made under the API's table lock.
 * Everything is bounded: CV_LOBBY_CAP waiting in all, a caller's limit per
 * room, CV_LOBBY_DENIED_ROOM denials a room (the oldest gives way) and
 * CV_LOBBY_DENIED_CAP in all.
 */
#ifndef CV_LOBBY_H
#define CV_LOBBY_H

#include "names.h"

#include <stddef.h>
#include <stdint.h>

#define CV_LOBBY_CAP 1024             /* waiting or admitted, the whole server */
#define CV_LOBBY_DENIED_ROOM 32       /* denials remembered a room */
#define CV_LOBBY_DENIED_CAP 512       /* denials remembered in all */
#define CV_LOBBY_PASS_ROOM 64         /* people let in that a room remembers */
#define CV_LOBBY_PASS_CAP 1024        /* in all */
#define CV_LOBBY_SECRET_LEN 32        /* hex digits: the waiter's ticket, 128 random bits */
#define CV_LOBBY_PUBLIC_LEN 16        /* hex digits: the id moderators see */
#define CV_LOBBY_TICKET_US 60000000LL /* an admitted ticket must be used within a minute */

enum { CV_LOBBY_WAITING = 0, CV_LOBBY_ADMITTED = 1 };

typedef struct {
    char room[65];
    char secret[CV_LOBBY_SECRET_LEN + 1];
    char public_id[CV_LOBBY_PUBLIC_LEN + 1];
    char name[CV_NAME_MAX_BYTES + 1];
    uint64_t key;    /* keyed hash of the browser's own key, 0 = none given */
    uint64_t client; /* keyed hash of the client address, 0 = not limited */
    int64_t since_us;
    int64_t admitted_us;
    int state;     /* CV_LOBBY_WAITING, CV_LOBBY_ADMITTED */
    int moderator; /* a breakout ticket of a moderator (api_breakout.c) */
} cv_lobby_entry_t;

/* What a change told a waiter: their secret and the word of their event. */
typedef struct {
    char room[65];
    char secret[CV_LOBBY_SECRET_LEN + 1];
    const char *state; /* "admitted", "denied", "expired", "ended" */
} cv_lobby_note_t;

typedef struct cv_lobby cv_lobby_t;

cv_lobby_t *cv_lobby_create(void);
/* NULL ok. */
void cv_lobby_destroy(cv_lobby_t *l);

/* 1 when a moderator of room turned away this browser key (when key is not
 * 0) or, for a knock without a key, this client address (when not 0). */
int cv_lobby_denied(const cv_lobby_t *l, const char *room, uint64_t key, uint64_t client);
/* Adds a waiter of room. A waiter of the same room with the same key (not 0)
 * is replaced, keeping its place and time (a reload); *replaced then holds
 * the old secret, else "". Returns 0, or CV_E_FULL when room already has
 * max_room waiting or the table is full. */
int cv_lobby_knock(cv_lobby_t *l, const cv_lobby_entry_t *e, int max_room,
                   char replaced[CV_LOBBY_SECRET_LEN + 1]);
/* The entry of room with this secret, or NULL (valid until the next call). */
const cv_lobby_entry_t *cv_lobby_find(const cv_lobby_t *l, const char *room, const char *secret);
/* 1 when a waiter of room has this key (not 0). */
int cv_lobby_find_key(const cv_lobby_t *l, const char *room, uint64_t key);
/* A join of room presenting ticket `secret`: 0 when it was admitted (the
 * ticket is spent; *key and *client are the waiter's, for cv_lobby_grant),
 * CV_E_NOTFOUND for no such ticket, CV_E_STATE while it still waits. */
int cv_lobby_redeem(cv_lobby_t *l, const char *room, const char *secret, uint64_t *key,
                    uint64_t *client);
/* Remembers that the browser key (or, without one, the address) was let into
 * room as session `session`, so that its knocks while the room lasts are
 * admitted at once (a reconnection, a reload); the oldest of the room gives
 * way past CV_LOBBY_PASS_ROOM, the oldest of all past CV_LOBBY_PASS_CAP. */
void cv_lobby_grant(cv_lobby_t *l, const char *room, uint64_t key, uint64_t client,
                    const char *session);
/* 1 when a knock with this key (or, without one, this address) was let in. */
int cv_lobby_granted(const cv_lobby_t *l, const char *room, uint64_t key, uint64_t client);
/* The session a moderator removed: its pass goes. */
void cv_lobby_revoke(cv_lobby_t *l, const char *session);
/* Adds an entry already admitted (a knock that was let in before). Returns
 * 0 or CV_E_FULL. */
int cv_lobby_knock_admitted(cv_lobby_t *l, const cv_lobby_entry_t *e, int64_t now_us);
/* The waiter left (DELETE): 0 or CV_E_NOTFOUND. */
int cv_lobby_leave(cv_lobby_t *l, const char *room, const char *secret);

/* A moderator's answers. admit: the waiter with public id `pub` may join
 * (note "admitted"); or, when pub is a denial, the denial is lifted (no
 * note, *note->secret ""). deny: the waiter is taken out and remembered as
 * turned away (note "denied"). Return 0, or CV_E_NOTFOUND. */
int cv_lobby_admit(cv_lobby_t *l, const char *room, const char *pub, int64_t now_us,
                   cv_lobby_note_t *note);
int cv_lobby_deny(cv_lobby_t *l, const char *room, const char *pub, int64_t now_us,
                  cv_lobby_note_t *note);
/* Admits every waiter of room; notes up to max of them, returns how many. */
int cv_lobby_admit_all(cv_lobby_t *l, const char *room, int64_t now_us, cv_lobby_note_t *notes,
                       int max);
/* Ends the waits older than timeout_us and the tickets unused for
 * CV_LOBBY_TICKET_US ("expired"); notes up to max, returns how many (call
 * again while it returns max). */
int cv_lobby_expire(cv_lobby_t *l, int64_t now_us, int64_t timeout_us, cv_lobby_note_t *notes,
                    int max);
/* The room ended: its waiters ("ended", up to max noted, call again while
 * it returns max), denials and passes are forgotten. */
int cv_lobby_forget_room(cv_lobby_t *l, const char *room, cv_lobby_note_t *notes, int max);

/* Waiters (and admitted tickets) of room, of client, in all. */
int cv_lobby_count_room(const cv_lobby_t *l, const char *room);
int cv_lobby_count_client(const cv_lobby_t *l, uint64_t client);
int cv_lobby_count(const cv_lobby_t *l);

/* The moderators' event (heap, one line of JSON):
 * {"waiting":[{"id","name","waited"}],"denied":[{"id","name"}]}, waited in
 * whole seconds up to now_us, waiters in the order they came. */
char *cv_lobby_json(const cv_lobby_t *l, const char *room, int64_t now_us);

#endif
