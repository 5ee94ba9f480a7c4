// weak.mjs - a participant on a weak link: two participants in one headless
// Chromium page, A direct, B through the impairment relay (bench/relay.c),
// which listens on RELAY_IP (127.0.0.2) on the daemon's ICE ports and
// forwards to 127.0.0.1. B is put behind it by rewriting, in the page, the
// daemon's candidates in B's SDP answer to RELAY_IP and leaving B's own
// candidates out of its offer (the daemon then learns B's address from its
// checks, which come through the relay).
//
// Usage: node tests/e2e/weak.mjs http://127.0.0.1:PORT
// Environment: WEAK_PROFILE (the relay's profile, for the log), WEAK_BENCH=1
// (bench mode: no pass/fail on quality, a "#bench {json}" line of B's
// figures over WEAK_RUN_S seconds, default 25), RELAY_IP, WEAK_SPEECH_DIR
// (default build/speech: a.wav and b.wav, made by `make check`).
//
// Each participant speaks (a synthesised voice looped): on a tone Opus
// leaves its voice modes for CELT, which has no in-band FEC, so concealment
// measured on tones says nothing of what a voice goes through.
//
// Test mode checks, over a 20 s window after B's media flows:
//  - the relay is really in B's path: B's inbound packets show loss > 3 %;
//  - B keeps hearing A: the level of what B hears of A's voice, averaged,
//    above -45 dBFS (silence is far below);
//  - B sees a moving picture: frames decoded keep increasing, > 5 fps.
//  - B's audio concealment stays at or under 5 % (or A's + 3 %, if A's own
//    is high: the machine is busy). With 20 % loss each way, RED and FEC
//    must recover nearly every lost packet for that.
// Prints "ok - ..." lines and ends with "weak: N passed, M failed".

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { installPageHelpers, makeReporter, pollUntil, runMain } from './lib.mjs';

const RELAY_IP = process.env.RELAY_IP || '127.0.0.2';
const PROFILE = process.env.WEAK_PROFILE || 'loss20';
const BENCH = process.env.WEAK_BENCH === '1';
// in bench mode a link too slow for the lowest tier may get audio only from the start
const PAUSED_OK = BENCH && PROFILE.startsWith('cap');
const RUN_S = Number(process.env.WEAK_RUN_S) || 25;
const SPEECH_DIR = process.env.WEAK_SPEECH_DIR || 'build/speech';
const PARTS = [
    { name: 'A', rgb: [200, 40, 40], speech: 'a.wav', relay: false },
    { name: 'B', rgb: [40, 160, 70], speech: 'b.wav', relay: true },
];
const WINDOW_MS = 20000;
const SETTLE_MS = 3000;
const MAX_CONCEALED = 0.05;
const MIN_FPS = 5;
const MIN_VOICE_DBFS = -45;
const MIN_PATH_LOSS = 0.03;
const WATCHDOG_MS = BENCH ? (RUN_S + 40) * 1000 : 75000;

const T = makeReporter('weak');
const check = T.check;

// ---- code run inside the page ----

async function pageInit({ parts, relayIp }) {
    const H = window.__e2e;
    const R = { parts: {}, relayIp, relayNext: false };
    window.__weak = R;
    // B's join goes through the relay: its answer names the relay, its offer
    // names no address of its own.
    const srd = RTCPeerConnection.prototype.setRemoteDescription;
    RTCPeerConnection.prototype.setRemoteDescription = function (d) {
        if (R.relayNext && d && d.type === 'answer') {
            const sdp = d.sdp.replace(
                /^(a=candidate:\S+ \d+ udp \d+ )127\.0\.0\.1 /gim,
                `$1${R.relayIp} `,
            );
            return srd.call(this, { type: 'answer', sdp });
        }
        return srd.call(this, d);
    };
    const f = window.fetch;
    window.fetch = function (url, init) {
        if (R.relayNext && init && init.method === 'POST' && typeof init.body === 'string') {
            init = { ...init, body: init.body.replace(/^a=candidate:.*\r\n/gm, '') };
        }
        return f.call(this, url, init);
    };
    // A picture that moves (squares sliding over the participant's colour), so
    // the video has a bit rate that a rate cap can squeeze.
    const movingTrack = (rgb) => {
        const c = document.createElement('canvas');
        c.width = 320;
        c.height = 240;
        const g = c.getContext('2d');
        let f = 0;
        const draw = () => {
            f++;
            g.fillStyle = `rgb(${rgb.join(',')})`;
            g.fillRect(0, 0, 320, 240);
            for (let k = 0; k < 24; k++) {
                g.fillStyle = `hsl(${(k * 37 + f * 3) % 360},70%,50%)`;
                g.fillRect((k * 53 + f * (2 + (k % 5))) % 320, (k * 29 + f * (1 + (k % 3))) % 240, 20, 20);
            }
        };
        draw();
        setInterval(draw, 33);
        return { track: c.captureStream(30).getVideoTracks()[0] };
    };
    R.ac = new AudioContext({ sampleRate: 48000 });
    await R.ac.resume();
    for (const p of parts) {
        const video = movingTrack(p.rgb);
        const voice = await H.speechTrack(R.ac, p.wav, 0.5);
        const sink = document.createElement('video');
        sink.muted = true;
        sink.autoplay = true;
        document.body.append(sink);
        R.parts[p.name] = { stream: new MediaStream([voice.track, video.track]), sink, analyser: null };
    }
    return true;
}

async function pageJoin({ name, url, relay }) {
    const { whipConnect } = await import('/js/whip.js');
    const H = window.__e2e;
    const R = window.__weak;
    const P = R.parts[name];
    const onTrack = (track) => {
        if (track.kind === 'video') {
            P.sink.srcObject = new MediaStream([track]);
            P.sink.play().catch(() => {});
        } else {
            P.analyser = H.remoteAnalyser(R.ac, track, document.body, 0);
        }
    };
    R.relayNext = relay;
    try {
        P.session = await whipConnect(url, { stream: P.stream, onTrack, gatherTimeoutMs: 3000 });
    } finally {
        R.relayNext = false;
    }
    return P.session.location;
}

// A participant's receive figures now: inbound audio and video, and the
// level of what it hears.
async function pageStats({ name }) {
    const H = window.__e2e;
    const P = window.__weak.parts[name];
    const out = { pc: P.session.pc.connectionState, t: performance.now() };
    const st = await P.session.pc.getStats();
    st.forEach((r) => {
        if (r.type !== 'inbound-rtp') {
            return;
        }
        if (r.kind === 'audio') {
            out.audio = {
                concealed: r.concealedSamples || 0,
                total: r.totalSamplesReceived || 0,
                lost: r.packetsLost || 0,
                received: r.packetsReceived || 0,
                jbDelay: r.jitterBufferDelay || 0,
                jbEmitted: r.jitterBufferEmittedCount || 0,
            };
        } else if (r.kind === 'video') {
            out.video = {
                decoded: r.framesDecoded || 0,
                w: r.frameWidth || 0,
                h: r.frameHeight || 0,
                fps: r.framesPerSecond || 0,
                freezes: r.freezeCount || 0,
                lost: r.packetsLost || 0,
                received: r.packetsReceived || 0,
                nacks: r.nackCount || 0,
                retransmitted: r.retransmittedPacketsReceived || 0,
            };
        }
    });
    if (!out.video && out.audio) {
        // no video packet yet: a link the server judged too slow for any
        // picture gets audio only from the start
        out.video = { decoded: 0, w: 0, h: 0, fps: 0, freezes: 0, lost: 0, received: 0, nacks: 0, retransmitted: 0 };
    }
    if (P.analyser) {
        out.levelDb = H.rmsDb(P.analyser);
    }
    out.paused = window.conclave ? !!window.conclave.videoPaused : false;
    return out;
}

// ---- node side ----

const lossOf = (a, b, k) => {
    const lost = b[k].lost - a[k].lost;
    const got = b[k].received - a[k].received;
    return lost + got > 0 ? lost / (lost + got) : 0;
};

// The 95th percentile of the audio playout delay (ms) over the readings: the
// jitter buffer's delay per sample emitted between one reading and the next.
function playoutP95(samples) {
    const d = [];
    for (let i = 1; i < samples.length; i++) {
        const a = samples[i - 1].audio;
        const b = samples[i].audio;
        const n = b.jbEmitted - a.jbEmitted;
        if (n > 0) {
            d.push(((b.jbDelay - a.jbDelay) / n) * 1000);
        }
    }
    if (d.length === 0) {
        return 0;
    }
    d.sort((x, y) => x - y);
    return Math.round(d[Math.min(d.length - 1, Math.floor(d.length * 0.95))]);
}

// Figures between two readings, and the stalls seen in the readings between.
function figures(first, last, samples) {
    const dt = (last.t - first.t) / 1000;
    const dTotal = last.audio.total - first.audio.total;
    let stallMs = 0;
    let since = null;
    for (let i = 1; i < samples.length; i++) {
        const moved = samples[i].video.decoded > samples[i - 1].video.decoded;
        if (!moved && since === null) {
            since = samples[i - 1].t;
        } else if (moved && since !== null) {
            stallMs = Math.max(stallMs, samples[i].t - since);
            since = null;
        }
    }
    if (since !== null) {
        stallMs = Math.max(stallMs, last.t - since);
    }
    const powers = samples.filter((s) => Number.isFinite(s.levelDb)).map((s) => 10 ** (s.levelDb / 10));
    return {
        seconds: Math.round(dt * 10) / 10,
        concealed: dTotal > 0 ? (last.audio.concealed - first.audio.concealed) / dTotal : 1,
        fps: (last.video.decoded - first.video.decoded) / dt,
        size: `${last.video.w}x${last.video.h}`,
        freezes: last.video.freezes - first.video.freezes,
        audioLoss: lossOf(first, last, 'audio'),
        videoLoss: lossOf(first, last, 'video'),
        audioPps: Math.round((last.audio.received - first.audio.received) / dt),
        videoPps: Math.round((last.video.received - first.video.received) / dt),
        nacks: last.video.nacks - first.video.nacks,
        rtx: last.video.retransmitted - first.video.retransmitted,
        longestStallMs: Math.round(stallMs),
        playoutP95Ms: playoutP95(samples),
        voiceDbfs: powers.length ? 10 * Math.log10(powers.reduce((x, y) => x + y, 0) / powers.length + 1e-20) : -200,
    };
}

// Readings of both participants every 100 ms for ms: { A: [...], B: [...] }.
async function sampleFor(page, ms) {
    const out = { A: [], B: [] };
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
        for (const p of PARTS) {
            const s = await page.evaluate(pageStats, { name: p.name });
            if (s.audio && s.video) {
                out[p.name].push(s);
            }
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    return out;
}

const fig = (samples) => figures(samples[0], samples[samples.length - 1], samples);

async function run(base, browser) {
    const page = await browser.newPage();
    const res = await page.goto(`${base}/`, { timeout: 20000 });
    if (!check(res && res.status() === 200, 'page served')) {
        return;
    }
    await installPageHelpers(page);
    const parts = PARTS.map((p) => ({ ...p, wav: readFileSync(`${SPEECH_DIR}/${p.speech}`).toString('base64') }));
    await page.evaluate(pageInit, { parts, relayIp: RELAY_IP });
    const room = `weak-${randomBytes(6).toString('hex')}`;
    for (const p of PARTS) {
        const url = `/rooms/${room}/whip?name=${p.name}`;
        const loc = await page.evaluate(pageJoin, { name: p.name, url, relay: p.relay });
        check(typeof loc === 'string', `${p.name} joins${p.relay ? ' through the relay' : ''}`);
    }
    const flowing = await pollUntil(
        () => page.evaluate(pageStats, { name: 'B' }),
        (s) =>
            s.pc === 'connected' &&
            s.audio &&
            (s.video.decoded > 0 || (PAUSED_OK && s.audio.received > 100)),
        20000,
        200,
    );
    const detail = `after ${flowing.ms} ms, pc ${flowing.value.pc}, last ${JSON.stringify({ a: flowing.value.audio, v: flowing.value.video })}`;
    const what = PAUSED_OK ? 'hears audio (video paused from the start or decoded)' : 'decodes video';
    if (!check(flowing.ok, `B (behind the relay) connects and ${what}`, detail)) {
        return;
    }
    if (BENCH) {
        // what the server sent again, and the probes' padding (which Chromium
        // counts as retransmitted packets received): from its metrics
        const counters = async () => {
            const m = await fetch(`${base}/metrics`).then((r) => (r.ok ? r.text() : ''));
            const v = (name) => Number((m.match(new RegExp(`^${name} (\\d+)`, 'm')) || [])[1] || 0);
            return {
                rtx: v('conclave_retransmitted_packets_total'),
                pad: v('conclave_probe_padding_packets_total'),
            };
        };
        const c0 = await counters();
        const all = await sampleFor(page, RUN_S * 1000);
        const c1 = await counters();
        check(all.B.length > 10, `B sampled for ${RUN_S} s`);
        // whether the server has paused someone's video at the end (A, direct, never is):
        // its metrics count the receivers of each tier, -1 being audio only
        const m = await fetch(`${base}/metrics`).then((r) => (r.ok ? r.text() : ''));
        const paused = /^conclave_receivers\{tier="-1"\} ([1-9]\d*)/m.test(m);
        if (process.env.WEAK_TRACE) {
            // where the concealment happened: B's concealed samples and frames decoded each second
            const b = all.B;
            const line = [];
            for (let i = 10; i < b.length; i += 10) {
                const dc = b[i].audio.concealed - b[i - 10].audio.concealed;
                const dv = b[i].video.decoded - b[i - 10].video.decoded;
                line.push(`${Math.round((b[i].t - b[0].t) / 1000)}s:${dc}/${dv}f/${b[i].video.h}`);
            }
            console.log(`# trace concealed/frames/height each second: ${line.join(' ')}`);
        }
        const row = {
            profile: PROFILE,
            ...fig(all.B),
            rtx: c1.rtx - c0.rtx,
            probePadding: c1.pad - c0.pad,
            paused,
            direct: fig(all.A),
        };
        console.log(`#bench ${JSON.stringify(row)}`);
        return;
    }
    await sampleFor(page, SETTLE_MS);
    const all = await sampleFor(page, WINDOW_MS);
    const f = fig(all.B);
    const fa = fig(all.A);
    console.log(`# B over ${f.seconds} s: ${JSON.stringify(f)}`);
    console.log(`# A (direct) over the same time: ${JSON.stringify(fa)}`);
    check(
        Math.max(f.audioLoss, f.videoLoss) > MIN_PATH_LOSS,
        `the relay (${PROFILE}) is in B's path: its packets are lost`,
        `audio ${(f.audioLoss * 100).toFixed(1)} %, video ${(f.videoLoss * 100).toFixed(1)} %`,
    );
    const bound = Math.max(MAX_CONCEALED, fa.concealed + 0.03);
    check(
        f.concealed <= bound,
        `B's audio concealment is under ${(bound * 100).toFixed(0)} %`,
        `${(f.concealed * 100).toFixed(1)} %, A's ${(fa.concealed * 100).toFixed(1)} %, ` +
            `B gets ${f.audioPps} audio packets a second`,
    );
    check(
        f.voiceDbfs > MIN_VOICE_DBFS,
        "B hears A's voice",
        `${f.voiceDbfs.toFixed(1)} dBFS on average`,
    );
    check(
        f.fps > MIN_FPS,
        `B's picture moves: more than ${MIN_FPS} frames decoded a second`,
        `${f.fps.toFixed(1)} fps, ${f.size}, ${f.freezes} freezes, ${f.nacks} NACKs, ${f.rtx} retransmitted`,
    );
    const b = all.B;
    const monotonic = b.every((s, i) => i === 0 || s.video.decoded >= b[i - 1].video.decoded);
    check(
        monotonic && b[b.length - 1].video.decoded > b[0].video.decoded,
        'frames decoded keep increasing',
    );
}

const main = () => runMain({ name: 'weak', T, check, watchdogMs: WATCHDOG_MS, run });

process.exitCode = await main();
