/*
 * lobby.c - waiting rooms (lobby.h). Pure: two fixed tables, searched
 * linearly (at most CV_LOBBY_CAP and CV_LOBBY_DENIED_CAP rows).
 */
#include "lobby.h"

#include "err.h"
#include "mem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A browser or an address a moderator turned away from a room. */
struct denial {
    char room[65];
    char public_id[CV_LOBBY_PUBLIC_LEN + 1];
    char name[CV_NAME_MAX_BYTES + 1];
    uint64_t key, client;
    int64_t at_us;
};

/* A browser or an address let into a room, and the session it became. */
struct pass {
    char room[65];
    char session[33];
    uint64_t key, client;
};

struct cv_lobby {
    cv_lobby_entry_t e[CV_LOBBY_CAP]; /* in the order they came */
    int n;
    struct denial d[CV_LOBBY_DENIED_CAP];
    int nd;
    struct pass p[CV_LOBBY_PASS_CAP]; /* oldest first */
    int np;
};

cv_lobby_t *cv_lobby_create(void)
{
    return cv_xcalloc(1, sizeof(cv_lobby_t));
}

void cv_lobby_destroy(cv_lobby_t *l)
{
    free(l);
}

/* Takes row i out, keeping the order of the others. */
static void remove_at(cv_lobby_t *l, int i)
{
    memmove(&l->e[i], &l->e[i + 1], (size_t)(l->n - i - 1) * sizeof(l->e[0]));
    l->n--;
}

static void remove_denial(cv_lobby_t *l, int i)
{
    memmove(&l->d[i], &l->d[i + 1], (size_t)(l->nd - i - 1) * sizeof(l->d[0]));
    l->nd--;
}

static void note_of(cv_lobby_note_t *note, const cv_lobby_entry_t *e, const char *state)
{
    if (!note)
        return;
    snprintf(note->room, sizeof(note->room), "%s", e->room);
    snprintf(note->secret, sizeof(note->secret), "%s", e->secret);
    note->state = state;
}

int cv_lobby_denied(const cv_lobby_t *l, const char *room, uint64_t key, uint64_t client)
{
    for (int i = 0; i < l->nd; i++) {
        const struct denial *d = &l->d[i];
        if (strcmp(d->room, room) != 0)
            continue;
        if (key ? d->key == key : (client && d->client == client))
            return 1;
    }
    return 0;
}

int cv_lobby_knock(cv_lobby_t *l, const cv_lobby_entry_t *e, int max_room,
                   char replaced[CV_LOBBY_SECRET_LEN + 1])
{
    replaced[0] = 0;
    for (int i = 0; e->key && i < l->n; i++) {
        cv_lobby_entry_t *o = &l->e[i];
        if (o->key == e->key && strcmp(o->room, e->room) == 0) {
            snprintf(replaced, CV_LOBBY_SECRET_LEN + 1, "%s", o->secret);
            int64_t since = o->since_us;
            *o = *e;
            o->since_us = since;
            o->state = CV_LOBBY_WAITING;
            return 0;
        }
    }
    if (l->n >= CV_LOBBY_CAP || cv_lobby_count_room(l, e->room) >= max_room)
        return CV_E_FULL;
    l->e[l->n] = *e;
    l->e[l->n].state = CV_LOBBY_WAITING;
    l->n++;
    return 0;
}

static int find_index(const cv_lobby_t *l, const char *room, const char *secret)
{
    if (!secret || strlen(secret) != CV_LOBBY_SECRET_LEN)
        return -1;
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->e[i].room, room) == 0 && strcmp(l->e[i].secret, secret) == 0)
            return i;
    return -1;
}

const cv_lobby_entry_t *cv_lobby_find(const cv_lobby_t *l, const char *room, const char *secret)
{
    int i = find_index(l, room, secret);
    return i < 0 ? NULL : &l->e[i];
}

int cv_lobby_find_key(const cv_lobby_t *l, const char *room, uint64_t key)
{
    for (int i = 0; key && i < l->n; i++)
        if (l->e[i].key == key && strcmp(l->e[i].room, room) == 0)
            return 1;
    return 0;
}

int cv_lobby_redeem(cv_lobby_t *l, const char *room, const char *secret, uint64_t *key,
                    uint64_t *client)
{
    int i = find_index(l, room, secret);
    if (i < 0)
        return CV_E_NOTFOUND;
    if (l->e[i].state != CV_LOBBY_ADMITTED)
        return CV_E_STATE;
    *key = l->e[i].key;
    *client = l->e[i].client;
    remove_at(l, i);
    return 0;
}

/* The key, or without one the address, of a knock matches. */
static int same_person(uint64_t key, uint64_t client, uint64_t k2, uint64_t c2)
{
    return key ? k2 == key : (client && c2 == client && !k2);
}

static void remove_pass(cv_lobby_t *l, int i)
{
    memmove(&l->p[i], &l->p[i + 1], (size_t)(l->np - i - 1) * sizeof(l->p[0]));
    l->np--;
}

void cv_lobby_grant(cv_lobby_t *l, const char *room, uint64_t key, uint64_t client,
                    const char *session)
{
    if (!key && !client)
        return; /* nothing to know it by again */
    int in_room = 0, oldest = -1;
    for (int i = 0; i < l->np;) {
        struct pass *p = &l->p[i];
        if (strcmp(p->room, room) == 0 && same_person(key, client, p->key, p->client)) {
            remove_pass(l, i); /* granted again: one row, the newest */
            continue;
        }
        if (strcmp(p->room, room) == 0 && in_room++ == 0)
            oldest = i;
        i++;
    }
    if (in_room >= CV_LOBBY_PASS_ROOM)
        remove_pass(l, oldest);
    else if (l->np >= CV_LOBBY_PASS_CAP)
        remove_pass(l, 0);
    struct pass *p = &l->p[l->np++];
    memset(p, 0, sizeof(*p));
    snprintf(p->room, sizeof(p->room), "%s", room);
    snprintf(p->session, sizeof(p->session), "%s", session);
    p->key = key;
    p->client = client;
}

int cv_lobby_granted(const cv_lobby_t *l, const char *room, uint64_t key, uint64_t client)
{
    for (int i = 0; i < l->np; i++)
        if (strcmp(l->p[i].room, room) == 0 &&
            same_person(key, client, l->p[i].key, l->p[i].client))
            return 1;
    return 0;
}

void cv_lobby_revoke(cv_lobby_t *l, const char *session)
{
    for (int i = 0; i < l->np;) {
        if (strcmp(l->p[i].session, session) == 0)
            remove_pass(l, i);
        else
            i++;
    }
}

int cv_lobby_knock_admitted(cv_lobby_t *l, const cv_lobby_entry_t *e, int64_t now_us)
{
    if (l->n >= CV_LOBBY_CAP)
        return CV_E_FULL;
    l->e[l->n] = *e;
    l->e[l->n].state = CV_LOBBY_ADMITTED;
    l->e[l->n].admitted_us = now_us;
    l->n++;
    return 0;
}

int cv_lobby_leave(cv_lobby_t *l, const char *room, const char *secret)
{
    int i = find_index(l, room, secret);
    if (i < 0)
        return CV_E_NOTFOUND;
    remove_at(l, i);
    return 0;
}

static int find_public(const cv_lobby_t *l, const char *room, const char *pub)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->e[i].room, room) == 0 && strcmp(l->e[i].public_id, pub) == 0)
            return i;
    return -1;
}

int cv_lobby_admit(cv_lobby_t *l, const char *room, const char *pub, int64_t now_us,
                   cv_lobby_note_t *note)
{
    note->secret[0] = 0;
    int i = find_public(l, room, pub);
    if (i >= 0) {
        if (l->e[i].state == CV_LOBBY_WAITING) {
            l->e[i].state = CV_LOBBY_ADMITTED;
            l->e[i].admitted_us = now_us;
            note_of(note, &l->e[i], "admitted");
        }
        return 0;
    }
    for (int k = 0; k < l->nd; k++) {
        if (strcmp(l->d[k].room, room) == 0 && strcmp(l->d[k].public_id, pub) == 0) {
            remove_denial(l, k);
            return 0;
        }
    }
    return CV_E_NOTFOUND;
}

/* Remembers the denial of e; the oldest of its room gives way when the room
 * has CV_LOBBY_DENIED_ROOM, the oldest of all when the table is full. */
static void remember_denial(cv_lobby_t *l, const cv_lobby_entry_t *e, int64_t now_us)
{
    int in_room = 0, oldest_room = -1;
    for (int k = 0; k < l->nd; k++) {
        if (strcmp(l->d[k].room, e->room) == 0) {
            in_room++;
            if (oldest_room < 0)
                oldest_room = k; /* rows stay in the order they came */
        }
    }
    if (in_room >= CV_LOBBY_DENIED_ROOM)
        remove_denial(l, oldest_room);
    else if (l->nd >= CV_LOBBY_DENIED_CAP)
        remove_denial(l, 0);
    struct denial *d = &l->d[l->nd++];
    memset(d, 0, sizeof(*d));
    snprintf(d->room, sizeof(d->room), "%s", e->room);
    snprintf(d->public_id, sizeof(d->public_id), "%s", e->public_id);
    snprintf(d->name, sizeof(d->name), "%s", e->name);
    d->key = e->key;
    d->client = e->client;
    d->at_us = now_us;
}

int cv_lobby_deny(cv_lobby_t *l, const char *room, const char *pub, int64_t now_us,
                  cv_lobby_note_t *note)
{
    int i = find_public(l, room, pub);
    if (i < 0)
        return CV_E_NOTFOUND;
    note_of(note, &l->e[i], "denied");
    cv_lobby_entry_t e = l->e[i]; /* a copy: the tables are one object */
    remember_denial(l, &e, now_us);
    remove_at(l, i);
    return 0;
}

int cv_lobby_admit_all(cv_lobby_t *l, const char *room, int64_t now_us, cv_lobby_note_t *notes,
                       int max)
{
    int k = 0;
    for (int i = 0; i < l->n; i++) {
        cv_lobby_entry_t *e = &l->e[i];
        if (strcmp(e->room, room) != 0 || e->state != CV_LOBBY_WAITING)
            continue;
        e->state = CV_LOBBY_ADMITTED;
        e->admitted_us = now_us;
        if (k < max)
            note_of(&notes[k], e, "admitted");
        k++;
    }
    return k < max ? k : max;
}

int cv_lobby_expire(cv_lobby_t *l, int64_t now_us, int64_t timeout_us, cv_lobby_note_t *notes,
                    int max)
{
    int k = 0;
    for (int i = 0; i < l->n && k < max;) {
        cv_lobby_entry_t *e = &l->e[i];
        int old = e->state == CV_LOBBY_WAITING ? now_us - e->since_us >= timeout_us
                                               : now_us - e->admitted_us >= CV_LOBBY_TICKET_US;
        if (old) {
            note_of(&notes[k++], e, "expired");
            remove_at(l, i);
        } else {
            i++;
        }
    }
    return k;
}

int cv_lobby_forget_room(cv_lobby_t *l, const char *room, cv_lobby_note_t *notes, int max)
{
    for (int k = 0; k < l->np;) {
        if (strcmp(l->p[k].room, room) == 0)
            remove_pass(l, k);
        else
            k++;
    }
    for (int k = 0; k < l->nd;) {
        if (strcmp(l->d[k].room, room) == 0)
            remove_denial(l, k);
        else
            k++;
    }
    int k = 0;
    for (int i = 0; i < l->n && k < max;) {
        if (strcmp(l->e[i].room, room) == 0) {
            note_of(&notes[k++], &l->e[i], "ended");
            remove_at(l, i);
        } else {
            i++;
        }
    }
    return k;
}

int cv_lobby_count_room(const cv_lobby_t *l, const char *room)
{
    int n = 0;
    for (int i = 0; i < l->n; i++)
        n += strcmp(l->e[i].room, room) == 0;
    return n;
}

int cv_lobby_count_client(const cv_lobby_t *l, uint64_t client)
{
    int n = 0;
    for (int i = 0; client && i < l->n; i++)
        n += l->e[i].client == client;
    return n;
}

int cv_lobby_count(const cv_lobby_t *l)
{
    return l->n;
}

char *cv_lobby_json(const cv_lobby_t *l, const char *room, int64_t now_us)
{
    json_t *waiting = json_array(), *denied = json_array();
    for (int i = 0; i < l->n; i++) {
        const cv_lobby_entry_t *e = &l->e[i];
        if (strcmp(e->room, room) != 0 || e->state != CV_LOBBY_WAITING)
            continue;
        json_int_t waited = (json_int_t)((now_us - e->since_us) / 1000000);
        json_t *o = json_pack("{s:s, s:s, s:I}", "id", e->public_id, "name", e->name, "waited",
                              waited < 0 ? (json_int_t)0 : waited);
        json_array_append_new(waiting, o ? o : json_null());
    }
    for (int k = 0; k < l->nd; k++) {
        const struct denial *d = &l->d[k];
        if (strcmp(d->room, room) != 0)
            continue;
        json_t *o = json_pack("{s:s, s:s}", "id", d->public_id, "name", d->name);
        json_array_append_new(denied, o ? o : json_null());
    }
    json_t *o = json_pack("{s:o, s:o}", "waiting", waiting, "denied", denied);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}
