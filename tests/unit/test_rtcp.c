/*
 * test_rtcp.c - RTCP parsing and building (rtcp.c): a browser's SR+SDES compound,
 * RR with two blocks, PLI, FIR, NACK (also across 65535 -> 0), REMB mantissa and
 * exponent, BYE, reduced-size packets, malformed lengths, builder round trips, NTP.
 */
#include "check.h"
#include "err.h"
#include "rtcp.h"

#include <stdint.h>
#include <string.h>

/* Sender report with one report block, then SDES CNAME, as a browser sends them. */
static const uint8_t chrome_sr_sdes[] = {
    0x81, 0xc8, 0x00, 0x0c, /* V=2 P=0 RC=1, PT=200 SR, length 12 (52 bytes) */
    0x6b, 0x8b, 0x45, 0x67, /* sender SSRC */
    0xe8, 0xfe, 0x6f, 0x80, /* NTP seconds: 2023-11-14 22:13:20 UTC */
    0x40, 0x00, 0x00, 0x00, /* NTP fraction 0.25 */
    0x00, 0x01, 0x2c, 0x00, /* RTP timestamp 76800 */
    0x00, 0x00, 0x01, 0xf4, /* sender's packet count 500 */
    0x00, 0x01, 0x86, 0xa0, /* sender's octet count 100000 */
    0x11, 0x22, 0x33, 0x44, /* block 1: SSRC of the source reported on */
    0x0d,                   /* fraction lost 13/256 */
    0x00, 0x00, 0x2a,       /* cumulative lost 42 */
    0x00, 0x02, 0xff, 0xfe, /* extended highest seq: 2 cycles, seq 65534 */
    0x00, 0x00, 0x00, 0x3c, /* jitter 60 */
    0x6f, 0x80, 0x40, 0x00, /* LSR */
    0x00, 0x01, 0x80, 0x00, /* DLSR 1.5 s */
    0x81, 0xca, 0x00, 0x06, /* V=2 SC=1, PT=202 SDES, length 6 (28 bytes) */
    0x6b, 0x8b, 0x45, 0x67, /* chunk SSRC */
    0x01, 0x10,             /* CNAME, 16 bytes */
    'X',  'q',  '3',  'b',  /* CNAME text */
    '9',  'Z',  'k',  'P',  /* ... */
    '0',  'a',  'T',  'z',  /* ... */
    '7',  'L',  'm',  'N',  /* ... */
    0x00, 0x00,             /* end of items, padding to 32 bits */
};

static void test_sr_sdes(void)
{
    cv_rtcp_item_t it[4];
    CHECK_EQ(cv_rtcp_parse(chrome_sr_sdes, sizeof(chrome_sr_sdes), it, 4), 2);
    CHECK_EQ(it[0].type, CV_RTCP_SR);
    CHECK_EQ(it[0].rtcp_pt, 200);
    CHECK_EQ(it[0].sender_ssrc, 0x6b8b4567u);
    CHECK_EQ(it[0].sr.ssrc, 0x6b8b4567u);
    CHECK(it[0].sr.ntp == 0xe8fe6f8040000000ull);
    CHECK_EQ(it[0].sr.rtp_ts, 76800);
    CHECK_EQ(it[0].sr.packets, 500);
    CHECK_EQ(it[0].sr.octets, 100000);
    CHECK_EQ(it[0].n_rb, 1);
    CHECK_EQ(it[0].rb[0].ssrc, 0x11223344u);
    CHECK_EQ(it[0].rb[0].fraction_lost, 13);
    CHECK_EQ(it[0].rb[0].cum_lost, 42);
    CHECK_EQ(it[0].rb[0].ext_high_seq, 0x0002fffe);
    CHECK_EQ(it[0].rb[0].jitter, 60);
    CHECK_EQ(it[0].rb[0].lsr, 0x6f804000u);
    CHECK_EQ(it[0].rb[0].dlsr, 0x18000);
    CHECK_EQ(it[1].type, CV_RTCP_SDES);
    CHECK_EQ(it[1].sender_ssrc, 0x6b8b4567u);
    /* the NTP time of that SR from its Unix time */
    CHECK(cv_ntp_from_unix_us(1700000000250000LL) == 0xe8fe6f8040000000ull);
    CHECK_EQ(cv_ntp_mid32(0xe8fe6f8040000000ull), 0x6f804000u);

    /* building the same two packets gives the same bytes */
    uint8_t buf[128];
    cv_rtcp_sr_t sr = {0x6b8b4567u, 0xe8fe6f8040000000ull, 76800, 500, 100000};
    cv_rtcp_rb_t rb = {0x11223344u, 13, 42, 0x0002fffe, 60, 0x6f804000u, 0x18000};
    int n = cv_rtcp_build_sr(buf, sizeof(buf), &sr, &rb, 1);
    CHECK_EQ(n, 52);
    int m =
        cv_rtcp_build_sdes_cname(buf + n, sizeof(buf) - (size_t)n, 0x6b8b4567u, "Xq3b9ZkP0aTz7LmN");
    CHECK_EQ(m, 28);
    CHECK_EQ(n + m, sizeof(chrome_sr_sdes));
    CHECK_MEM(buf, chrome_sr_sdes, sizeof(chrome_sr_sdes));
}

static void test_rr(void)
{
    static const uint8_t pkt[] = {
        0x82, 0xc9, 0x00, 0x0d, /* V=2 RC=2, PT=201 RR, length 13 (56 bytes) */
        0x00, 0x00, 0x00, 0x01, /* reporter SSRC 1 */
        0xaa, 0xaa, 0xaa, 0xaa, /* block 1: source SSRC */
        0x40,                   /* fraction lost 64/256 = 25 % */
        0x00, 0x00, 0x05,       /* cumulative lost 5 */
        0x00, 0x01, 0x00, 0x02, /* ext highest seq: cycle 1, seq 2 */
        0x00, 0x00, 0x01, 0x00, /* jitter 256 */
        0x12, 0x34, 0x56, 0x78, /* LSR */
        0x00, 0x00, 0x80, 0x00, /* DLSR 0.5 s */
        0xbb, 0xbb, 0xbb, 0xbb, /* block 2: source SSRC */
        0x00,                   /* fraction lost 0 */
        0xff, 0xff, 0xfe,       /* cumulative lost -2 (duplicates) */
        0x00, 0x00, 0x7f, 0xff, /* ext highest seq 32767 */
        0x00, 0x00, 0x00, 0x00, /* jitter 0 */
        0x00, 0x00, 0x00, 0x00, /* LSR: no SR yet */
        0x00, 0x00, 0x00, 0x00, /* DLSR */
    };
    cv_rtcp_item_t it[2];
    CHECK_EQ(cv_rtcp_parse(pkt, sizeof(pkt), it, 2), 1);
    CHECK_EQ(it[0].type, CV_RTCP_RR);
    CHECK_EQ(it[0].sender_ssrc, 1);
    CHECK_EQ(it[0].n_rb, 2);
    CHECK_EQ(it[0].rb[0].ssrc, 0xaaaaaaaau);
    CHECK_EQ(it[0].rb[0].fraction_lost, 64);
    CHECK_EQ(it[0].rb[0].cum_lost, 5);
    CHECK_EQ(it[0].rb[0].ext_high_seq, 0x10002);
    CHECK_EQ(it[0].rb[0].jitter, 256);
    CHECK_EQ(it[0].rb[0].lsr, 0x12345678u);
    CHECK_EQ(it[0].rb[0].dlsr, 0x8000);
    CHECK_EQ(it[0].rb[1].ssrc, 0xbbbbbbbbu);
    CHECK_EQ(it[0].rb[1].cum_lost, -2);
    CHECK_EQ(it[0].rb[1].ext_high_seq, 32767);

    uint8_t buf[64];
    CHECK_EQ(cv_rtcp_build_rr(buf, sizeof(buf), 1, it[0].rb, 2), 56);
    CHECK_MEM(buf, pkt, sizeof(pkt));

    /* an empty RR (RC=0), padded with the P bit: 4 bytes of padding */
    static const uint8_t padded[] = {
        0xa0, 0xc9, 0x00, 0x02, /* V=2 P=1 RC=0, PT=201, length 2 (12 bytes) */
        0x00, 0x00, 0x00, 0x09, /* reporter SSRC 9 */
        0x00, 0x00, 0x00, 0x04, /* padding, count 4 */
    };
    CHECK_EQ(cv_rtcp_parse(padded, sizeof(padded), it, 2), 1);
    CHECK_EQ(it[0].type, CV_RTCP_RR);
    CHECK_EQ(it[0].sender_ssrc, 9);
    CHECK_EQ(it[0].n_rb, 0);
}

static void test_pli_fir(void)
{
    /* RFC 5506 reduced-size: a lone PLI, no SR/RR before it */
    static const uint8_t pli[] = {
        0x81, 0xce, 0x00, 0x02, /* V=2 FMT=1, PT=206 PSFB, length 2 (12 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x12, 0x34, 0x56, 0x78, /* media SSRC */
    };
    cv_rtcp_item_t it[2];
    CHECK_EQ(cv_rtcp_parse(pli, sizeof(pli), it, 2), 1);
    CHECK_EQ(it[0].type, CV_RTCP_PLI);
    CHECK_EQ(it[0].sender_ssrc, 1);
    CHECK_EQ(it[0].media_ssrc, 0x12345678u);
    uint8_t buf[32];
    CHECK_EQ(cv_rtcp_build_pli(buf, sizeof(buf), 1, 0x12345678u), 12);
    CHECK_MEM(buf, pli, 12);
    CHECK_EQ(cv_rtcp_build_pli(buf, 11, 1, 2), CV_E_NOSPACE);

    static const uint8_t fir[] = {
        0x84, 0xce, 0x00, 0x04, /* V=2 FMT=4, PT=206 PSFB, length 4 (20 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x00, /* media SSRC: unused, 0 (RFC 5104 §4.3.1.1) */
        0x12, 0x34, 0x56, 0x78, /* FCI: SSRC of the requested stream */
        0x07, 0x00, 0x00, 0x00, /* FCI: command seq nr 7, reserved */
    };
    CHECK_EQ(cv_rtcp_parse(fir, sizeof(fir), it, 2), 1);
    CHECK_EQ(it[0].type, CV_RTCP_FIR);
    CHECK_EQ(it[0].sender_ssrc, 1);
    CHECK_EQ(it[0].media_ssrc, 0x12345678u);
    CHECK_EQ(it[0].fir_seq, 7);
    CHECK_EQ(cv_rtcp_build_fir(buf, sizeof(buf), 1, 0x12345678u, 7), 20);
    CHECK_MEM(buf, fir, 20);
    CHECK_EQ(cv_rtcp_build_fir(buf, 19, 1, 2, 3), CV_E_NOSPACE);
    /* FIR with no FCI entry, or a partial one */
    CHECK_EQ(cv_rtcp_parse((const uint8_t *)"\x84\xce\x00\x02\0\0\0\1\0\0\0\0", 12, it, 2),
             CV_E_INVAL);
    static const uint8_t fir_part[] = {
        0x84, 0xce, 0x00, 0x03, /* FMT=4 PSFB, length 3 (16 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x00, /* media SSRC */
        0x12, 0x34, 0x56, 0x78, /* half an FCI entry */
    };
    CHECK_EQ(cv_rtcp_parse(fir_part, sizeof(fir_part), it, 2), CV_E_INVAL);
}

static void test_nack(void)
{
    static const uint8_t pkt[] = {
        0x81, 0xcd, 0x00, 0x04, /* V=2 FMT=1, PT=205 RTPFB, length 4 (20 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0xca, 0xfe, 0x00, 0x01, /* media SSRC */
        0x00, 0x64, 0x00, 0x05, /* PID 100, BLP bits 0 and 2: 100, 101, 103 */
        0xff, 0xfe, 0x00, 0x07, /* PID 65534, BLP bits 0..2: 65534, 65535, 0, 1 */
    };
    cv_rtcp_item_t it[1];
    CHECK_EQ(cv_rtcp_parse(pkt, sizeof(pkt), it, 1), 1);
    CHECK_EQ(it[0].type, CV_RTCP_NACK);
    CHECK_EQ(it[0].sender_ssrc, 1);
    CHECK_EQ(it[0].media_ssrc, 0xcafe0001u);
    CHECK_EQ(it[0].n_nack, 2);
    CHECK_EQ(it[0].nack_pid[0], 100);
    CHECK_EQ(it[0].nack_blp[0], 5);
    CHECK_EQ(it[0].nack_pid[1], 65534);
    CHECK_EQ(it[0].nack_blp[1], 7);

    uint16_t s[17];
    CHECK_EQ(cv_rtcp_nack_seqs(100, 5, s, 17), 3);
    CHECK_EQ(s[0], 100);
    CHECK_EQ(s[1], 101);
    CHECK_EQ(s[2], 103);
    CHECK_EQ(cv_rtcp_nack_seqs(65534, 7, s, 17), 4);
    CHECK_EQ(s[0], 65534);
    CHECK_EQ(s[1], 65535);
    CHECK_EQ(s[2], 0);
    CHECK_EQ(s[3], 1);
    CHECK_EQ(cv_rtcp_nack_seqs(65535, 0xffff, s, 17), 17);
    CHECK_EQ(s[16], 15);
    CHECK_EQ(cv_rtcp_nack_seqs(65535, 0xffff, s, 2), 2); /* max respected */
    CHECK_EQ(cv_rtcp_nack_seqs(32767, 0x8000, s, 17), 2);
    CHECK_EQ(s[1], 32783);
    CHECK_EQ(cv_rtcp_nack_seqs(0, 0, s, 0), 0);

    /* builder: ascending list across the wrap packs into two pairs */
    static const uint16_t lost[] = {65533, 65534, 65535, 0, 5, 40, 41};
    static const uint8_t want[] = {
        0x81, 0xcd, 0x00, 0x04, /* FMT=1 RTPFB, length 4 (20 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0xca, 0xfe, 0x00, 0x01, /* media SSRC */
        0xff, 0xfd, 0x00, 0x87, /* PID 65533, BLP: +1 +2 +3 (0) +8 (5) */
        0x00, 0x28, 0x00, 0x01, /* PID 40, BLP: +1 (41) */
    };
    uint8_t buf[64];
    CHECK_EQ(cv_rtcp_build_nack(buf, sizeof(buf), 1, 0xcafe0001u, lost, 7), 20);
    CHECK_MEM(buf, want, sizeof(want));
    CHECK_EQ(cv_rtcp_build_nack(buf, 19, 1, 2, lost, 7), CV_E_NOSPACE);
    CHECK_EQ(cv_rtcp_build_nack(buf, sizeof(buf), 1, 2, lost, 0), CV_E_INVAL);
    /* pid + 16 still fits in one pair, pid + 17 does not */
    static const uint16_t edge[] = {32767, 32783, 32784};
    CHECK_EQ(cv_rtcp_build_nack(buf, sizeof(buf), 1, 2, edge, 3), 20);
    CHECK_EQ(cv_rtcp_parse(buf, 20, it, 1), 1);
    CHECK_EQ(it[0].nack_pid[0], 32767);
    CHECK_EQ(it[0].nack_blp[0], 0x8000);
    CHECK_EQ(it[0].nack_pid[1], 32784);
    CHECK_EQ(it[0].nack_blp[1], 0);
    /* duplicates and an older value out of order are still all covered */
    static const uint16_t messy[] = {10, 10, 12, 3, 11};
    int n = cv_rtcp_build_nack(buf, sizeof(buf), 1, 2, messy, 5);
    CHECK_EQ(n, 20);
    CHECK_EQ(cv_rtcp_parse(buf, (size_t)n, it, 1), 1);
    CHECK_EQ(it[0].n_nack, 2);
    CHECK_EQ(it[0].nack_pid[0], 10);
    CHECK_EQ(it[0].nack_blp[0], 0x2); /* 12 */
    CHECK_EQ(it[0].nack_pid[1], 3);
    CHECK_EQ(it[0].nack_blp[1], 0x80); /* 11 */

    /* NACK without FCI, and with a partial FCI entry */
    static const uint8_t empty[] = {
        0x81, 0xcd, 0x00, 0x02, /* FMT=1 RTPFB, length 2 (12 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0xca, 0xfe, 0x00, 0x01, /* media SSRC, no FCI */
    };
    CHECK_EQ(cv_rtcp_parse(empty, sizeof(empty), it, 1), CV_E_INVAL);

    /* more than 16 FCI entries: the first 16 are kept */
    uint16_t many[40];
    for (int i = 0; i < 40; i++)
        many[i] = (uint16_t)(65000 + 100 * i);
    n = cv_rtcp_build_nack(buf, sizeof(buf), 1, 2, many, 40);
    CHECK_EQ(n, CV_E_NOSPACE);
    uint8_t big[256];
    n = cv_rtcp_build_nack(big, sizeof(big), 1, 2, many, 40);
    CHECK_EQ(n, 12 + 4 * 40);
    CHECK_EQ(cv_rtcp_parse(big, (size_t)n, it, 1), 1);
    CHECK_EQ(it[0].n_nack, 16);
    CHECK_EQ(it[0].nack_pid[15], (uint16_t)(65000 + 1500));
}

static void test_remb(void)
{
    static const uint8_t pkt[] = {
        0x8f, 0xce, 0x00, 0x06, /* V=2 FMT=15 (AFB), PT=206, length 6 (28 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x00, /* media SSRC: 0 */
        'R',  'E',  'M',  'B',  /* unique identifier */
        0x02,                   /* Num SSRC 2 */
        0x0e, 0xdc, 0x6c,       /* BR Exp 3, Mantissa 187500: 1 500 000 bit/s */
        0x11, 0x11, 0x11, 0x11, /* SSRC feedback 1 */
        0x22, 0x22, 0x22, 0x22, /* SSRC feedback 2 */
    };
    cv_rtcp_item_t it[1];
    CHECK_EQ(cv_rtcp_parse(pkt, sizeof(pkt), it, 1), 1);
    CHECK_EQ(it[0].type, CV_RTCP_REMB);
    CHECK_EQ(it[0].sender_ssrc, 1);
    CHECK_EQ(it[0].remb_bps, 1500000);
    CHECK_EQ(it[0].n_remb_ssrc, 2);
    CHECK_EQ(it[0].remb_ssrc[0], 0x11111111u);
    CHECK_EQ(it[0].remb_ssrc[1], 0x22222222u);
    uint8_t buf[64];
    static const uint32_t ss[] = {0x11111111u, 0x22222222u};
    CHECK_EQ(cv_rtcp_build_remb(buf, sizeof(buf), 1, 1500000, ss, 2), 28);
    CHECK_MEM(buf, pkt, sizeof(pkt));
    CHECK_EQ(cv_rtcp_build_remb(buf, 27, 1, 1500000, ss, 2), CV_E_NOSPACE);

    /* 10 Gbit/s needs exponent 16; the mantissa truncates (rounds down) */
    static const uint8_t big[] = {
        0x8f, 0xce, 0x00, 0x04, /* FMT=15 PSFB, length 4 (20 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x00, /* media SSRC */
        'R',  'E',  'M',  'B',  /* unique identifier */
        0x00,                   /* Num SSRC 0 */
        0x42, 0x54, 0x0b,       /* BR Exp 16, Mantissa 152587 */
    };
    CHECK_EQ(cv_rtcp_build_remb(buf, sizeof(buf), 1, 10000000000ull, NULL, 0), 20);
    CHECK_MEM(buf, big, sizeof(big));
    CHECK_EQ(cv_rtcp_parse(big, sizeof(big), it, 1), 1);
    CHECK(it[0].remb_bps == 9999941632ull);
    CHECK_EQ(it[0].n_remb_ssrc, 0);

    /* exponent 0: fits the mantissa as is; 262143 is the largest such value */
    static const uint64_t vals[] = {0, 1, 200000, 262143, 262144, 1000001};
    static const uint64_t want[] = {0, 1, 200000, 262143, 262144, 1000000};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(cv_rtcp_build_remb(buf, sizeof(buf), 5, vals[i], NULL, 0), 20);
        CHECK_EQ(cv_rtcp_parse(buf, 20, it, 1), 1);
        CHECK(it[0].remb_bps == want[i]);
    }
    CHECK_EQ(buf[17] >> 2, 2); /* 1000001 needed exponent 2 */

    /* largest exponent: saturates rather than overflowing */
    static const uint8_t huge[] = {
        0x8f, 0xce, 0x00, 0x04, /* FMT=15 PSFB, length 4 */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x00, /* media SSRC */
        'R',  'E',  'M',  'B',  /* unique identifier */
        0x00,                   /* Num SSRC 0 */
        0xff, 0xff, 0xff,       /* BR Exp 63, Mantissa 262143 */
    };
    CHECK_EQ(cv_rtcp_parse(huge, sizeof(huge), it, 1), 1);
    CHECK(it[0].remb_bps == UINT64_MAX);

    /* Num SSRC larger than what follows */
    static const uint8_t lie[] = {
        0x8f, 0xce, 0x00, 0x05, /* FMT=15 PSFB, length 5 (24 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x00, /* media SSRC */
        'R',  'E',  'M',  'B',  /* unique identifier */
        0x03,                   /* Num SSRC 3 ... */
        0x0e, 0xdc, 0x6c,       /* BR */
        0x11, 0x11, 0x11, 0x11, /* ... but only 1 SSRC */
    };
    CHECK_EQ(cv_rtcp_parse(lie, sizeof(lie), it, 1), CV_E_INVAL);

    /* an AFB that is not REMB is skipped */
    static const uint8_t afb[] = {
        0x8f, 0xce, 0x00, 0x03, /* FMT=15 PSFB, length 3 */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x02, /* media SSRC */
        'G',  'O',  'O',  'G',  /* another application */
    };
    CHECK_EQ(cv_rtcp_parse(afb, sizeof(afb), it, 1), 1);
    CHECK_EQ(it[0].type, CV_RTCP_OTHER);
    CHECK_EQ(it[0].media_ssrc, 2);
}

static void test_bye_other(void)
{
    static const uint8_t pkt[] = {
        0x81, 0xcb, 0x00, 0x03, /* V=2 SC=1, PT=203 BYE, length 3 (16 bytes) */
        0x6b, 0x8b, 0x45, 0x67, /* SSRC leaving */
        0x04, 'b',  'y',  'e',  /* reason, 4 bytes */
        '!',  0x00, 0x00, 0x00, /* ... its last byte, padding */
        0x80, 0xcd, 0x00, 0x01, /* transport-cc is FMT 15; here FMT 0: unknown RTPFB */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x80, 0xcf, 0x00, 0x01, /* PT=207 XR, length 1 */
        0x00, 0x00, 0x00, 0x02, /* its SSRC */
        0x80, 0xca, 0x00, 0x00, /* SDES with no chunks */
    };
    cv_rtcp_item_t it[8];
    /* the RTPFB with only 4 bytes of body lacks the media SSRC */
    CHECK_EQ(cv_rtcp_parse(pkt, sizeof(pkt), it, 8), CV_E_INVAL);
    uint8_t fixed[sizeof(pkt) + 4];
    memcpy(fixed, pkt, 16);
    static const uint8_t tcc[] = {
        0x8f, 0xcd, 0x00, 0x02, /* FMT=15 RTPFB (transport-cc), length 2 */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x03, /* media SSRC */
    };
    memcpy(fixed + 16, tcc, sizeof(tcc));
    memcpy(fixed + 28, pkt + 24, 12);
    CHECK_EQ(cv_rtcp_parse(fixed, 40, it, 8), 4);
    CHECK_EQ(it[0].type, CV_RTCP_BYE);
    CHECK_EQ(it[0].sender_ssrc, 0x6b8b4567u);
    CHECK_EQ(it[1].type, CV_RTCP_OTHER);
    CHECK_EQ(it[1].rtcp_pt, 205);
    CHECK_EQ(it[1].fmt, 15);
    CHECK_EQ(it[1].media_ssrc, 3);
    CHECK_EQ(it[2].type, CV_RTCP_OTHER);
    CHECK_EQ(it[2].rtcp_pt, 207);
    CHECK_EQ(it[2].sender_ssrc, 2);
    CHECK_EQ(it[3].type, CV_RTCP_SDES);
    CHECK_EQ(it[3].sender_ssrc, 0);
    /* max limits what is stored, the rest is still checked */
    CHECK_EQ(cv_rtcp_parse(fixed, 40, it, 2), 2);
    CHECK_EQ(cv_rtcp_parse(fixed, 40, NULL, 0), 0);
    CHECK_EQ(cv_rtcp_parse(fixed, 40, NULL, 1), CV_E_INVAL);
    CHECK_EQ(cv_rtcp_parse(fixed, 40, it, -1), CV_E_INVAL);

    uint8_t buf[16];
    static const uint8_t want[] = {
        0x81, 0xcb, 0x00, 0x01, /* SC=1 BYE, length 1 (8 bytes) */
        0x6b, 0x8b, 0x45, 0x67, /* SSRC */
    };
    CHECK_EQ(cv_rtcp_build_bye(buf, sizeof(buf), 0x6b8b4567u), 8);
    CHECK_MEM(buf, want, 8);
    CHECK_EQ(cv_rtcp_build_bye(buf, 7, 1), CV_E_NOSPACE);
    /* BYE claiming 2 SSRCs with room for one */
    static const uint8_t bye2[] = {
        0x82, 0xcb, 0x00, 0x01, /* SC=2 BYE, length 1 (8 bytes) */
        0x6b, 0x8b, 0x45, 0x67, /* one SSRC */
    };
    CHECK_EQ(cv_rtcp_parse(bye2, sizeof(bye2), it, 1), CV_E_INVAL);
}

static void test_malformed(void)
{
    cv_rtcp_item_t it[4];
    static const uint8_t pli_rr[] = {
        0x80, 0xc9, 0x00, 0x01, /* RR RC=0, length 1 (8 bytes) */
        0x00, 0x00, 0x00, 0x01, /* reporter SSRC */
        0x81, 0xce, 0x00, 0x02, /* PLI, length 2 (12 bytes) */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x02, /* media SSRC */
    };
    CHECK_EQ(cv_rtcp_parse(pli_rr, sizeof(pli_rr), it, 4), 2);
    CHECK_EQ(it[1].type, CV_RTCP_PLI);
    /* the second packet cut short: its length field runs past the end */
    CHECK_EQ(cv_rtcp_parse(pli_rr, sizeof(pli_rr) - 4, it, 4), CV_E_SHORT);
    /* two stray bytes after a valid packet */
    CHECK_EQ(cv_rtcp_parse(pli_rr, 10, it, 4), CV_E_SHORT);
    CHECK_EQ(cv_rtcp_parse(pli_rr, 0, it, 4), CV_E_SHORT);
    CHECK_EQ(cv_rtcp_parse(pli_rr, 3, it, 4), CV_E_SHORT);

    uint8_t b[sizeof(pli_rr)];
    /* length field 0xffff on the first packet */
    memcpy(b, pli_rr, sizeof(b));
    b[2] = 0xff;
    b[3] = 0xff;
    CHECK_EQ(cv_rtcp_parse(b, sizeof(b), it, 4), CV_E_SHORT);
    /* RR length 0 (4 bytes): no room for the reporter SSRC, the rest is misframed */
    memcpy(b, pli_rr, sizeof(b));
    b[3] = 0x00;
    CHECK(cv_rtcp_parse(b, sizeof(b), it, 4) < 0);
    /* RR claiming one report block in 4 bytes of body */
    memcpy(b, pli_rr, sizeof(b));
    b[0] = 0x81;
    CHECK_EQ(cv_rtcp_parse(b, sizeof(b), it, 4), CV_E_INVAL);
    /* version 1 in the second packet */
    memcpy(b, pli_rr, sizeof(b));
    b[8] = 0x41;
    CHECK_EQ(cv_rtcp_parse(b, sizeof(b), it, 4), CV_E_INVAL);
    /* PLI length 1: no media SSRC */
    memcpy(b, pli_rr, sizeof(b));
    b[11] = 0x01;
    CHECK(cv_rtcp_parse(b, sizeof(b), it, 4) < 0);
    /* padding count larger than the body, and padding count 0 */
    memcpy(b, pli_rr, sizeof(b));
    b[0] = 0xa0;
    b[7] = 0x05;
    CHECK_EQ(cv_rtcp_parse(b, sizeof(b), it, 4), CV_E_INVAL);
    b[7] = 0x00;
    CHECK_EQ(cv_rtcp_parse(b, sizeof(b), it, 4), CV_E_INVAL);
    /* padding that eats the SSRC: RR body becomes too short */
    b[7] = 0x04;
    CHECK_EQ(cv_rtcp_parse(b, sizeof(b), it, 4), CV_E_INVAL);
    /* SR with RC=1 but the length of an SR without blocks */
    static const uint8_t sr_short[] = {
        0x81, 0xc8, 0x00, 0x06, /* SR RC=1, length 6 (28 bytes): needs 52 */
        0x00, 0x00, 0x00, 0x01, /* sender SSRC */
        0x00, 0x00, 0x00, 0x00, /* NTP */
        0x00, 0x00, 0x00, 0x00, /* NTP */
        0x00, 0x00, 0x00, 0x00, /* RTP timestamp */
        0x00, 0x00, 0x00, 0x00, /* packets */
        0x00, 0x00, 0x00, 0x00, /* octets */
    };
    CHECK_EQ(cv_rtcp_parse(sr_short, sizeof(sr_short), it, 4), CV_E_INVAL);
    CHECK_EQ(cv_rtcp_parse(chrome_sr_sdes, sizeof(chrome_sr_sdes) - 1, it, 4), CV_E_SHORT);
}

static void test_builders(void)
{
    uint8_t buf[1024];
    cv_rtcp_item_t it[2];
    /* SR with 31 blocks, cumulative loss clamped to 24-bit signed */
    cv_rtcp_rb_t rb[CV_RTCP_MAX_RB];
    for (int i = 0; i < CV_RTCP_MAX_RB; i++) {
        cv_rtcp_rb_t r = {(uint32_t)(1000 + i), (uint8_t)(i * 8),
                          (i - 15) * 1000000,   (uint32_t)(0x10000 * i + 65535),
                          (uint32_t)i,          (uint32_t)(i << 20),
                          (uint32_t)(i * 3)};
        rb[i] = r;
    }
    cv_rtcp_sr_t sr = {42, cv_ntp_from_unix_us(1500000), 0xfffffff0u, 1, 2};
    CHECK(sr.ntp == (((uint64_t)2208988801u << 32) | 0x80000000u)); /* 1.5 s after 1970 */
    int n = cv_rtcp_build_sr(buf, sizeof(buf), &sr, rb, CV_RTCP_MAX_RB);
    CHECK_EQ(n, 28 + 24 * 31);
    CHECK_EQ(cv_rtcp_build_sr(buf, (size_t)n - 1, &sr, rb, CV_RTCP_MAX_RB), CV_E_NOSPACE);
    CHECK_EQ(cv_rtcp_build_sr(buf, sizeof(buf), &sr, rb, 32), CV_E_INVAL);
    CHECK_EQ(cv_rtcp_parse(buf, (size_t)n, it, 2), 1);
    CHECK_EQ(it[0].type, CV_RTCP_SR);
    CHECK_EQ(it[0].sr.ssrc, 42);
    CHECK(it[0].sr.ntp == sr.ntp);
    CHECK_EQ(it[0].sr.rtp_ts, 0xfffffff0u);
    CHECK_EQ(it[0].sr.packets, 1);
    CHECK_EQ(it[0].sr.octets, 2);
    CHECK_EQ(it[0].n_rb, 31);
    for (int i = 0; i < CV_RTCP_MAX_RB; i++) {
        int32_t want = rb[i].cum_lost;
        want = want > 0x7fffff ? 0x7fffff : want < -0x800000 ? -0x800000 : want;
        CHECK_EQ(it[0].rb[i].cum_lost, want);
        CHECK_EQ(it[0].rb[i].ssrc, rb[i].ssrc);
        CHECK_EQ(it[0].rb[i].fraction_lost, rb[i].fraction_lost);
        CHECK_EQ(it[0].rb[i].ext_high_seq, rb[i].ext_high_seq);
        CHECK_EQ(it[0].rb[i].jitter, rb[i].jitter);
        CHECK_EQ(it[0].rb[i].lsr, rb[i].lsr);
        CHECK_EQ(it[0].rb[i].dlsr, rb[i].dlsr);
    }
    CHECK_EQ(it[0].rb[0].cum_lost, -0x800000);
    CHECK_EQ(it[0].rb[30].cum_lost, 0x7fffff);

    /* RR with no blocks */
    CHECK_EQ(cv_rtcp_build_rr(buf, sizeof(buf), 77, NULL, 0), 8);
    CHECK_EQ(cv_rtcp_build_rr(buf, 7, 77, NULL, 0), CV_E_NOSPACE);
    CHECK_EQ(cv_rtcp_build_rr(buf, sizeof(buf), 77, NULL, 1), CV_E_INVAL);
    CHECK_EQ(cv_rtcp_parse(buf, 8, it, 2), 1);
    CHECK_EQ(it[0].type, CV_RTCP_RR);
    CHECK_EQ(it[0].sender_ssrc, 77);

    /* SDES: each CNAME length ends with 1..4 null octets on a 32-bit boundary */
    static const char name[] = "abcdefghij";
    for (int l = 0; l <= 10; l++) {
        char c[16];
        memcpy(c, name, (size_t)l);
        c[l] = 0;
        n = cv_rtcp_build_sdes_cname(buf, sizeof(buf), 5, c);
        int want = 8 + ((2 + l) / 4 + 1) * 4;
        CHECK_EQ(n, want);
        CHECK_EQ(buf[9], l);
        CHECK_EQ(buf[n - 1], 0);
        CHECK_EQ(buf[10 + l], 0);
        CHECK_EQ(cv_rtcp_parse(buf, (size_t)n, it, 2), 1);
        CHECK_EQ(it[0].type, CV_RTCP_SDES);
        CHECK_EQ(it[0].sender_ssrc, 5);
        CHECK_EQ(cv_rtcp_build_sdes_cname(buf, (size_t)n - 1, 5, c), CV_E_NOSPACE);
    }
    char long_name[300];
    memset(long_name, 'x', sizeof(long_name));
    long_name[256] = 0;
    CHECK_EQ(cv_rtcp_build_sdes_cname(buf, sizeof(buf), 5, long_name), CV_E_INVAL);
    long_name[255] = 0;
    CHECK_EQ(cv_rtcp_build_sdes_cname(buf, sizeof(buf), 5, long_name), 8 + 260);

    /* a compound built from the pieces parses back in order */
    size_t off = 0;
    off += (size_t)cv_rtcp_build_rr(buf + off, sizeof(buf) - off, 1, rb, 1);
    off += (size_t)cv_rtcp_build_sdes_cname(buf + off, sizeof(buf) - off, 1, "c");
    off += (size_t)cv_rtcp_build_pli(buf + off, sizeof(buf) - off, 1, 2);
    uint16_t lost[] = {65535, 0};
    off += (size_t)cv_rtcp_build_nack(buf + off, sizeof(buf) - off, 1, 2, lost, 2);
    off += (size_t)cv_rtcp_build_bye(buf + off, sizeof(buf) - off, 1);
    cv_rtcp_item_t all[6];
    CHECK_EQ(cv_rtcp_parse(buf, off, all, 6), 5);
    CHECK_EQ(all[0].type, CV_RTCP_RR);
    CHECK_EQ(all[1].type, CV_RTCP_SDES);
    CHECK_EQ(all[2].type, CV_RTCP_PLI);
    CHECK_EQ(all[3].type, CV_RTCP_NACK);
    CHECK_EQ(all[3].nack_pid[0], 65535);
    CHECK_EQ(all[3].nack_blp[0], 1);
    CHECK_EQ(all[4].type, CV_RTCP_BYE);

    /* NTP before 1970 keeps its fraction in [0, 1) */
    CHECK(cv_ntp_from_unix_us(-500000) == (((uint64_t)2208988799u << 32) | 0x80000000u));
    CHECK(cv_ntp_from_unix_us(0) == (uint64_t)2208988800u << 32);
}

int main(void)
{
    test_sr_sdes();
    test_rr();
    test_pli_fir();
    test_nack();
    test_remb();
    test_bye_other();
    test_malformed();
    test_builders();
    return CHECK_DONE("test_rtcp");
}
