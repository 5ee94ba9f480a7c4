// room.mjs - browser end-to-end test of a conclave room: three participants
// in one headless Chromium page see one composite and hear everyone but
// themselves.
//
// Usage: node tests/e2e/room.mjs http://127.0.0.1:PORT
// Environment: ROOM_W, ROOM_H (the daemon's [mixer] width and height,
// default 640x360); ROOM_DEBUG=1 prints every audio reading.
//
// One page (served by the daemon, so every request is same-origin) makes
// three RTCPeerConnections with www/js/whip.js, joining /rooms/<random>/whip
// as A, B and C. Each sends its own known source: a solid colour (320x240,
// 30 fps, I420 BT.601 frames) and a sine tone. The test then checks
//  (d) A alone: the composite is A's colour only, one full tile, and A does
//      not hear its own tone (negative controls for the checks below);
//  (a) with all three: every participant's composite, sampled as a 32x18
//      grid of cells classified to the nearest sent colour, shows all three
//      colours, each on >= 8 % of the cells, in a 2x2 grid (two tiles in the
//      top half, one centred in the bottom half);
//  (b) every participant hears the two other tones > 25 dB above the median
//      spectrum and its own >= 15 dB below the weaker of those (FFT levels
//      averaged over about a second);
//  (c) C leaves (DELETE): within 3 s A and B see two tiles side by side and
//      C's colour on < 1 % of the cells; within 3 s more each hears the other
//      and C's tone >= 40 dB below that (C gone, not merely quieter);
//  (e) B's tab "crashes" (pc.close() without DELETE): within 3 s B's tile is
//      gone from A's composite (the server must notice the DTLS close_notify
//      or RTCP BYE);
// and that the page asked no other host for anything. Every wait polls a
// condition against a deadline. Prints numbered "ok N - ..." / "not ok N -
// ..." lines with the measured values and ends with "room: N passed, M
// failed"; exits non-zero on any failure. A's composite (three tiles) is saved
// to tests/e2e/artifacts/room.png.
// Run it through tests/e2e/room.sh, which starts the daemon in a network
// namespace holding only the loopback interface.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    aloneCentred,
    checkSameHost,
    compositeKit,
    evaluateOrError,
    fmtRgb,
    hears,
    installPageHelpers,
    makeReporter,
    openPage,
    pollComposites,
    printDiagnostics,
    rgbToYuv601,
    runMain,
    sessionUrlOk,
    sideBySide,
    threeOnGrid,
    TILES,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCREENSHOT = join(HERE, 'artifacts', 'room.png'); // A's composite with three tiles

// Colours far apart in YUV and from the compositor's own colours (black
// background, grey placeholder Y=48, yellow-green speaker border about
// (170, 255, 0)); tones with no sum, difference or 2f1-f2 product near
// another one's frequency, so a non-linear mix cannot fake a tone.
const PARTS = [
    { name: 'A', rgb: [200, 40, 40], toneHz: 440 },
    { name: 'B', rgb: [40, 160, 70], toneHz: 730 },
    { name: 'C', rgb: [50, 70, 220], toneHz: 1230 },
];
const TONE_GAIN = 0.25; // two mixed tones stay below full scale
const COMPOSITE_W = Number(process.env.ROOM_W) || 640;
const COMPOSITE_H = Number(process.env.ROOM_H) || 360;
const TONE_TOL_HZ = 15;
const MIN_HEARD_DB = 25; // above the median of 100..4000 Hz
const MIN_OWN_BELOW_DB = 15; // own tone below the weaker of the two heard
const MIN_GONE_BELOW_DB = 40; // a departed participant's tone below the one heard
const POLL_MS = 125;
const CONNECT_TIMEOUT_MS = 8000; // gathering (<= 3 s) plus the POST
const ALONE_DEADLINE_MS = 12000; // from A's answer to A alone checked, on the top tier
const MEDIA_DEADLINE_MS = 15000; // from all connected to (a) and (b) passing
const LEAVE_DEADLINE_MS = 3000; // from C's DELETE to A and B showing two tiles
const CRASH_DEADLINE_MS = 3000; // from B's pc.close() to A showing one tile
const CRASH_OBSERVE_MS = 10000; // how long to keep watching when that fails
const WATCHDOG_MS = 66000; // the whole run, browser start to finish
const DEBUG = process.env.ROOM_DEBUG === '1'; // print every audio reading

const T = makeReporter('room', { numbered: true });
const check = T.check;

const byName = Object.fromEntries(PARTS.map((p) => [p.name, p]));

// ---- analysis of what the page measured (node side) ----

// The composite's readers (lib.mjs compositeKit): one character per cell
// (classify: the participant whose colour it is, '.' black, 'g' placeholder
// grey, 'y' speaker border, '?' anything else), share of the cells and
// centroid of each colour (analyse), and averages of the last kit.window
// tone readings (audioWindow: level of each tone above the median, dB).
const kit = compositeKit(PARTS);
const { classify, analyse, fmtAnalysis, videoText, printGrid, audioWindow, fmtAudio } = kit;

// Only `name` is shown, as one centred tile covering most of the canvas.
const layoutAlone = (an, name) =>
    aloneCentred(
        an[name],
        PARTS.filter((p) => p.name !== name).map((p) => an[p.name]),
    );

// Exactly `names` (two) are shown, side by side, vertically centred; every
// other colour is gone.
const layoutSideBySide = (an, names) =>
    PARTS.filter((p) => !names.includes(p.name)).every(
        (p) => an[p.name].share < TILES.maxGoneShare,
    ) && sideBySide(names.map((n) => an[n]));

// All three are shown on a 2x2 grid: two tiles in the top half (one left,
// one right), one centred in the bottom half.
const layoutThree = (an) => threeOnGrid(PARTS.map((p) => an[p.name]));

// me hears every name in `heard` > MIN_HEARD_DB above the median, and every
// name in `silent` >= MIN_OWN_BELOW_DB below the weakest of them.
const hearsOnly = (aw, heard, silent) =>
    hears(aw, heard, silent, {
        window: kit.window,
        minHeardDb: MIN_HEARD_DB,
        belowDb: MIN_OWN_BELOW_DB,
    });

// ---- code run inside the page (serialised by playwright; no closures) ----

// Builds every participant's source and sinks (not joined yet).
async function pageInit({ parts, toneGain }) {
    const H = window.__e2e;
    const R = { parts: {}, logs: H.logs };
    window.__room = R;
    R.box = H.mediaBox();
    R.ac = new AudioContext({ sampleRate: 48000 });
    await R.ac.resume();
    const sources = {};
    for (const p of parts) {
        const video = H.colourTrack(p.rgb, { width: 320, height: 240, fps: 30 });
        const tone = H.toneTrack(R.ac, p.toneHz, toneGain);
        R.parts[p.name] = {
            video,
            tone,
            stream: new MediaStream([tone.track, video.track]),
            sink: H.compositeSink(R.box, p.name),
            canvas: document.createElement('canvas'),
            frameCallbacks: 0,
            analyser: null,
            session: null,
        };
        sources[p.name] = video.source;
    }
    return { sources, ctxState: R.ac.state };
}

// Joins one participant; resolves once the WHIP answer is applied.
async function pageJoin({ name, url, connectTimeoutMs }) {
    const H = window.__e2e;
    const R = window.__room;
    const P = R.parts[name];
    const onTrack = (track) =>
        H.receiveTrack(P, track, { ac: R.ac, box: R.box, label: `${name} ` });
    const t = performance.now();
    P.session = await H.whip(url, { stream: P.stream, onTrack }, connectTimeoutMs);
    return { location: P.session.location, connectMs: Math.round(performance.now() - t) };
}

// Waits until every named participant's peer connection is connected.
async function pageWaitConnected({ names, deadlineMs }) {
    const H = window.__e2e;
    const R = window.__room;
    const deadline = performance.now() + deadlineMs;
    return H.until(() => {
        const states = names.map((n) => R.parts[n].session.pc.connectionState);
        return { ok: states.every((s) => s === 'connected'), states };
    }, deadline);
}

// One reading per named participant: the composite's cells and size, frames
// shown, and the levels of the given tones in what it hears.
async function pageSample({ names, cols, rows, freqs, tolHz }) {
    const H = window.__e2e;
    const R = window.__room;
    const out = {};
    for (const n of names) {
        out[n] = H.samplePart(R.parts[n], { cols, rows, freqs, tolHz });
    }
    return out;
}

// The named participant's composite as last sampled, as a PNG data URL.
async function pageSnapshot({ name }) {
    const c = window.__room.parts[name].canvas;
    return c.width > 0 ? c.toDataURL('image/png') : '';
}

// Leaves properly: closes the peer connection and sends DELETE.
async function pageLeave({ name }) {
    const P = window.__room.parts[name];
    const status = await P.session.close();
    P.video.stop();
    return { status };
}

// A crashed tab: the peer connection closes, no DELETE is sent.
async function pageCrash({ name }) {
    const P = window.__room.parts[name];
    P.session.pc.close();
    P.video.stop();
    return { state: P.session.pc.connectionState };
}

// DELETE on a session URL; the status and the reason line.
async function pageDelete({ location }) {
    const res = await fetch(location, { method: 'DELETE', cache: 'no-store' });
    return { status: res.status, reason: (await res.text()).trim().split('\n')[0] };
}

async function pageDiagnostics({ names }) {
    const R = window.__room;
    const out = {};
    if (!R) {
        return out;
    }
    for (const n of names) {
        out[n] = await window.__e2e.partDiagnostics(R.parts[n]);
    }
    return { parts: out, logs: R.logs, ctxState: R.ac.state };
}

// ---- the run ----

const freqs = PARTS.map((p) => p.toneHz);

const READING = { classify, analyse, pollMs: POLL_MS, debug: DEBUG };

// Polls pageSample for `names` every POLL_MS until done(samples, history)
// is true or deadlineMs passes; history[name] keeps the audio readings taken
// since the start of this wait. Returns { ok, samples, history, ms }.

async function pollRoom(page, names, deadlineMs, done) {
    const read = () =>
        page.evaluate(pageSample, {
            names,
            cols: kit.cols,
            rows: kit.rows,
            freqs,
            tolHz: TONE_TOL_HZ,
        });
    const r = await pollComposites(read, done, { ...READING, names, deadlineMs });
    return { ok: r.ok, samples: r.value, history: r.history, ms: r.ms };
}

async function dumpDiagnostics(page, pageErrors) {
    const d = await evaluateOrError(page, pageDiagnostics, { names: PARTS.map((p) => p.name) });
    printDiagnostics(d, pageErrors);
}

const joinRoom = (page, room, name) =>
    evaluateOrError(page, pageJoin, {
        name,
        url: `/rooms/${room}/whip?name=${name}`,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });

const joinedOk = sessionUrlOk;

async function run(base, browser) {
    const opened = await openPage(browser, base, { viewport: { width: 1100, height: 800 } });
    const { page, res, requests } = opened;
    const pageErrors = opened.errors;
    if (!check(res && res.status() === 200, 'page served', `status=${res && res.status()}`)) {
        return;
    }
    await installPageHelpers(page);
    const init = await page.evaluate(pageInit, { parts: PARTS, toneGain: TONE_GAIN });
    for (const p of PARTS) {
        const yuv = rgbToYuv601(p.rgb)
            .map((v) => v.toFixed(0))
            .join(', ');
        console.log(
            `# ${p.name}: ${fmtRgb(p.rgb)} (YUV ${yuv}), ${p.toneHz} Hz; ${init.sources[p.name]}`,
        );
    }
    const room = `e2e-${randomBytes(6).toString('hex')}`;
    console.log(`# room ${room}, composite expected ${COMPOSITE_W}x${COMPOSITE_H}`);
    const expectSize = `${COMPOSITE_W}x${COMPOSITE_H}`;

    // (d) A alone: negative controls for the checks that follow.
    const ja = await joinRoom(page, room, 'A');
    if (
        !check(
            joinedOk(ja, base, room),
            `A joins /rooms/${room}/whip?name=A: 201 with a session URL in the room`,
            ja.error || `${ja.connectMs} ms, Location ${ja.location}`,
        )
    ) {
        await dumpDiagnostics(page, pageErrors);
        return;
    }
    const alone = await pollRoom(page, ['A'], ALONE_DEADLINE_MS, (s, h) => {
        const a = s.A;
        return (
            a.pc === 'connected' &&
            a.an &&
            layoutAlone(a.an, 'A') &&
            a.size === expectSize && // it starts lower and climbs (transport feedback)
            h.A.length >= kit.window &&
            a.frames > 10
        );
    });
    const sA = alone.samples.A;
    check(
        sA.an && layoutAlone(sA.an, 'A') && sA.size === expectSize,
        `(d) A alone: the composite is ${expectSize} with only A's colour, one centred tile ` +
            `(>= ${TILES.minAloneShare * 100} %), B and C < ${TILES.maxGoneShare * 100} %`,
        `${videoText(sA)}, after ${alone.ms} ms`,
    );
    const awAlone = audioWindow(alone.history.A);
    check(
        awAlone.n > 0 && !(awAlone.above.A > MIN_HEARD_DB),
        `(d) A alone does not hear its own tone (${byName.A.toneHz} Hz not > ${MIN_HEARD_DB} dB ` +
            `above the median)`,
        sA.audio ? fmtAudio(awAlone) : 'no remote audio track',
    );
    if (!alone.ok) {
        printGrid('A', sA);
        await dumpDiagnostics(page, pageErrors);
    }

    // B and C join at the same time.
    const [jb, jc] = await Promise.all([
        joinRoom(page, room, 'B'),
        joinRoom(page, room, 'C'),
    ]);
    const joined = check(
        joinedOk(jb, base, room) && joinedOk(jc, base, room),
        'B and C join the same room: 201 with session URLs',
        `B: ${jb.error || `${jb.connectMs} ms ${jb.location}`}; ` +
            `C: ${jc.error || `${jc.connectMs} ms ${jc.location}`}`,
    );
    if (!joined) {
        await dumpDiagnostics(page, pageErrors);
        return;
    }
    const conn = await page.evaluate(pageWaitConnected, {
        names: ['A', 'B', 'C'],
        deadlineMs: CONNECT_TIMEOUT_MS,
    });
    check(conn.ok, 'A, B and C are connected (ICE + DTLS)', `states ${conn.states.join(', ')}`);

    // (a) and (b): everyone sees three tiles and hears the two others only.
    const all = ['A', 'B', 'C'];
    const others = (n) => all.filter((x) => x !== n);
    const three = await pollRoom(page, all, MEDIA_DEADLINE_MS, (s, h) =>
        all.every(
            (n) =>
                s[n].an &&
                layoutThree(s[n].an) &&
                s[n].size === expectSize &&
                hearsOnly(audioWindow(h[n]), others(n), [n]),
        ),
    );
    console.log(`# three-party checks settled after ${three.ms} ms`);
    for (const n of all) {
        const s = three.samples[n];
        const ok = !!s.an && layoutThree(s.an) && s.size === expectSize;
        check(
            ok,
            `(a) ${n} sees all three colours (each >= ${TILES.minShare * 100} % of cells) ` +
                `on a ${expectSize} 2x2 grid, two tiles on top and one centred below`,
            videoText(s),
        );
        if (!ok) {
            printGrid(n, s);
        }
    }
    for (const n of all) {
        const aw = audioWindow(three.history[n]);
        const [o1, o2] = others(n);
        check(
            hearsOnly(aw, others(n), [n]),
            `(b) ${n} hears ${o1} (${byName[o1].toneHz} Hz) and ${o2} (${byName[o2].toneHz} Hz) ` +
                `> ${MIN_HEARD_DB} dB above the median, its own ${byName[n].toneHz} Hz ` +
                `>= ${MIN_OWN_BELOW_DB} dB below the weaker`,
            three.samples[n].audio ? fmtAudio(aw) : 'no remote audio track',
        );
    }
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    const png = await page.evaluate(pageSnapshot, { name: 'A' });
    if (png.startsWith('data:image/png;base64,')) {
        writeFileSync(SCREENSHOT, Buffer.from(png.slice(22), 'base64'));
        console.log(`# A's composite saved to ${SCREENSHOT}`);
    }
    if (!three.ok) {
        await dumpDiagnostics(page, pageErrors);
    }

    // (c) C leaves with DELETE: A and B see two tiles within 3 s and no
    // longer hear C.
    const tLeave = Date.now();
    const left = await page.evaluate(pageLeave, { name: 'C' });
    check(
        left.status >= 200 && left.status < 300,
        'C leaves: DELETE on its session URL succeeds',
        `DELETE ${left.status} after ${Date.now() - tLeave} ms`,
    );
    const ab = ['A', 'B'];
    const firstOk = {};
    const two = await pollRoom(page, ab, LEAVE_DEADLINE_MS - (Date.now() - tLeave), (s) => {
        for (const n of ab) {
            if (firstOk[n] === undefined && s[n].an && layoutSideBySide(s[n].an, ab)) {
                firstOk[n] = Date.now() - tLeave;
            }
        }
        return ab.every((n) => firstOk[n] !== undefined);
    });
    for (const n of ab) {
        const s = two.samples[n];
        const when = firstOk[n] !== undefined ? `${firstOk[n]} ms after DELETE` : 'not in time';
        check(
            firstOk[n] !== undefined && firstOk[n] <= LEAVE_DEADLINE_MS,
            `(c) within ${LEAVE_DEADLINE_MS / 1000} s of C's DELETE ${n} sees two tiles side ` +
                `by side (A and B each >= ${TILES.minShare * 100} %) and C on ` +
                `< ${TILES.maxGoneShare * 100} % of cells`,
            `${when}; last: ${videoText(s)}`,
        );
        if (firstOk[n] === undefined) {
            printGrid(n, s);
        }
    }
    // The audio after C left: a fresh window of readings, all taken after the
    // video change, must show the other one's tone and not C's.
    // C's tone must be gone, not merely weaker: MIN_GONE_BELOW_DB under the
    // tone still heard (while C was there, its tone was within about 10 dB
    // of the others).
    const otherOf = (n) => ab.find((x) => x !== n);
    const quietOk = (aw, n) =>
        hearsOnly(aw, [otherOf(n)], ['C', n]) &&
        aw.above.C <= aw.above[otherOf(n)] - MIN_GONE_BELOW_DB;
    const quiet = await pollRoom(page, ab, LEAVE_DEADLINE_MS, (s, h) =>
        ab.every((n) => quietOk(audioWindow(h[n]), n)),
    );
    for (const n of ab) {
        const o = otherOf(n);
        const aw = audioWindow(quiet.history[n]);
        check(
            quietOk(aw, n),
            `(c) within ${LEAVE_DEADLINE_MS / 1000} s more ${n} hears ${o} > ${MIN_HEARD_DB} dB ` +
                `above the median, C (${byName.C.toneHz} Hz) no longer (>= ${MIN_GONE_BELOW_DB} ` +
                `dB below ${o}), itself >= ${MIN_OWN_BELOW_DB} dB below ${o}`,
            `${fmtAudio(aw)}, after ${quiet.ms} ms`,
        );
    }
    if (!two.ok || !quiet.ok) {
        await dumpDiagnostics(page, pageErrors);
    }

    // (e) B's tab crashes: no DELETE, only the peer connection closes. The
    // server must notice (DTLS close_notify, RTCP BYE) and drop B's tile.
    const tCrash = Date.now();
    const crashed = await page.evaluate(pageCrash, { name: 'B' });
    const gone = await pollRoom(
        page,
        ['A'],
        CRASH_OBSERVE_MS,
        (s) => !!s.A.an && layoutAlone(s.A.an, 'A'),
    );
    const goneMs = gone.ok ? Date.now() - tCrash : null;
    check(
        goneMs !== null && goneMs <= CRASH_DEADLINE_MS,
        `(e) B closes its peer connection without DELETE (crashed tab): within ` +
            `${CRASH_DEADLINE_MS / 1000} s A's composite is A alone again, B < ` +
            `${TILES.maxGoneShare * 100} %`,
        `${goneMs !== null ? `after ${goneMs} ms` : `not within ${CRASH_OBSERVE_MS} ms`}; ` +
            `B's pc ${crashed.state}; last: ${videoText(gone.samples.A)}`,
    );
    if (goneMs === null || goneMs > CRASH_DEADLINE_MS) {
        printGrid('A', gone.samples.A);
        await dumpDiagnostics(page, pageErrors);
    }
    const afterCrash = await page.evaluate(pageDelete, { location: jb.location });
    console.log(
        `# DELETE on B's session after the crash: ${afterCrash.status} ${afterCrash.reason} ` +
            `(404: the server had already dropped it)`,
    );

    const leftA = await page.evaluate(pageLeave, { name: 'A' });
    check(
        leftA.status >= 200 && leftA.status < 300,
        'A leaves: DELETE on its session URL succeeds',
        `DELETE ${leftA.status}`,
    );

    checkSameHost(check, requests, base);
}

const main = () =>
    runMain({ name: 'room', T, check, watchdogMs: WATCHDOG_MS, run, quickExit: false });

process.exitCode = await main();
