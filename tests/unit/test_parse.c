/*
 * test_parse.c - strict decimal numbers (parse.c): plain values and the
 * bounds of the range, the empty string, signs and blanks, trailing bytes
 * with and without an end pointer, and values too large for a long.
 */
#include "check.h"
#include "err.h"
#include "parse.h"

#include <limits.h>
#include <stdio.h>

/* Whole-string reads: the value, or CV_E_INVAL with *out untouched. */
static void test_whole(void)
{
    long v = -7;
    CHECK_EQ(cv_parse_long("0", 0, 10, &v, NULL), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(cv_parse_long("8080", 1, 65535, &v, NULL), 0);
    CHECK_EQ(v, 8080);
    CHECK_EQ(cv_parse_long("007", 0, 10, &v, NULL), 0); /* leading zeros are digits */
    CHECK_EQ(v, 7);
    /* the bounds themselves are in the range, one past them is not */
    CHECK_EQ(cv_parse_long("16", 16, 1920, &v, NULL), 0);
    CHECK_EQ(v, 16);
    CHECK_EQ(cv_parse_long("1920", 16, 1920, &v, NULL), 0);
    CHECK_EQ(v, 1920);
    v = -7;
    CHECK_EQ(cv_parse_long("15", 16, 1920, &v, NULL), CV_E_INVAL);
    CHECK_EQ(cv_parse_long("1921", 16, 1920, &v, NULL), CV_E_INVAL);
    CHECK_EQ(v, -7);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "",      /* empty */
        "-1",    /* a sign */
        "+1",    /* a sign */
        " 1",    /* a blank before */
        "1 ",    /* a blank after */
        "12a",   /* trailing junk */
        "0x10",  /* a base prefix */
        "1.5",   /* not an integer */
        "1e3",   /* not an integer */
        "x",     /* no digit at all */
        "1,000", /* a group separator */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long v = 42;
        int rc = cv_parse_long(bad[i], 0, 100000, &v, NULL);
        CHECK_EQ(rc, CV_E_INVAL);
        CHECK_EQ(v, 42);
        if (rc != CV_E_INVAL)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
    }
}

/* Values near and past LONG_MAX: exact at the limit, refused beyond it,
 * whatever max says. */
static void test_overflow(void)
{
    char buf[64];
    long v = 0;
    snprintf(buf, sizeof(buf), "%ld", LONG_MAX);
    CHECK_EQ(cv_parse_long(buf, 0, LONG_MAX, &v, NULL), 0);
    CHECK(v == LONG_MAX);
    snprintf(buf, sizeof(buf), "%ld", LONG_MAX - 1);
    CHECK_EQ(cv_parse_long(buf, 0, LONG_MAX, &v, NULL), 0);
    CHECK(v == LONG_MAX - 1);
    v = 5;
    /* LONG_MAX + 1 (its last digit one more, no carry: LONG_MAX ends in 7) */
    snprintf(buf, sizeof(buf), "%ld", LONG_MAX);
    buf[strlen(buf) - 1]++;
    CHECK_EQ(cv_parse_long(buf, 0, LONG_MAX, &v, NULL), CV_E_INVAL);
    /* a range open at both ends: a wrapped value would pass the min check */
    CHECK_EQ(cv_parse_long(buf, LONG_MIN, LONG_MAX, &v, NULL), CV_E_INVAL);
    /* ten times LONG_MAX, and a hundred digits */
    snprintf(buf, sizeof(buf), "%ld0", LONG_MAX);
    CHECK_EQ(cv_parse_long(buf, 0, LONG_MAX, &v, NULL), CV_E_INVAL);
    char many[101];
    memset(many, '9', 100);
    many[100] = '\0';
    CHECK_EQ(cv_parse_long(many, 0, LONG_MAX, &v, NULL), CV_E_INVAL);
    CHECK_EQ(cv_parse_long(many, LONG_MIN, LONG_MAX, &v, NULL), CV_E_INVAL);
    CHECK_EQ(v, 5);
    /* a small max stops long before a long would overflow */
    CHECK_EQ(cv_parse_long(many, 0, 100, &v, NULL), CV_E_INVAL);
    CHECK_EQ(v, 5);
}

/* With an end pointer: a prefix is read, *end points past it. */
static void test_prefix(void)
{
    const char *s = "1280x720", *end = NULL;
    long v = 0;
    CHECK_EQ(cv_parse_long(s, 16, 1920, &v, &end), 0);
    CHECK_EQ(v, 1280);
    CHECK(end == s + 4);
    CHECK_EQ(*end, 'x');
    s = "30";
    CHECK_EQ(cv_parse_long(s, 1, 60, &v, &end), 0);
    CHECK_EQ(v, 30);
    CHECK(end == s + 2);
    /* a failure leaves *end and *out alone */
    const char *before = "unchanged";
    end = before;
    v = 9;
    CHECK_EQ(cv_parse_long("x720", 16, 1920, &v, &end), CV_E_INVAL);
    CHECK_EQ(cv_parse_long("9000x", 16, 1920, &v, &end), CV_E_INVAL);
    CHECK_EQ(cv_parse_long("-5", 0, 10, &v, &end), CV_E_INVAL);
    CHECK_EQ(cv_parse_long("", 0, 10, &v, &end), CV_E_INVAL);
    CHECK(end == before);
    CHECK_EQ(v, 9);
}

int main(void)
{
    test_whole();
    test_malformed();
    test_overflow();
    test_prefix();
    return CHECK_DONE("parse");
}
