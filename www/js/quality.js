// quality.js - a connection-quality reading from RTCPeerConnection.getStats
// (W3C webrtc-stats): packet loss of what we receive (inbound-rtp) and of
// what we send as the server reports it (remote-inbound-rtp fractionLost),
// round-trip time of the selected candidate pair, and the audio
// interarrival jitter, and the path the media takes (the selected pair's
// local candidate: through a TURN relay, over TCP, or direct UDP). Pure
// functions of the stats; the caller samples them (every 2 s) and shows the
// result as words, not only as a colour.

import { formatNumber, t } from './i18n.js';

// Thresholds: "poor" at or above the first number, "fair" at or above the second.
const LOSS_POOR = 0.1;
const LOSS_FAIR = 0.03;
const RTT_POOR_MS = 500;
const RTT_FAIR_MS = 250;
const JITTER_POOR_MS = 100;
const JITTER_FAIR_MS = 40;

function num(v) {
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// Totals from one getStats() report (anything with forEach over stats objects).
export function readStats(report) {
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    const out = {
        received: 0, // packets, all inbound streams
        lost: 0,
        audioJitterMs: null,
        videoJitterMs: null,
        rttMs: null,
        remoteLoss: null, // 0..1, the worst fractionLost the server reports
        remoteRttMs: null,
        path: null, // 'relay', 'tcp' or 'udp' once a pair is selected
    };
    let pair = null;
    byId.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) {
            pair = byId.get(s.selectedCandidatePairId) || pair;
        }
    });
    byId.forEach((s) => {
        if (s.type === 'inbound-rtp') {
            out.received += num(s.packetsReceived) || 0;
            out.lost += Math.max(0, num(s.packetsLost) || 0);
            const j = num(s.jitter);
            if (j !== null) {
                if (s.kind === 'audio') {
                    out.audioJitterMs = Math.max(out.audioJitterMs || 0, j * 1000);
                } else if (s.kind === 'video') {
                    out.videoJitterMs = Math.max(out.videoJitterMs || 0, j * 1000);
                }
            }
        } else if (s.type === 'remote-inbound-rtp') {
            const f = num(s.fractionLost);
            if (f !== null) {
                out.remoteLoss = Math.max(out.remoteLoss || 0, f);
            }
            const r = num(s.roundTripTime);
            if (r !== null) {
                out.remoteRttMs = Math.max(out.remoteRttMs || 0, r * 1000);
            }
        } else if (
            !pair &&
            s.type === 'candidate-pair' &&
            s.state === 'succeeded' &&
            (s.nominated || s.selected)
        ) {
            pair = s;
        }
    });
    if (pair) {
        const r = num(pair.currentRoundTripTime);
        if (r !== null) {
            out.rttMs = r * 1000;
        }
        out.path = pathOf(byId.get(pair.localCandidateId));
    }
    return out;
}

// The path of a local candidate (RTCIceCandidateStats): 'relay' through a
// TURN server (whatever the transport to it), 'tcp' for ICE-TCP, else 'udp';
// null when the candidate is unknown.
export function pathOf(local) {
    if (!local || local.type !== 'local-candidate') {
        return null;
    }
    if (local.candidateType === 'relay') {
        return 'relay';
    }
    return String(local.protocol || '').toLowerCase() === 'tcp' ? 'tcp' : 'udp';
}

// What to tell about a path that is not direct UDP, or ''.
export function pathText(path) {
    if (path === 'relay') {
        return t('quality.relay');
    }
    if (path === 'tcp') {
        return t('quality.tcp');
    }
    return '';
}

// The quality between two readings of readStats (prev may be null: the
// first reading then only has RTT and jitter to go on).
// Returns { level: 'good'|'fair'|'poor'|'unknown', lossPct, rttMs, jitterMs, why }.
export function assess(prev, cur) {
    let loss = null;
    let noMedia = false;
    if (prev) {
        const dRecv = cur.received - prev.received;
        const dLost = cur.lost - prev.lost;
        if (dRecv <= 0 && dLost <= 0) {
            noMedia = true;
        } else if (dRecv + dLost > 0) {
            loss = Math.max(0, dLost) / (Math.max(0, dRecv) + Math.max(0, dLost));
        }
    }
    if (cur.remoteLoss !== null) {
        loss = Math.max(loss || 0, cur.remoteLoss);
    }
    const rtt = cur.rttMs !== null ? cur.rttMs : cur.remoteRttMs;
    const jitter = cur.audioJitterMs !== null ? cur.audioJitterMs : cur.videoJitterMs;

    let level;
    let why = '';
    if (noMedia) {
        level = 'poor';
        why = t('quality.nothing');
    } else if (loss === null && rtt === null && jitter === null) {
        level = 'unknown';
    } else if (
        (loss !== null && loss >= LOSS_POOR) ||
        (rtt !== null && rtt >= RTT_POOR_MS) ||
        (jitter !== null && jitter >= JITTER_POOR_MS)
    ) {
        level = 'poor';
    } else if (
        (loss !== null && loss >= LOSS_FAIR) ||
        (rtt !== null && rtt >= RTT_FAIR_MS) ||
        (jitter !== null && jitter >= JITTER_FAIR_MS)
    ) {
        level = 'fair';
    } else {
        level = 'good';
    }
    return {
        level,
        lossPct: loss === null ? null : loss * 100,
        rttMs: rtt,
        jitterMs: jitter,
        path: cur.path ?? null,
        why,
    };
}

// "loss 0.4 %, round trip 35 ms, jitter 6 ms" (the parts that are known).
export function describe(q) {
    const parts = [];
    if (q.why) {
        parts.push(q.why);
    }
    if (pathText(q.path)) {
        parts.push(pathText(q.path));
    }
    if (q.lossPct !== null) {
        const pct = formatNumber(q.lossPct, {
            minimumFractionDigits: 1,
            maximumFractionDigits: 1,
        });
        parts.push(t('quality.loss', { pct }));
    }
    if (q.rttMs !== null) {
        parts.push(t('quality.rtt', { ms: Math.round(q.rttMs) }));
    }
    if (q.jitterMs !== null) {
        parts.push(t('quality.jitter', { ms: Math.round(q.jitterMs) }));
    }
    return parts.join(', ');
}
