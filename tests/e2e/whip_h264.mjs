// whip_h264.mjs - end-to-end test of H.264 senders in a room: a GStreamer
// WHIP publisher sending H.264 (tests/e2e/gst_whip.py --codec h264: x264enc,
// packetization-mode 1, its parameter sets in band and in
// sprop-parameter-sets), a GStreamer publisher sending VP8 beside it, a
// Chromium participant whose offer has only H.264 video (its transceivers'
// setCodecPreferences keep H.264 and RTX alone, as an H.264-only device
// would offer), which receives the composite as H.264, and a Chromium WHEP
// viewer that receives the VP8 composite.
//
// Usage: node tests/e2e/whip_h264.mjs http://127.0.0.1:PORT
// Environment: ROOM_W, ROOM_H (the daemon's [mixer] size, default 640x360);
// GST_PYTHON (default /usr/bin/python3); WHIP_H264_DEBUG=1 prints every
// publisher line and reading.
//
// Checks
//  (p) each publisher: its offer's video is what it sends (H264 with
//      packetization-mode=1, or VP8), the answer is 201, recvonly, with the
//      same codec (H264 answered with packetization-mode=1 and the offer's
//      profile-level-id), and it reaches "connected";
//  (c) the H.264-only participant C: its offer has no VP8, its answer is
//      sendrecv audio and sendrecv H.264 video (packetization-mode=1 and a
//      profile-level-id), and it connects;
//  (v) V sees the composite with three tiles: the H.264 publisher's colour,
//      the VP8 publisher's and C's (H.264 from Chromium); so does C, in the
//      composite it receives as H.264;
//  (h) C's getStats: its inbound video's codec is video/H264 and
//      framesDecoded keeps growing (its decoderImplementation is printed when
//      Chromium exposes it: without a camera permission it does not);
//  (a) V hears all three tones, and C hears both publishers' (C is in the
//      room's mix both ways);
//  (l) everyone leaves: DELETE answered 200, the publishers exit 0;
// and that the page asked no other host for anything. Prints "ok - ..." /
// "not ok - ..." lines and ends with "whip-h264: N passed, M failed". Run it
// through tests/e2e/whip_h264.sh (daemon in a loopback-only namespace).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
    checkSameHost,
    compositeKit,
    evaluateOrError,
    fmtRgb,
    hears as libHears,
    installPageHelpers,
    makeReporter,
    openPage,
    pollComposites,
    printDiagnostics,
    runMain,
    sessionUrlOk,
    threeOnGrid,
    TILES,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PUBLISHER = join(HERE, 'gst_whip.py');
const PYTHON = process.env.GST_PYTHON || '/usr/bin/python3';

// Colours and tones as far apart as whip_gst.mjs's.
const SOURCES = [
    { key: 'H', name: 'gst-h264', codec: 'h264', rgb: [200, 40, 40], toneHz: 440 },
    { key: 'P', name: 'gst-vp8', codec: 'vp8', rgb: [50, 70, 220], toneHz: 1230 },
    { key: 'C', name: 'chromium-h264', rgb: [40, 160, 70], toneHz: 730 },
];
const PUBS = SOURCES.filter((s) => s.codec);
const TONE_GAIN = 0.25;
const COMPOSITE_W = Number(process.env.ROOM_W) || 640;
const COMPOSITE_H = Number(process.env.ROOM_H) || 360;
const TONE_TOL_HZ = 15;
const MIN_HEARD_DB = 40;
const POLL_MS = 125;
const CONNECT_TIMEOUT_MS = 8000;
const PUB_CONNECT_MS = 16000;
const MEDIA_DEADLINE_MS = 15000;
const EXIT_DEADLINE_MS = 5000;
const PUB_MAX_SECONDS = 50;
const WATCHDOG_MS = 58000;
const DEBUG = process.env.WHIP_H264_DEBUG === '1';

const T = makeReporter('whip-h264');
const check = T.check;
const byKey = Object.fromEntries(SOURCES.map((s) => [s.key, s]));

// ---- the publishers (child processes) ----

const children = new Set();

function startPublisher(base, room, p) {
    const args = [
        PUBLISHER,
        `${base}/rooms/${room}/whip?name=${p.name}`,
        '--codec',
        p.codec,
        '--label',
        p.name,
        '--rgb',
        p.rgb.join(','),
        '--freq',
        String(p.toneHz),
        '--volume',
        String(TONE_GAIN),
        '--seconds',
        String(PUB_MAX_SECONDS),
        '--stop-on-stdin-eof',
    ];
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    const h = { p, child, lines: [], stderr: [], exit: null };
    h.exited = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
            children.delete(child);
            h.exit = { code, signal };
            resolve(h.exit);
        });
        child.on('error', (e) => {
            children.delete(child);
            h.exit = { code: null, error: e.message };
            resolve(h.exit);
        });
    });
    createInterface({ input: child.stdout }).on('line', (l) => {
        h.lines.push(l);
        if (DEBUG) {
            console.log(`# ${l}`);
        }
    });
    createInterface({ input: child.stderr }).on('line', (l) => h.stderr.push(l));
    return h;
}

function pubLine(h, what) {
    const tag = `gst-whip[${h.p.name}]: ${what}: `;
    const l = h.lines.find((x) => x.startsWith(tag));
    return l ? l.slice(tag.length) : null;
}

function dumpPublisher(h) {
    console.log(`# --- ${h.p.name} output ---`);
    h.lines.forEach((l) => console.log(`#   ${l}`));
    h.stderr.slice(-15).forEach((l) => console.log(`#   stderr: ${l}`));
}

function killChildren() {
    for (const c of children) {
        c.kill('SIGKILL');
    }
}

async function waitFor(probe, deadlineMs) {
    const until = Date.now() + deadlineMs;
    for (;;) {
        const r = probe();
        if (r || Date.now() >= until) {
            return r;
        }
        await new Promise((res) => setTimeout(res, 50));
    }
}

const kit = compositeKit(SOURCES, { key: 'key', rgb: true });
const { classify, analyse, videoText, printGrid, audioWindow, fmtAudio } = kit;
const hears = (aw, heard) =>
    libHears(aw, heard, [], { window: kit.window, minHeardDb: MIN_HEARD_DB, belowDb: 0 });

// ---- code run inside the page (serialised by playwright; no closures) ----

async function pageInit({ rgb, toneHz, toneGain }) {
    const H = window.__e2e;
    const R = { parts: {}, logs: H.logs };
    window.__wh = R;
    R.box = H.mediaBox();
    R.ac = new AudioContext({ sampleRate: 48000 });
    await R.ac.resume();
    R.video = H.colourTrack(rgb, { width: 320, height: 240, fps: 30 });
    R.tone = H.toneTrack(R.ac, toneHz, toneGain);
    R.stream = new MediaStream([R.tone.track, R.video.track]);
    for (const n of ['C', 'V']) {
        R.parts[n] = {
            sink: H.compositeSink(R.box, n),
            canvas: document.createElement('canvas'),
            frameCallbacks: 0,
            analyser: null,
            session: null,
        };
    }
    return { source: R.video.source };
}

// Joins as C (sendrecv, an offer with H.264 as its only video codec) or V
// (recvonly). For C, setCodecPreferences keeps only H.264 and RTX of what
// whip.js asks for, while the offer is made.
async function pageJoin({ who, url, connectTimeoutMs }) {
    const H = window.__e2e;
    const R = window.__wh;
    const P = R.parts[who];
    const onTrack = (track) => H.receiveTrack(P, track, { ac: R.ac, box: R.box, label: `${who} ` });
    const opts = who === 'V' ? { recvOnly: true, onTrack } : { stream: R.stream, onTrack };
    const proto = RTCRtpTransceiver.prototype;
    const orig = proto.setCodecPreferences;
    if (who === 'C') {
        proto.setCodecPreferences = function (codecs) {
            const video = codecs.some((c) => c.mimeType.startsWith('video/'));
            const keep = (c) => /^video\/(h264|rtx)$/i.test(c.mimeType);
            return orig.call(this, video ? codecs.filter(keep) : codecs);
        };
    }
    try {
        P.session = await H.whip(url, opts, connectTimeoutMs);
    } finally {
        proto.setCodecPreferences = orig;
    }
    const dirs = P.session.answer
        .split(/\r?\n/)
        .filter((l) => /^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l))
        .map((l) => l.slice(2));
    const videoOf = (sdp) => sdp.replace(/\r\n/g, '\n').split('m=video')[1] || '';
    const rtpmaps = (sdp) =>
        videoOf(sdp)
            .split('\n')
            .filter((l) => l.startsWith('a=rtpmap:'))
            .map((l) => l.replace(/^a=rtpmap:\d+ /, ''));
    const fmtps = (sdp) =>
        videoOf(sdp)
            .split('\n')
            .filter((l) => l.startsWith('a=fmtp:'))
            .map((l) => l.replace(/^a=fmtp:\d+ /, ''));
    return {
        location: P.session.location,
        answerDirections: dirs,
        offerVideo: rtpmaps(P.session.pc.localDescription.sdp),
        answerVideo: rtpmaps(P.session.answer),
        answerFmtp: fmtps(P.session.answer),
    };
}

async function pageWaitConnected({ names, deadlineMs }) {
    const H = window.__e2e;
    const R = window.__wh;
    return H.until(() => {
        const states = names.map((n) => R.parts[n].session.pc.connectionState);
        return { ok: states.every((s) => s === 'connected'), states };
    }, performance.now() + deadlineMs);
}

async function pageSample({ names, cols, rows, freqs, tolHz }) {
    const H = window.__e2e;
    const R = window.__wh;
    const out = {};
    for (const n of names) {
        out[n] = H.samplePart(R.parts[n], { cols, rows, freqs, tolHz });
    }
    return { parts: out };
}

// What C's inbound video says of itself: codec, decoder, frames decoded.
async function pageRx({ who }) {
    const stats = await window.__wh.parts[who].session.pc.getStats();
    let out = { framesDecoded: 0, codec: 'none', decoder: '' };
    stats.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') {
            const c = r.codecId ? stats.get(r.codecId) : null;
            out = {
                framesDecoded: r.framesDecoded || 0,
                codec: c ? c.mimeType : 'unknown',
                fmtp: c ? c.sdpFmtpLine || '' : '',
                decoder: r.decoderImplementation || '',
            };
        }
    });
    return out;
}

async function pageLeave({ who }) {
    const P = window.__wh.parts[who];
    return { status: await P.session.close() };
}

async function pageDiagnostics() {
    const R = window.__wh;
    if (!R) {
        return {};
    }
    const out = {};
    for (const [n, P] of Object.entries(R.parts)) {
        out[n] = await window.__e2e.partDiagnostics(P);
    }
    return { parts: out, logs: R.logs, ctxState: R.ac.state };
}

// ---- the run ----

const freqs = SOURCES.map((p) => p.toneHz);

function checkPublisher(h) {
    const { p } = h;
    const offer = pubLine(h, 'offer-video') || '';
    const ans = pubLine(h, 'answer') || '';
    const ansVideo = pubLine(h, 'answer-video') || '';
    const plid = /profile-level-id=([0-9a-f]{6})/i.exec(offer);
    const ok =
        p.codec === 'h264'
            ? /H264\/90000/.test(offer) &&
              /packetization-mode=1/.test(offer) &&
              !/VP8/.test(offer) &&
              /H264\/90000/.test(ansVideo) &&
              /packetization-mode=1/.test(ansVideo) &&
              !!plid &&
              /^64/i.test(plid[1]) &&
              ansVideo.toLowerCase().includes(`profile-level-id=${plid[1].toLowerCase()}`)
            : /VP8\/90000/.test(offer) && /VP8\/90000/.test(ansVideo) && !/H264/.test(ansVideo);
    const what =
        p.codec === 'h264'
            ? 'H.264 only and is answered 201, recvonly, with H264 (packetization-mode=1, ' +
              'its high profile-level-id 64xxxx)'
            : 'VP8 and is answered 201, recvonly, with VP8';
    check(
        ok && /^201 /.test(ans) && /directions=recvonly,recvonly /.test(ans),
        `(p) ${p.name}: offers ${what}`,
        `offer ${offer}; answer ${ans.split(' ').slice(0, 1).join('')} ${ansVideo}`,
    );
    check(
        !!pubLine(h, 'connected'),
        `(p) ${p.name}: webrtcbin reaches "connected"`,
        pubLine(h, 'connected') || pubLine(h, 'error') || 'not connected',
    );
}

async function run(base, browser) {
    const opened = await openPage(browser, base, { viewport: { width: 1100, height: 800 } });
    const { page, res, requests } = opened;
    const pageErrors = opened.errors;
    if (!check(res && res.status() === 200, 'page served', `status=${res && res.status()}`)) {
        return;
    }
    await installPageHelpers(page);
    const C = byKey.C;
    await page.evaluate(pageInit, { rgb: C.rgb, toneHz: C.toneHz, toneGain: TONE_GAIN });
    for (const p of SOURCES) {
        console.log(`# ${p.name}: ${fmtRgb(p.rgb)}, ${p.toneHz} Hz`);
    }
    const room = `h264-${randomBytes(6).toString('hex')}`;
    const expectSize = `${COMPOSITE_W}x${COMPOSITE_H}`;

    const jc = await evaluateOrError(page, pageJoin, {
        who: 'C',
        url: `/rooms/${room}/whip?name=${C.name}`,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    check(
        sessionUrlOk(jc, base, room) &&
            !jc.offerVideo.some((c) => /^VP8/i.test(c)) &&
            jc.offerVideo.some((c) => /^H264\/90000/i.test(c)) &&
            jc.answerDirections.join() === 'sendrecv,sendrecv' &&
            jc.answerVideo.length >= 1 &&
            /^H264\/90000$/i.test(jc.answerVideo[0]) &&
            jc.answerFmtp.some(
                (f) =>
                    /packetization-mode=1/.test(f) && /profile-level-id=[0-9a-f]{6}/i.test(f),
            ),
        `(c) C (Chromium, H.264 its only video codec) joins /rooms/${room}/whip: 201, a ` +
            'session URL, sendrecv audio and sendrecv H264 video (packetization-mode=1, a ' +
            'profile-level-id)',
        jc.error ||
            `offer video ${jc.offerVideo.join(', ')}; answer ${jc.answerDirections.join()} ` +
                `${jc.answerVideo.join(', ')} ${jc.answerFmtp.join(' | ')}`,
    );
    if (jc.error) {
        return;
    }
    const pubs = PUBS.map((p) => startPublisher(base, room, p));
    const jv = await evaluateOrError(page, pageJoin, {
        who: 'V',
        url: `/rooms/${room}/whep?name=viewer`,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    check(
        sessionUrlOk(jv, base, room) && jv.answerDirections.join() === 'sendonly,sendonly',
        `V (Chromium, recvonly) joins /rooms/${room}/whep: a sendonly answer`,
        jv.error || `${jv.answerDirections.join()} ${jv.answerVideo.join(', ')}`,
    );
    const conn = await page.evaluate(pageWaitConnected, {
        names: jv.error ? ['C'] : ['C', 'V'],
        deadlineMs: CONNECT_TIMEOUT_MS,
    });
    check(conn.ok, '(c) C and V are connected (ICE + DTLS)', `states ${conn.states.join(', ')}`);
    await waitFor(
        () => pubs.every((h) => pubLine(h, 'connected') || h.exit || pubLine(h, 'error')),
        PUB_CONNECT_MS,
    );
    pubs.forEach(checkPublisher);
    if (jv.error) {
        pubs.forEach(dumpPublisher);
        return;
    }

    const names = ['C', 'V'];
    const videoOk = (x) =>
        !!x.an && threeOnGrid(SOURCES.map((p) => x.an[p.key])) && x.size === expectSize;
    const vHears = (hist) => hears(audioWindow(hist.V), ['H', 'P', 'C']);
    const cHears = (hist) => hears(audioWindow(hist.C), ['H', 'P']);
    const cVideoOk = (x) => !!x.an && threeOnGrid(SOURCES.map((p) => x.an[p.key]));
    const rx0 = await page.evaluate(pageRx, { who: 'C' });
    const read = () =>
        page.evaluate(pageSample, {
            names,
            cols: kit.cols,
            rows: kit.rows,
            freqs,
            tolHz: TONE_TOL_HZ,
        });
    const media = await pollComposites(
        read,
        (s, hist) => videoOk(s.parts.V) && cVideoOk(s.parts.C) && vHears(hist) && cHears(hist),
        {
            classify,
            analyse,
            pollMs: POLL_MS,
            debug: DEBUG,
            names,
            deadlineMs: MEDIA_DEADLINE_MS,
            partsOf: (v) => v.parts,
        },
    );
    const sv = media.value.parts.V;
    check(
        videoOk(sv),
        `(v) V sees the ${expectSize} composite with three tiles: the H.264 publisher's ` +
            `colour, the VP8 publisher's and C's (each >= ${TILES.minShare * 100} % of cells)`,
        videoText(sv),
    );
    if (!videoOk(sv)) {
        printGrid('V', sv);
    }
    const sc = media.value.parts.C;
    check(
        cVideoOk(sc),
        '(v) C sees, in the composite it receives as H.264, the three tiles: the H.264 ' +
            `publisher's colour, the VP8 publisher's and its own (size ${sc.size})`,
        videoText(sc),
    );
    if (!cVideoOk(sc)) {
        printGrid('C', sc);
    }
    const rxWant = rx0.framesDecoded + 30;
    let rx1 = rx0;
    const rxUntil = Date.now() + 5000;
    while (rx1.framesDecoded < rxWant && Date.now() < rxUntil) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        rx1 = await page.evaluate(pageRx, { who: 'C' });
    }
    check(
        /^video\/H264$/i.test(rx1.codec) && rx1.framesDecoded >= rxWant,
        '(h) C decodes H.264: its inbound video is video/H264 and framesDecoded grows by 30 ' +
            'or more',
        `codec ${rx1.codec} (${rx1.fmtp}), decoder ${rx1.decoder || 'not exposed'}, ` +
            `framesDecoded ${rx0.framesDecoded} -> ${rx1.framesDecoded}`,
    );
    check(
        vHears(media.history),
        `(a) V hears all three tones (${freqs.join(', ')} Hz) > ${MIN_HEARD_DB} dB above ` +
            'the median',
        fmtAudio(audioWindow(media.history.V)),
    );
    check(
        cHears(media.history),
        `(a) C hears both publishers (${byKey.H.toneHz}, ${byKey.P.toneHz} Hz) > ` +
            `${MIN_HEARD_DB} dB above the median`,
        fmtAudio(audioWindow(media.history.C)),
    );
    if (!media.ok) {
        printDiagnostics(await evaluateOrError(page, pageDiagnostics), pageErrors);
        pubs.forEach(dumpPublisher);
    }

    for (const h of pubs) {
        if (!h.exit) {
            h.child.kill('SIGTERM');
        }
    }
    await Promise.race([
        Promise.all(pubs.map((h) => h.exited)),
        new Promise((r) => setTimeout(r, EXIT_DEADLINE_MS)),
    ]);
    const lv = await page.evaluate(pageLeave, { who: 'V' });
    const lc = await page.evaluate(pageLeave, { who: 'C' });
    const dels = pubs.map((h) => pubLine(h, 'delete') || 'no DELETE');
    check(
        lv.status === 200 &&
            lc.status === 200 &&
            pubs.every((h) => h.exit && h.exit.code === 0) &&
            dels.every((d) => /^200 /.test(d)),
        '(l) everyone leaves: DELETE answered 200, the publishers exit 0',
        `V ${lv.status}, C ${lc.status}; ${dels.join(', ')}; exits ` +
            pubs.map((h) => JSON.stringify(h.exit)).join(', '),
    );
    checkSameHost(check, requests, base);
}

const main = () =>
    runMain({ name: 'whip_h264', T, check, watchdogMs: WATCHDOG_MS, run, cleanup: killChildren });

process.exitCode = await main();
