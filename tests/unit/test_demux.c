/*
 * test_demux.c - first-byte demultiplexing (demux.c): the RFC 7983 §7 range
 * boundaries, RTP vs RTCP by payload type (RFC 5761 §4), minimum lengths.
 */
#include "check.h"
#include "demux.h"

#include <stdint.h>

/* 20 bytes of a packet whose first two bytes are b0, b1 */
static int demux2(uint8_t b0, uint8_t b1, size_t len)
{
    uint8_t p[64] = {0};
    p[0] = b0;
    p[1] = b1;
    return cv_demux(p, len);
}

static void test_ranges(void)
{
    /* RFC 7983 §7 boundaries, with a length long enough for every protocol; the
     * second byte 96 makes 128..191 RTP. */
    static const struct {
        uint8_t b;
        int want;
    } v[] = {
        {0, CV_DEMUX_STUN},      /* lowest STUN */
        {3, CV_DEMUX_STUN},      /* highest STUN */
        {4, CV_DEMUX_UNKNOWN},   /* unassigned 4..15 */
        {15, CV_DEMUX_UNKNOWN},  /* highest unassigned below ZRTP */
        {16, CV_DEMUX_UNKNOWN},  /* ZRTP 16..19: not supported */
        {19, CV_DEMUX_UNKNOWN},  /* highest ZRTP */
        {20, CV_DEMUX_DTLS},     /* lowest DTLS (change_cipher_spec) */
        {63, CV_DEMUX_DTLS},     /* highest DTLS */
        {64, CV_DEMUX_UNKNOWN},  /* TURN channel 64..79: not on this path */
        {79, CV_DEMUX_UNKNOWN},  /* highest TURN channel */
        {80, CV_DEMUX_UNKNOWN},  /* unassigned 80..127 */
        {127, CV_DEMUX_UNKNOWN}, /* highest unassigned below RTP */
        {128, CV_DEMUX_RTP},     /* lowest RTP/RTCP (V=2) */
        {191, CV_DEMUX_RTP},     /* highest RTP/RTCP */
        {192, CV_DEMUX_UNKNOWN}, /* V=3, unassigned 192..255 */
        {255, CV_DEMUX_UNKNOWN}, /* highest byte */
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        CHECK_EQ(demux2(v[i].b, 96, 64), v[i].want);
    /* every byte value falls into the expected class */
    for (int b = 0; b < 256; b++) {
        int r = demux2((uint8_t)b, 96, 64);
        int want = b <= 3                 ? CV_DEMUX_STUN
                   : b >= 20 && b <= 63   ? CV_DEMUX_DTLS
                   : b >= 128 && b <= 191 ? CV_DEMUX_RTP
                                          : CV_DEMUX_UNKNOWN;
        CHECK_EQ(r, want);
    }
}

static void test_rtp_rtcp(void)
{
    /* RTCP packet types of RFC 3550/4585 */
    CHECK_EQ(demux2(0x80, 200, 28), CV_DEMUX_RTCP); /* SR */
    CHECK_EQ(demux2(0x81, 201, 32), CV_DEMUX_RTCP); /* RR, 1 block */
    CHECK_EQ(demux2(0x81, 205, 16), CV_DEMUX_RTCP); /* RTPFB NACK */
    CHECK_EQ(demux2(0x81, 206, 12), CV_DEMUX_RTCP); /* PSFB PLI */
    CHECK_EQ(demux2(0x80, 192, 8), CV_DEMUX_RTCP);  /* lowest of 64..95 with M set */
    CHECK_EQ(demux2(0x80, 223, 8), CV_DEMUX_RTCP);  /* highest */
    /* RTP with the dynamic payload types browsers use, with and without marker */
    CHECK_EQ(demux2(0x80, 96, 12), CV_DEMUX_RTP);        /* VP8, M=0 */
    CHECK_EQ(demux2(0x80, 0x80 | 96, 12), CV_DEMUX_RTP); /* VP8, M=1 (byte 224) */
    CHECK_EQ(demux2(0x90, 111, 12), CV_DEMUX_RTP);       /* Opus, X=1 */
    CHECK_EQ(demux2(0x80, 0x80 | 111, 12), CV_DEMUX_RTP);
    CHECK_EQ(demux2(0x80, 0, 12), CV_DEMUX_RTP); /* PCMU */
    CHECK_EQ(demux2(0x80, 127, 12), CV_DEMUX_RTP);
    CHECK_EQ(demux2(0x80, 191, 12), CV_DEMUX_RTP); /* M=1, PT 63 */
    CHECK_EQ(demux2(0x80, 224, 12), CV_DEMUX_RTP); /* M=1, PT 96 */
    /* PT 64..95 without marker is RTCP by RFC 5761 §4 */
    CHECK_EQ(demux2(0x80, 72, 12), CV_DEMUX_RTCP);
}

static void test_lengths(void)
{
    CHECK_EQ(demux2(0x00, 0x01, 20), CV_DEMUX_STUN);
    CHECK_EQ(demux2(0x00, 0x01, 19), CV_DEMUX_UNKNOWN);
    CHECK_EQ(demux2(22, 0xfe, 13), CV_DEMUX_DTLS); /* handshake record header */
    CHECK_EQ(demux2(22, 0xfe, 12), CV_DEMUX_UNKNOWN);
    CHECK_EQ(demux2(0x80, 96, 12), CV_DEMUX_RTP);
    CHECK_EQ(demux2(0x80, 96, 11), CV_DEMUX_UNKNOWN);
    CHECK_EQ(demux2(0x80, 200, 8), CV_DEMUX_RTCP);
    CHECK_EQ(demux2(0x80, 200, 7), CV_DEMUX_UNKNOWN);
    CHECK_EQ(demux2(0x80, 96, 1), CV_DEMUX_UNKNOWN);
    CHECK_EQ(cv_demux(NULL, 0), CV_DEMUX_UNKNOWN);
    /* a one-byte buffer is not read past: first byte alone says "RTP range" */
    uint8_t one = 0x80;
    CHECK_EQ(cv_demux(&one, 1), CV_DEMUX_UNKNOWN);
}

static void test_real_headers(void)
{
    /* a STUN binding request (RFC 5389 §6) */
    static const uint8_t stun[] = {
        0x00, 0x01, 0x00, 0x00, /* Binding request, no attributes */
        0x21, 0x12, 0xa4, 0x42, /* magic cookie */
        0x01, 0x02, 0x03, 0x04, /* transaction ID */
        0x05, 0x06, 0x07, 0x08, /* ... */
        0x09, 0x0a, 0x0b, 0x0c, /* ... */
    };
    CHECK_EQ(cv_demux(stun, sizeof(stun)), CV_DEMUX_STUN);
    /* a DTLS 1.2 handshake record header (RFC 6347 §4.1) */
    static const uint8_t dtls[] = {
        0x16, 0xfe, 0xfd,       /* handshake, DTLS 1.2 */
        0x00, 0x00,             /* epoch 0 */
        0x00, 0x00, 0x00, 0x00, /* sequence number */
        0x00, 0x00,             /* ... */
        0x00, 0x0c,             /* length */
    };
    CHECK_EQ(cv_demux(dtls, sizeof(dtls)), CV_DEMUX_DTLS);
    /* a PLI (RFC 4585) and an Opus RTP header with the marker bit */
    static const uint8_t pli[] = {
        0x81, 0xce, 0x00, 0x02, /* FMT=1, PT=206 */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x02, /* media SSRC */
    };
    CHECK_EQ(cv_demux(pli, sizeof(pli)), CV_DEMUX_RTCP);
    static const uint8_t opus[] = {
        0x80, 0xef,             /* V=2; M=1 PT=111 */
        0x00, 0x01,             /* seq 1 */
        0x00, 0x00, 0x03, 0xc0, /* timestamp 960 */
        0x00, 0x00, 0x00, 0x07, /* SSRC */
    };
    CHECK_EQ(cv_demux(opus, sizeof(opus)), CV_DEMUX_RTP);
}

int main(void)
{
    test_ranges();
    test_rtp_rtcp();
    test_lengths();
    test_real_headers();
    return CHECK_DONE("test_demux");
}
