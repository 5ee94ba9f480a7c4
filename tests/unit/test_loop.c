/*
 * test_loop.c - the loop's timers (loop.h): many timers under one source,
 * each run once, not before its deadline and in deadline order; set again,
 * disarmed and freed (also from inside a callback); one set again in the past
 * from its own callback does not starve the loop. The pending list
 * (cv_loop_post): posts made while the loop is busy run in one dispatch, in
 * order, after one wake-up; producers on many threads posting refcounted
 * items (as the mixer's workers post links) lose no output, never have an
 * item on the list twice, and items freed by their last unref on the loop are
 * never touched after; what is still posted runs at cv_loop_destroy. Which
 * loop a thread runs, and the sharing out of cv_loop_pick.
 */
#include "check.h"
#include "clock.h"
#include "loop.h"
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 200
#define MS 1000

static cv_loop_t *loop;
static cv_loop_timer_t *timers[N];
static int64_t deadline[N], fired_at[N];
static int fired[N], order[N], n_order;
static int again_count;
static atomic_int invoked;

static void on_fire(void *ud)
{
    int i = (int)(intptr_t)ud;
    fired[i]++;
    fired_at[i] = cv_now_us();
    if (n_order < N)
        order[n_order++] = i;
    if (i == 7) /* frees another one that is still waiting */
        cv_loop_timer_free(timers[150]), timers[150] = NULL;
    if (i == 8 && again_count++ < 3) /* sets itself again, in the past */
        cv_loop_timer_set(timers[8], cv_now_us() - 5 * MS);
}

static void setup(void *arg)
{
    int64_t t0 = cv_now_us();
    for (int i = 0; i < N; i++) {
        timers[i] = cv_loop_timer_new(loop, on_fire, (void *)(intptr_t)i);
        deadline[i] = t0 + 50 * MS + (int64_t)((i * 7919) % 150) * MS;
        cv_loop_timer_set(timers[i], deadline[i]);
    }
    /* moved: later, earlier, disarmed */
    deadline[10] += 100 * MS;
    cv_loop_timer_set(timers[10], deadline[10]);
    deadline[11] = t0 + 20 * MS;
    cv_loop_timer_set(timers[11], deadline[11]);
    cv_loop_timer_set(timers[12], -1);
    deadline[7] = t0 + 30 * MS; /* before 150's */
    cv_loop_timer_set(timers[7], deadline[7]);
    deadline[150] = t0 + 190 * MS;
    cv_loop_timer_set(timers[150], deadline[150]);
}

static gboolean count_invoke(gpointer arg)
{
    atomic_fetch_add(&invoked, 1);
    return G_SOURCE_REMOVE;
}

static void teardown(void *arg)
{
    for (int i = 0; i < N; i++)
        cv_loop_timer_free(timers[i]);
}

/* ---- the pending list ---- */

/* An item as a link is: a flag that keeps it on the list once, a reference
 * the list holds, and output (avail) the loop takes when it runs. */
struct item {
    cv_loop_work_t work;
    atomic_int refs;
    atomic_int flagged;
    atomic_int on_list; /* posts not yet run: never more than 1 */
    atomic_int avail;   /* output produced and not yet taken */
    int id;
};

static atomic_int n_freed, n_twice, n_ran, n_taken;
static int ran_order[256], n_ran_order; /* loop thread only */
static _Atomic(cv_loop_t *) seen_current;

static void item_unref(struct item *it)
{
    if (atomic_fetch_sub(&it->refs, 1) == 1) {
        memset(it, 0xa5, sizeof(*it)); /* a use after this shows under the sanitizers */
        free(it);
        atomic_fetch_add(&n_freed, 1);
    }
}

static void item_run(cv_loop_work_t *w)
{
    struct item *it = (struct item *)((char *)w - offsetof(struct item, work));
    atomic_store(&seen_current, cv_loop_current());
    if (atomic_fetch_sub(&it->on_list, 1) != 1)
        atomic_fetch_add(&n_twice, 1);
    atomic_store(&it->flagged, 0); /* from here a new output posts it again */
    atomic_fetch_add(&n_taken, atomic_exchange(&it->avail, 0));
    atomic_fetch_add(&n_ran, 1);
    if (n_ran_order < 256)
        ran_order[n_ran_order++] = it->id;
    item_unref(it);
}

static struct item *item_new(int id)
{
    struct item *it = calloc(1, sizeof(*it));
    it->work.fn = item_run;
    atomic_init(&it->refs, 1);
    it->id = id;
    return it;
}

/* One output for it: as cv_link_on_output. */
static void item_output(cv_loop_t *l, struct item *it)
{
    atomic_fetch_add(&it->avail, 1);
    if (atomic_exchange(&it->flagged, 1))
        return;
    atomic_fetch_add(&it->refs, 1);
    atomic_fetch_add(&it->on_list, 1);
    cv_loop_post(l, &it->work);
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_shut, gate_entered;

/* Keeps the loop busy until the gate opens. */
static gboolean hold_loop(gpointer arg)
{
    pthread_mutex_lock(&gate_lock);
    gate_entered = 1;
    pthread_cond_broadcast(&gate_cond);
    while (gate_shut)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return G_SOURCE_REMOVE;
}

/* Holds l's thread in hold_loop until let_go. */
static void hold(cv_loop_t *l)
{
    gate_shut = 1;
    gate_entered = 0;
    cv_loop_invoke(l, hold_loop, NULL);
    pthread_mutex_lock(&gate_lock);
    while (!gate_entered)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void let_go(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_shut = 0;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static void nothing(void *arg)
{
}

/* 100 posts while the loop is busy: one wake-up, one dispatch, in order. */
static void test_batch(void)
{
    cv_loop_t *l = cv_loop_create("test-batch");
    hold(l);
    uint64_t w0 = cv_stats_get(CV_STAT_LOOP_WAKEUPS), p0 = cv_stats_get(CV_STAT_LOOP_POSTS);
    struct item *it[100];
    for (int i = 0; i < 100; i++) {
        it[i] = item_new(i);
        item_output(l, it[i]);
        item_output(l, it[i]); /* already on the list: not posted again */
    }
    atomic_store(&n_ran, 0);
    n_ran_order = 0;
    let_go();
    cv_loop_call_sync(l, nothing, NULL);
    CHECK_EQ(atomic_load(&n_ran), 100);
    CHECK_EQ(cv_stats_get(CV_STAT_LOOP_WAKEUPS) - w0, 1);
    CHECK_EQ(cv_stats_get(CV_STAT_LOOP_POSTS) - p0, 100);
    int unordered = 0;
    for (int i = 0; i < n_ran_order; i++)
        unordered += ran_order[i] != i;
    CHECK_EQ(unordered, 0);
    CHECK(atomic_load(&seen_current) == l);
    CHECK(cv_loop_current() == NULL); /* this thread runs no loop */
    int left = 0;
    for (int i = 0; i < 100; i++) {
        left += atomic_load(&it[i]->avail);
        item_unref(it[i]);
    }
    CHECK_EQ(left, 0);
    /* posted and never run by the thread: cv_loop_destroy runs them */
    hold(l);
    atomic_store(&n_ran, 0);
    atomic_store(&n_freed, 0);
    for (int i = 0; i < 10; i++) {
        struct item *x = item_new(i);
        item_output(l, x);
        item_unref(x); /* the list's reference is the last */
    }
    CHECK_EQ(atomic_load(&n_freed), 0);
    let_go();
    cv_loop_destroy(l);
    CHECK_EQ(atomic_load(&n_ran), 10);
    CHECK_EQ(atomic_load(&n_freed), 10);
}

#define PRODUCERS 4
#define ITEMS 64
#define ROUNDS 2000

static cv_loop_t *prod_loop;
static struct item *items[ITEMS];
static atomic_int produced;

static void *producer(void *arg)
{
    int k = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = k; i < ITEMS; i += 2) /* two producers share each item */
            item_output(prod_loop, items[i]);
        atomic_fetch_add(&produced, ITEMS / 2);
        if (r % 64 == 0)
            usleep(100);
    }
    return NULL;
}

/* Producers on other threads: nothing lost, never twice on the list, the
 * items freed on the loop by the list's last reference. */
static void test_producers(void)
{
    prod_loop = cv_loop_create("test-prod");
    atomic_store(&n_ran, 0);
    atomic_store(&n_taken, 0);
    atomic_store(&n_twice, 0);
    atomic_store(&n_freed, 0);
    atomic_store(&produced, 0);
    for (int i = 0; i < ITEMS; i++)
        items[i] = item_new(i);
    uint64_t w0 = cv_stats_get(CV_STAT_LOOP_WAKEUPS), p0 = cv_stats_get(CV_STAT_LOOP_POSTS);
    pthread_t t[PRODUCERS];
    for (int k = 0; k < PRODUCERS; k++)
        pthread_create(&t[k], NULL, producer, (void *)(intptr_t)(k % 2));
    for (int k = 0; k < PRODUCERS; k++)
        pthread_join(t[k], NULL);
    /* the owners let go while their items may still be posted */
    for (int i = 0; i < ITEMS; i++)
        item_unref(items[i]);
    cv_loop_call_sync(prod_loop, nothing, NULL);
    cv_loop_call_sync(prod_loop, nothing, NULL);
    uint64_t wakeups = cv_stats_get(CV_STAT_LOOP_WAKEUPS) - w0;
    uint64_t posts = cv_stats_get(CV_STAT_LOOP_POSTS) - p0;
    CHECK_EQ(atomic_load(&n_taken), atomic_load(&produced)); /* no output lost */
    CHECK_EQ(atomic_load(&produced), PRODUCERS * ROUNDS * ITEMS / 2);
    CHECK_EQ(atomic_load(&n_twice), 0);
    CHECK_EQ((uint64_t)atomic_load(&n_ran), posts);
    CHECK_EQ(atomic_load(&n_freed), ITEMS);
    CHECK(wakeups >= 1 && wakeups <= posts);
    fprintf(stderr, "test_loop: %llu posts, %llu wake-ups, %d outputs\n", (unsigned long long)posts,
            (unsigned long long)wakeups, atomic_load(&produced));
    cv_loop_destroy(prod_loop);
}

/* The loop with the fewest users, and users that leave. */
static void test_pick(void)
{
    cv_loop_t *ls[3] = {cv_loop_create("test-pick-0"), cv_loop_create("test-pick-1"),
                        cv_loop_create("test-pick-2")};
    int n[3] = {0, 0, 0};
    for (int i = 0; i < 6; i++) {
        cv_loop_t *p = cv_loop_pick(ls, 3);
        for (int k = 0; k < 3; k++)
            n[k] += p == ls[k];
    }
    CHECK(n[0] == 2 && n[1] == 2 && n[2] == 2);
    cv_loop_release(ls[1]);
    cv_loop_release(ls[1]);
    CHECK(cv_loop_pick(ls, 3) == ls[1]);
    cv_loop_hold(ls[1]);
    CHECK(cv_loop_pick(ls, 3) == ls[0]); /* 2 2 2 after the hold: the first of the fewest */
    CHECK_EQ(cv_loop_users(ls[0]), 3);
    CHECK_EQ(cv_loop_users(ls[1]), 2);
    for (int k = 0; k < 3; k++)
        cv_loop_destroy(ls[k]);
}

int main(void)
{
    test_batch();
    test_producers();
    test_pick();
    loop = cv_loop_create("test-loop");
    cv_loop_call_sync(loop, setup, NULL);
    for (int i = 0; i < 20; i++) { /* the loop keeps serving other work meanwhile */
        cv_loop_invoke(loop, count_invoke, NULL);
        usleep(15 * MS);
    }
    usleep(100 * MS);
    cv_loop_call_sync(loop, teardown, NULL);
    int early = 0, late = 0, twice = 0, unordered = 0;
    for (int i = 0; i < N; i++) {
        if (i == 12 || i == 150 || i == 8)
            continue;
        CHECK_EQ(fired[i], 1);
        twice += fired[i] > 1;
        early += fired[i] && fired_at[i] < deadline[i];
        late += fired[i] && fired_at[i] > deadline[i] + 100 * MS;
    }
    CHECK_EQ(twice, 0);
    for (int i = 0; i < N; i++)
        if (fired[i] > 1 && i != 8)
            fprintf(stderr, "timer %d fired %d times\n", i, fired[i]);
    CHECK_EQ(early, 0);
    CHECK_EQ(late, 0);
    CHECK_EQ(fired[12], 0);  /* disarmed */
    CHECK_EQ(fired[150], 0); /* freed by 7's callback before its time */
    CHECK_EQ(fired[8], 4);   /* once, then three times set again in the past */
    for (int k = 1; k < n_order; k++) {
        int a = order[k - 1], b = order[k];
        if (a != 8 && b != 8 && deadline[a] > deadline[b] + 2 * MS)
            unordered++;
    }
    CHECK_EQ(unordered, 0);
    CHECK_EQ(atomic_load(&invoked), 20);
    cv_loop_destroy(loop);
    return CHECK_DONE("test_loop");
}
