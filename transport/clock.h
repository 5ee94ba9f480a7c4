/*
 * clock.h - the shell's clocks. Only shell code (loops, workers, HTTP) reads
 * the clock; cores take time as an argument (docs/STYLE.md, Pure cores,
 * thin shells). Any thread.
 */
#ifndef CV_CLOCK_H
#define CV_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds. */
int64_t cv_now_us(void);
/* CLOCK_REALTIME in microseconds since the Unix epoch (for RTCP NTP times). */
int64_t cv_wall_us(void);

#endif
