/*
 * clock.c - monotonic and wall clocks in microseconds. Any thread.
 */
#include "clock.h"

#include <time.h>

static int64_t read_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t cv_now_us(void)
{
    return read_us(CLOCK_MONOTONIC);
}

int64_t cv_wall_us(void)
{
    return read_us(CLOCK_REALTIME);
}
