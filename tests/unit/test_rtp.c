/*
 * test_rtp.c - RTP header parsing and writing (rtp.c): CSRCs, RFC 8285 one-byte and
 * two-byte extensions, padding, malformed headers, RFC 6464 audio level, writer
 * round trips.
 */
#include "check.h"
#include "err.h"
#include "rtp.h"

#include <stdint.h>

static void test_csrc(void)
{
    static const uint8_t pkt[] = {
        0x82, 0xe0,             /* V=2 P=0 X=0 CC=2; M=1 PT=96 (VP8) */
        0x12, 0x34,             /* seq 0x1234 */
        0x00, 0x00, 0x10, 0x00, /* timestamp 4096 */
        0xde, 0xad, 0xbe, 0xef, /* SSRC */
        0x00, 0x00, 0x00, 0x01, /* CSRC 1 */
        0xca, 0xfe, 0xba, 0xbe, /* CSRC 2 */
        0xaa, 0xbb, 0xcc,       /* payload */
    };
    cv_rtp_hdr_t h;
    CHECK_EQ(cv_rtp_parse(pkt, sizeof(pkt), &h), 0);
    CHECK_EQ(h.marker, 1);
    CHECK_EQ(h.pt, 96);
    CHECK_EQ(h.seq, 0x1234);
    CHECK_EQ(h.ts, 4096);
    CHECK_EQ(h.ssrc, 0xdeadbeefu);
    CHECK_EQ(h.csrc_count, 2);
    CHECK_EQ(h.csrc[0], 1);
    CHECK_EQ(h.csrc[1], 0xcafebabeu);
    CHECK_EQ(h.has_ext, 0);
    CHECK_EQ(h.header_len, 20);
    CHECK_EQ(h.payload_len, 3);
    CHECK_EQ(h.pad_len, 0);
    CHECK(h.payload == pkt + 20);
    const uint8_t *d;
    CHECK_EQ(cv_rtp_find_ext(&h, 1, &d), CV_E_NOTFOUND);
    int vad, level;
    CHECK_EQ(cv_rtp_audio_level(&h, 1, &vad, &level), CV_E_NOTFOUND);
}

/* Opus from a browser: ssrc-audio-level (id 1), transport-wide-cc (id 3), mid (id 4). */
static const uint8_t chrome_audio[] = {
    0x90, 0x6f,             /* V=2 X=1 CC=0; M=0 PT=111 (Opus) */
    0x5b, 0x2a,             /* seq 23338 */
    0x00, 0x01, 0x2c, 0x00, /* timestamp 76800 */
    0x6b, 0x8b, 0x45, 0x67, /* SSRC */
    0xbe, 0xde, 0x00, 0x02, /* one-byte form, 2 words of elements */
    0x10, 0x9a,             /* id 1 L=0: V=1, level 26 -dBov */
    0x31, 0x01, 0x2c,       /* id 3 L=1: transport-wide seq 300 */
    0x40, 0x30,             /* id 4 L=0: mid "0" */
    0x00,                   /* padding */
    0x78, 0x0b, 0xe4,       /* Opus payload: TOC and data */
};

static void test_one_byte_ext(void)
{
    cv_rtp_hdr_t h;
    CHECK_EQ(cv_rtp_parse(chrome_audio, sizeof(chrome_audio), &h), 0);
    CHECK_EQ(h.pt, 111);
    CHECK_EQ(h.marker, 0);
    CHECK_EQ(h.seq, 23338);
    CHECK_EQ(h.ts, 76800);
    CHECK_EQ(h.has_ext, 1);
    CHECK_EQ(h.ext_profile, 0xBEDE);
    CHECK(h.ext == chrome_audio + 16);
    CHECK_EQ(h.ext_len, 8);
    CHECK_EQ(h.header_len, 24);
    CHECK_EQ(h.payload_len, 3);
    CHECK_EQ(h.payload[0], 0x78);

    const uint8_t *d = NULL;
    CHECK_EQ(cv_rtp_find_ext(&h, 1, &d), 1);
    CHECK(d == chrome_audio + 17);
    CHECK_EQ(cv_rtp_find_ext(&h, 3, &d), 2);
    CHECK_EQ(d[0], 0x01);
    CHECK_EQ(d[1], 0x2c);
    CHECK_EQ(cv_rtp_find_ext(&h, 4, &d), 1);
    CHECK_EQ(d[0], '0');
    CHECK_EQ(cv_rtp_find_ext(&h, 2, &d), CV_E_NOTFOUND);
    CHECK_EQ(cv_rtp_find_ext(&h, 14, &d), CV_E_NOTFOUND);
    CHECK_EQ(cv_rtp_find_ext(&h, 15, &d), CV_E_NOTFOUND); /* not an id in this form */
    CHECK_EQ(cv_rtp_find_ext(&h, 0, &d), CV_E_INVAL);
    CHECK_EQ(cv_rtp_find_ext(&h, 256, &d), CV_E_INVAL);

    int vad = -1, level = -1;
    CHECK_EQ(cv_rtp_audio_level(&h, 1, &vad, &level), 0);
    CHECK_EQ(vad, 1);
    CHECK_EQ(level, 26);
    CHECK_EQ(cv_rtp_audio_level(&h, 2, &vad, &level), CV_E_NOTFOUND);
}

static void test_one_byte_edge(void)
{
    /* a silent packet: padding before the element, V=0, level 127 */
    static const uint8_t silent[] = {
        0x90, 0x6f, 0x00, 0x00, /* V=2 X=1; PT=111; seq 0 */
        0x00, 0x00, 0x00, 0x00, /* timestamp 0 */
        0x00, 0x00, 0x00, 0x01, /* SSRC 1 */
        0xbe, 0xde, 0x00, 0x01, /* one-byte form, 1 word */
        0x00, 0x00,             /* padding */
        0x50, 0x7f,             /* id 5 L=0: V=0, level 127 */
    };
    cv_rtp_hdr_t h;
    CHECK_EQ(cv_rtp_parse(silent, sizeof(silent), &h), 0);
    CHECK_EQ(h.payload_len, 0);
    int vad = -1, level = -1;
    CHECK_EQ(cv_rtp_audio_level(&h, 5, &vad, &level), 0);
    CHECK_EQ(vad, 0);
    CHECK_EQ(level, 127);

    /* ID 15 ends the scan: the element after it is not seen (RFC 8285 §4.2) */
    static const uint8_t stop[] = {
        0x90, 0x6f, 0x00, 0x01, /* V=2 X=1; PT=111; seq 1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xbe, 0xde, 0x00, 0x01, /* one-byte form, 1 word */
        0xf0,                   /* id 15: stop */
        0x10, 0x9a, 0x00,       /* id 1 after it, then padding */
    };
    const uint8_t *d;
    CHECK_EQ(cv_rtp_parse(stop, sizeof(stop), &h), 0);
    CHECK_EQ(cv_rtp_find_ext(&h, 1, &d), CV_E_NOTFOUND);

    /* an element longer than the extension block */
    static const uint8_t over[] = {
        0x90, 0x60, 0x00, 0x02, /* V=2 X=1; PT=96; seq 2 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xbe, 0xde, 0x00, 0x01, /* one-byte form, 1 word */
        0x23, 0xaa, 0xbb, 0xcc, /* id 2 L=3 needs 4 bytes, 3 left */
        0x01, 0x02,             /* payload (not part of the extension) */
    };
    CHECK_EQ(cv_rtp_parse(over, sizeof(over), &h), 0);
    CHECK_EQ(h.payload_len, 2);
    CHECK_EQ(cv_rtp_find_ext(&h, 2, &d), CV_E_INVAL);
    CHECK_EQ(cv_rtp_find_ext(&h, 1, &d), CV_E_INVAL);

    /* an extension with another profile is not RFC 8285 */
    static const uint8_t other[] = {
        0x90, 0x60, 0x00, 0x03, /* V=2 X=1; PT=96; seq 3 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xab, 0xcd, 0x00, 0x01, /* profile 0xABCD, 1 word */
        0x10, 0x9a, 0x00, 0x00, /* looks like id 1, but is not */
    };
    CHECK_EQ(cv_rtp_parse(other, sizeof(other), &h), 0);
    CHECK_EQ(h.ext_profile, 0xabcd);
    CHECK_EQ(cv_rtp_find_ext(&h, 1, &d), CV_E_NOTFOUND);

    /* an empty extension block (length 0) */
    static const uint8_t empty[] = {
        0x90, 0x60, 0x00, 0x04, /* V=2 X=1; PT=96; seq 4 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xbe, 0xde, 0x00, 0x00, /* one-byte form, 0 words */
    };
    CHECK_EQ(cv_rtp_parse(empty, sizeof(empty), &h), 0);
    CHECK_EQ(h.ext_len, 0);
    CHECK_EQ(h.header_len, 16);
    CHECK_EQ(cv_rtp_find_ext(&h, 1, &d), CV_E_NOTFOUND);
}

static void test_two_byte_ext(void)
{
    static const uint8_t pkt[] = {
        0x90, 0x60,             /* V=2 X=1 CC=0; M=0 PT=96 */
        0xff, 0xff,             /* seq 65535 */
        0xff, 0xff, 0xff, 0xff, /* timestamp 2^32 - 1 */
        0x01, 0x02, 0x03, 0x04, /* SSRC */
        0x10, 0x00, 0x00, 0x03, /* two-byte form (appbits 0), 3 words */
        0x01, 0x00,             /* id 1, length 0 (allowed in this form) */
        0x02, 0x01, 0x1e,       /* id 2, length 1: V=0 level 30 */
        0x00,                   /* padding */
        0x10, 0x04,             /* id 16, length 4 */
        'a',  'b',  'c',  'd',  /* its data */
        0x01, 0x02,             /* payload */
    };
    cv_rtp_hdr_t h;
    CHECK_EQ(cv_rtp_parse(pkt, sizeof(pkt), &h), 0);
    CHECK_EQ(h.seq, 65535);
    CHECK_EQ(h.ts, 0xffffffffu);
    CHECK_EQ(h.ext_profile, 0x1000);
    CHECK_EQ(h.ext_len, 12);
    CHECK_EQ(h.header_len, 28);
    CHECK_EQ(h.payload_len, 2);
    const uint8_t *d = NULL;
    CHECK_EQ(cv_rtp_find_ext(&h, 1, &d), 0);
    CHECK(d == pkt + 18);
    CHECK_EQ(cv_rtp_find_ext(&h, 2, &d), 1);
    CHECK_EQ(d[0], 0x1e);
    CHECK_EQ(cv_rtp_find_ext(&h, 16, &d), 4);
    CHECK_MEM(d, "abcd", 4);
    CHECK_EQ(cv_rtp_find_ext(&h, 3, &d), CV_E_NOTFOUND);
    CHECK_EQ(cv_rtp_find_ext(&h, 255, &d), CV_E_NOTFOUND);
    int vad = -1, level = -1;
    CHECK_EQ(cv_rtp_audio_level(&h, 2, &vad, &level), 0);
    CHECK_EQ(vad, 0);
    CHECK_EQ(level, 30);
    CHECK_EQ(cv_rtp_audio_level(&h, 1, &vad, &level), CV_E_INVAL); /* empty element */

    /* appbits in the low nibble keep it two-byte; a truncated element is invalid */
    static const uint8_t bad[] = {
        0x90, 0x60, 0x00, 0x00, /* V=2 X=1; PT=96; seq 0 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0x10, 0x0f, 0x00, 0x01, /* two-byte form, appbits 0xf, 1 word */
        0x05, 0x01, 0x80,       /* id 5, length 1: V=1 level 0 */
        0x07,                   /* id 7 with no length byte */
    };
    CHECK_EQ(cv_rtp_parse(bad, sizeof(bad), &h), 0);
    CHECK_EQ(cv_rtp_audio_level(&h, 5, &vad, &level), 0);
    CHECK_EQ(vad, 1);
    CHECK_EQ(level, 0);
    CHECK_EQ(cv_rtp_find_ext(&h, 7, &d), CV_E_INVAL);
    CHECK_EQ(cv_rtp_find_ext(&h, 9, &d), CV_E_INVAL);

    static const uint8_t bad2[] = {
        0x90, 0x60, 0x00, 0x00, /* V=2 X=1; PT=96; seq 0 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0x10, 0x00, 0x00, 0x01, /* two-byte form, 1 word */
        0x05, 0x03, 0xaa, 0xbb, /* id 5, length 3, but 2 bytes left */
    };
    CHECK_EQ(cv_rtp_parse(bad2, sizeof(bad2), &h), 0);
    CHECK_EQ(cv_rtp_find_ext(&h, 5, &d), CV_E_INVAL);
}

static void test_padding(void)
{
    static const uint8_t pkt[] = {
        0xa0, 0x60,             /* V=2 P=1 X=0 CC=0; PT=96 */
        0x80, 0x00,             /* seq 32768 */
        0x00, 0x00, 0x00, 0x01, /* timestamp 1 */
        0x00, 0x00, 0x00, 0x02, /* SSRC 2 */
        0x11, 0x22,             /* payload */
        0x00, 0x00, 0x03,       /* 3 bytes of padding, count last */
    };
    cv_rtp_hdr_t h;
    CHECK_EQ(cv_rtp_parse(pkt, sizeof(pkt), &h), 0);
    CHECK_EQ(h.seq, 32768);
    CHECK_EQ(h.header_len, 12);
    CHECK_EQ(h.payload_len, 2);
    CHECK_EQ(h.pad_len, 3);
    CHECK_EQ(h.payload[1], 0x22);

    /* padding only (as a sender probing bandwidth sends): empty payload */
    static const uint8_t probe[] = {
        0xb0, 0x60,             /* V=2 P=1 X=1; PT=96 */
        0x7f, 0xff,             /* seq 32767 */
        0x00, 0x00, 0x00, 0x01, /* timestamp */
        0x00, 0x00, 0x00, 0x02, /* SSRC */
        0xbe, 0xde, 0x00, 0x01, /* one-byte form, 1 word */
        0x31, 0x00, 0x07, 0x00, /* id 3 L=1: transport seq 7; padding */
        0x00, 0x00, 0x00, 0x04, /* 4 bytes of RTP padding */
    };
    CHECK_EQ(cv_rtp_parse(probe, sizeof(probe), &h), 0);
    CHECK_EQ(h.header_len, 20);
    CHECK_EQ(h.payload_len, 0);
    CHECK_EQ(h.pad_len, 4);
}

static void test_malformed(void)
{
    cv_rtp_hdr_t h;
    static const uint8_t v1[] = {
        0x40, 0x60, 0x00, 0x01, /* V=1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0x00,                   /* payload */
    };
    CHECK_EQ(cv_rtp_parse(v1, sizeof(v1), &h), CV_E_INVAL);
    static const uint8_t v3[] = {
        0xc0, 0x60, 0x00, 0x01, /* V=3 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
    };
    CHECK_EQ(cv_rtp_parse(v3, sizeof(v3), &h), CV_E_INVAL);
    /* 11 bytes: shorter than the fixed header */
    CHECK_EQ(cv_rtp_parse(v3, 11, &h), CV_E_SHORT);
    CHECK_EQ(cv_rtp_parse(v3, 0, &h), CV_E_SHORT);

    static const uint8_t pad_big[] = {
        0xa0, 0x60, 0x00, 0x01, /* V=2 P=1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xaa, 0x03,             /* 2 bytes after the header, padding count 3 */
    };
    CHECK_EQ(cv_rtp_parse(pad_big, sizeof(pad_big), &h), CV_E_INVAL);
    static const uint8_t pad_zero[] = {
        0xa0, 0x60, 0x00, 0x01, /* V=2 P=1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xaa, 0x00,             /* padding count 0: count includes itself */
    };
    CHECK_EQ(cv_rtp_parse(pad_zero, sizeof(pad_zero), &h), CV_E_INVAL);
    /* P=1 and nothing after the header: no count octet */
    CHECK_EQ(cv_rtp_parse(pad_zero, 12, &h), CV_E_INVAL);
    /* padding that would eat into the extension header */
    static const uint8_t pad_ext[] = {
        0xb0, 0x60, 0x00, 0x01, /* V=2 P=1 X=1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xbe, 0xde, 0x00, 0x00, /* one-byte form, 0 words */
        0x00, 0x05,             /* padding count 5 > 2 after the header */
    };
    CHECK_EQ(cv_rtp_parse(pad_ext, sizeof(pad_ext), &h), CV_E_INVAL);

    static const uint8_t ext_past[] = {
        0x90, 0x60, 0x00, 0x01, /* V=2 X=1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xbe, 0xde, 0x00, 0x02, /* 2 words of elements ... */
        0x10, 0x9a, 0x00, 0x00, /* ... but only 1 present */
    };
    CHECK_EQ(cv_rtp_parse(ext_past, sizeof(ext_past), &h), CV_E_SHORT);
    CHECK_EQ(cv_rtp_parse(ext_past, 14, &h), CV_E_SHORT); /* ext header cut */
    CHECK_EQ(cv_rtp_parse(ext_past, 12, &h), CV_E_SHORT); /* X=1, no ext header */
    static const uint8_t ext_huge[] = {
        0x90, 0x60, 0x00, 0x01, /* V=2 X=1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0xbe, 0xde, 0xff, 0xff, /* 65535 words */
        0x10, 0x9a, 0x00, 0x00, /* 4 bytes present */
    };
    CHECK_EQ(cv_rtp_parse(ext_huge, sizeof(ext_huge), &h), CV_E_SHORT);

    static const uint8_t csrc_past[] = {
        0x8f, 0x60, 0x00, 0x01, /* V=2 CC=15: 60 bytes of CSRCs */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0x00, 0x00, 0x00, 0x09, /* one CSRC */
        0x00, 0x00, 0x00, 0x0a, /* two CSRCs, then the end */
    };
    CHECK_EQ(cv_rtp_parse(csrc_past, sizeof(csrc_past), &h), CV_E_SHORT);
    static const uint8_t csrc_exact[] = {
        0x81, 0x60, 0x00, 0x01, /* V=2 CC=1 */
        0x00, 0x00, 0x00, 0x00, /* timestamp */
        0x00, 0x00, 0x00, 0x01, /* SSRC */
        0x00, 0x00, 0x00, 0x09, /* the CSRC, no payload */
    };
    CHECK_EQ(cv_rtp_parse(csrc_exact, sizeof(csrc_exact), &h), 0);
    CHECK_EQ(h.payload_len, 0);
    CHECK_EQ(cv_rtp_parse(csrc_exact, 15, &h), CV_E_SHORT);
}

static void test_write(void)
{
    uint8_t buf[32];
    cv_rtp_out_t o = {.marker = 1, .pt = 96, .seq = 65535, .ts = 0x01020304, .ssrc = 0xa1b2c3d4};
    static const uint8_t want_plain[] = {
        0x80, 0xe0,             /* V=2; M=1 PT=96 */
        0xff, 0xff,             /* seq 65535 */
        0x01, 0x02, 0x03, 0x04, /* timestamp */
        0xa1, 0xb2, 0xc3, 0xd4, /* SSRC */
    };
    CHECK_EQ(cv_rtp_write_header(buf, sizeof(buf), &o), 12);
    CHECK_MEM(buf, want_plain, 12);
    CHECK_EQ(cv_rtp_write_header(buf, 11, &o), CV_E_NOSPACE);

    cv_rtp_out_t a = {
        .pt = 111, .seq = 0, .ts = 960, .ssrc = 7, .audio_level_id = 1, .vad = 1, .level = 26};
    static const uint8_t want_audio[] = {
        0x90, 0x6f,             /* V=2 X=1; M=0 PT=111 */
        0x00, 0x00,             /* seq 0 */
        0x00, 0x00, 0x03, 0xc0, /* timestamp 960 */
        0x00, 0x00, 0x00, 0x07, /* SSRC 7 */
        0xbe, 0xde, 0x00, 0x01, /* one-byte form, 1 word */
        0x10, 0x9a, 0x00, 0x00, /* id 1 L=0: V=1 level 26; padding */
    };
    CHECK_EQ(cv_rtp_write_header(buf, sizeof(buf), &a), 20);
    CHECK_MEM(buf, want_audio, 20);
    CHECK_EQ(cv_rtp_write_header(buf, 19, &a), CV_E_NOSPACE);

    /* round trip through the parser with a payload appended */
    static const uint16_t seqs[] = {0, 32767, 32768, 65535};
    for (int i = 0; i < 4; i++) {
        cv_rtp_out_t r = {.marker = i & 1,
                          .pt = 100 + i,
                          .seq = seqs[i],
                          .ts = 0xfffffff0u + i,
                          .ssrc = 0x10203040u,
                          .audio_level_id = 14 - i,
                          .vad = i & 1,
                          .level = 40 * i};
        int n = cv_rtp_write_header(buf, sizeof(buf), &r);
        CHECK_EQ(n, 20);
        buf[n] = 0x55;
        cv_rtp_hdr_t h;
        CHECK_EQ(cv_rtp_parse(buf, (size_t)n + 1, &h), 0);
        CHECK_EQ(h.marker, r.marker);
        CHECK_EQ(h.pt, r.pt);
        CHECK_EQ(h.seq, r.seq);
        CHECK_EQ(h.ts, r.ts);
        CHECK_EQ(h.ssrc, r.ssrc);
        CHECK_EQ(h.payload_len, 1);
        CHECK_EQ(h.payload[0], 0x55);
        int vad = -1, level = -1;
        CHECK_EQ(cv_rtp_audio_level(&h, r.audio_level_id, &vad, &level), 0);
        CHECK_EQ(vad, r.vad);
        CHECK_EQ(level, r.level > 127 ? 127 : r.level); /* 120 stays, clamps above */
    }

    cv_rtp_out_t bad = {.pt = 128};
    CHECK_EQ(cv_rtp_write_header(buf, sizeof(buf), &bad), CV_E_INVAL);
    bad.pt = 96;
    bad.audio_level_id = 15;
    CHECK_EQ(cv_rtp_write_header(buf, sizeof(buf), &bad), CV_E_INVAL);
    bad.audio_level_id = 3;
    bad.level = 500;
    CHECK_EQ(cv_rtp_write_header(buf, sizeof(buf), &bad), 20);
    CHECK_EQ(buf[17], 0x7f); /* clamped to 127, V=0 */
}

/* The transport-wide sequence number added to a packet as it leaves: the
 * payload moves, the element reads back, the CSRCs stay in front of it. */
static void test_add_ext16(void)
{
    uint8_t pkt[64] = {0x81, 0x60, 0x00, 0x07, 0,    0,    0,    9,    1,   2,
                       3,    4,    0xca, 0xfe, 0xba, 0xbe, 0x11, 0x22, 0x33};
    size_t len = 19; /* one CSRC, three bytes of payload */
    CHECK_EQ(cv_rtp_add_ext16(pkt, len, 26, 5, 0xabcd), CV_E_NOSPACE);
    int n = cv_rtp_add_ext16(pkt, len, sizeof(pkt), 5, 0xabcd);
    CHECK_EQ(n, 27);
    cv_rtp_hdr_t h;
    CHECK_EQ(cv_rtp_parse(pkt, (size_t)n, &h), 0);
    CHECK_EQ(h.has_ext, 1);
    CHECK_EQ(h.csrc_count, 1);
    CHECK_EQ(h.csrc[0], 0xcafebabeu);
    CHECK_EQ(h.seq, 7);
    CHECK_EQ(h.payload_len, 3);
    CHECK_EQ(h.payload[0], 0x11);
    CHECK_EQ(h.payload[2], 0x33);
    const uint8_t *d;
    CHECK_EQ(cv_rtp_find_ext(&h, 5, &d), 2);
    CHECK_EQ(d[0], 0xab);
    CHECK_EQ(d[1], 0xcd);
    CHECK_EQ(cv_rtp_add_ext16(pkt, (size_t)n, sizeof(pkt), 5, 1), CV_E_UNSUPPORTED);
    CHECK_EQ(cv_rtp_add_ext16(pkt, (size_t)n, sizeof(pkt), 15, 1), CV_E_INVAL);
    CHECK_EQ(cv_rtp_add_ext16(pkt, 8, sizeof(pkt), 5, 1), CV_E_INVAL);
    uint8_t csrcs[16] = {0x8f}; /* 15 CSRCs announced, none there */
    CHECK_EQ(cv_rtp_add_ext16(csrcs, 12, sizeof(csrcs), 5, 1), CV_E_INVAL);
}

int main(void)
{
    test_csrc();
    test_one_byte_ext();
    test_one_byte_edge();
    test_two_byte_ext();
    test_padding();
    test_malformed();
    test_write();
    test_add_ext16();
    return CHECK_DONE("test_rtp");
}
