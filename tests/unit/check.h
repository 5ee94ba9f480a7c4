/*
 * check.h - the tiny assertion harness of the unit tests.
 *
 * Each test binary calls CHECK* and ends with CHECK_DONE(), which prints one
 * line "<name>: N passed, M failed" and returns non-zero if anything failed.
 * tests/run-suite adds the lines up for the summary of `make check`.
 */
#ifndef CV_CHECK_H
#define CV_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (cond) {                                                                      \
            check_passed++;                                                              \
        } else {                                                                         \
            check_failed++;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                                \
    } while (0)

#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        long long va_ = (long long)(a), vb_ = (long long)(b);                            \
        if (va_ == vb_) {                                                                \
            check_passed++;                                                              \
        } else {                                                                         \
            check_failed++;                                                              \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", __FILE__, \
                    __LINE__, #a, va_, #b, vb_);                                         \
        }                                                                                \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

#define CHECK_DONE(name)                                                                 \
    (printf("%s: %d passed, %d failed\n", (name), check_passed, check_failed),           \
     check_failed ? 1 : 0)

#endif
