/*
 * fuzz_red.c - fuzz target for RFC 2198 redundant audio payloads (red.c). Any
 * input parses inside its bounds (every block's bytes within the payload, the
 * blocks back to back and the primary last), and what parsed builds back to
 * the same bytes.
 */
#include "err.h"
#include "red.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_red_block_t b[CV_RED_MAX_BLOCKS + 1];
    int n = cv_red_parse(data, size, b, CV_RED_MAX_BLOCKS + 1);
    if (n < 0) {
        if (n != CV_E_SHORT && n != CV_E_INVAL)
            abort();
        return 0;
    }
    if (n < 1 || n > CV_RED_MAX_BLOCKS + 1)
        abort();
    const uint8_t *at = data + (size_t)(n - 1) * 4 + 1;
    for (int i = 0; i < n; i++) {
        if (b[i].data != at || b[i].data + b[i].len > data + size || b[i].pt > 127)
            abort();
        if (b[i].ts_offset > CV_RED_MAX_TS_OFFSET || b[i].len > size)
            abort();
        at += b[i].len;
    }
    if (at != data + size || b[n - 1].ts_offset != 0)
        abort();
    static uint8_t out[65536 + 64];
    int len = cv_red_build(out, sizeof(out), b, n - 1, b[n - 1].pt, b[n - 1].data, b[n - 1].len);
    if (len != (int)size || memcmp(out, data, size) != 0)
        abort();
    return 0;
}
