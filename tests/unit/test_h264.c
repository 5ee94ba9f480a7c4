/*
 * test_h264.c - H.264 RTP depacketizer (RFC 6184, packetization-mode 1):
 * single NAL units, STAP-A, FU-A, loss, bad lengths, sequence wrap, parameter
 * sets in band and out of band (sprop-parameter-sets); the packetizer's
 * packets by known answers and round trips through the depacketizer.
 */
#include "check.h"
#include "err.h"
#include "h264.h"
#include "seq.h"

#include <string.h>

/* Hand-made NAL units: only their headers matter to the depacketizer. */
static const uint8_t SPS[] = {
    0x67,             /* F=0 NRI=3 type 7 (SPS) */
    0x42, 0xc0, 0x1e, /* profile 66 constrained, level 3.0 */
};
static const uint8_t PPS[] = {
    0x68,             /* NRI=3 type 8 (PPS) */
    0xce, 0x3c, 0x80, /* rbsp */
};
/* base64 of SPS and PPS above (RFC 4648), as an offer would carry them */
static const char SPROP[] = "Z0LAHg==,aM48gA==";

static const uint8_t STAP_PARAMS[] = {
    0x78,                   /* F=0 NRI=3 type 24 (STAP-A) */
    0x00, 0x04,             /* size 4 */
    0x67, 0x42, 0xc0, 0x1e, /* SPS */
    0x00, 0x04,             /* size 4 */
    0x68, 0xce, 0x3c, 0x80, /* PPS */
};
/* An IDR slice 0x65 0x88 0x11 0x22 0x33 0x44 in three FU-A fragments */
static const uint8_t FU_IDR_START[] = {
    0x7c,       /* FU indicator: NRI=3 type 28 */
    0x85,       /* FU header: S=1 E=0 type 5 */
    0x88, 0x11, /* first_mb_in_slice = 0 (bit 1), ... */
};
static const uint8_t FU_IDR_MID[] = {
    0x7c, /* FU indicator */
    0x05, /* S=0 E=0 type 5 */
    0x22, /* data */
};
static const uint8_t FU_IDR_END[] = {
    0x7c,       /* FU indicator */
    0x45,       /* S=0 E=1 type 5 */
    0x33, 0x44, /* data */
};
static const uint8_t IDR_SINGLE[] = {
    0x65, /* NRI=3 type 5 */
    0x88, /* first_mb_in_slice = 0 */
    0x99,
};
static const uint8_t P_SINGLE[] = {
    0x41, /* NRI=2 type 1 */
    0x9a, /* first_mb_in_slice = 0 */
    0x01,
};
static const uint8_t P_SECOND_SLICE[] = {
    0x41, /* type 1 */
    0x40, /* first_mb_in_slice = 1 (ue "010") */
    0x02,
};

/* Pushes one packet; returns the result and leaves *f as the push did. */
static int push(cv_h264_depack_t *d, uint64_t seq, uint32_t ts, int m, const uint8_t *p, size_t n,
                cv_h264_frame_t *f)
{
    memset(f, 0, sizeof(*f));
    return cv_h264_depack_push(d, seq, ts, m, p, n, f);
}

static void test_stap_and_fu(void)
{
    cv_h264_depack_t d;
    cv_h264_frame_t f;
    cv_h264_depack_init(&d, 4096);
    CHECK_EQ(d.need_keyframe, 1);
    CHECK_EQ(push(&d, 100, 9000, 0, STAP_PARAMS, sizeof STAP_PARAMS, &f), 0);
    CHECK_EQ(push(&d, 101, 9000, 0, FU_IDR_START, sizeof FU_IDR_START, &f), 0);
    CHECK_EQ(push(&d, 102, 9000, 0, FU_IDR_MID, sizeof FU_IDR_MID, &f), 0);
    CHECK_EQ(push(&d, 103, 9000, 1, FU_IDR_END, sizeof FU_IDR_END, &f), 1);
    static const uint8_t want[] = {
        0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e,             /* SPS */
        0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,             /* PPS */
        0, 0, 0, 1, 0x65, 0x88, 0x11, 0x22, 0x33, 0x44, /* IDR rebuilt */
    };
    CHECK_EQ(f.len, sizeof want);
    CHECK_MEM(f.data, want, sizeof want);
    CHECK_EQ(f.keyframe, 1);
    CHECK_EQ(f.ts, 9000);
    CHECK_EQ(d.need_keyframe, 0);

    CHECK_EQ(push(&d, 104, 12000, 1, P_SINGLE, sizeof P_SINGLE, &f), 1);
    static const uint8_t want_p[] = {0, 0, 0, 1, 0x41, 0x9a, 0x01};
    CHECK_EQ(f.len, sizeof want_p);
    CHECK_MEM(f.data, want_p, sizeof want_p);
    CHECK_EQ(f.keyframe, 0);

    /* two slices of one picture, the second in its own packet */
    CHECK_EQ(push(&d, 105, 15000, 0, P_SINGLE, sizeof P_SINGLE, &f), 0);
    CHECK_EQ(push(&d, 106, 15000, 1, P_SECOND_SLICE, sizeof P_SECOND_SLICE, &f), 1);
    CHECK_EQ(f.len, 14);
    CHECK_EQ(d.frames, 3);
    CHECK_EQ(d.keyframes, 1);
    CHECK_EQ(d.bad_packets, 0);
    cv_h264_depack_cleanup(&d);
}

static void test_fragment_loss(void)
{
    cv_h264_depack_t d;
    cv_h264_frame_t f;
    cv_h264_depack_init(&d, 4096);
    CHECK_EQ(push(&d, 1, 100, 1, STAP_PARAMS, sizeof STAP_PARAMS, &f), 0); /* no IDR: waits */
    CHECK_EQ(push(&d, 2, 200, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 1);
    CHECK_EQ(f.keyframe, 1);
    /* the middle fragment (seq 4) is lost: the access unit is not returned */
    CHECK_EQ(push(&d, 3, 300, 0, FU_IDR_START, sizeof FU_IDR_START, &f), 0);
    CHECK_EQ(push(&d, 5, 300, 1, FU_IDR_END, sizeof FU_IDR_END, &f), 0);
    CHECK_EQ(d.gaps, 1);
    CHECK_EQ(d.need_keyframe, 1);
    /* an inter picture after the loss is dropped until a key frame */
    CHECK_EQ(push(&d, 6, 400, 1, P_SINGLE, sizeof P_SINGLE, &f), 0);
    /* an IDR alone: the kept SPS and PPS are put in front */
    CHECK_EQ(push(&d, 7, 500, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 1);
    static const uint8_t want[] = {
        0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, /* SPS, kept */
        0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, /* PPS, kept */
        0, 0, 0, 1, 0x65, 0x88, 0x99,       /* the IDR */
    };
    CHECK_EQ(f.len, sizeof want);
    CHECK_MEM(f.data, want, sizeof want);
    CHECK_EQ(f.keyframe, 1);
    CHECK_EQ(d.need_keyframe, 0);
    /* a lost packet in the middle of a picture: the rest of its timestamp is
     * not taken for a new one */
    CHECK_EQ(push(&d, 9, 600, 1, P_SECOND_SLICE, sizeof P_SECOND_SLICE, &f), 0);
    CHECK_EQ(push(&d, 10, 700, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 1);
    CHECK_EQ(d.gaps, 2);
    cv_h264_depack_cleanup(&d);
}

static void test_stap_bad_lengths(void)
{
    cv_h264_depack_t d;
    cv_h264_frame_t f;
    cv_h264_depack_init(&d, 4096);
    static const uint8_t too_long[] = {
        0x78,             /* STAP-A */
        0x00, 0x05,       /* size 5, but 4 follow */
        0x67, 0x42, 0xc0, /* SPS ... */
        0x1e,
    };
    CHECK_EQ(push(&d, 1, 0, 0, too_long, sizeof too_long, &f), CV_E_SHORT);
    static const uint8_t zero[] = {
        0x78,                   /* STAP-A */
        0x00, 0x00,             /* size 0 */
        0x00, 0x04,             /* size 4 */
        0x67, 0x42, 0xc0, 0x1e, /* SPS */
    };
    CHECK_EQ(push(&d, 2, 0, 0, zero, sizeof zero, &f), CV_E_INVAL);
    static const uint8_t half_size[] = {
        0x78,                   /* STAP-A */
        0x00, 0x04,             /* size 4 */
        0x67, 0x42, 0xc0, 0x1e, /* SPS */
        0x00,                   /* one byte of a size */
    };
    CHECK_EQ(push(&d, 3, 0, 0, half_size, sizeof half_size, &f), CV_E_SHORT);
    static const uint8_t nested[] = {
        0x78,             /* STAP-A */
        0x00, 0x03,       /* size 3 */
        0x7c, 0x85, 0x88, /* a FU-A inside: not allowed */
    };
    CHECK_EQ(push(&d, 4, 0, 0, nested, sizeof nested, &f), CV_E_INVAL);
    static const uint8_t empty[] = {
        0x78, /* STAP-A with nothing */
    };
    CHECK_EQ(push(&d, 5, 0, 0, empty, sizeof empty, &f), CV_E_SHORT);
    CHECK_EQ(d.bad_packets, 5);
    CHECK_EQ(d.sps_len, 0); /* nothing of a bad packet is used */
    CHECK_EQ(d.started, 0);
    cv_h264_depack_cleanup(&d);
}

static void test_fu_bits(void)
{
    cv_h264_depack_t d;
    cv_h264_frame_t f;
    cv_h264_depack_init(&d, 4096);
    CHECK_EQ(cv_h264_depack_set_sprop(&d, SPROP, strlen(SPROP)), 2);
    static const uint8_t both[] = {
        0x7c,       /* FU-A */
        0xc5,       /* S=1 E=1: forbidden */
        0x88, 0x11, /* data */
    };
    CHECK_EQ(push(&d, 1, 0, 1, both, sizeof both, &f), CV_E_INVAL);
    static const uint8_t no_data[] = {
        0x7c, /* FU-A */
        0x85, /* S=1, no data */
    };
    CHECK_EQ(push(&d, 2, 0, 1, no_data, sizeof no_data, &f), CV_E_SHORT);
    static const uint8_t fu_type0[] = {
        0x7c,       /* FU-A */
        0x80,       /* S=1 type 0 */
        0x88, 0x11, /* data */
    };
    CHECK_EQ(push(&d, 3, 0, 1, fu_type0, sizeof fu_type0, &f), CV_E_INVAL);
    CHECK_EQ(d.bad_packets, 3);
    /* an end without its start is not used */
    CHECK_EQ(push(&d, 10, 100, 1, FU_IDR_END, sizeof FU_IDR_END, &f), 0);
    /* a start while another fragment is open breaks the picture */
    CHECK_EQ(push(&d, 11, 200, 0, FU_IDR_START, sizeof FU_IDR_START, &f), 0);
    CHECK_EQ(push(&d, 12, 200, 0, FU_IDR_START, sizeof FU_IDR_START, &f), 0);
    CHECK_EQ(push(&d, 13, 200, 1, FU_IDR_END, sizeof FU_IDR_END, &f), 0);
    /* the marker on a fragment without E drops the picture */
    CHECK_EQ(push(&d, 14, 300, 0, FU_IDR_START, sizeof FU_IDR_START, &f), 0);
    CHECK_EQ(push(&d, 15, 300, 1, FU_IDR_MID, sizeof FU_IDR_MID, &f), 0);
    CHECK_EQ(d.frames, 0);
    CHECK(d.dropped_frames >= 2);
    /* done right, with the sprop parameter sets in front */
    CHECK_EQ(push(&d, 16, 400, 0, FU_IDR_START, sizeof FU_IDR_START, &f), 0);
    CHECK_EQ(push(&d, 17, 400, 1, FU_IDR_END, sizeof FU_IDR_END, &f), 1);
    static const uint8_t want[] = {
        0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e,       /* SPS from sprop */
        0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,       /* PPS from sprop */
        0, 0, 0, 1, 0x65, 0x88, 0x11, 0x33, 0x44, /* IDR */
    };
    CHECK_EQ(f.len, sizeof want);
    CHECK_MEM(f.data, want, sizeof want);
    CHECK_EQ(f.keyframe, 1);
    cv_h264_depack_cleanup(&d);
}

static void test_seq_wrap(void)
{
    static const uint16_t starts[] = {0, 32767, 32768, 65534};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        cv_h264_depack_t d;
        cv_h264_frame_t f;
        cv_seq_unwrap_t u = {0};
        cv_h264_depack_init(&d, 4096);
        uint16_t s = starts[i];
        CHECK_EQ(push(&d, cv_seq_unwrap(&u, s), 1, 0, STAP_PARAMS, sizeof STAP_PARAMS, &f), 0);
        s++;
        CHECK_EQ(push(&d, cv_seq_unwrap(&u, s), 1, 0, FU_IDR_START, sizeof FU_IDR_START, &f), 0);
        s++;
        CHECK_EQ(push(&d, cv_seq_unwrap(&u, s), 1, 0, FU_IDR_MID, sizeof FU_IDR_MID, &f), 0);
        s++;
        CHECK_EQ(push(&d, cv_seq_unwrap(&u, s), 1, 1, FU_IDR_END, sizeof FU_IDR_END, &f), 1);
        CHECK_EQ(f.keyframe, 1);
        CHECK_EQ(d.gaps, 0);
        /* an old packet from before the wrap is a duplicate */
        CHECK_EQ(push(&d, cv_seq_unwrap(&u, starts[i]), 1, 1, IDR_SINGLE, 3, &f), 0);
        CHECK_EQ(d.dropped_packets, 1);
        cv_h264_depack_cleanup(&d);
    }
}

static void test_no_params(void)
{
    cv_h264_depack_t d;
    cv_h264_frame_t f;
    cv_h264_depack_init(&d, 4096);
    /* an IDR with no SPS or PPS known is no key frame: keep waiting */
    CHECK_EQ(push(&d, 1, 100, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 0);
    CHECK_EQ(d.no_params, 1);
    CHECK_EQ(d.need_keyframe, 1);
    /* an SPS alone is not enough */
    CHECK_EQ(cv_h264_depack_set_sprop(&d, "Z0LAHg==", 8), 1);
    CHECK_EQ(push(&d, 2, 200, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 0);
    CHECK_EQ(d.no_params, 2);
    /* bad sprop values change nothing */
    CHECK_EQ(cv_h264_depack_set_sprop(&d, "aM48gA==,!!", 11), CV_E_INVAL);
    CHECK_EQ(cv_h264_depack_set_sprop(&d, "ZQ==", 4), CV_E_INVAL); /* an IDR, not a set */
    CHECK_EQ(cv_h264_depack_set_sprop(&d, "a", 1), CV_E_INVAL);
    CHECK_EQ(d.pps_len, 0);
    CHECK_EQ(cv_h264_depack_set_sprop(&d, "aM48gA", 6), 1); /* padding left out */
    CHECK_EQ(d.pps_len, 4);
    CHECK_MEM(d.pps, PPS, 4);
    CHECK_MEM(d.sps, SPS, 4);
    CHECK_EQ(push(&d, 3, 300, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 1);
    CHECK_EQ(f.keyframe, 1);
    CHECK_EQ(f.len, 8 + 8 + 7);
    cv_h264_depack_cleanup(&d);
}

static void test_misc(void)
{
    cv_h264_depack_t d;
    cv_h264_frame_t f;
    cv_h264_depack_init(&d, 20);
    static const uint8_t forbidden[] = {0xe5, 0x88};
    CHECK_EQ(push(&d, 1, 0, 1, forbidden, sizeof forbidden, &f), CV_E_INVAL);
    static const uint8_t types[] = {0x60, 0x79, 0x7a, 0x7b, 0x7d, 0x7e, 0x7f}; /* 0,25-27,29-31 */
    for (size_t i = 0; i < sizeof types; i++) {
        uint8_t pkt[4] = {types[i], 0x85, 0x88, 0x00};
        CHECK_EQ(push(&d, 1, 0, 1, pkt, sizeof pkt, &f), CV_E_INVAL);
    }
    CHECK_EQ(cv_h264_depack_set_sprop(&d, SPROP, strlen(SPROP)), 2);
    /* 4 + 3 bytes of IDR and 16 of parameter sets do not fit 20 bytes */
    CHECK_EQ(push(&d, 2, 0, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 0);
    CHECK_EQ(d.oversize, 1);
    /* a new timestamp without the marker drops the open picture */
    cv_h264_depack_cleanup(&d);
    cv_h264_depack_init(&d, 4096);
    cv_h264_depack_set_sprop(&d, SPROP, strlen(SPROP));
    CHECK_EQ(push(&d, 1, 100, 0, IDR_SINGLE, sizeof IDR_SINGLE, &f), 0);
    CHECK_EQ(push(&d, 2, 200, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 1);
    CHECK_EQ(f.ts, 200);
    CHECK_EQ(f.len, 23);
    CHECK_EQ(d.dropped_frames, 1);
    /* padding keeps the sequence, no gap */
    CHECK_EQ(push(&d, 3, 300, 0, NULL, 0, &f), 0);
    CHECK_EQ(push(&d, 4, 300, 1, P_SINGLE, sizeof P_SINGLE, &f), 1);
    CHECK_EQ(d.gaps, 0);
    /* a reset waits for a key frame and finds the next picture's start */
    cv_h264_depack_reset(&d);
    CHECK_EQ(push(&d, 9, 400, 1, P_SINGLE, sizeof P_SINGLE, &f), 0);
    CHECK_EQ(push(&d, 10, 500, 1, IDR_SINGLE, sizeof IDR_SINGLE, &f), 1);
    CHECK_EQ(d.gaps, 0);
    CHECK_EQ(cv_h264_depack_push(&d, 11, 0, 1, NULL, 3, &f), CV_E_INVAL);
    cv_h264_depack_cleanup(&d);
    cv_h264_depack_cleanup(&d); /* twice is fine */
}

/* ---- packetizer ---- */

/* An access unit as an encoder writes it: SPS, PPS and the IDR slice of
 * FU_IDR_* above, a 4-byte start code, a 3-byte one, a 4-byte one. */
static const uint8_t AU_IDR[] = {
    0, 0, 0, 1,    0x67, 0x42, 0xc0, 0x1e,             /* SPS */
    0, 0, 1, 0x68, 0xce, 0x3c, 0x80,                   /* PPS */
    0, 0, 0, 1,    0x65, 0x88, 0x11, 0x22, 0x33, 0x44, /* IDR slice */
};
/* What max_payload 4 makes of it (RFC 6184 §5.6 and §5.8) */
static const uint8_t PK_SPS[] = {0x67, 0x42, 0xc0, 0x1e}; /* single NAL unit */
static const uint8_t PK_PPS[] = {0x68, 0xce, 0x3c, 0x80}; /* single NAL unit */
static const uint8_t PK_FU1[] = {0x7c, 0x85, 0x88, 0x11}; /* FU-A S=1, type 5 */
static const uint8_t PK_FU2[] = {0x7c, 0x05, 0x22, 0x33}; /* FU-A middle */
static const uint8_t PK_FU3[] = {0x7c, 0x45, 0x44};       /* FU-A E=1: the marker */
/* The depacketizer's Annex-B form of it: 4-byte start codes throughout */
static const uint8_t AU_IDR_OUT[] = {
    0,    0,    0,    1, 0x67, 0x42, 0xc0, 0x1e, 0,    0,    0,    1,    0x68,
    0xce, 0x3c, 0x80, 0, 0,    0,    1,    0x65, 0x88, 0x11, 0x22, 0x33, 0x44,
};

static void test_pack_known(void)
{
    const uint8_t *want[] = {PK_SPS, PK_PPS, PK_FU1, PK_FU2, PK_FU3};
    const size_t want_len[] = {4, 4, 4, 4, 3};
    cv_h264_pack_t pk;
    cv_h264_pack_init(&pk, AU_IDR, sizeof AU_IDR);
    cv_h264_depack_t d;
    cv_h264_depack_init(&d, 4096);
    cv_h264_frame_t f;
    uint8_t out[16];
    int marker = 0, i = 0, n, got = 0;
    while ((n = cv_h264_pack_next(&pk, out, sizeof out, 4, &marker)) > 0 && i < 5) {
        CHECK_EQ(n, (int)want_len[i]);
        CHECK_MEM(out, want[i], want_len[i]);
        CHECK_EQ(marker, i == 4);
        got = push(&d, 100 + (uint64_t)i, 9000, marker, out, (size_t)n, &f);
        CHECK_EQ(got, i == 4);
        i++;
    }
    CHECK_EQ(i, 5);
    CHECK_EQ(n, 0);
    CHECK_EQ(cv_h264_pack_next(&pk, out, sizeof out, 4, &marker), 0); /* stays done */
    CHECK(got == 1 && f.keyframe && f.ts == 9000);
    CHECK_EQ(f.len, sizeof AU_IDR_OUT);
    CHECK_MEM(f.data, AU_IDR_OUT, sizeof AU_IDR_OUT);
    cv_h264_depack_cleanup(&d);
}

static void test_pack_big(void)
{
    /* a 3000-byte IDR slice after SPS and PPS, in 1160-byte payloads: 2 single
     * NAL units, then ceil(2999 / 1158) = 3 FU-A fragments */
    static uint8_t au[3100], want[3100];
    size_t n = 0, w = 0;
    memcpy(au, AU_IDR, 15); /* SPS and PPS as above */
    n = 15;
    memcpy(au + n, (const uint8_t[]){0, 0, 1, 0x65, 0x88}, 5);
    n += 5;
    for (int i = 0; i < 2998; i++)
        au[n++] = (uint8_t)(i % 251 + 1); /* no zero bytes: no start code in it */
    au[n++] = 0;                          /* trailing zero bytes are not the slice's */
    au[n++] = 0;
    memcpy(want, AU_IDR_OUT, 16);
    w = 16;
    memcpy(want + w, (const uint8_t[]){0, 0, 0, 1, 0x65, 0x88}, 6);
    w += 6;
    memcpy(want + w, au + 20, 2998);
    w += 2998;
    cv_h264_pack_t pk;
    cv_h264_pack_init(&pk, au, n);
    cv_h264_depack_t d;
    cv_h264_depack_init(&d, 8192);
    cv_h264_frame_t f;
    uint8_t out[1200];
    int marker, k = 0, got = 0, len, sizes[8];
    while ((len = cv_h264_pack_next(&pk, out, sizeof out, 1160, &marker)) > 0 && k < 8) {
        sizes[k] = len;
        CHECK_EQ(marker, k == 4);
        got = push(&d, 65534 + (uint64_t)k, 1234, marker, out, (size_t)len, &f);
        k++;
    }
    CHECK_EQ(k, 5);
    CHECK(sizes[0] == 4 && sizes[1] == 4 && sizes[2] == 1160 && sizes[3] == 1160);
    CHECK_EQ(sizes[4], 2999 - 2 * 1158 + 2);
    CHECK(got == 1 && f.keyframe);
    CHECK_EQ(f.len, w);
    if (f.len == w)
        CHECK_MEM(f.data, want, w);
    cv_h264_depack_cleanup(&d);
}

static void test_pack_edges(void)
{
    cv_h264_pack_t pk;
    uint8_t out[16];
    int marker = 1;
    /* a P slice alone fits: one packet with the marker */
    const uint8_t au[] = {0, 0, 1, 0x41, 0x9a, 0x01};
    cv_h264_pack_init(&pk, au, sizeof au);
    CHECK_EQ(cv_h264_pack_next(&pk, out, sizeof out, 2, &marker), CV_E_INVAL);
    CHECK_EQ(cv_h264_pack_next(&pk, out, 2, 100, &marker), CV_E_NOSPACE);
    CHECK_EQ(cv_h264_pack_next(&pk, out, sizeof out, 100, &marker), 3);
    CHECK(marker && out[0] == 0x41 && out[1] == 0x9a && out[2] == 0x01);
    CHECK_EQ(cv_h264_pack_next(&pk, out, sizeof out, 100, &marker), 0);
    CHECK_EQ(marker, 0);
    /* no start code, or only empty NAL units: nothing to send */
    const uint8_t junk[] = {0x41, 0x9a, 0, 0, 0, 1, 0, 0, 1};
    cv_h264_pack_init(&pk, junk, 2);
    CHECK_EQ(cv_h264_pack_next(&pk, out, sizeof out, 100, &marker), 0);
    cv_h264_pack_init(&pk, junk + 2, sizeof junk - 2);
    CHECK_EQ(cv_h264_pack_next(&pk, out, sizeof out, 100, &marker), 0);
    cv_h264_pack_init(&pk, NULL, 10);
    CHECK_EQ(cv_h264_pack_next(&pk, out, sizeof out, 100, &marker), 0);
}

/* No buffer before the first access unit; then CV_H264_DEPACK_START bytes,
 * doubled as a big IDR needs up to the maximum (past it the unit is dropped
 * and counted); a reset (the sender hidden) frees it, the next unit makes it
 * again. */
static void test_depack_grows(void)
{
    static uint8_t au[200100], out[1200];
    size_t n = 0;
    memcpy(au, AU_IDR, 15); /* SPS and PPS */
    n = 15;
    memcpy(au + n, (const uint8_t[]){0, 0, 1, 0x65, 0x88}, 5);
    n += 5;
    for (int i = 0; i < 200000; i++)
        au[n++] = (uint8_t)(i % 251 + 1);
    for (int limit = 0; limit <= 1; limit++) {
        cv_h264_depack_t d;
        cv_h264_frame_t f;
        cv_h264_depack_init(&d, limit ? 150000 : 1 << 20);
        CHECK(d.buf == NULL);
        CHECK_EQ(d.cap, 0);
        cv_h264_pack_t pk;
        cv_h264_pack_init(&pk, au, n);
        int marker, len, got = 0;
        uint64_t seq = 100;
        while ((len = cv_h264_pack_next(&pk, out, sizeof out, 1160, &marker)) > 0)
            got |= push(&d, seq++, 5000, marker, out, (size_t)len, &f);
        if (limit) {
            CHECK_EQ(got, 0);
            CHECK_EQ(d.oversize, 1);
            CHECK(d.cap <= 150000);
        } else {
            CHECK_EQ(got, 1);
            CHECK_EQ(f.len, n + 2); /* start codes made 4 bytes long, as test_pack_big */
            CHECK(f.len == n + 2 && memcmp(f.data + f.len - 200000, au + 20, 200000) == 0);
            CHECK(d.cap >= n + 2 && d.cap <= 1 << 20);
            CHECK(d.cap > CV_H264_DEPACK_START);
        }
        cv_h264_depack_reset(&d);
        CHECK(d.buf == NULL);
        CHECK_EQ(d.cap, 0);
        got = 0;
        cv_h264_pack_init(&pk, au, 20 + 3000); /* a small IDR after the reset */
        while ((len = cv_h264_pack_next(&pk, out, sizeof out, 1160, &marker)) > 0)
            got |= push(&d, seq++, 9000, marker, out, (size_t)len, &f);
        CHECK_EQ(got, 1);
        CHECK_EQ(f.len, 20 + 3000 + 2);
        CHECK_EQ(d.cap, CV_H264_DEPACK_START);
        cv_h264_depack_cleanup(&d);
    }
}

int main(void)
{
    test_stap_and_fu();
    test_fragment_loss();
    test_stap_bad_lengths();
    test_fu_bits();
    test_seq_wrap();
    test_no_params();
    test_misc();
    test_pack_known();
    test_pack_big();
    test_pack_edges();
    test_depack_grows();
    return CHECK_DONE("test_h264");
}
