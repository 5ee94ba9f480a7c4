/*
 * test_red.c - RFC 2198 redundant audio payloads (red.c): known answers of the
 * header layout, the limits of the 14-bit timestamp offset and the 10-bit
 * length, payloads cut short, and round trips.
 */
#include "check.h"
#include "err.h"
#include "red.h"

#include <string.h>

static void test_known_answer(void)
{
    /* RFC 2198 §3 layout: F|pt, 14-bit offset, 10-bit length; then F=0|pt */
    const uint8_t older[2] = {0xa1, 0xa2}, newer[3] = {0xb1, 0xb2, 0xb3}, prim[1] = {0xc1};
    cv_red_block_t red[2] = {{.pt = 111, .ts_offset = 1920, .data = older, .len = 2},
                             {.pt = 111, .ts_offset = 960, .data = newer, .len = 3}};
    uint8_t out[64];
    int n = cv_red_build(out, sizeof(out), red, 2, 111, prim, 1);
    static const uint8_t want[] = {
        0xef, 0x1e, 0x00, 0x02, /* F=1 pt 111, offset 1920 = 0x780, length 2 */
        0xef, 0x0f, 0x00, 0x03, /* offset 960 = 0x3c0, length 3 */
        0x6f,                   /* F=0 pt 111 */
        0xa1, 0xa2, 0xb1, 0xb2, 0xb3, 0xc1};
    CHECK_EQ(n, (int)sizeof(want));
    CHECK_MEM(out, want, sizeof(want));
    cv_red_block_t b[4];
    CHECK_EQ(cv_red_parse(want, sizeof(want), b, 4), 3);
    CHECK_EQ(b[0].ts_offset, 1920);
    CHECK_EQ(b[0].len, 2);
    CHECK(b[0].data == want + 9);
    CHECK_EQ(b[1].ts_offset, 960);
    CHECK_EQ(b[1].len, 3);
    CHECK_EQ(b[2].pt, 111);
    CHECK_EQ(b[2].ts_offset, 0);
    CHECK_EQ(b[2].len, 1);
    CHECK_EQ(b[2].data[0], 0xc1);
}

static void test_field_limits(void)
{
    uint8_t data[1100], out[1200];
    memset(data, 0x5a, sizeof(data));
    cv_red_block_t r = {.pt = 111, .ts_offset = CV_RED_MAX_TS_OFFSET, .data = data, .len = 1023};
    int n = cv_red_build(out, sizeof(out), &r, 1, 111, data, 10);
    CHECK_EQ(n, 4 + 1 + 1023 + 10);
    cv_red_block_t b[2];
    CHECK_EQ(cv_red_parse(out, (size_t)n, b, 2), 2);
    CHECK_EQ(b[0].ts_offset, 16383); /* the 14-bit offset's top value */
    CHECK_EQ(b[0].len, 1023);        /* the 10-bit length's */
    r.ts_offset = CV_RED_MAX_TS_OFFSET + 1;
    CHECK_EQ(cv_red_build(out, sizeof(out), &r, 1, 111, data, 10), CV_E_INVAL);
    r.ts_offset = 960;
    r.len = 1024;
    CHECK_EQ(cv_red_build(out, sizeof(out), &r, 1, 111, data, 10), CV_E_INVAL);
    r.len = 100;
    CHECK_EQ(cv_red_build(out, 100, &r, 1, 111, data, 10), CV_E_NOSPACE);
    CHECK_EQ(cv_red_build(out, sizeof(out), &r, -1, 111, data, 10), CV_E_INVAL);
    CHECK_EQ(cv_red_build(out, sizeof(out), &r, 0, 128, data, 10), CV_E_INVAL);
    /* no redundancy: one byte of header */
    CHECK_EQ(cv_red_build(out, sizeof(out), NULL, 0, 111, data, 10), 11);
    CHECK_EQ(out[0], 111);
}

static void test_bad_input(void)
{
    cv_red_block_t b[CV_RED_MAX_BLOCKS + 2];
    static const uint8_t cut_header[] = {0xef, 0x0f, 0x00};
    CHECK_EQ(cv_red_parse(cut_header, sizeof(cut_header), b, 4), CV_E_SHORT);
    static const uint8_t no_primary[] = {0xef, 0x0f, 0x00, 0x00};
    CHECK_EQ(cv_red_parse(no_primary, sizeof(no_primary), b, 4), CV_E_SHORT);
    static const uint8_t len_past_end[] = {0xef, 0x0f, 0x00, 0x05, 0x6f, 1, 2};
    CHECK_EQ(cv_red_parse(len_past_end, sizeof(len_past_end), b, 4), CV_E_SHORT);
    CHECK_EQ(cv_red_parse(NULL, 0, b, 4), CV_E_SHORT);
    uint8_t many[64];
    for (int i = 0; i < 9; i++) {
        many[4 * i] = 0xef;
        many[4 * i + 1] = many[4 * i + 2] = many[4 * i + 3] = 0;
    }
    many[36] = 0x6f;
    CHECK_EQ(cv_red_parse(many, 37, b, CV_RED_MAX_BLOCKS + 2), CV_E_INVAL); /* 9 redundant */
    CHECK_EQ(cv_red_parse(many + 4, 33, b, CV_RED_MAX_BLOCKS + 2), 9);      /* 8 and the primary */
    CHECK_EQ(cv_red_parse(many + 4, 33, b, 3), CV_E_INVAL);                 /* max too small */
    static const uint8_t empty_primary[] = {0x6f};
    CHECK_EQ(cv_red_parse(empty_primary, 1, b, 4), 1);
    CHECK_EQ(b[0].len, 0);
}

int main(void)
{
    test_known_answer();
    test_field_limits();
    test_bad_input();
    return CHECK_DONE("test_red");
}
