/*
 * lg_sdp.h - the load generator's side of WHIP's offer/answer: writes the
 * offer a browser would send (sendrecv Opus + VP8, BUNDLE, rtcp-mux,
 * setup:actpass, the RFC 6464 audio level extmap, host candidates) and reads
 * what it needs from the daemon's answer (ICE credentials, fingerprint,
 * candidates, setup). Pure functions of strings.
 */
#ifndef LG_SDP_H
#define LG_SDP_H

#include "ice.h"

#include <stddef.h>
#include <stdint.h>

#define LG_PT_OPUS 111
#define LG_PT_VP8 96
#define LG_EXT_AUDIO_LEVEL 1
#define LG_MAX_CAND 8

typedef struct {
    const char *ufrag, *pwd;
    const char *fingerprint; /* "AB:CD:..." */
    const cv_ice_cand_t *cand;
    int n_cand;
    uint32_t audio_ssrc, video_ssrc;
    int index; /* participant number, for the cname */
} lg_offer_t;

typedef struct {
    char ufrag[257], pwd[257];
    uint8_t fingerprint[32];
    int has_fingerprint;
    int setup_passive;
    uint32_t video_ssrc; /* first a=ssrc of the video section, 0 if none */
    int n_cand;
    cv_ice_cand_t cand[LG_MAX_CAND];
} lg_answer_t;

/* Writes the offer into out (cap bytes). Returns its length or -1. */
int lg_sdp_offer(const lg_offer_t *o, char *out, size_t cap);

/* Parses an answer. 0, or -1 with *why set when something needed is missing. */
int lg_sdp_answer(const char *sdp, lg_answer_t *a, const char **why);

#endif
