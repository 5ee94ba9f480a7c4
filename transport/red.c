/*
 * red.c - RFC 2198 redundant audio payloads. Pure.
 */
#include "red.h"

#include "err.h"

#include <string.h>

int cv_red_parse(const uint8_t *p, size_t len, cv_red_block_t *blocks, int max)
{
    size_t off = 0;
    int n = 0;
    /* the headers: 4 bytes while F is set, then the primary's single byte */
    for (;;) {
        if (off >= len)
            return CV_E_SHORT;
        if (!(p[off] & 0x80))
            break;
        if (off + 4 > len)
            return CV_E_SHORT;
        if (n == CV_RED_MAX_BLOCKS || n + 1 >= max)
            return CV_E_INVAL;
        blocks[n].pt = p[off] & 0x7f;
        blocks[n].ts_offset = ((uint32_t)p[off + 1] << 6) | (p[off + 2] >> 2);
        blocks[n].len = ((size_t)(p[off + 2] & 0x03) << 8) | p[off + 3];
        n++;
        off += 4;
    }
    if (max < 1)
        return CV_E_INVAL;
    blocks[n].pt = p[off] & 0x7f;
    blocks[n].ts_offset = 0;
    off++;
    for (int i = 0; i < n; i++) {
        if (blocks[i].len > len - off)
            return CV_E_SHORT;
        blocks[i].data = p + off;
        off += blocks[i].len;
    }
    blocks[n].data = p + off;
    blocks[n].len = len - off;
    return n + 1;
}

int cv_red_build(uint8_t *out, size_t cap, const cv_red_block_t *red, int n, int primary_pt,
                 const uint8_t *primary, size_t primary_len)
{
    if (n < 0 || n > CV_RED_MAX_BLOCKS || primary_pt < 0 || primary_pt > 127)
        return CV_E_INVAL;
    size_t need = (size_t)n * 4 + 1 + primary_len;
    for (int i = 0; i < n; i++) {
        if (red[i].ts_offset > CV_RED_MAX_TS_OFFSET || red[i].len > CV_RED_MAX_BLOCK_LEN ||
            red[i].pt < 0 || red[i].pt > 127)
            return CV_E_INVAL;
        need += red[i].len;
    }
    if (need > cap)
        return CV_E_NOSPACE;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        out[off] = (uint8_t)(0x80 | red[i].pt);
        out[off + 1] = (uint8_t)(red[i].ts_offset >> 6);
        out[off + 2] = (uint8_t)(((red[i].ts_offset & 0x3f) << 2) | (red[i].len >> 8));
        out[off + 3] = (uint8_t)(red[i].len & 0xff);
        off += 4;
    }
    out[off++] = (uint8_t)primary_pt;
    for (int i = 0; i < n; i++) {
        memcpy(out + off, red[i].data, red[i].len);
        off += red[i].len;
    }
    memcpy(out + off, primary, primary_len);
    return (int)(off + primary_len);
}
