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
    analyseGrid,
    audioWindow as libAudioWindow,
    classifyGrid,
    fmtAudio as libFmtAudio,
    fmtRgb,
    installPageHelpers,
    makeReporter,
    pollUntil,
    rgbToYuv601,
    runMain,
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
const GRID_COLS = 32;
const GRID_ROWS = 18;
const RGB_TOLERANCE = 30; // per channel, for a cell's mean colour
const MIN_SHARE = 0.08; // of the cells, for a colour that is shown
const MAX_GONE_SHARE = 0.01; // of the cells, for a colour that is not shown
const MIN_ALONE_SHARE = 0.5; // one full-canvas 4:3 tile on 16:9 covers 75 %
const CENTRE_TOL = 0.06; // of the canvas, for "centred"
const SIDE_MARGIN = 0.05; // a left tile's centroid is left of 0.5 - this
const TONE_TOL_HZ = 15;
const MIN_HEARD_DB = 25; // above the median of 100..4000 Hz
const MIN_OWN_BELOW_DB = 15; // own tone below the weaker of the two heard
const MIN_GONE_BELOW_DB = 40; // a departed participant's tone below the one heard
const AUDIO_WINDOW = 8; // readings averaged
const POLL_MS = 125;
const CONNECT_TIMEOUT_MS = 8000; // gathering (<= 3 s) plus the POST
const ALONE_DEADLINE_MS = 8000; // from A's answer to A alone checked
const MEDIA_DEADLINE_MS = 15000; // from all connected to (a) and (b) passing
const LEAVE_DEADLINE_MS = 3000; // from C's DELETE to A and B showing two tiles
const CRASH_DEADLINE_MS = 3000; // from B's pc.close() to A showing one tile
const CRASH_OBSERVE_MS = 10000; // how long to keep watching when that fails
const WATCHDOG_MS = 58000; // the whole run, browser start to finish
const DEBUG = process.env.ROOM_DEBUG === '1'; // print every audio reading

const T = makeReporter('room', { numbered: true });
const check = T.check;

const byName = Object.fromEntries(PARTS.map((p) => [p.name, p]));

// ---- analysis of what the page measured (node side) ----

// One character per cell: the participant whose colour it is (within
// RGB_TOLERANCE per channel), '.' black, 'g' placeholder grey, 'y' speaker
// border, '?' anything else (edges of tiles, mixed cells).
const classify = (cells) => classifyGrid(cells, PARTS, RGB_TOLERANCE);

// Share of the cells and centroid (0..1 of the canvas) of each colour.
const analyse = (classes) => analyseGrid(classes, null, PARTS, GRID_COLS, GRID_ROWS);

function fmtAnalysis(an) {
    return PARTS.map((p) => {
        const a = an[p.name];
        const where = a.share > 0 ? ` @(${a.cx.toFixed(2)},${a.cy.toFixed(2)})` : '';
        return `${p.name} ${(a.share * 100).toFixed(1)}%${where}`;
    }).join(', ');
}

// The classified grid as lines of text, for the log.
function gridLines(classes) {
    const lines = [];
    for (let r = 0; r < GRID_ROWS; r++) {
        lines.push(classes.slice(r * GRID_COLS, (r + 1) * GRID_COLS));
    }
    return lines;
}

// Only `name` is shown, as one centred tile covering most of the canvas.
function layoutAlone(an, name) {
    const a = an[name];
    const others = PARTS.filter((p) => p.name !== name);
    return (
        a.share >= MIN_ALONE_SHARE &&
        Math.abs(a.cx - 0.5) <= CENTRE_TOL &&
        Math.abs(a.cy - 0.5) <= CENTRE_TOL &&
        others.every((p) => an[p.name].share < MAX_GONE_SHARE)
    );
}

// Exactly `names` (two) are shown, side by side, vertically centred; every
// other colour is gone.
function layoutSideBySide(an, names) {
    const shown = names.map((n) => an[n]);
    if (!shown.every((a) => a.share >= MIN_SHARE)) {
        return false;
    }
    const gone = PARTS.filter((p) => !names.includes(p.name));
    if (!gone.every((p) => an[p.name].share < MAX_GONE_SHARE)) {
        return false;
    }
    const [l, r] = [...shown].sort((x, y) => x.cx - y.cx);
    return (
        l.cx < 0.5 - SIDE_MARGIN &&
        r.cx > 0.5 + SIDE_MARGIN &&
        shown.every((a) => Math.abs(a.cy - 0.5) <= CENTRE_TOL)
    );
}

// All three are shown on a 2x2 grid: two tiles in the top half (one left,
// one right), one centred in the bottom half.
function layoutThree(an) {
    const shown = PARTS.map((p) => an[p.name]);
    if (!shown.every((a) => a.share >= MIN_SHARE)) {
        return false;
    }
    const byY = [...shown].sort((x, y) => x.cy - y.cy);
    const top = byY.slice(0, 2).sort((x, y) => x.cx - y.cx);
    const bottom = byY[2];
    return (
        top.every((a) => a.cy < 0.5 - SIDE_MARGIN) &&
        bottom.cy > 0.5 + SIDE_MARGIN &&
        top[0].cx < 0.5 - SIDE_MARGIN &&
        top[1].cx > 0.5 + SIDE_MARGIN &&
        Math.abs(bottom.cx - 0.5) <= CENTRE_TOL
    );
}

// Averages of the last AUDIO_WINDOW readings of one participant: level of
// each tone above the median (dB).
const audioWindow = (readings) => libAudioWindow(readings, PARTS, AUDIO_WINDOW);

const fmtAudio = (aw) => libFmtAudio(aw, PARTS);

// me hears every name in `heard` > MIN_HEARD_DB above the median, and every
// name in `silent` >= MIN_OWN_BELOW_DB below the weakest of them.
function hearsOnly(aw, heard, silent) {
    if (aw.n < AUDIO_WINDOW) {
        return false;
    }
    const weakest = Math.min(...heard.map((n) => aw.above[n]));
    return (
        weakest > MIN_HEARD_DB && silent.every((n) => aw.above[n] <= weakest - MIN_OWN_BELOW_DB)
    );
}

// ---- code run inside the page (serialised by playwright; no closures) ----

// Builds every participant's source and sinks (not joined yet).
async function pageInit({ parts, toneGain }) {
    const H = window.__e2e;
    const R = { parts: {}, logs: H.logs };
    window.__room = R;
    const box = document.createElement('section');
    box.id = 'e2e';
    box.setAttribute('aria-label', 'end-to-end test media');
    box.style.cssText = 'display:flex;gap:8px;flex-wrap:wrap;margin-top:8px';
    document.body.append(box);
    R.box = box;
    R.ac = new AudioContext({ sampleRate: 48000 });
    await R.ac.resume();
    const sources = {};
    for (const p of parts) {
        const video = H.colourTrack(p.rgb, { width: 320, height: 240, fps: 30 });
        const tone = H.toneTrack(R.ac, p.toneHz, toneGain);
        const sink = document.createElement('video');
        sink.id = `composite-${p.name}`;
        sink.muted = true;
        sink.autoplay = true;
        sink.playsInline = true;
        sink.style.width = '320px';
        sink.style.background = '#000';
        sink.title = `what ${p.name} receives`;
        box.append(sink);
        R.parts[p.name] = {
            video,
            tone,
            stream: new MediaStream([tone.track, video.track]),
            sink,
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
    const { whipConnect } = await import('/js/whip.js');
    const H = window.__e2e;
    const R = window.__room;
    const P = R.parts[name];
    const onTrack = (track) => {
        if (track.kind === 'video') {
            P.sink.srcObject = new MediaStream([track]);
            P.sink.play().catch((e) => R.logs.push(`${name} video.play: ${e.message}`));
            if (P.sink.requestVideoFrameCallback) {
                const count = () => {
                    P.frameCallbacks++;
                    P.sink.requestVideoFrameCallback(count);
                };
                P.sink.requestVideoFrameCallback(count);
            }
        } else if (track.kind === 'audio') {
            // No smoothing: each reading stands alone and node averages them.
            // (With smoothing a departed tone fades out over seconds.)
            P.analyser = H.remoteAnalyser(R.ac, track, R.box, 0);
        }
    };
    const t = performance.now();
    P.session = await Promise.race([
        whipConnect(url, { stream: P.stream, onTrack, gatherTimeoutMs: 3000 }),
        new Promise((_, rej) =>
            setTimeout(
                () => rej(new Error(`no WHIP answer within ${connectTimeoutMs} ms`)),
                connectTimeoutMs,
            ),
        ),
    ]);
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
        const P = R.parts[n];
        const v = H.sampleCells(P.sink, P.canvas, cols, rows);
        const a = P.analyser ? H.levels(P.analyser, freqs, tolHz) : null;
        out[n] = { ...v, frames: P.frameCallbacks, audio: a, pc: P.session.pc.connectionState };
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
        const P = R.parts[n];
        out[n] = P.session
            ? await window.__e2e.diagnostics(P.session.pc)
            : { connectionState: 'not joined', stats: [] };
        out[n].frameCallbacks = P.frameCallbacks;
        out[n].hasAnalyser = !!P.analyser;
    }
    return { parts: out, logs: R.logs, ctxState: R.ac.state };
}

// ---- the run ----

const freqs = PARTS.map((p) => p.toneHz);

// Polls pageSample for `names` every POLL_MS until done(samples, history)
// is true or deadlineMs passes; history[name] keeps the audio readings taken
// since the start of this wait. Returns { ok, samples, history, ms }.
async function pollRoom(page, names, deadlineMs, done) {
    const history = Object.fromEntries(names.map((n) => [n, []]));
    const sample = async (t0) => {
        const samples = await page.evaluate(pageSample, {
            names,
            cols: GRID_COLS,
            rows: GRID_ROWS,
            freqs,
            tolHz: TONE_TOL_HZ,
        });
        for (const n of names) {
            const s = samples[n];
            s.classes = s.cells ? classify(s.cells) : '';
            s.an = s.cells ? analyse(s.classes) : null;
            if (s.audio) {
                if (DEBUG) {
                    const above = s.audio.levels.map((l) => (l - s.audio.medianDb).toFixed(1));
                    console.log(
                        `# ${Date.now() - t0} ms ${n} hears ${above.join(' ')} dB above the ` +
                            `median ${s.audio.medianDb.toFixed(1)} dB`,
                    );
                }
                history[n].push(s.audio);
            }
        }
        return samples;
    };
    const r = await pollUntil(sample, (samples) => done(samples, history), deadlineMs, POLL_MS);
    return { ok: r.ok, samples: r.value, history, ms: r.ms };
}

function videoText(s) {
    if (!s.an) {
        return `no picture yet (size ${s.size}, pc ${s.pc})`;
    }
    return `${fmtAnalysis(s.an)}; ${s.size}, ${s.frames} frames shown`;
}

function printGrid(who, s) {
    if (s && s.classes) {
        console.log(`# ${who}'s composite, ${GRID_COLS}x${GRID_ROWS} cells:`);
        gridLines(s.classes).forEach((l) => console.log(`#   ${l}`));
    }
}

async function dumpDiagnostics(page, pageErrors) {
    const d = await page
        .evaluate(pageDiagnostics, { names: PARTS.map((p) => p.name) })
        .catch((e) => ({ error: e.message }));
    if (d.error) {
        console.log(`# diagnostics failed: ${d.error}`);
        return;
    }
    for (const [n, x] of Object.entries(d.parts || {})) {
        console.log(
            `# ${n}: connectionState=${x.connectionState} ` +
                `iceConnectionState=${x.iceConnectionState} ` +
                `iceGatheringState=${x.iceGatheringState} signalingState=${x.signalingState} ` +
                `frameCallbacks=${x.frameCallbacks} remoteAudio=${x.hasAnalyser}`,
        );
        x.stats.forEach((l) => console.log(`#   ${l}`));
    }
    console.log(`# audio context ${d.ctxState}`);
    (d.logs || []).forEach((l) => console.log(`# ${l}`));
    pageErrors.forEach((l) => console.log(`# ${l}`));
}

async function joinRoom(page, room, name) {
    try {
        return await page.evaluate(pageJoin, {
            name,
            url: `/rooms/${room}/whip?name=${name}`,
            connectTimeoutMs: CONNECT_TIMEOUT_MS,
        });
    } catch (e) {
        return { error: e.message.split('\n')[0] };
    }
}

function joinedOk(r, base, room) {
    return (
        !r.error &&
        r.location.startsWith(`${base}/rooms/${room}/sessions/`) &&
        /\/sessions\/[0-9a-f]{32,}$/.test(r.location)
    );
}

async function run(base, browser) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') {
            pageErrors.push(`console.${m.type()}: ${m.text()}`);
        }
    });
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));

    const res = await page.goto(`${base}/`, { timeout: 5000 });
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
            h.A.length >= AUDIO_WINDOW &&
            a.frames > 10
        );
    });
    const sA = alone.samples.A;
    check(
        sA.an && layoutAlone(sA.an, 'A') && sA.size === expectSize,
        `(d) A alone: the composite is ${expectSize} with only A's colour, one centred tile ` +
            `(>= ${MIN_ALONE_SHARE * 100} %), B and C < ${MAX_GONE_SHARE * 100} %`,
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
            `(a) ${n} sees all three colours (each >= ${MIN_SHARE * 100} % of cells) ` +
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
                `by side (A and B each >= ${MIN_SHARE * 100} %) and C on ` +
                `< ${MAX_GONE_SHARE * 100} % of cells`,
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
            `${MAX_GONE_SHARE * 100} %`,
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

    const foreign = requests.filter((u) => !u.startsWith(`${base}/`));
    check(
        foreign.length === 0,
        'the page requested nothing from another host',
        foreign.length ? foreign.join(' ') : `${requests.length} requests`,
    );
}

const main = () =>
    runMain({ name: 'room', T, check, watchdogMs: WATCHDOG_MS, run, quickExit: false });

process.exitCode = await main();
