/*
 * test_loop.c - the loop's timers (loop.h): many timers under one source,
 * each run once, not before its deadline and in deadline order; set again,
 * disarmed and freed (also from inside a callback); one set again in the past
 * from its own callback does not starve the loop.
 */
#include "check.h"
#include "clock.h"
#include "loop.h"

#include <stdatomic.h>
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

int main(void)
{
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
