/*
 * sdp.c - WebRTC SDP offer parsing (the answer is built in sdp_answer.c).
 *
 * Pure: no sockets, clock, threads or allocation; any thread (the HTTP thread in
 * practice). RFC 8866 (SDP syntax), RFC 8829 (JSEP), RFC 8843 (BUNDLE), RFC 8839 and
 * RFC 8445 (ICE), RFC 8122 and RFC 8842 (DTLS fingerprint, setup), RFC 5761 (rtcp-mux),
 * RFC 8285 and RFC 6464 (audio level extension), RFC 7587 (Opus), RFC 7741 (VP8),
 * RFC 4588 (RTX), RFC 4585 and RFC 5104 (rtcp-fb), RFC 9725 (WHIP).
 *
 * The offer is read line by line; what one m= section says about its payload types is
 * gathered in a small table and resolved when the section ends; checks that need the
 * whole offer (which sections we accept, BUNDLE, credentials) run at the end.
 */
#include "sdp.h"
#include "err.h"
#include "sdp_int.h"
#include "twcc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_GROUP_MIDS 16

enum { C_NONE = 0, C_OPUS, C_VP8, C_H264, C_RTX, C_RED, C_OTHER };
enum { FB_NACK = 1, FB_PLI = 2, FB_FIR = 4, FB_REMB = 8 };
enum { SRC_NONE = 0, SRC_MEDIA, SRC_SESSION };

/* A borrowed piece of the offer; p is never NULL. */
struct sl {
    const char *p;
    size_t n;
};

/* What the current m= section says about payload types; reset at every m= line. */
struct pt_tab {
    uint8_t order[N_PT]; /* payload types in m= line order */
    int n_order;
    uint8_t listed[N_PT];
    uint8_t codec[N_PT];   /* C_* from a=rtpmap */
    int16_t apt[N_PT];     /* fmtp apt=, -1 if none */
    int16_t red_of[N_PT];  /* fmtp "P/P[/P...]" (RED's block format): P when all equal, else -1 */
    uint8_t fec[N_PT];     /* fmtp useinbandfec=1 */
    uint8_t pmode1[N_PT];  /* H.264 fmtp packetization-mode=1 */
    int32_t plid[N_PT];    /* H.264 fmtp profile-level-id, -1 if none */
    struct sl sprop[N_PT]; /* H.264 fmtp sprop-parameter-sets, n 0 if none */
    uint8_t fb[N_PT];      /* FB_* from a=rtcp-fb:<pt> */
    uint8_t fb_any;        /* FB_* from a=rtcp-fb:* */
    int have_ssrc, have_fid, have_level;
};

struct parser {
    cv_sdp_offer_t *o;
    int line;          /* 1-based number of the current line */
    int saw_v;         /* the first line, v=0, was seen */
    cv_sdp_media_t *m; /* current section, NULL at session level */
    struct pt_tab tab;
    int session_dir; /* -1 when the session level says nothing */
    int session_level_id, session_level_dir;
    int ufrag_src, pwd_src, fp_src, setup_src; /* SRC_* */
    int fp_other;                              /* a fingerprint with another hash was seen */
    int n_bundle;                              /* a=group:BUNDLE lines */
    int n_group;
    char group[MAX_GROUP_MIDS][33];
    const char *why;
};

/* The reason of a failure that names its line; see the header about its lifetime. */
static _Thread_local char why_buf[128];

static int fail(struct parser *ps, int err, const char *what)
{
    ps->why = what;
    return err;
}

static int fail_line(struct parser *ps, int err, const char *what)
{
    snprintf(why_buf, sizeof why_buf, "line %d: %s", ps->line, what);
    ps->why = why_buf;
    return err;
}

/* ---- small helpers on slices ---- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Takes the next run of non-blank characters off the front of *rest. */
static int next_tok(struct sl *rest, struct sl *tok)
{
    size_t i = 0, j;
    while (i < rest->n && is_blank(rest->p[i]))
        i++;
    j = i;
    while (j < rest->n && !is_blank(rest->p[j]))
        j++;
    tok->p = rest->p + i;
    tok->n = j - i;
    rest->p += j;
    rest->n -= j;
    return tok->n > 0;
}

/* *head = what precedes the first c in *s (all of it if none); *s = what follows it. */
static int split_at(struct sl *s, char c, struct sl *head)
{
    const char *q = memchr(s->p, c, s->n);
    head->p = s->p;
    if (!q) {
        head->n = s->n;
        s->p += s->n;
        s->n = 0;
        return 0;
    }
    head->n = (size_t)(q - s->p);
    s->n -= head->n + 1;
    s->p = q + 1;
    return 1;
}

static struct sl trim(struct sl s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

static int eq(struct sl s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive in ASCII, whatever the locale. */
static int ieq(struct sl s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s.p[i]) != lower(lit[i]))
            return 0;
    return 1;
}

/* A decimal number of 1..20 digits, no sign, at most max. */
static int num(struct sl s, uint64_t max, uint64_t *v)
{
    uint64_t acc = 0;
    if (s.n == 0 || s.n > 20)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned d = (unsigned)(s.p[i] - '0');
        if (d > 9 || acc > (UINT64_MAX - d) / 10)
            return 0;
        acc = acc * 10 + d;
    }
    if (acc > max)
        return 0;
    *v = acc;
    return 1;
}

static int copy(struct sl s, char *dst, size_t cap)
{
    if (s.n >= cap)
        return 0;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return 1;
}

/* IP literals and host names as they appear in candidates */
static int addr_char(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == ':' || c == '-' || c == '_';
}

static int all(struct sl s, int (*cls)(unsigned char))
{
    for (size_t i = 0; i < s.n; i++)
        if (!cls((unsigned char)s.p[i]))
            return 0;
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* "AB:CD:...": exactly 32 bytes of hex pairs separated by colons (RFC 8122 §5). */
static int parse_sha256(struct sl s, uint8_t out[32])
{
    if (s.n != 32 * 3 - 1)
        return 0;
    for (size_t i = 0; i < 32; i++) {
        int hi = hexval(s.p[3 * i]), lo = hexval(s.p[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 31 && s.p[3 * i + 2] != ':'))
            return 0;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 1;
}

static int parse_dir(struct sl s)
{
    if (eq(s, "sendrecv"))
        return CV_SDP_SENDRECV;
    if (eq(s, "sendonly"))
        return CV_SDP_SENDONLY;
    if (eq(s, "recvonly"))
        return CV_SDP_RECVONLY;
    if (eq(s, "inactive"))
        return CV_SDP_INACTIVE;
    return -1;
}

/* A payload type 0..127 (RFC 3551 §3: 7 bits), or a failure naming the line. */
static int get_pt(struct parser *ps, struct sl s, const char *malformed)
{
    uint64_t v;
    if (!num(s, UINT64_MAX, &v))
        return fail_line(ps, CV_E_INVAL, malformed);
    if (v >= N_PT)
        return fail_line(ps, CV_E_INVAL, "payload type out of range 0..127");
    return (int)v;
}

/* Whether a transport-level value seen now (session or media level) replaces the one
 * kept: the session level, else the first media level wins. */
static int take(struct parser *ps, int *src)
{
    if (!ps->m) {
        *src = SRC_SESSION;
        return 1;
    }
    if (*src != SRC_NONE)
        return 0;
    *src = SRC_MEDIA;
    return 1;
}

/* ---- session-level lines ---- */

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
static int on_origin(struct parser *ps, struct sl v)
{
    struct sl t[6], extra;
    uint64_t id;
    for (int i = 0; i < 6; i++)
        if (!next_tok(&v, &t[i]))
            return fail_line(ps, CV_E_INVAL, "malformed o=");
    if (next_tok(&v, &extra) || !num(t[1], UINT64_MAX, &id))
        return fail_line(ps, CV_E_INVAL, "malformed o=");
    if (!ps->m)
        ps->o->session_id = id;
    return 0;
}

static int at_group(struct parser *ps, struct sl v)
{
    struct sl sem, mid;
    if (!next_tok(&v, &sem))
        return fail_line(ps, CV_E_INVAL, "malformed a=group");
    if (ps->m || !eq(sem, "BUNDLE"))
        return 0; /* other semantics (LS ...) do not matter; group is session level */
    if (ps->n_bundle++)
        return fail_line(ps, CV_E_UNSUPPORTED, "more than one BUNDLE group");
    while (next_tok(&v, &mid)) {
        if (ps->n_group == MAX_GROUP_MIDS || !all(mid, token_char) ||
            !copy(mid, ps->group[ps->n_group], sizeof ps->group[0]))
            return fail_line(ps, CV_E_INVAL, "malformed a=group:BUNDLE");
        ps->n_group++;
    }
    return 0;
}

static int at_ufrag(struct parser *ps, struct sl v)
{
    if (v.n < 4 || v.n > 256 || !all(v, ice_char))
        return fail_line(ps, CV_E_INVAL, "ice-ufrag must be 4..256 ice-chars");
    if (take(ps, &ps->ufrag_src))
        copy(v, ps->o->ice_ufrag, sizeof ps->o->ice_ufrag);
    return 0;
}

static int at_pwd(struct parser *ps, struct sl v)
{
    if (v.n < 22 || v.n > 256 || !all(v, ice_char))
        return fail_line(ps, CV_E_INVAL, "ice-pwd must be 22..256 ice-chars");
    if (take(ps, &ps->pwd_src))
        copy(v, ps->o->ice_pwd, sizeof ps->o->ice_pwd);
    return 0;
}

static int at_lite(struct parser *ps, struct sl v)
{
    if (!ps->m)
        ps->o->ice_lite = 1;
    return 0;
}

/* RFC 8839 §5.6 separates options by spaces; some stacks use commas: take both. */
static int at_options(struct parser *ps, struct sl v)
{
    struct sl word, opt;
    while (next_tok(&v, &word)) {
        while (word.n) {
            split_at(&word, ',', &opt);
            if (eq(opt, "trickle"))
                ps->o->trickle = 1;
        }
    }
    return 0;
}

/* a=fingerprint:<hash> <hex>; several may be offered (RFC 8122 §5), sha-256 is taken. */
static int at_fingerprint(struct parser *ps, struct sl v)
{
    struct sl hash, hex;
    uint8_t fp[32];
    if (!next_tok(&v, &hash) || !next_tok(&v, &hex))
        return fail_line(ps, CV_E_INVAL, "malformed a=fingerprint");
    if (!ieq(hash, "sha-256")) {
        ps->fp_other = 1;
        return 0;
    }
    if (!parse_sha256(hex, fp))
        return fail_line(ps, CV_E_INVAL, "malformed sha-256 fingerprint");
    if (take(ps, &ps->fp_src)) {
        memcpy(ps->o->fingerprint, fp, sizeof fp);
        ps->o->fingerprint_len = sizeof fp;
    }
    return 0;
}

/* We are the DTLS server, so the offerer must be able to be the client (RFC 8842 §5.2). */
static int at_setup(struct parser *ps, struct sl v)
{
    int s;
    if (eq(v, "actpass"))
        s = CV_SDP_SETUP_ACTPASS;
    else if (eq(v, "active"))
        s = CV_SDP_SETUP_ACTIVE;
    else if (eq(v, "passive"))
        return fail_line(ps, CV_E_UNSUPPORTED, "offer has setup:passive, need actpass or active");
    else if (eq(v, "holdconn"))
        return fail_line(ps, CV_E_UNSUPPORTED, "offer has setup:holdconn, need actpass or active");
    else
        return fail_line(ps, CV_E_INVAL, "malformed a=setup");
    if (take(ps, &ps->setup_src))
        ps->o->setup = s;
    return 0;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 §8). The audio
 * level and, in a section, the transport-wide sequence number matter; ids
 * above 14 need the two-byte header and are not taken. */
static int at_extmap(struct parser *ps, struct sl v)
{
    struct sl idd, uri, id_s;
    uint64_t id;
    int dir = CV_SDP_SENDRECV;
    if (!next_tok(&v, &idd) || !next_tok(&v, &uri))
        return fail_line(ps, CV_E_INVAL, "malformed a=extmap");
    int has_dir = split_at(&idd, '/', &id_s);
    if (!num(id_s, 65535, &id) || (has_dir && (dir = parse_dir(idd)) < 0))
        return fail_line(ps, CV_E_INVAL, "malformed a=extmap");
    if (id < 1 || id > 14 || dir == CV_SDP_INACTIVE)
        return 0;
    if (eq(uri, CV_TWCC_URI)) {
        if (ps->m && !ps->m->twcc_id && (dir == CV_SDP_SENDRECV || dir == CV_SDP_SENDONLY))
            ps->m->twcc_id = (int)id;
        return 0;
    }
    if (!eq(uri, AUDIO_LEVEL_URI))
        return 0;
    if (!ps->m) {
        if (!ps->session_level_id) {
            ps->session_level_id = (int)id;
            ps->session_level_dir = dir;
        }
    } else if (!ps->tab.have_level) {
        ps->tab.have_level = 1;
        ps->m->audio_level_id = (int)id;
        ps->m->audio_level_dir = dir;
    }
    return 0;
}

/* ---- a=candidate (RFC 8839 §5.1) ---- */

static int same_cand(const cv_sdp_cand_t *a, const cv_sdp_cand_t *b)
{
    return strcmp(a->foundation, b->foundation) == 0 && a->component == b->component &&
           strcmp(a->addr, b->addr) == 0 && a->port == b->port;
}

static void keep_cand(struct parser *ps, const cv_sdp_cand_t *c)
{
    cv_sdp_offer_t *o = ps->o;
    if (o->n_cand == CV_SDP_MAX_CAND)
        return;
    for (int i = 0; i < o->n_cand; i++)
        if (same_cand(&o->cand[i], c))
            return;
    o->cand[o->n_cand++] = *c;
}

static int at_candidate(struct parser *ps, struct sl v)
{
    const char *bad = "malformed a=candidate";
    struct sl f, comp, tr, prio, addr, port, typ, type;
    uint64_t ncomp, nprio, nport;
    cv_sdp_cand_t c;
    if (!next_tok(&v, &f) || !next_tok(&v, &comp) || !next_tok(&v, &tr) || !next_tok(&v, &prio) ||
        !next_tok(&v, &addr) || !next_tok(&v, &port) || !next_tok(&v, &typ) || !next_tok(&v, &type))
        return fail_line(ps, CV_E_INVAL, bad);
    if (f.n > 32 || !all(f, ice_char) || comp.n > 3 || !num(comp, 256, &ncomp) || ncomp < 1 ||
        !all(tr, token_char) || prio.n > 10 || !num(prio, UINT32_MAX, &nprio) ||
        !all(addr, addr_char) || !num(port, 65535, &nport) || !eq(typ, "typ") ||
        !all(type, token_char))
        return fail_line(ps, CV_E_INVAL, bad);
    /* the rest is extension name/value pairs (raddr, rport, generation ...): not needed */
    if (!ieq(tr, "udp") || ncomp != 1 || addr.n >= sizeof c.addr)
        return 0; /* TCP, RTCP component, or a name too long to be of use: dropped */
    if (ps->m && ps->m->port == 0 && !ps->m->bundle_only)
        return 0; /* a disabled section has no transport */
    if (!eq(type, "host") && !eq(type, "srflx") && !eq(type, "prflx") && !eq(type, "relay"))
        return 0; /* a type from some later extension */
    memset(&c, 0, sizeof c);
    copy(f, c.foundation, sizeof c.foundation);
    c.component = 1;
    strcpy(c.transport, "udp");
    c.priority = (uint32_t)nprio;
    copy(addr, c.addr, sizeof c.addr);
    c.port = (int)nport;
    copy(type, c.type, sizeof c.type);
    c.mline = ps->m ? (int)(ps->m - ps->o->media) : -1;
    keep_cand(ps, &c);
    return 0;
}

/* ---- media-level attributes ---- */

static int at_mid(struct parser *ps, struct sl v)
{
    cv_sdp_offer_t *o = ps->o;
    if (v.n == 0 || v.n > 32 || !all(v, token_char))
        return fail_line(ps, CV_E_INVAL, "malformed a=mid (1..32 token characters)");
    if (ps->m->mid[0])
        return fail_line(ps, CV_E_INVAL, "duplicate a=mid");
    for (cv_sdp_media_t *m = o->media; m < ps->m; m++)
        if (eq(v, m->mid))
            return fail_line(ps, CV_E_INVAL, "duplicate a=mid");
    copy(v, ps->m->mid, sizeof ps->m->mid);
    return 0;
}

/* a=rtpmap:<pt> <name>/<clock rate>[/<channels>]; codec names are case-insensitive. */
static int at_rtpmap(struct parser *ps, struct sl v)
{
    const char *bad = "malformed a=rtpmap";
    struct sl pt_s, enc, name, rate_s;
    uint64_t rate;
    if (!next_tok(&v, &pt_s) || !next_tok(&v, &enc))
        return fail_line(ps, CV_E_INVAL, bad);
    int pt = get_pt(ps, pt_s, bad);
    if (pt < 0)
        return pt;
    if (!split_at(&enc, '/', &name) || name.n == 0)
        return fail_line(ps, CV_E_INVAL, bad);
    int has_ch = split_at(&enc, '/', &rate_s);
    if (!num(rate_s, UINT32_MAX, &rate) || (has_ch && enc.n == 0))
        return fail_line(ps, CV_E_INVAL, bad);
    if (ps->tab.codec[pt] != C_NONE)
        return fail_line(ps, CV_E_INVAL, "duplicate a=rtpmap for a payload type");
    int c = C_OTHER;
    if (ieq(name, "opus") && rate == 48000 && has_ch && eq(enc, "2"))
        c = C_OPUS; /* RFC 7587 §7: always opus/48000/2 */
    else if (ieq(name, "VP8") && rate == 90000)
        c = C_VP8;
    else if (ieq(name, "H264") && rate == 90000)
        c = C_H264;
    else if (ieq(name, "rtx"))
        c = C_RTX;
    else if (ieq(name, "red") && rate == 48000)
        c = C_RED; /* the audio RED of WebRTC (RFC 2198); video's red/90000 is not taken */
    ps->tab.codec[pt] = (uint8_t)c;
    return 0;
}

/* RED's fmtp (RFC 2198 §5): the payload types of its blocks, "111/111". The
 * payload type they all share, or -1. */
static int red_blocks_pt(struct sl v)
{
    struct sl one;
    uint64_t pt, first = N_PT;
    v = trim(v);
    if (v.n == 0)
        return -1;
    int more;
    do {
        more = split_at(&v, '/', &one);
        if (!num(trim(one), N_PT - 1, &pt) || (first != N_PT && pt != first))
            return -1;
        first = pt;
    } while (more);
    return (int)first;
}

/* A profile-level-id (RFC 6184 §8.1): six hex digits, or -2 when malformed. */
static int32_t hex24(struct sl s)
{
    int32_t v = 0;
    if (s.n != 6)
        return -2;
    for (size_t i = 0; i < 6; i++) {
        int d = hexval(s.p[i]);
        if (d < 0)
            return -2;
        v = v << 4 | d;
    }
    return v;
}

/* H.264 fmtp parameters (RFC 6184 §8.1) we use. */
static void h264_param(struct pt_tab *t, int pt, struct sl key, struct sl val)
{
    if (ieq(key, "packetization-mode"))
        t->pmode1[pt] = eq(val, "1");
    else if (ieq(key, "profile-level-id"))
        t->plid[pt] = hex24(val);
    else if (ieq(key, "sprop-parameter-sets"))
        t->sprop[pt] = val;
}

/* a=fmtp:<pt> <k>=<v>;<k>=<v>... : useinbandfec (RFC 7587 §6.1), apt (RFC 4588 §8) and
 * H.264's (RFC 6184 §8.1); a=fmtp:<pt> <p>/<p> for RED. */
static int at_fmtp(struct parser *ps, struct sl v)
{
    struct sl pt_s, kv, key;
    uint64_t apt;
    if (!next_tok(&v, &pt_s))
        return fail_line(ps, CV_E_INVAL, "malformed a=fmtp");
    int pt = get_pt(ps, pt_s, "malformed a=fmtp");
    if (pt < 0)
        return pt;
    ps->tab.red_of[pt] = (int16_t)red_blocks_pt(v);
    while (v.n) {
        split_at(&v, ';', &kv);
        if (!split_at(&kv, '=', &key))
            continue;
        key = trim(key);
        kv = trim(kv);
        if (ieq(key, "useinbandfec") && eq(kv, "1"))
            ps->tab.fec[pt] = 1;
        else if (ieq(key, "apt") && num(kv, N_PT - 1, &apt))
            ps->tab.apt[pt] = (int16_t)apt;
        else
            h264_param(&ps->tab, pt, key, kv);
    }
    return 0;
}

/* a=rtcp-fb:<pt>|* <type> [<param>] (RFC 4585 §4.2) */
static int at_rtcp_fb(struct parser *ps, struct sl v)
{
    struct sl pt_s, type, param;
    int pt = -1, bits = 0;
    if (!next_tok(&v, &pt_s) || !next_tok(&v, &type))
        return fail_line(ps, CV_E_INVAL, "malformed a=rtcp-fb");
    if (!eq(pt_s, "*") && (pt = get_pt(ps, pt_s, "malformed a=rtcp-fb")) < 0)
        return pt;
    next_tok(&v, &param);
    if (eq(type, "nack"))
        bits = param.n == 0 ? FB_NACK : eq(param, "pli") ? FB_PLI : 0;
    else if (eq(type, "ccm") && eq(param, "fir"))
        bits = FB_FIR;
    else if (eq(type, "goog-remb"))
        bits = FB_REMB;
    if (pt < 0)
        ps->tab.fb_any |= (uint8_t)bits;
    else
        ps->tab.fb[pt] |= (uint8_t)bits;
    return 0;
}

/* a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576 §4.1) */
static int at_ssrc(struct parser *ps, struct sl v)
{
    struct sl s;
    uint64_t ssrc;
    if (!next_tok(&v, &s) || !num(s, UINT32_MAX, &ssrc))
        return fail_line(ps, CV_E_INVAL, "malformed a=ssrc");
    if (!ps->tab.have_ssrc && !ps->tab.have_fid)
        ps->m->ssrc = (uint32_t)ssrc;
    ps->tab.have_ssrc = 1;
    return 0;
}

/* a=ssrc-group:FID <media ssrc> <rtx ssrc> (RFC 5576 §4.2, RFC 4588 §8.2) */
static int at_ssrc_group(struct parser *ps, struct sl v)
{
    struct sl sem, a, b;
    uint64_t sa, sb;
    if (!next_tok(&v, &sem))
        return fail_line(ps, CV_E_INVAL, "malformed a=ssrc-group");
    if (!eq(sem, "FID"))
        return 0;
    if (!next_tok(&v, &a) || !next_tok(&v, &b) || !num(a, UINT32_MAX, &sa) ||
        !num(b, UINT32_MAX, &sb))
        return fail_line(ps, CV_E_INVAL, "malformed a=ssrc-group:FID");
    if (!ps->tab.have_fid) {
        ps->tab.have_fid = 1;
        ps->m->ssrc = (uint32_t)sa;
        ps->m->rtx_ssrc = (uint32_t)sb;
    }
    return 0;
}

static int at_rtcp_mux(struct parser *ps, struct sl v)
{
    ps->m->rtcp_mux = 1;
    return 0;
}

static int at_bundle_only(struct parser *ps, struct sl v)
{
    ps->m->bundle_only = 1;
    return 0;
}

typedef int (*attr_fn)(struct parser *ps, struct sl value);

static const struct {
    const char *name;
    attr_fn fn;
    int media_only; /* ignored at session level */
} attrs[] = {
    {"candidate", at_candidate, 0},
    {"ice-ufrag", at_ufrag, 0},
    {"ice-pwd", at_pwd, 0},
    {"ice-lite", at_lite, 0},
    {"ice-options", at_options, 0},
    {"fingerprint", at_fingerprint, 0},
    {"setup", at_setup, 0},
    {"group", at_group, 0},
    {"extmap", at_extmap, 0},
    {"mid", at_mid, 1},
    {"rtpmap", at_rtpmap, 1},
    {"fmtp", at_fmtp, 1},
    {"rtcp-fb", at_rtcp_fb, 1},
    {"ssrc", at_ssrc, 1},
    {"ssrc-group", at_ssrc_group, 1},
    {"rtcp-mux", at_rtcp_mux, 1},
    {"bundle-only", at_bundle_only, 1},
};

/* a=<name>[:<value>]; unknown attributes are ignored (RFC 8866 §5.13). */
static int on_attr(struct parser *ps, struct sl v)
{
    struct sl name;
    split_at(&v, ':', &name);
    int dir = parse_dir(name);
    if (dir >= 0) { /* RFC 8866 §6.7: media level, else the default for every section */
        if (ps->m)
            ps->m->direction = dir;
        else
            ps->session_dir = dir;
        return 0;
    }
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (!eq(name, attrs[i].name))
            continue;
        if (attrs[i].media_only && !ps->m)
            return 0;
        return attrs[i].fn(ps, v);
    }
    return 0;
}

/* ---- m= sections ---- */

/* RFC 6184 §8.1: no profile-level-id means 42000a (baseline, level 1). Taken:
 * baseline (constrained or not), main and high, 8-bit 4:2:0 all. */
static int h264_profile_ok(int32_t plid)
{
    if (plid == -2)
        return 0; /* malformed */
    int idc = (plid < 0 ? 0x42000a : plid) >> 16;
    return idc == 0x42 || idc == 0x4d || idc == 0x64;
}

/* Keeps an sprop-parameter-sets value of base64 and commas that fits, else "". */
static void keep_sprop(cv_sdp_media_t *m, struct sl v)
{
    if (v.n == 0)
        return;
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        if (!(isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=' || c == ','))
            return;
    }
    copy(v, m->sprop, sizeof m->sprop);
}

/* Without VP8: the first H.264 in m= line order we can depacketise and decode. */
static void choose_h264(cv_sdp_media_t *m, const struct pt_tab *t)
{
    for (int i = 0; i < t->n_order; i++) {
        int pt = t->order[i];
        if (t->codec[pt] != C_H264 || !t->pmode1[pt] || !h264_profile_ok(t->plid[pt]))
            continue;
        m->pt = pt;
        m->codec = CV_SDP_H264;
        m->h264_profile = (uint32_t)(t->plid[pt] < 0 ? 0x42000a : t->plid[pt]);
        keep_sprop(m, t->sprop[pt]);
        return;
    }
}

static void finish_section(struct parser *ps)
{
    cv_sdp_media_t *m = ps->m;
    struct pt_tab *t = &ps->tab;
    if (!m)
        return;
    if (m->direction < 0)
        m->direction = ps->session_dir >= 0 ? ps->session_dir : CV_SDP_SENDRECV;
    if (!t->have_level) { /* a session-level extmap applies to every section */
        m->audio_level_id = ps->session_level_id;
        m->audio_level_dir = ps->session_level_dir;
    }
    int want = m->kind == CV_SDP_AUDIO ? C_OPUS : m->kind == CV_SDP_VIDEO ? C_VP8 : C_NONE;
    for (int i = 0; want != C_NONE && i < t->n_order; i++) {
        if (t->codec[t->order[i]] == want) {
            m->pt = t->order[i];
            break;
        }
    }
    if (m->kind == CV_SDP_VIDEO && m->pt < 0)
        choose_h264(m, t);
    if (m->pt >= 0) {
        for (int i = 0; i < t->n_order; i++) {
            int pt = t->order[i];
            if (t->codec[pt] == C_RTX && t->apt[pt] == m->pt && m->rtx_pt < 0)
                m->rtx_pt = pt;
            if (t->codec[pt] == C_RED && t->red_of[pt] == m->pt && m->kind == CV_SDP_AUDIO &&
                m->red_pt < 0)
                m->red_pt = pt;
        }
        int fb = t->fb[m->pt] | t->fb_any;
        m->opus_fec = m->kind == CV_SDP_AUDIO && t->fec[m->pt];
        m->fb_nack = !!(fb & FB_NACK);
        m->fb_pli = !!(fb & FB_PLI);
        m->fb_fir = !!(fb & FB_FIR);
        m->fb_remb = !!(fb & FB_REMB);
    }
    ps->m = NULL;
}

/* The format list of an RTP section: payload types 0..127, kept in offer order. */
static int media_formats(struct parser *ps, struct sl first, struct sl rest)
{
    struct sl f = first;
    do {
        int pt = get_pt(ps, f, "malformed m=");
        if (pt < 0)
            return pt;
        if (!ps->tab.listed[pt]) {
            ps->tab.listed[pt] = 1;
            ps->tab.order[ps->tab.n_order++] = (uint8_t)pt;
        }
    } while (next_tok(&rest, &f));
    return 0;
}

/* m=<media> <port>[/<number>] <proto> <fmt> ... (RFC 8866 §5.14) */
static int on_media(struct parser *ps, struct sl v)
{
    const char *bad = "malformed m=";
    cv_sdp_offer_t *o = ps->o;
    struct sl media, port, proto, fmt, pnum;
    uint64_t nport, count;
    finish_section(ps);
    if (o->n_media == CV_SDP_MAX_MEDIA)
        return fail(ps, CV_E_UNSUPPORTED, "more than 8 media sections");
    cv_sdp_media_t *m = &o->media[o->n_media++];
    ps->m = m;
    memset(&ps->tab, 0, sizeof ps->tab);
    memset(ps->tab.apt, 0xff, sizeof ps->tab.apt); /* -1 */
    memset(ps->tab.red_of, 0xff, sizeof ps->tab.red_of);
    memset(ps->tab.plid, 0xff, sizeof ps->tab.plid);
    m->pt = m->rtx_pt = m->red_pt = m->direction = -1;
    if (!next_tok(&v, &media) || !next_tok(&v, &port) || !next_tok(&v, &proto) ||
        !next_tok(&v, &fmt))
        return fail_line(ps, CV_E_INVAL, bad);
    int has_count = split_at(&port, '/', &pnum);
    if (!all(media, token_char) || !copy(media, m->media, sizeof m->media) ||
        !all(proto, proto_char) || !copy(proto, m->proto, sizeof m->proto) ||
        !all(fmt, token_char) || !copy(fmt, m->fmt, sizeof m->fmt) || !num(pnum, 65535, &nport) ||
        (has_count && !num(port, 65535, &count)))
        return fail_line(ps, CV_E_INVAL, bad);
    m->port = (int)nport;
    m->kind = eq(media, "audio") ? CV_SDP_AUDIO : eq(media, "video") ? CV_SDP_VIDEO : CV_SDP_OTHER;
    if (m->kind == CV_SDP_OTHER)
        return 0;
    if (!ieq(proto, SAVPF)) {
        if (m->port != 0) /* WebRTC media is DTLS-SRTP with feedback (RFC 8829 §5.1.2) */
            return fail_line(ps, CV_E_UNSUPPORTED, "media transport is not " SAVPF);
        return 0;
    }
    return media_formats(ps, fmt, v);
}

/* ---- one line ---- */

static int on_line(struct parser *ps, const char *p, size_t n)
{
    if (n == 0)
        return 0; /* blank lines (an extra CRLF at the end) are tolerated */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail_line(ps, CV_E_INVAL, "control character in line");
    }
    if (n < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z')
        return fail_line(ps, CV_E_INVAL, "not of the form <letter>=<value>");
    struct sl v = {p + 2, n - 2};
    if (!ps->saw_v) {
        if (p[0] != 'v' || !eq(v, "0"))
            return fail(ps, CV_E_INVAL, "first line must be v=0");
        ps->saw_v = 1;
        return 0;
    }
    switch (p[0]) {
    case 'v': return fail_line(ps, CV_E_INVAL, "repeated v=");
    case 'o': return on_origin(ps, v);
    case 'm': return on_media(ps, v);
    case 'a': return on_attr(ps, v);
    default: return 0; /* s= i= u= e= p= c= b= t= r= z= k=: nothing we need */
    }
}

/* ---- checks on the whole offer ---- */

static int in_group(const struct parser *ps, const char *mid)
{
    for (int i = 0; mid[0] && i < ps->n_group; i++)
        if (strcmp(ps->group[i], mid) == 0)
            return 1;
    return 0;
}

/* Live: not disabled by the offerer (port 0 unless bundle-only in the group, RFC 8843
 * §6). Accepted: the first live audio and the first live video section. */
static int mark_accepted(struct parser *ps)
{
    cv_sdp_offer_t *o = ps->o;
    int have_audio = 0, have_video = 0, n = 0, all_grouped = 1;
    for (int i = 0; i < o->n_media; i++) {
        cv_sdp_media_t *m = &o->media[i];
        int grouped = ps->n_bundle && in_group(ps, m->mid);
        if (m->port == 0 && !(m->bundle_only && grouped))
            continue;
        all_grouped &= grouped;
        if (m->kind == CV_SDP_AUDIO && !have_audio)
            m->accepted = have_audio = 1;
        else if (m->kind == CV_SDP_VIDEO && !have_video)
            m->accepted = have_video = 1;
        n += m->accepted;
    }
    o->bundle = ps->n_bundle && all_grouped;
    return n;
}

static int finish_offer(struct parser *ps)
{
    cv_sdp_offer_t *o = ps->o;
    finish_section(ps);
    if (!ps->saw_v)
        return fail(ps, CV_E_INVAL, "first line must be v=0");
    int n = mark_accepted(ps);
    if (n == 0)
        return fail(ps, CV_E_UNSUPPORTED, "no audio or video section");
    for (int i = 0; i < o->n_media; i++) {
        const cv_sdp_media_t *m = &o->media[i];
        if (m->accepted && m->pt < 0)
            return fail(ps, CV_E_UNSUPPORTED,
                        m->kind == CV_SDP_AUDIO
                            ? "no Opus 48000/2 in audio section"
                            : "no VP8 or H.264 (packetization-mode=1; baseline, main or high) in "
                              "video section");
        if (m->accepted && !m->rtcp_mux)
            return fail(ps, CV_E_UNSUPPORTED, "rtcp-mux is required");
    }
    if (ps->ufrag_src == SRC_NONE || ps->pwd_src == SRC_NONE)
        return fail(ps, CV_E_INVAL, "no ice-ufrag/ice-pwd");
    if (ps->fp_src == SRC_NONE)
        return ps->fp_other ? fail(ps, CV_E_UNSUPPORTED, "fingerprint is not sha-256")
                            : fail(ps, CV_E_INVAL, "no fingerprint");
    if (ps->setup_src == SRC_NONE)
        o->setup = CV_SDP_SETUP_ACTIVE; /* RFC 4145 §4: the default in an offer */
    if (n > 1 && !o->bundle)
        return fail(ps, CV_E_UNSUPPORTED, "BUNDLE is required");
    return 0;
}

int cv_sdp_parse_offer(const char *sdp, size_t len, cv_sdp_offer_t *out, const char **reason)
{
    const char *unused;
    struct parser ps;
    int rc = 0;
    if (!reason)
        reason = &unused;
    *reason = "bad argument";
    if (!out || (!sdp && len))
        return CV_E_INVAL;
    memset(out, 0, sizeof *out);
    memset(&ps, 0, sizeof ps);
    ps.o = out;
    ps.session_dir = -1;
    if (len > CV_SDP_MAX_SIZE) {
        *reason = "SDP larger than 64 KiB";
        return CV_E_INVAL;
    }
    if (len == 0) {
        *reason = "empty SDP";
        return CV_E_INVAL;
    }
    const char *p = sdp, *end = sdp + len;
    while (rc == 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n && p[n - 1] == '\r')
            n--; /* CRLF (RFC 8866 §5) or a bare LF, both accepted */
        ps.line++;
        rc = on_line(&ps, p, n);
        p = nl ? nl + 1 : end;
    }
    if (rc == 0)
        rc = finish_offer(&ps);
    *reason = rc ? ps.why : "ok";
    return rc;
}
