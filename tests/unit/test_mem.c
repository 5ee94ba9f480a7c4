/*
 * test_mem.c - the aborting allocators and the trim asked for by whoever frees
 * something big: done at the first call after the ask, not without one, at
 * most once per CV_MEM_TRIM_GAP_US, an ask made too soon kept for later, and
 * one trim for many asks and many threads.
 */
#include "check.h"
#include "clock.h"
#include "mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_us(int64_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static atomic_int trims;

static void *asker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        cv_mem_trim_later();
        atomic_fetch_add(&trims, cv_mem_trim_due());
    }
    return NULL;
}

int main(void)
{
    char *s = cv_xstrdup("conclave");
    CHECK_STR(s, "conclave");
    s = cv_xrealloc(s, 4096);
    CHECK_STR(s, "conclave");
    free(s);
    uint8_t *z = cv_xcalloc(64, 16);
    int zero = 1;
    for (int i = 0; i < 1024; i++)
        zero &= z[i] == 0;
    CHECK(zero);
    free(z);

    CHECK_EQ(cv_mem_trim_due(), 0); /* nothing asked */
    /* big blocks freed, then the trim that gives them back */
    void *big[64];
    for (int i = 0; i < 64; i++)
        memset(big[i] = cv_xmalloc(100000), 1, 100000);
    for (int i = 0; i < 64; i++)
        free(big[i]);
    cv_mem_trim_later();
    cv_mem_trim_later(); /* two asks, one trim */
    CHECK_EQ(cv_mem_trim_due(), 1);
    CHECK_EQ(cv_mem_trim_due(), 0);
    /* asked again at once: too soon; kept, and done once the gap has passed */
    cv_mem_trim_later();
    CHECK_EQ(cv_mem_trim_due(), 0);
    sleep_us(CV_MEM_TRIM_GAP_US / 2);
    CHECK_EQ(cv_mem_trim_due(), 0);
    sleep_us(CV_MEM_TRIM_GAP_US / 2 + 50000);
    CHECK_EQ(cv_mem_trim_due(), 1);
    CHECK_EQ(cv_mem_trim_due(), 0);
    /* four threads asking and trimming at once: at most one trim in a gap */
    sleep_us(CV_MEM_TRIM_GAP_US + 50000);
    int64_t t0 = cv_now_us();
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, asker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    int64_t took = cv_now_us() - t0;
    CHECK(atomic_load(&trims) >= 1);
    CHECK(atomic_load(&trims) <= 1 + took / CV_MEM_TRIM_GAP_US);
    return CHECK_DONE("mem");
}
