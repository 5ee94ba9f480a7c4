/*
 * test_events.c - the event stream hub's bookkeeping (events.c) without a
 * network: one stream a session (a new one cuts the one before), streams
 * whose client is gone or that took nothing for CV_EVENTS_STALL_US are
 * ended by cv_events_reap, the others are left; an event longer than the
 * buffer (a roster of 500) reaches a reader that is not behind. The
 * connections are fake handles that only the hooks see.
 */
#include "check.h"
#include "clock.h"
#include "events.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CUTS 16

static struct MHD_Connection *cuts[MAX_CUTS];
static int n_cuts;
static struct MHD_Connection *gone_conn;

static void cut(void *ud, struct MHD_Connection *c)
{
    (void)ud;
    if (n_cuts < MAX_CUTS)
        cuts[n_cuts] = c;
    n_cuts++;
}

static int gone(void *ud, struct MHD_Connection *c)
{
    (void)ud;
    return c == gone_conn;
}

/* Distinct fake connection handles (never dereferenced by the hub unless a
 * stream is suspended, which only its reader does). */
static char fake[4];
#define CONN(i) ((struct MHD_Connection *)&fake[i])

static void test_one_stream_a_session(void)
{
    cv_events_t *ev = cv_events_create();
    cv_events_set_conn_hooks(ev, cut, gone, NULL);
    n_cuts = 0;
    struct MHD_Response *r1 = cv_events_subscribe(ev, CONN(0), "room", "s1", "");
    struct MHD_Response *r2 = cv_events_subscribe(ev, CONN(1), "room", "s2", "");
    CHECK(r1 && r2);
    CHECK_EQ(n_cuts, 0); /* two sessions, two streams */
    CHECK_EQ(cv_events_count(ev), 2);
    struct MHD_Response *r3 = cv_events_subscribe(ev, CONN(2), "room", "s1", "");
    CHECK(r3 != NULL);
    CHECK_EQ(n_cuts, 1); /* s1's first stream is cut */
    CHECK(cuts[0] == CONN(0));
    struct MHD_Response *r4 = cv_events_subscribe(ev, CONN(3), "room", "s1", "");
    CHECK_EQ(n_cuts, 2); /* and then its second, never the one already ended */
    CHECK(cuts[1] == CONN(2));
    /* the responses go: their streams leave the hub */
    MHD_destroy_response(r1);
    MHD_destroy_response(r3);
    CHECK_EQ(cv_events_count(ev), 2);
    MHD_destroy_response(r2);
    MHD_destroy_response(r4);
    CHECK_EQ(cv_events_count(ev), 0);
    cv_events_destroy(ev);
}

static void test_reap(void)
{
    cv_events_t *ev = cv_events_create();
    cv_events_set_conn_hooks(ev, cut, gone, NULL);
    n_cuts = 0;
    gone_conn = NULL;
    /* the first events wait for a reader that never comes */
    struct MHD_Response *r1 = cv_events_subscribe(ev, CONN(0), "room", "s1", "event: x\n\n");
    struct MHD_Response *r2 = cv_events_subscribe(ev, CONN(1), "room", "s2", "event: x\n\n");
    int64_t now = cv_now_us();
    CHECK_EQ(cv_events_reap(ev, now), 0); /* nobody stalled yet */
    gone_conn = CONN(1);                  /* s2's client hangs up */
    CHECK_EQ(cv_events_reap(ev, now), 1);
    CHECK_EQ(n_cuts, 1);
    CHECK(cuts[0] == CONN(1));
    CHECK_EQ(cv_events_reap(ev, now), 0); /* once ended, not again */
    /* s1 took nothing of its events for longer than the stall limit */
    CHECK_EQ(cv_events_reap(ev, now + CV_EVENTS_STALL_US - 1000000), 0);
    CHECK_EQ(cv_events_reap(ev, now + CV_EVENTS_STALL_US + 1000000), 1);
    CHECK_EQ(n_cuts, 2);
    CHECK(cuts[1] == CONN(0));
    MHD_destroy_response(r1);
    MHD_destroy_response(r2);
    CHECK_EQ(cv_events_count(ev), 0);
    cv_events_destroy(ev);
}

/* An event longer than the buffer (the roster of a room of 500) reaches a
 * reader that has caught up; a second one while the first waits is too much
 * and ends the stream; so does one past CV_EVENTS_MAX_EVENT. */
static void test_big_event(void)
{
    cv_events_t *ev = cv_events_create();
    cv_events_set_conn_hooks(ev, cut, gone, NULL);
    n_cuts = 0;
    size_t big = CV_EVENTS_MAX_BUFFER + 10000;
    char *json = malloc(CV_EVENTS_MAX_EVENT + 2);
    memset(json, 'a', CV_EVENTS_MAX_EVENT + 1);
    json[0] = '"';
    json[big - 1] = '"';
    json[big] = 0;
    struct MHD_Response *r1 = cv_events_subscribe(ev, CONN(0), "room", "s1", "");
    struct MHD_Response *r2 = cv_events_subscribe(ev, CONN(1), "other", "s2", "");
    cv_events_publish(ev, "room", "roster", json);
    CHECK_EQ(n_cuts, 0);
    cv_events_publish(ev, "room", "roster", json);
    CHECK_EQ(n_cuts, 1);
    CHECK(cuts[0] == CONN(0));
    json[big - 1] = json[big] = 'a';
    json[CV_EVENTS_MAX_EVENT] = '"';
    json[CV_EVENTS_MAX_EVENT + 1] = 0;
    cv_events_publish(ev, "other", "roster", json);
    CHECK_EQ(n_cuts, 2);
    CHECK(cuts[1] == CONN(1));
    MHD_destroy_response(r1);
    MHD_destroy_response(r2);
    cv_events_destroy(ev);
    free(json);
}

int main(void)
{
    test_one_stream_a_session();
    test_big_event();
    test_reap();
    return CHECK_DONE("events");
}
