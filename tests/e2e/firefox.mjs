// firefox.mjs - browser end-to-end test of a conclave room shared by Firefox
// and Chromium: each participant sees the other in the composite and hears
// the other's tone.
//
// Usage: node tests/e2e/firefox.mjs http://127.0.0.1:PORT
// Environment: ROOM_W, ROOM_H (the daemon's [mixer] width and height,
// default 640x360); E2E_VETH_ADDR (the namespace's non-loopback address that
// Firefox gathers on and the daemon offers, default 198.18.0.1); FIREFOX,
// CHROMIUM (browser binaries, default /usr/bin/firefox-esr and
// /usr/bin/chromium); ROOM_DEBUG=1 prints every reading.
//
// Firefox (ESR, headless) is driven by puppeteer-core over WebDriver BiDi,
// Chromium (headless) by playwright-core. Each loads the daemon's page and
// joins /rooms/<random>/whip with www/js/whip.js, sending its own known
// source: a solid colour and a sine tone. Chromium (C) writes I420 BT.601
// frames (MediaStreamTrackGenerator); Firefox (F) has no track generator,
// so it sends a canvas repainted every frame (captureStream), whose colour
// the browser converts on its own. Firefox runs with its mock audio backend
// (no sound device here). The test checks that
//  - Firefox's offer has a host candidate on E2E_VETH_ADDR (it gathers none
//    on the loopback interface) and the daemon's answer offers one there;
//  - both peer connections connect (ICE + DTLS), printing the selected pair;
//  - each participant's composite, sampled as a 32x18 grid of cells
//    classified to the nearest sent colour, shows both colours side by side
//    as two tiles, each on >= 8 % of the cells, and the middle of each
//    tile within 8 per channel of the colour sent (the measured distances
//    are printed);
//  - each hears the other's tone > 25 dB above the median spectrum and its
//    own >= 15 dB below it (FFT levels averaged over about a second);
//  - both leave with DELETE, and neither page asked another host for
//    anything.
// Every wait polls a condition against a deadline. Prints "ok N - ..." /
// "not ok N - ..." lines with the measured values and ends with "firefox: N
// passed, M failed"; exits non-zero on any failure. The composites are saved
// to tests/e2e/artifacts/firefox-F.png and firefox-C.png.
// Run it through tests/e2e/firefox.sh, which starts the daemon in a network
// namespace of its own (loopback plus one veth pair).

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import {
    CHROMIUM_ARGS,
    checkSameHost,
    compositeKit,
    evaluateOrError,
    fmtRgb,
    hears,
    installPageHelpers,
    makeReporter,
    openPage as libOpenPage,
    pollComposites,
    printDiagnostics,
    rgbToYuv601,
    sessionUrlOk,
    sideBySide,
    TILES,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(HERE, 'artifacts');

// The same two colours and tones as A and B of room.mjs: far apart in YUV
// and from the compositor's own colours, no intermodulation product near
// the other tone.
const PARTS = [
    { name: 'F', browser: 'Firefox', rgb: [200, 40, 40], toneHz: 440 },
    { name: 'C', browser: 'Chromium', rgb: [40, 160, 70], toneHz: 730 },
];
const TONE_GAIN = 0.25;
const COMPOSITE_W = Number(process.env.ROOM_W) || 640;
const COMPOSITE_H = Number(process.env.ROOM_H) || 360;
const VETH_ADDR = process.env.E2E_VETH_ADDR || '198.18.0.1';
// Per channel, for the middle of a tile. Measured: both colours, Firefox's
// canvas capture too, arrive within 1 of what was sent in the middle of
// their tiles (cells at tile edges, mixed by the scaler, within about 4).
const MIDDLE_TOLERANCE = 8;
const TONE_TOL_HZ = 15;
const MIN_HEARD_DB = 25; // above the median of 100..4000 Hz
const MIN_OWN_BELOW_DB = 15; // own tone below the one heard
const POLL_MS = 125;
const LAUNCH_TIMEOUT_MS = 30000; // Firefox ESR takes 4..10 s, 24 s at a load of 15 on 2 CPUs
const GOTO_TIMEOUT_MS = 15000;
const EVALUATE_TIMEOUT_MS = 5000; // one reading of a page
const CONNECT_TIMEOUT_MS = 8000; // gathering (<= 3 s) plus the POST
const MEDIA_DEADLINE_MS = 15000; // from both connected to every check passing
const WATCHDOG_MS = 55000; // the whole run, browser start to finish
const DEBUG = process.env.ROOM_DEBUG === '1';

const FIREFOX_PREFS = {
    // Media without a permission prompt, and host candidates with their real
    // address instead of an mDNS name (which nothing here could resolve).
    'media.navigator.permission.disabled': true,
    'media.peerconnection.ice.obfuscate_host_addresses': false,
    // Firefox's mock audio backend (its own tests use it): without a sound
    // device or sound server every AudioContext stays "suspended" (a user
    // gesture does not help), so no tone is made and none is heard.
    'media.cubeb.force_mock_context': true,
};

const T = makeReporter('firefox', { numbered: true });
let timedOut = false; // the watchdog has reported; later results are dropped
const check = (ok, what, detail) => (timedOut ? ok : T.check(ok, what, detail));
let step = 'starting the browsers'; // what the run is doing, for the watchdog
const byName = Object.fromEntries(PARTS.map((p) => [p.name, p]));
const freqs = PARTS.map((p) => p.toneHz);

// ---- analysis of what the pages measured (node side) ----

// The composite's readers (lib.mjs compositeKit, as room.mjs): one
// character per cell, share, centroid and mean colour of each
// participant's cells, and averages of the last kit.window tone readings.
const kit = compositeKit(PARTS);
const { classify, analyse, fmtAnalysis, videoText, printGrid, audioWindow, fmtAudio } = kit;

// The mean colour of the 4x4 cells around a point (fractions of the
// canvas): the middle of a tile, measured without classifying anything.
function meanAround(cells, fx, fy) {
    const c0 = Math.round(fx * kit.cols) - 2;
    const r0 = Math.round(fy * kit.rows) - 2;
    const rgb = [0, 0, 0];
    for (let r = r0; r < r0 + 4; r++) {
        for (let c = c0; c < c0 + 4; c++) {
            for (let k = 0; k < 3; k++) {
                rgb[k] += cells[(r * kit.cols + c) * 3 + k] / 16;
            }
        }
    }
    return rgb;
}

function maxDiff(a, b) {
    return Math.max(...a.map((v, k) => Math.abs(v - b[k])));
}

// Both participants side by side, vertically centred.
const layoutTwo = (an) => sideBySide(PARTS.map((p) => an[p.name]));

const hearsOnly = (aw, heard, own) =>
    hears(aw, [heard], [own], {
        window: kit.window,
        minHeardDb: MIN_HEARD_DB,
        belowDb: MIN_OWN_BELOW_DB,
    });

// The candidates of an SDP: "address port type" each.
function candidates(sdp) {
    return (sdp || '')
        .split(/\r?\n/)
        .filter((l) => l.startsWith('a=candidate:'))
        .map((l) => {
            const f = l.split(' ');
            const typ = f.indexOf('typ');
            return `${f[4]} ${f[5]}/${f[2].toLowerCase()} ${typ > 0 ? f[typ + 1] : '?'}`;
        });
}

function hasHost(cands, addr) {
    return cands.some((c) => c.startsWith(`${addr} `) && c.endsWith(' host'));
}

// ---- code run inside a page (serialised by the driver; no closures) ----

// Builds the participant's source and sinks (not joined yet).
async function pageInit({ name, rgb, toneHz, toneGain }) {
    const H = window.__e2e;
    const P = { name, logs: H.logs, frameCallbacks: 0, analyser: null, session: null };
    window.__part = P;
    P.box = H.mediaBox();
    P.ac = new AudioContext({ sampleRate: 48000 });
    // resume() waits for a user gesture where autoplay is blocked.
    await Promise.race([P.ac.resume(), new Promise((res) => setTimeout(res, 2000))]);
    P.video = H.colourTrack(rgb, { width: 320, height: 240, fps: 30 });
    P.tone = H.toneTrack(P.ac, toneHz, toneGain);
    P.stream = new MediaStream([P.tone.track, P.video.track]);
    P.sink = H.compositeSink(P.box, name);
    P.canvas = document.createElement('canvas');
    return {
        source: P.video.source,
        canvas: P.video.source.startsWith('canvas'),
        ctxState: P.ac.state,
        ua: navigator.userAgent,
    };
}

// Joins; resolves once the WHIP answer is applied, with the candidates of
// the offer and of the answer.
async function pageJoin({ url, connectTimeoutMs }) {
    const H = window.__e2e;
    const P = window.__part;
    const onTrack = (track) => H.receiveTrack(P, track, { ac: P.ac, box: P.box });
    const t = performance.now();
    try {
        P.session = await H.whip(url, { stream: P.stream, onTrack }, connectTimeoutMs);
    } catch (e) {
        return { error: e.message };
    }
    return {
        location: P.session.location,
        connectMs: Math.round(performance.now() - t),
        offer: P.session.pc.localDescription.sdp,
        answer: P.session.answer,
    };
}

// Waits until the peer connection is connected.
async function pageWaitConnected({ deadlineMs }) {
    const H = window.__e2e;
    const pc = window.__part.session.pc;
    const deadline = performance.now() + deadlineMs;
    return H.until(
        () => ({ ok: pc.connectionState === 'connected', state: pc.connectionState }),
        deadline,
    );
}

// The candidate pair in use: "local -> remote".
async function pageSelectedPair() {
    const stats = await window.__part.session.pc.getStats();
    const cands = {};
    let chosen = null;
    let selectedId = null;
    stats.forEach((r) => {
        if (r.type === 'local-candidate' || r.type === 'remote-candidate') {
            cands[r.id] = `${r.address || r.ip}:${r.port}/${r.protocol} ${r.candidateType}`;
        } else if (r.type === 'transport' && r.selectedCandidatePairId) {
            selectedId = r.selectedCandidatePairId;
        }
    });
    stats.forEach((r) => {
        // Chromium names the pair in the transport report; Firefox marks it
        // "selected" (a field of its own).
        if (r.type === 'candidate-pair' && (r.id === selectedId || r.selected === true)) {
            chosen = r;
        }
    });
    return chosen
        ? `${cands[chosen.localCandidateId]} -> ${cands[chosen.remoteCandidateId]}`
        : 'none selected';
}

// One reading: the composite's cells and size, frames shown, and the levels
// of the given tones in what the participant hears.
async function pageSample({ cols, rows, freqs, tolHz }) {
    const H = window.__e2e;
    const P = window.__part;
    return { ...H.samplePart(P, { cols, rows, freqs, tolHz }), ctxState: P.ac.state };
}

// The composite as last sampled, as a PNG data URL.
async function pageSnapshot() {
    const c = window.__part.canvas;
    return c.width > 0 ? c.toDataURL('image/png') : '';
}

// Leaves properly: DELETE, then the peer connection closes.
async function pageLeave() {
    const P = window.__part;
    const status = await P.session.close();
    P.video.stop();
    return { status };
}

async function pageDiagnostics() {
    const P = window.__part;
    if (!P) {
        return { error: 'not initialised' };
    }
    const d = await window.__e2e.partDiagnostics(P);
    return { ...d, logs: P.logs, ctxState: P.ac.state };
}

// ---- the run ----

// One participant's page: the driver's page object plus what it logged.
async function openPage(part, browser, base) {
    const { page, res, errors, requests } = await libOpenPage(browser, base, {
        timeoutMs: GOTO_TIMEOUT_MS,
    });
    return { part, page, errors, requests, status: res ? res.status() : 0 };
}

async function dumpDiagnostics(P) {
    const d = await evaluateOrError(P.page, pageDiagnostics);
    const who = `${P.part.name} (${P.part.browser})`;
    printDiagnostics(
        d.error ? d : { parts: { [who]: d }, logs: d.logs, ctxState: d.ctxState },
        P.errors,
    );
}

// Colour of each participant's tile as received: the mean of its cells and
// of the middle of its tile, and how far each is from what was sent.
// Returns { ok (every middle within MIDDLE_TOLERANCE), text }.
function colours(s) {
    if (!s.an) {
        return { ok: false, text: 'no picture' };
    }
    let ok = true;
    const text = PARTS.map((p) => {
        const a = s.an[p.name];
        if (!a.rgb) {
            ok = false;
            return `${p.name}: no cell of its colour`;
        }
        const mid = meanAround(s.cells, a.cx, a.cy);
        ok = ok && maxDiff(mid, p.rgb) <= MIDDLE_TOLERANCE;
        return (
            `${p.name} sent ${fmtRgb(p.rgb)}: middle ${fmtRgb(mid)} (max diff ` +
            `${maxDiff(mid, p.rgb).toFixed(1)}), all its cells ${fmtRgb(a.rgb)} (max diff ` +
            `${maxDiff(a.rgb, p.rgb).toFixed(1)})`
        );
    }).join('; ');
    return { ok, text };
}

// Rejects when promise has not settled within ms.
function withTimeout(promise, ms, what) {
    let timer;
    const late = new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what} took longer than ${ms} ms`)), ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Polls both pages every POLL_MS until done(samples, history) is true or
// deadlineMs passes; history[name] keeps the audio readings of this wait.
async function pollBoth(pages, deadlineMs, done) {
    const read = async () => {
        const got = await Promise.all(
            pages.map((P) =>
                withTimeout(
                    P.page.evaluate(pageSample, {
                        cols: kit.cols,
                        rows: kit.rows,
                        freqs,
                        tolHz: TONE_TOL_HZ,
                    }),
                    EVALUATE_TIMEOUT_MS,
                    `a reading of ${P.part.name}'s page (${P.part.browser})`,
                ),
            ),
        );
        return Object.fromEntries(pages.map((P, i) => [P.part.name, got[i]]));
    };
    const r = await pollComposites(read, done, {
        names: pages.map((P) => P.part.name),
        deadlineMs,
        classify,
        analyse,
        pollMs: POLL_MS,
        debug: DEBUG,
    });
    return { ok: r.ok, samples: r.value, history: r.history, ms: r.ms };
}

async function joinRoom(P, base, room) {
    const url = `/rooms/${room}/whip?name=${P.part.name}`;
    const r = await evaluateOrError(P.page, pageJoin, {
        url,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const ok = sessionUrlOk(r, base, room);
    check(
        ok,
        `${P.part.name} (${P.part.browser}) joins ${url}: 201 with a session URL in the room`,
        r.error || `${r.connectMs} ms, Location ${r.location}`,
    );
    return ok ? r : null;
}

async function run(base, browsers) {
    const pages = await Promise.all(
        PARTS.map((p, i) =>
            openPage(p, browsers[i], base).catch((e) => ({ part: p, error: e, status: 0 })),
        ),
    );
    const [F, C] = pages;
    for (const P of pages) {
        check(
            P.status === 200,
            `${P.part.browser} loads ${base}/`,
            P.error ? P.error.message.split('\n')[0] : `status ${P.status}`,
        );
    }
    if (!pages.every((P) => P.status === 200)) {
        return;
    }
    step = 'building the sources';
    const ctxStates = [];
    for (const P of pages) {
        await installPageHelpers(P.page);
        const p = P.part;
        const init = await P.page.evaluate(pageInit, {
            name: p.name,
            rgb: p.rgb,
            toneHz: p.toneHz,
            toneGain: TONE_GAIN,
        });
        const yuv = rgbToYuv601(p.rgb)
            .map((v) => v.toFixed(0))
            .join(', ');
        // lib.mjs's description of its canvas fallback is Chromium's case.
        const source = init.canvas ? 'a canvas repainted every frame (captureStream)' : init.source;
        console.log(
            `# ${p.name}: ${init.ua}; sends ${fmtRgb(p.rgb)} (YUV ${yuv}) as ${source}, ` +
                `${p.toneHz} Hz; audio context ${init.ctxState}`,
        );
        ctxStates.push(`${p.browser} ${init.ctxState}`);
    }
    check(
        ctxStates.every((c) => c.endsWith(' running')),
        'both pages have a running AudioContext (tone source and FFT)',
        ctxStates.join(', '),
    );
    const room = `e2e-${randomBytes(6).toString('hex')}`;
    const expectSize = `${COMPOSITE_W}x${COMPOSITE_H}`;
    console.log(`# room ${room}, composite expected ${expectSize}`);

    // Chromium is in the room first; Firefox joins it.
    step = 'joining';
    const jc = await joinRoom(C, base, room);
    if (!jc) {
        await dumpDiagnostics(C);
        return;
    }
    const jf = await joinRoom(F, base, room);
    if (!jf) {
        await dumpDiagnostics(F);
        return;
    }
    const offerCands = candidates(jf.offer);
    check(
        hasHost(offerCands, VETH_ADDR),
        `Firefox's offer has a host candidate on ${VETH_ADDR}`,
        offerCands.join(', ') || 'no candidate',
    );
    const answerCands = candidates(jf.answer);
    check(
        hasHost(answerCands, VETH_ADDR) && hasHost(answerCands, '127.0.0.1'),
        `the daemon's answer to Firefox offers host candidates on 127.0.0.1 and ${VETH_ADDR}`,
        answerCands.join(', ') || 'no candidate',
    );

    step = 'waiting for both to connect';
    const conn = await Promise.all(
        pages.map((P) =>
            P.page.evaluate(pageWaitConnected, { deadlineMs: CONNECT_TIMEOUT_MS }),
        ),
    );
    const pairs = await Promise.all(
        pages.map((P) => P.page.evaluate(pageSelectedPair).catch((e) => e.message)),
    );
    check(
        conn.every((c) => c.ok),
        'F and C are connected (ICE + DTLS)',
        pages
            .map((P, i) => `${P.part.name} ${conn[i].state}, pair ${pairs[i]}`)
            .join('; '),
    );
    // E2E_WANT_PROTOCOL=tcp (firefox-tcp.sh, UDP dropped): both pairs are ICE-TCP
    const want = process.env.E2E_WANT_PROTOCOL;
    if (want) {
        const both = (p) => p.split(' -> ').every((end) => end.includes(`/${want} `));
        check(
            pairs.every((p) => p.includes(' -> ') && both(p)),
            `both selected pairs are ${want} at both ends`,
            pairs.join('; '),
        );
        // the picture and sound checks below then run past the 5 s after
        // which the server ends TCP connections that are not a selected pair
        await new Promise((r) => setTimeout(r, 6000));
    }
    if (!conn.every((c) => c.ok)) {
        for (const P of pages) {
            await dumpDiagnostics(P);
        }
        return;
    }

    const other = (n) => PARTS.find((p) => p.name !== n).name;
    step = 'sampling what each sees and hears';
    const seen = await pollBoth(pages, MEDIA_DEADLINE_MS, (s, h) =>
        PARTS.every(
            (p) =>
                s[p.name].an &&
                layoutTwo(s[p.name].an) &&
                s[p.name].size === expectSize &&
                hearsOnly(audioWindow(h[p.name]), other(p.name), p.name),
        ),
    );
    console.log(`# checks settled after ${seen.ms} ms`);
    for (const p of PARTS) {
        const s = seen.samples[p.name];
        const ok = !!s.an && layoutTwo(s.an) && s.size === expectSize;
        check(
            ok,
            `${p.name} (${p.browser}) sees both colours side by side as two tiles (each ` +
                `>= ${TILES.minShare * 100} % of cells, within ${kit.rgbTol} per channel) ` +
                `on a ${expectSize} composite`,
            videoText(s),
        );
        if (!ok) {
            printGrid(p.name, s);
        }
        const c = colours(s);
        check(
            c.ok,
            `${p.name} (${p.browser}) receives each colour within ${MIDDLE_TOLERANCE} per ` +
                `channel in the middle (4x4 cells) of its tile`,
            c.text,
        );
    }
    for (const p of PARTS) {
        const o = byName[other(p.name)];
        const aw = audioWindow(seen.history[p.name]);
        check(
            hearsOnly(aw, o.name, p.name),
            `${p.name} (${p.browser}) hears ${o.name} (${o.toneHz} Hz) > ${MIN_HEARD_DB} dB ` +
                `above the median, its own ${p.toneHz} Hz >= ${MIN_OWN_BELOW_DB} dB below`,
            seen.samples[p.name].audio ? fmtAudio(aw) : 'no remote audio track',
        );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const P of pages) {
        const png = await P.page.evaluate(pageSnapshot);
        if (png.startsWith('data:image/png;base64,')) {
            const file = join(ARTIFACTS, `firefox-${P.part.name}.png`);
            writeFileSync(file, Buffer.from(png.slice(22), 'base64'));
            console.log(`# ${P.part.name}'s composite saved to ${file}`);
        }
    }
    if (!seen.ok) {
        for (const P of pages) {
            await dumpDiagnostics(P);
        }
    }

    // Firefox leaves first, then Chromium.
    step = 'leaving';
    for (const P of pages) {
        const left = await P.page.evaluate(pageLeave).catch((e) => ({ status: 0, e }));
        check(
            left.status >= 200 && left.status < 300,
            `${P.part.name} (${P.part.browser}) leaves: DELETE on its session URL succeeds`,
            left.e ? left.e.message : `DELETE ${left.status}`,
        );
    }
    for (const P of pages) {
        checkSameHost(check, P.requests, base, `${P.part.browser}'s page`);
    }
}

function launchFirefox() {
    return puppeteer.launch({
        browser: 'firefox',
        executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
        headless: true,
        extraPrefsFirefox: FIREFOX_PREFS,
        timeout: LAUNCH_TIMEOUT_MS,
    });
}

function launchChromium() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        args: CHROMIUM_ARGS,
        timeout: LAUNCH_TIMEOUT_MS,
    });
}

async function main() {
    const base = (process.argv[2] || '').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(base)) {
        console.log('usage: node firefox.mjs http://127.0.0.1:PORT');
        return 2;
    }
    const browsers = [null, null];
    const closeAll = () =>
        Promise.all(browsers.map((b) => (b ? b.close().catch(() => {}) : null)));
    // Out of time: report it, give the browsers 3 s to close, then exit.
    const watchdog = setTimeout(() => {
        check(false, `the whole run finished within ${WATCHDOG_MS / 1000} s`, `stuck ${step}`);
        timedOut = true;
        const code = T.finish();
        setTimeout(() => process.exit(code), 3000).unref();
        closeAll().finally(() => process.exit(code));
    }, WATCHDOG_MS);
    try {
        const t0 = Date.now();
        const upMs = [null, null];
        const timed = (i, p) =>
            p.then((b) => {
                upMs[i] = Date.now() - t0;
                return b;
            });
        const launched = await Promise.allSettled([
            timed(0, launchFirefox()),
            timed(1, launchChromium()),
        ]);
        launched.forEach((l, i) => {
            browsers[i] = l.status === 'fulfilled' ? l.value : null;
        });
        const ok = launched.every((l) => l.status === 'fulfilled');
        check(
            ok,
            'Firefox (puppeteer-core, WebDriver BiDi) and Chromium (playwright-core) start',
            launched
                .map((l, i) =>
                    l.status === 'fulfilled'
                        ? `${PARTS[i].browser} up after ${upMs[i]} ms`
                        : `${PARTS[i].browser}: ${l.reason.message.split('\n')[0]}`,
                )
                .join('; '),
        );
        if (ok) {
            step = 'loading the pages';
            await run(base, browsers);
        }
    } catch (e) {
        check(false, 'test ran to its end', e.stack || e.message);
    } finally {
        step = 'closing the browsers';
        await closeAll();
        clearTimeout(watchdog);
    }
    // After the watchdog, its process.exit ends the run.
    return timedOut ? new Promise(() => {}) : T.finish();
}

process.exitCode = await main();
