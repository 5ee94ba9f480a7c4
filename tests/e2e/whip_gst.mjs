// whip_gst.mjs - end-to-end test of conclave with a GStreamer WHIP publisher
// (not a browser) in a room: two tests/e2e/gst_whip.py publishers (webrtcbin,
// VP8 + Opus, send-only offers), one that puts every ICE candidate in its
// offer and one that trickles them by PATCH, a Chromium participant and a
// Chromium WHEP viewer.
//
// Usage: node tests/e2e/whip_gst.mjs http://127.0.0.1:PORT
// Environment: ROOM_W, ROOM_H (the daemon's [mixer] width and height,
// default 640x360); GST_PYTHON (the Python with gi, default
// /usr/bin/python3); WHIP_GST_DEBUG=1 prints every publisher line and every
// audio reading.
//
// One page served by the daemon joins the room as participant C
// (www/js/whip.js, sendrecv: a solid colour and a tone) and follows the
// room's events (GET /rooms/<room>/events?token=, a token minted for C's
// session). Then the two publishers start, each with its own colour (videotestsrc solid-color) and
// tone (audiotestsrc sine), and the page joins /rooms/<room>/whep as viewer V
// (whip.js with recvOnly). The test checks
//  (p) each publisher: POST answered 201 with a Location, a recvonly answer
//      (nothing is sent back to a publisher) holding the server's candidates
//      and a=end-of-candidates; the trickling one had every PATCH answered
//      405 (the server does not trickle) and connected all the same; both
//      reach "connected";
//  (r) the events stream's roster lists the publishers with role
//      "publisher", C as "participant" and V as "viewer";
//  (v) C and V see the same composite: three tiles (both publishers' colours
//      and C's, each >= 8 % of a 32x18 grid of cells, two on top and one
//      centred below; a fourth tile, say for the viewer, breaks that layout);
//  (a) C hears both publishers' tones > 40 dB above the median spectrum and
//      its own >= 15 dB below the weaker; V hears all three tones;
//  (l) the publishers stop (SIGTERM): each leaves with DELETE (200) and exits
//      0; within 3 s the composite (C's and V's) is C alone and the roster
//      has no publisher; within 4 s more C no longer hears them;
// and that the page asked no other host for anything. Every wait polls its
// condition against a deadline. Prints "ok - ..." / "not ok - ..." lines with
// what was measured and ends with "whip-gst: N passed, M failed"; the
// viewer's composite is saved to tests/e2e/artifacts/whip_gst.png. Run it
// through tests/e2e/whip_gst.sh (daemon in a loopback-only namespace).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
    aloneCentred,
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
    rgbToYuv601,
    runMain,
    sessionUrlOk,
    threeOnGrid,
    TILES,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PUBLISHER = join(HERE, 'gst_whip.py');
const PYTHON = process.env.GST_PYTHON || '/usr/bin/python3';
const SCREENSHOT = join(HERE, 'artifacts', 'whip_gst.png');

// Colours far apart in YUV and from the compositor's own (black background,
// grey placeholder, yellow-green speaker border); tones with no sum,
// difference or 2f1-f2 product near another one (as in room.mjs).
const SOURCES = [
    { key: 'F', name: 'gst-full', mode: 'full', rgb: [200, 40, 40], toneHz: 440 },
    { key: 'T', name: 'gst-trickle', mode: 'trickle', rgb: [50, 70, 220], toneHz: 1230 },
    { key: 'C', name: 'chromium', rgb: [40, 160, 70], toneHz: 730 },
];
const PUBS = SOURCES.filter((s) => s.mode);
const TONE_GAIN = 0.25;
const COMPOSITE_W = Number(process.env.ROOM_W) || 640;
const COMPOSITE_H = Number(process.env.ROOM_H) || 360;
const TONE_TOL_HZ = 15;
// A tone heard: above the median of 100..4000 Hz. A real tone measures 50 to
// 65 dB here, while a tone 80 Hz away (520 Hz sent, 440 Hz looked for) leaks
// about 26 dB into the bins looked at, so 25 (room.mjs) would let it pass.
const MIN_HEARD_DB = 40;
const MIN_OWN_BELOW_DB = 15; // own tone below the weaker heard one
const MAX_GONE_ABOVE_DB = 10; // a departed publisher's tone, above the median
const POLL_MS = 125;
const CONNECT_TIMEOUT_MS = 8000; // a browser join: gathering plus the POST
// A publisher's start (slow on a busy machine), offer, POST, ICE + DTLS; and
// its own limit, past which it exits 1 when not connected.
const PUB_CONNECT_MS = 16000;
const PUB_CONNECT_TIMEOUT_S = 15;
const MEDIA_DEADLINE_MS = 15000; // from everyone connected to (v) and (a) passing
const LEAVE_DEADLINE_MS = 3000; // from SIGTERM to the tiles gone
const QUIET_DEADLINE_MS = 4000; // from the tiles gone to a window of silent readings
const EXIT_DEADLINE_MS = 5000; // from SIGTERM to the publisher's exit
const PUB_MAX_SECONDS = 50; // a publisher's own limit, in case nobody stops it
const WATCHDOG_MS = 58000;
const DEBUG = process.env.WHIP_GST_DEBUG === '1';

const T = makeReporter('whip-gst');
const check = T.check;
const byKey = Object.fromEntries(SOURCES.map((s) => [s.key, s]));

// ---- the publishers (child processes) ----

const children = new Set();

// Starts gst_whip.py; returns a handle whose lines fill in as it prints.
function startPublisher(base, room, p) {
    const url = `${base}/rooms/${room}/whip?name=${p.name}`;
    const args = [
        PUBLISHER,
        url,
        '--mode',
        p.mode,
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
        '--connect-timeout',
        String(PUB_CONNECT_TIMEOUT_S),
        '--stop-on-stdin-eof',
    ];
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    const h = { p, child, lines: [], stderr: [], exit: null, startedAt: Date.now() };
    h.exited = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
            children.delete(child);
            h.exit = { code, signal, ms: Date.now() - h.startedAt };
            resolve(h.exit);
        });
        child.on('error', (e) => {
            children.delete(child);
            h.exit = { code: null, signal: null, error: e.message };
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

// The first line of h's output tagged `what` whose details match re, or null.
function pubLine(h, what, re = /.*/) {
    const tag = `gst-whip[${h.p.name}]: ${what}: `;
    for (const l of h.lines) {
        if (l.startsWith(tag) && re.test(l.slice(tag.length))) {
            return l.slice(tag.length);
        }
    }
    return null;
}

function pubLines(h, what) {
    const tag = `gst-whip[${h.p.name}]: ${what}: `;
    return h.lines.filter((l) => l.startsWith(tag)).map((l) => l.slice(tag.length));
}

function dumpPublisher(h) {
    console.log(`# --- ${h.p.name} (${h.p.mode}) output ---`);
    h.lines.forEach((l) => console.log(`#   ${l}`));
    h.stderr.slice(-15).forEach((l) => console.log(`#   stderr: ${l}`));
    if (h.exit) {
        console.log(`#   exit ${JSON.stringify(h.exit)}`);
    }
}

function killChildren() {
    for (const c of children) {
        c.kill('SIGKILL');
    }
}

async function waitFor(probe, deadlineMs, everyMs = 50) {
    const until = Date.now() + deadlineMs;
    for (;;) {
        const r = probe();
        if (r || Date.now() >= until) {
            return r;
        }
        await new Promise((res) => setTimeout(res, everyMs));
    }
}

// ---- analysis of what the page measured ----

// The composite's readers (lib.mjs compositeKit), by source key: one
// character per cell, share, centroid and mean colour of each source's
// cells, and tone readings.
const kit = compositeKit(SOURCES, { key: 'key', rgb: true });
const { classify, analyse, fmtAnalysis, videoText, printGrid, audioWindow, fmtAudio } = kit;

// Three tiles on a 2x2 grid: two in the top half (left and right), one
// centred in the bottom half.
const layoutThree = (an) => threeOnGrid(SOURCES.map((p) => an[p.key]));

// Only `key` is shown, as one centred tile covering most of the canvas.
const layoutAlone = (an, key) =>
    aloneCentred(
        an[key],
        SOURCES.filter((p) => p.key !== key).map((p) => an[p.key]),
    );

// Every key in `heard` > MIN_HEARD_DB above the median, every key in
// `silent` at least `below` dB under the weakest heard one.
const hears = (aw, heard, silent, below = MIN_OWN_BELOW_DB) =>
    libHears(aw, heard, silent, {
        window: kit.window,
        minHeardDb: MIN_HEARD_DB,
        belowDb: below,
    });

// ---- code run inside the page (serialised by playwright; no closures) ----

async function pageInit({ rgb, toneHz, toneGain }) {
    const H = window.__e2e;
    const R = { parts: {}, logs: H.logs, roster: null, rosterEvents: 0, events: [] };
    window.__wg = R;
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
    return { source: R.video.source, ctxState: R.ac.state };
}

// Joins as C (participant, sendrecv) or V (viewer, recvonly) and resolves
// once the answer is applied; C also subscribes to the room's events.
async function pageJoin({ who, url, eventsUrl, connectTimeoutMs }) {
    const H = window.__e2e;
    const R = window.__wg;
    const P = R.parts[who];
    const onTrack = (track) => H.receiveTrack(P, track, { ac: R.ac, box: R.box, label: `${who} ` });
    const opts = who === 'V' ? { recvOnly: true, onTrack } : { stream: R.stream, onTrack };
    const t = performance.now();
    P.session = await H.whip(url, opts, connectTimeoutMs);
    const dirs = P.session.answer
        .split(/\r?\n/)
        .filter((l) => /^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l))
        .map((l) => l.slice(2));
    if (eventsUrl) {
        // a token for the stream, minted with the session in a header
        const id = P.session.location.split('/').pop();
        const res = await fetch(eventsUrl, { method: 'POST', headers: { 'Conclave-Session': id } });
        const { token } = await res.json();
        const es = new EventSource(`${eventsUrl}?token=${token}`);
        R.es = es;
        es.addEventListener('roster', (ev) => {
            try {
                R.roster = JSON.parse(ev.data);
                R.rosterEvents++;
            } catch (e) {
                R.logs.push(`roster event is not JSON: ${e.message}`);
            }
        });
        es.addEventListener('error', () => R.logs.push('event stream error'));
    }
    return {
        location: P.session.location,
        connectMs: Math.round(performance.now() - t),
        answerDirections: dirs,
    };
}

async function pageWaitConnected({ names, deadlineMs }) {
    const H = window.__e2e;
    const R = window.__wg;
    return H.until(() => {
        const states = names.map((n) => R.parts[n].session.pc.connectionState);
        return { ok: states.every((s) => s === 'connected'), states };
    }, performance.now() + deadlineMs);
}

async function pageSample({ names, cols, rows, freqs, tolHz, video }) {
    const H = window.__e2e;
    const R = window.__wg;
    const out = {};
    for (const n of names) {
        out[n] = H.samplePart(R.parts[n], { cols, rows, freqs, tolHz, video });
    }
    return { parts: out, roster: R.roster, rosterEvents: R.rosterEvents };
}

async function pageSnapshot({ who }) {
    const c = window.__wg.parts[who].canvas;
    return c.width > 0 ? c.toDataURL('image/png') : '';
}

async function pageLeave({ who }) {
    const R = window.__wg;
    const P = R.parts[who];
    if (who === 'C' && R.es) {
        R.es.close();
    }
    const status = await P.session.close();
    if (who === 'C') {
        R.video.stop();
    }
    return { status };
}

async function pageDiagnostics() {
    const R = window.__wg;
    if (!R) {
        return {};
    }
    const out = {};
    for (const [n, P] of Object.entries(R.parts)) {
        out[n] = await window.__e2e.partDiagnostics(P);
    }
    return { parts: out, logs: R.logs, ctxState: R.ac.state, roster: R.roster };
}

// ---- the run ----

const freqs = SOURCES.map((p) => p.toneHz);

const READING = { classify, analyse, pollMs: POLL_MS, debug: DEBUG };

// Polls pageSample every POLL_MS until done(sample, history) or deadlineMs;
// history[name] holds the audio readings taken since the start of this wait.
// With video false only the audio is read (quicker on a busy machine).

async function poll(page, names, deadlineMs, done, { video = true } = {}) {
    const read = () =>
        page.evaluate(pageSample, {
            names,
            cols: kit.cols,
            rows: kit.rows,
            freqs,
            tolHz: TONE_TOL_HZ,
            video,
        });
    const r = await pollComposites(read, done, {
        ...READING,
        names,
        deadlineMs,
        partsOf: (v) => v.parts,
    });
    return { ok: r.ok, s: r.value, history: r.history, ms: r.ms };
}

function rosterRoles(roster) {
    const out = {};
    for (const p of (roster && roster.participants) || []) {
        out[p.name] = out[p.name] ? `${out[p.name]}+${p.role}` : p.role;
    }
    return out;
}

function fmtRoster(roster) {
    const r = rosterRoles(roster);
    const names = Object.keys(r);
    return names.length ? names.map((n) => `${n}=${r[n]}`).join(', ') : 'empty';
}

async function dumpDiagnostics(page, pageErrors) {
    const d = await evaluateOrError(page, pageDiagnostics);
    printDiagnostics(d, pageErrors);
    if (!d.error) {
        console.log(`# roster ${JSON.stringify(d.roster)}`);
    }
}

const joinAs = (page, who, url, eventsUrl) =>
    evaluateOrError(page, pageJoin, { who, url, eventsUrl, connectTimeoutMs: CONNECT_TIMEOUT_MS });

// (p): what one publisher printed about its WHIP exchange.
function checkPublisher(h) {
    const { p } = h;
    const answer = pubLine(h, 'answer', /^201 /);
    const loc = answer && /location=(\S+)/.exec(answer);
    check(
        !!answer &&
            /directions=recvonly,recvonly /.test(answer) &&
            /candidates=[1-9]/.test(answer) &&
            /end-of-candidates=yes/.test(answer) &&
            /content-type=application\/sdp/.test(answer),
        `(p) ${p.name}: its send-only offer is answered 201, recvonly for audio and video ` +
            '(nothing goes back to a publisher), with the server candidates and ' +
            'a=end-of-candidates',
        `${pubLine(h, 'post') || 'no POST'}; ${answer || pubLine(h, 'error') || 'no answer'}`,
    );
    if (p.mode === 'full') {
        const post = pubLine(h, 'post');
        check(
            !!post && /offer with [1-9]\d* candidates and a=end-of-candidates/.test(post),
            `(p) ${p.name}: the offer carried every candidate (gathering complete before the POST)`,
            post || 'no POST',
        );
    } else {
        const post = pubLine(h, 'post');
        const patches = pubLines(h, 'patch');
        const summary = pubLine(h, 'trickle');
        const all405 = patches.length >= 2 && patches.every((l) => / -> 405 /.test(l));
        check(
            !!post &&
                /offer with 0 candidates/.test(post) &&
                all405 &&
                !!summary &&
                /^[1-9]\d* candidates sent/.test(summary),
            `(p) ${p.name}: the offer went without candidates, then each candidate and ` +
                'a=end-of-candidates by PATCH (trickle-ice-sdpfrag), each answered 405',
            `${post || 'no POST'}; ${summary || `${patches.length} PATCHes`}`,
        );
    }
    check(
        !!pubLine(h, 'connected'),
        `(p) ${p.name}: webrtcbin reaches connection state "connected" (ICE + DTLS)`,
        pubLine(h, 'connected') || pubLine(h, 'error') || 'not connected',
    );
    return loc ? loc[1] : null;
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
    const init = await page.evaluate(pageInit, {
        rgb: C.rgb,
        toneHz: C.toneHz,
        toneGain: TONE_GAIN,
    });
    for (const p of SOURCES) {
        const yuv = rgbToYuv601(p.rgb)
            .map((v) => v.toFixed(0))
            .join(', ');
        const how = p.mode ? `gst_whip.py --mode ${p.mode}` : init.source;
        console.log(`# ${p.name}: ${fmtRgb(p.rgb)} (YUV ${yuv}), ${p.toneHz} Hz; ${how}`);
    }
    const room = `gst-${randomBytes(6).toString('hex')}`;
    const expectSize = `${COMPOSITE_W}x${COMPOSITE_H}`;
    console.log(`# room ${room}, composite expected ${expectSize}`);

    // C joins and follows the events.
    const jc = await joinAs(
        page,
        'C',
        `/rooms/${room}/whip?name=${C.name}`,
        `/rooms/${room}/events`,
    );
    if (
        !check(
            sessionUrlOk(jc, base, room) && jc.answerDirections.join() === 'sendrecv,sendrecv',
            `C (Chromium, sendrecv) joins /rooms/${room}/whip: 201, a session URL, ` +
                'a sendrecv answer',
            jc.error || `${jc.connectMs} ms, ${jc.location}, ${jc.answerDirections.join()}`,
        )
    ) {
        await dumpDiagnostics(page, pageErrors);
        return;
    }

    // The publishers start together; V joins meanwhile.
    const pubs = PUBS.map((p) => startPublisher(base, room, p));
    const jv = await joinAs(page, 'V', `/rooms/${room}/whep?name=viewer`, null);
    check(
        sessionUrlOk(jv, base, room) && jv.answerDirections.join() === 'sendonly,sendonly',
        `V (Chromium, recvonly) joins /rooms/${room}/whep: 201, a session URL, a sendonly answer`,
        jv.error || `${jv.connectMs} ms, ${jv.location}, ${jv.answerDirections.join()}`,
    );
    const conn = await page.evaluate(pageWaitConnected, {
        names: jv.error ? ['C'] : ['C', 'V'],
        deadlineMs: CONNECT_TIMEOUT_MS,
    });
    check(conn.ok, 'C and V are connected (ICE + DTLS)', `states ${conn.states.join(', ')}`);

    const t0 = Date.now();
    // Settled: connected and, when trickling, done with the PATCHes (ICE
    // gathering may complete after the connection is up); or given up.
    const settled = (h) =>
        (pubLine(h, 'connected') && (h.p.mode !== 'trickle' || pubLine(h, 'trickle'))) ||
        h.exit ||
        pubLine(h, 'error');
    await waitFor(() => pubs.every(settled), PUB_CONNECT_MS);
    console.log(`# publishers settled ${Date.now() - t0} ms after C and V connected`);
    const pubLocations = pubs.map((h) => checkPublisher(h));
    if (!pubs.every((h) => pubLine(h, 'connected'))) {
        pubs.forEach(dumpPublisher);
    }

    // (r), (v), (a): everything at once, until it all holds or time runs out.
    const roles = Object.fromEntries(
        SOURCES.map((p) => [p.name, p.mode ? 'publisher' : 'participant']),
    );
    roles.viewer = 'viewer';
    const rosterOk = (roster) => {
        const r = rosterRoles(roster);
        return (
            Object.keys(r).length === Object.keys(roles).length &&
            Object.entries(roles).every(([n, role]) => r[n] === role)
        );
    };
    const videoOk = (x) => !!x.an && layoutThree(x.an) && x.size === expectSize;
    const cHears = (h) => hears(audioWindow(h.C), ['F', 'T'], ['C']);
    const vHears = (h) => hears(audioWindow(h.V), ['F', 'T', 'C'], []);
    const names = jv.error ? ['C'] : ['C', 'V'];
    const media = await poll(
        page,
        names,
        MEDIA_DEADLINE_MS,
        (s, h) =>
            rosterOk(s.roster) &&
            names.every((n) => videoOk(s.parts[n])) &&
            cHears(h) &&
            (jv.error || vHears(h)),
    );
    console.log(`# room checks settled after ${media.ms} ms`);
    check(
        rosterOk(media.s.roster),
        '(r) the events roster lists gst-full and gst-trickle as "publisher", chromium as ' +
            '"participant" and viewer as "viewer", nobody else',
        `${fmtRoster(media.s.roster)} (${media.s.rosterEvents} roster events)`,
    );
    for (const n of names) {
        const x = media.s.parts[n];
        check(
            videoOk(x),
            `(v) ${n === 'C' ? 'C (participant)' : 'V (viewer)'} sees the ${expectSize} ` +
                "composite with three tiles: both publishers' colours and C's (each >= " +
                `${TILES.minShare * 100} % of cells), two on top and one centred below`,
            videoText(x),
        );
        if (!videoOk(x)) {
            printGrid(n, x);
        }
    }
    const awC = audioWindow(media.history.C);
    check(
        cHears(media.history),
        `(a) C hears gst-full (${byKey.F.toneHz} Hz) and gst-trickle (${byKey.T.toneHz} Hz) > ` +
            `${MIN_HEARD_DB} dB above the median, its own ${C.toneHz} Hz >= ` +
            `${MIN_OWN_BELOW_DB} dB below the weaker`,
        media.s.parts.C.audio ? fmtAudio(awC) : 'no remote audio track',
    );
    if (!jv.error) {
        check(
            vHears(media.history),
            `(a) V hears all three tones (${freqs.join(', ')} Hz) > ${MIN_HEARD_DB} dB above ` +
                'the median',
            media.s.parts.V.audio
                ? fmtAudio(audioWindow(media.history.V))
                : 'no remote audio track',
        );
        mkdirSync(dirname(SCREENSHOT), { recursive: true });
        const png = await page.evaluate(pageSnapshot, { who: 'V' });
        if (png.startsWith('data:image/png;base64,')) {
            writeFileSync(SCREENSHOT, Buffer.from(png.slice(22), 'base64'));
            console.log(`# V's composite saved to ${SCREENSHOT}`);
        }
    }
    if (!media.ok) {
        await dumpDiagnostics(page, pageErrors);
        pubs.forEach(dumpPublisher);
    }

    // (l) the publishers stop: DELETE, exit 0, their tiles, voices and
    // roster entries go.
    const tStop = Date.now();
    for (const h of pubs) {
        if (!h.exit) {
            h.child.kill('SIGTERM');
        }
    }
    await Promise.race([
        Promise.all(pubs.map((h) => h.exited)),
        new Promise((r) => setTimeout(r, EXIT_DEADLINE_MS)),
    ]);
    for (const [i, h] of pubs.entries()) {
        const del = pubLine(h, 'delete');
        const ok = !!h.exit && h.exit.code === 0 && !!del && /^200 /.test(del) && !!pubLocations[i];
        check(
            ok,
            `(l) ${h.p.name} stops on SIGTERM: DELETE on its session URL answered 200, exit 0`,
            `${del ? `DELETE ${del}` : 'no DELETE'}; exit ${JSON.stringify(h.exit)}; ` +
                `${pubLine(h, 'exit') || ''}`,
        );
        if (!ok) {
            dumpPublisher(h);
        }
    }
    const alone = (s) =>
        names.every((n) => !!s.parts[n].an && layoutAlone(s.parts[n].an, 'C')) &&
        Object.values(rosterRoles(s.roster)).every((role) => role !== 'publisher');
    const gone = await poll(page, names, LEAVE_DEADLINE_MS - (Date.now() - tStop), alone);
    check(
        gone.ok,
        `(l) within ${LEAVE_DEADLINE_MS / 1000} s of the publishers' SIGTERM the composite ` +
            `(seen by ${names.join(' and ')}) is C alone, one centred tile, and the roster ` +
            'lists no publisher',
        `after ${Date.now() - tStop} ms: ` +
            names.map((n) => `${n}: ${videoText(gone.s.parts[n])}`).join('; ') +
            `; roster ${fmtRoster(gone.s.roster)}`,
    );
    if (!gone.ok) {
        names.forEach((n) => printGrid(n, gone.s.parts[n]));
    }
    const quietOk = (h) => {
        const aw = audioWindow(h.C);
        return aw.n >= kit.window && ['F', 'T'].every((k) => aw.above[k] < MAX_GONE_ABOVE_DB);
    };
    const quiet = await poll(page, ['C'], QUIET_DEADLINE_MS, (s, h) => quietOk(h), {
        video: false,
    });
    check(
        quiet.ok,
        `(l) within ${QUIET_DEADLINE_MS / 1000} s more C no longer hears the publishers ` +
            `(each tone < ${MAX_GONE_ABOVE_DB} dB above the median)`,
        fmtAudio(audioWindow(quiet.history.C)),
    );

    const lv = await page.evaluate(pageLeave, { who: 'V' });
    const lc = await page.evaluate(pageLeave, { who: 'C' });
    check(
        lv.status === 200 && lc.status === 200,
        'V and C leave: DELETE on their session URLs answered 200',
        `V ${lv.status}, C ${lc.status}`,
    );
    checkSameHost(check, requests, base);
}

const main = () =>
    runMain({ name: 'whip_gst', T, check, watchdogMs: WATCHDOG_MS, run, cleanup: killChildren });

process.exitCode = await main();
