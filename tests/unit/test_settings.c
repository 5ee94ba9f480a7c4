/*
 * test_settings.c - unit tests of signaling/settings.c: a held snapshot
 * never changes under its reader while replacements come and go, the newest
 * one is what the next hold sees, and readers on several threads racing a
 * writer always see a whole snapshot (run under ASan/UBSan too, which would
 * catch a snapshot freed while held).
 */
#include "check.h"
#include "settings.h"

#include <pthread.h>
#include <stdatomic.h>

#define ROUNDS 20000

static cv_settings_t *store;
static atomic_int stop, torn;

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        const cv_config_t *c = cv_settings_hold(store);
        /* the writer keeps these two equal in every snapshot */
        if (c->rooms_max != c->rooms_max_participants * 10)
            atomic_fetch_add(&torn, 1);
        cv_settings_release(c);
    }
    return NULL;
}

static void test_snapshots(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    c.rooms_max_participants = 3;
    store = cv_settings_create(&c);
    const cv_config_t *held = cv_settings_hold(store);
    CHECK_EQ(held->rooms_max_participants, 3);
    c.rooms_max_participants = 7;
    cv_settings_replace(store, &c);
    c.rooms_max_participants = 9; /* the store has its own copy */
    CHECK_EQ(held->rooms_max_participants, 3);
    const cv_config_t *now = cv_settings_hold(store);
    CHECK_EQ(now->rooms_max_participants, 7);
    CHECK(now != held);
    cv_settings_release(held);
    cv_settings_release(now);
    cv_settings_release(NULL);
    cv_settings_destroy(store);
    cv_settings_destroy(NULL);
}

static void test_race(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    c.rooms_max_participants = 1;
    c.rooms_max = 10;
    store = cv_settings_create(&c);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, reader, NULL);
    for (int i = 2; i < ROUNDS; i++) {
        c.rooms_max_participants = i % 100 + 1;
        c.rooms_max = c.rooms_max_participants * 10;
        cv_settings_replace(store, &c);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&torn), 0);
    const cv_config_t *last = cv_settings_hold(store);
    CHECK_EQ(last->rooms_max_participants, (ROUNDS - 1) % 100 + 1);
    cv_settings_release(last);
    cv_settings_destroy(store);
}

int main(void)
{
    test_snapshots();
    test_race();
    return CHECK_DONE("settings");
}
