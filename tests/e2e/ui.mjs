// ui.mjs - browser end-to-end test of conclave's own web client (www/):
// two people join one room through the pages and use the call's controls.
//
// Usage: node tests/e2e/ui.mjs http://127.0.0.1:PORT
// Environment: UI_W, UI_H (the daemon's [mixer] width and height, default
// 640x360).
//
// One headless Chromium, two browser contexts (two people who share
// nothing): Alice and Bob. Before any page script runs, each context gets a
// known camera and microphone as window.__conclaveTestStream (a solid colour,
// I420 BT.601 frames, and a sine tone; Alice red and 440 Hz, Bob blue and
// 1230 Hz). Then:
//  - Alice opens the landing page, presses #create-room, gets the pre-join
//    screen of a new room, types her name and presses #join; alone in the
//    room her composite (#remote-video) shows only red (negative control);
//  - Bob opens the room link /#/r/{room}, types his name and joins; both
//    composites, sampled as a 32x18 grid of cells, show red and blue as two
//    tiles side by side, and both rosters list "Alice" and "Bob";
//  - both hear the other's tone > 25 dB above the median spectrum of
//    #remote-audio (which is also the negative control for the mute check);
//  - Alice sends "hello from Alice" with #chat-input / #chat-send; it appears
//    in Bob's #chat-log with .who "Alice", a <time> and the text;
//  - Alice presses #mute-mic: within 3 s Bob's roster shows her with
//    data-muted="true", and within 4 s her tone in Bob's audio is >= 25 dB
//    below its level before, while Alice still hears Bob and Bob's composite
//    still shows both tiles;
//  - Alice presses #raise-hand 14 times in a row: the server refuses the
//    changes past its pace (429) and her status line says so, with when to
//    try again; then her button shows what Bob's roster says of her hand;
//  - Alice shares a green 4:3 screen (window.__conclaveTestScreenStream,
//    #share-screen): Bob's composite is green on >= 90 % of the cells of its
//    left 22 of 32 columns (the presenter tile is the left 3/4), with red and
//    blue in the strip on the right; stopping the share brings back the two
//    tiles and green disappears;
//  - Bob, then Alice, press #leave: the DELETE on each session URL answers
//    200 and the "You left" view shows; Bob vanishes from Alice's roster;
//  - every request either page made went to the daemon's origin (or was a
//    blob: or data: URL).
// Screenshots: tests/e2e/artifacts/ui-landing.png, ui-prejoin.png (Alice)
// and ui-call.png (Bob, two tiles, the chat message). Every wait polls a
// condition against a deadline. Prints "ok - ..." / "not ok - ..." lines with
// the measured values and ends with "ui: N passed, M failed"; exits non-zero
// on any failure. Run it through tests/e2e/ui.sh, which starts the daemon in
// a network namespace holding only the loopback interface.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeReporter, pageHelpers, pollUntil, runMain } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(HERE, 'artifacts');

// Colours far apart from each other and from the compositor's own (black
// background, grey placeholder, yellow-green speaker border); tones with no
// simple product near the other one.
const ALICE = { name: 'Alice', key: 'A', rgb: [200, 40, 40], toneHz: 440 };
const BOB = { name: 'Bob', key: 'B', rgb: [50, 70, 220], toneHz: 1230 };
const SCREEN = { key: 'S', rgb: [40, 160, 70], width: 640, height: 480 }; // 4:3 fills 480x360
const COLOURS = [ALICE, BOB, SCREEN];
const TONE_GAIN = 0.25;
const COMPOSITE_W = Number(process.env.UI_W) || 640;
const COMPOSITE_H = Number(process.env.UI_H) || 360;
const VIEWPORT = { width: 1100, height: 800 }; // wide: people and chat open at once
const GRID_COLS = 32;
const GRID_ROWS = 18;
const LEFT_COLS = 22; // 22/32 = 69 % of the width, inside the 75 % presenter tile
const RGB_TOLERANCE = 30; // per channel, for a cell's mean colour
const MIN_SHARE = 0.08; // of the cells, for a camera tile in the grid
const MIN_STRIP_SHARE = 0.015; // of the cells, for a small tile in the strip
const MAX_GONE_SHARE = 0.01; // of the cells, for a colour not shown
const MIN_ALONE_SHARE = 0.5; // one 4:3 tile on 16:9 covers 75 %
const MIN_SCREEN_LEFT = 0.9; // of the left cells, green while sharing
const SIDE_MARGIN = 0.05;
const CENTRE_TOL = 0.06;
const TONE_TOL_HZ = 15;
const MIN_HEARD_DB = 25; // above the median of 100..4000 Hz
const MIN_MUTE_DROP_DB = 25; // the muted tone below its level before
const AUDIO_WINDOW = 8; // readings averaged
const POLL_MS = 125;
const STEP_MS = 5000; // a page reacting to a click
const CONNECT_MS = 10000; // #join to connected
const MEDIA_MS = 15000; // connected to pictures and tones
const EVENT_MS = 3000; // a command reaching the other's page
const MUTE_AUDIO_MS = 4000;
const SHARE_MS = 15000; // a screen session connecting and its picture in the composite (8 s was short on a loaded machine)
const WATCHDOG_MS = 85000;

const T = makeReporter('ui');
const check = T.check;

// ---- analysis of the composite (node side) ----

// One character per cell: A (Alice's red), B (Bob's blue), S (the green
// screen), '.' black, '?' anything else.
function classify(cells) {
    let s = '';
    for (let i = 0; i < cells.length; i += 3) {
        const c = [cells[i], cells[i + 1], cells[i + 2]];
        const near = (want) => c.every((v, k) => Math.abs(v - want[k]) <= RGB_TOLERANCE);
        const hit = COLOURS.find((p) => near(p.rgb));
        if (hit) {
            s += hit.key;
        } else if (Math.max(...c) < 24) {
            s += '.';
        } else {
            s += '?';
        }
    }
    return s;
}

// Share of the cells, centroid, and share of the left LEFT_COLS columns of
// each colour.
function analyse(classes) {
    const out = {};
    for (const p of COLOURS) {
        let n = 0;
        let left = 0;
        let sx = 0;
        let sy = 0;
        for (let i = 0; i < classes.length; i++) {
            if (classes[i] === p.key) {
                const col = i % GRID_COLS;
                n++;
                left += col < LEFT_COLS ? 1 : 0;
                sx += (col + 0.5) / GRID_COLS;
                sy += (Math.floor(i / GRID_COLS) + 0.5) / GRID_ROWS;
            }
        }
        out[p.key] = {
            share: n / classes.length,
            left: left / (LEFT_COLS * GRID_ROWS),
            cx: n ? sx / n : NaN,
            cy: n ? sy / n : NaN,
        };
    }
    return out;
}

function fmtAn(an) {
    return COLOURS.map((p) => {
        const a = an[p.key];
        const where = a.share > 0 ? ` @(${a.cx.toFixed(2)},${a.cy.toFixed(2)})` : '';
        return `${p.key} ${(a.share * 100).toFixed(1)}%${where}`;
    }).join(', ');
}

function videoText(s) {
    if (!s || !s.an) {
        return `no picture (size ${s ? s.size : '?'})`;
    }
    return `${fmtAn(s.an)}; ${s.size}`;
}

function printGrid(who, s) {
    if (s && s.classes) {
        console.log(`# ${who}'s composite, ${GRID_COLS}x${GRID_ROWS} cells:`);
        for (let r = 0; r < GRID_ROWS; r++) {
            console.log(`#   ${s.classes.slice(r * GRID_COLS, (r + 1) * GRID_COLS)}`);
        }
    }
}

const expectSize = `${COMPOSITE_W}x${COMPOSITE_H}`;

function alone(s, key) {
    const an = s.an;
    return (
        !!an &&
        s.size === expectSize &&
        an[key].share >= MIN_ALONE_SHARE &&
        Math.abs(an[key].cx - 0.5) <= CENTRE_TOL &&
        COLOURS.filter((p) => p.key !== key).every((p) => an[p.key].share < MAX_GONE_SHARE)
    );
}

// Alice and Bob side by side, vertically centred, no green.
function twoTiles(s) {
    const an = s.an;
    if (!an || s.size !== expectSize) {
        return false;
    }
    const a = an.A;
    const b = an.B;
    if (a.share < MIN_SHARE || b.share < MIN_SHARE || an.S.share >= MAX_GONE_SHARE) {
        return false;
    }
    const [l, r] = [a, b].sort((x, y) => x.cx - y.cx);
    return (
        l.cx < 0.5 - SIDE_MARGIN &&
        r.cx > 0.5 + SIDE_MARGIN &&
        [a, b].every((t) => Math.abs(t.cy - 0.5) <= CENTRE_TOL)
    );
}

// The screen covers the left of the picture; both cameras in the strip on
// the right (right of the 3/4 line).
function presenter(s) {
    const an = s.an;
    if (!an || s.size !== expectSize) {
        return false;
    }
    return (
        an.S.left >= MIN_SCREEN_LEFT &&
        [an.A, an.B].every((t) => t.share >= MIN_STRIP_SHARE && t.cx > 0.75)
    );
}

// ---- code run inside the pages (serialised by playwright; no closures) ----

// Runs at document start in every page of a context, after pageHelpers:
// the person's known camera and microphone for the page to find.
function uiInit({ rgb, toneHz, toneGain }) {
    const H = window.__e2e;
    const U = { logs: H.logs, analyser: null, audioTrack: null };
    window.__ui = U;
    U.ac = new AudioContext({ sampleRate: 48000 });
    U.ac.resume().catch((e) => H.logs.push(`ac.resume: ${e.message}`));
    U.video = H.colourTrack(rgb, { width: 320, height: 240, fps: 30 });
    U.tone = H.toneTrack(U.ac, toneHz, toneGain);
    U.canvas = document.createElement('canvas');
    window.__conclaveTestStream = new MediaStream([U.tone.track, U.video.track]);
}

// State of the page for node: the shown view, the call's session, the
// composite's cells, the roster, the quality line and the status line.
async function pageState({ cols, rows }) {
    const H = window.__e2e;
    const U = window.__ui;
    const $ = (id) => document.getElementById(id);
    const view = ['landing', 'prejoin', 'call', 'left'].find((v) => !$(`view-${v}`).hidden);
    const c = window.conclave;
    const v = H.sampleCells($('remote-video'), U.canvas, cols, rows);
    const roster = Array.from($('roster').children).map((li) => ({
        // the name only: a moderator's entries also hold buttons
        text: li.querySelector('.name') ? li.querySelector('.name').textContent : li.textContent,
        ...li.dataset,
    }));
    return {
        view,
        hash: location.hash,
        conclave: c
            ? {
                  pc: c.pc ? c.pc.connectionState : null,
                  sessionUrl: c.sessionUrl,
                  sessionId: c.sessionId,
                  publicId: c.publicId,
                  room: c.room,
                  screen: c.screen ? { sessionUrl: c.screen.sessionUrl } : null,
              }
            : null,
        size: v.size,
        cells: v.cells,
        roster,
        quality: $('quality').textContent,
        status: $('status').textContent.trim(),
        ac: U.ac.state,
    };
}

// Levels of the given tones in what #remote-audio plays (an analyser fed
// with its track; a new track, after a rejoin, gets a new analyser).
async function pageLevels({ freqs, tolHz }) {
    const H = window.__e2e;
    const U = window.__ui;
    const el = document.getElementById('remote-audio');
    const track = el.srcObject ? el.srcObject.getAudioTracks()[0] : null;
    if (!track) {
        return null;
    }
    if (track !== U.audioTrack) {
        U.audioTrack = track;
        const box = document.createElement('div');
        box.hidden = true;
        document.body.append(box);
        U.analyser = H.remoteAnalyser(U.ac, track, box, 0);
    }
    return H.levels(U.analyser, freqs, tolHz);
}

// A green screen for #share-screen to find instead of getDisplayMedia.
async function pageScreen({ rgb, width, height }) {
    const H = window.__e2e;
    const U = window.__ui;
    U.screen = H.colourTrack(rgb, { width, height, fps: 15 });
    window.__conclaveTestScreenStream = new MediaStream([U.screen.track]);
    return U.screen.source;
}

async function pageChatLog() {
    return Array.from(document.querySelectorAll('#chat-log > li')).map((li) => ({
        who: li.querySelector('.who') ? li.querySelector('.who').textContent : null,
        text: li.querySelector('.text') ? li.querySelector('.text').textContent : null,
        time: li.querySelector('time') ? li.querySelector('time').dateTime : null,
        mine: li.classList.contains('mine'),
    }));
}

async function pageDiagnostics() {
    const c = window.conclave;
    const out = { logs: window.__ui ? window.__ui.logs : [] };
    if (c && c.pc) {
        out.main = await window.__e2e.diagnostics(c.pc);
    }
    return out;
}

// ---- the run ----

const freqs = [ALICE.toneHz, BOB.toneHz];

async function state(page) {
    const s = await page.evaluate(pageState, { cols: GRID_COLS, rows: GRID_ROWS });
    s.classes = s.cells ? classify(s.cells) : '';
    s.an = s.cells ? analyse(s.classes) : null;
    return s;
}

// Polls probe() every POLL_MS until it returns a truthy .ok or deadlineMs
// passes; returns { ok, last, ms }.
async function until(deadlineMs, probe) {
    const r = await pollUntil(() => probe(), (last) => last.ok, deadlineMs, POLL_MS);
    return { ok: !!r.value.ok, last: r.value, ms: r.ms };
}

// A window of audio readings: pushes one reading per call and returns the
// averages (absolute dB and dB above the median) of the last AUDIO_WINDOW.
function audioMeter(page) {
    const readings = [];
    return {
        readings,
        async read() {
            const r = await page.evaluate(pageLevels, { freqs, tolHz: TONE_TOL_HZ });
            if (r) {
                readings.push(r);
            }
            const w = readings.slice(-AUDIO_WINDOW);
            const avg = (f) => (w.length ? w.reduce((s, x) => s + f(x), 0) / w.length : NaN);
            return {
                n: w.length,
                abs: freqs.map((_, i) => avg((x) => x.levels[i])),
                above: freqs.map((_, i) => avg((x) => x.levels[i] - x.medianDb)),
                medianDb: avg((x) => x.medianDb),
            };
        },
    };
}

function fmtAudio(aw) {
    if (!aw || !aw.n) {
        return 'no readings';
    }
    const t = freqs.map(
        (f, i) => `${f} Hz ${aw.abs[i].toFixed(1)} dB (${aw.above[i].toFixed(1)} above median)`,
    );
    return `${t.join(', ')}; median ${aw.medianDb.toFixed(1)} dB; ${aw.n} readings`;
}

async function shot(page, file) {
    const path = join(ARTIFACTS, file);
    try {
        await page.screenshot({ path, timeout: 5000 });
        console.log(`# screenshot ${path}`);
        return true;
    } catch (e) {
        console.log(`# screenshot ${path} failed: ${e.message.split('\n')[0]}`);
        return false;
    }
}

async function dump(who, page, errors) {
    const d = await page.evaluate(pageDiagnostics).catch((e) => ({ error: e.message }));
    if (d.error) {
        console.log(`# ${who}: diagnostics failed: ${d.error}`);
    } else {
        if (d.main) {
            const m = d.main;
            console.log(
                `# ${who}: connectionState=${m.connectionState} ice=${m.iceConnectionState} ` +
                    `signaling=${m.signalingState}`,
            );
            m.stats.forEach((l) => console.log(`#   ${l}`));
        }
        (d.logs || []).forEach((l) => console.log(`# ${who}: ${l}`));
    }
    errors.forEach((l) => console.log(`# ${who}: ${l}`));
}

async function newPerson(browser, who, requests) {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const init = `(${pageHelpers.toString()})();\n(${uiInit.toString()})(${JSON.stringify({
        rgb: who.rgb,
        toneHz: who.toneHz,
        toneGain: TONE_GAIN,
    })});`;
    await context.addInitScript({ content: init });
    context.on('request', (r) => requests.push(`${who.name} ${r.method()} ${r.url()}`));
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') {
            errors.push(`console.${m.type()}: ${m.text()}`);
        }
    });
    return { ...who, context, page, errors };
}

// Fills the name on the pre-join screen and presses #join; waits for the
// call view and a connected peer connection.
async function joinFromPrejoin(p, room, base) {
    await p.page.fill('#display-name', p.name);
    await p.page.click('#join');
    const r = await until(CONNECT_MS, async () => {
        const s = await state(p.page);
        return { ok: s.view === 'call' && s.conclave && s.conclave.pc === 'connected', s };
    });
    const c = r.last.s.conclave;
    const urlOk =
        !!c &&
        c.room === room &&
        typeof c.sessionUrl === 'string' &&
        c.sessionUrl.startsWith(`${base}/rooms/${room}/sessions/`);
    check(
        r.ok && urlOk,
        `${p.name} presses #join: the call view shows, the peer connection is connected and ` +
            `window.conclave.sessionUrl is a session of room ${room}`,
        `view ${r.last.s.view}, pc ${c ? c.pc : 'no window.conclave'}, ` +
            `${c ? c.sessionUrl : ''}, after ${r.ms} ms; status "${r.last.s.status}"`,
    );
    return r.ok && urlOk ? c : null;
}

function rosterHas(s, names, youName) {
    const texts = s.roster.map((li) => li.text).sort();
    const want = [...names].sort();
    return (
        texts.length === want.length &&
        texts.every((t, i) => t === want[i]) &&
        s.roster.every((li) => (li.you === 'true') === (li.text === youName))
    );
}

function fmtRoster(s) {
    return s.roster.length
        ? s.roster
              .map(
                  (li) =>
                      `"${li.text}"(you=${li.you} muted=${li.muted} sharing=${li.sharing} ` +
                      `id=${li.id})`,
              )
              .join(', ')
        : 'empty';
}

// Clicks #leave and checks the DELETE on the session URL answers 200 and
// the "You left" view shows.
async function leave(p, sessionUrl) {
    const resp = p.page
        .waitForResponse((r) => r.request().method() === 'DELETE' && r.url() === sessionUrl, {
            timeout: STEP_MS,
        })
        .catch(() => null);
    await p.page.click('#leave');
    const res = await resp;
    const r = await until(STEP_MS, async () => {
        const s = await state(p.page);
        return { ok: s.view === 'left' && s.conclave === null, s };
    });
    check(
        !!res && res.status() === 200 && r.ok,
        `${p.name} presses #leave: DELETE ${sessionUrl} answers 200, the "You left" view shows ` +
            `and window.conclave is gone`,
        `DELETE ${res ? res.status() : 'not seen'}, view ${r.last.s.view}`,
    );
}

async function run(base, browser) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const requests = [];
    const alice = await newPerson(browser, ALICE, requests);
    const bob = await newPerson(browser, BOB, requests);
    const people = [alice, bob];
    console.log(
        `# Alice: rgb(${ALICE.rgb}) ${ALICE.toneHz} Hz; Bob: rgb(${BOB.rgb}) ${BOB.toneHz} Hz; ` +
            `screen rgb(${SCREEN.rgb}) ${SCREEN.width}x${SCREEN.height}`,
    );
    try {
        await steps(base, alice, bob, requests);
    } finally {
        for (const p of people) {
            if (T.failed > 0) {
                await dump(p.name, p.page, p.errors);
            }
        }
        for (const p of people) {
            await p.context.close().catch(() => {});
        }
    }
}

async function steps(base, alice, bob, requests) {
    // ---- Alice: landing -> create a room -> pre-join -> join ----
    const res = await alice.page.goto(`${base}/`, { timeout: 5000 });
    const landing = await state(alice.page);
    const createVisible = await alice.page.isVisible('#create-room');
    check(
        !!res && res.status() === 200 && landing.view === 'landing' && createVisible,
        'Alice opens /: the landing view with #create-room shows',
        `status ${res && res.status()}, view ${landing.view}`,
    );
    await shot(alice.page, 'ui-landing.png');

    await alice.page.click('#create-room');
    const pre = await until(STEP_MS, async () => {
        const s = await state(alice.page);
        const room = await alice.page.textContent('#prejoin-room');
        const preview = await alice.page.evaluate(
            () => document.getElementById('preview').readyState,
        );
        return {
            ok: s.view === 'prejoin' && /^#\/r\/[A-Za-z0-9_-]{1,64}$/.test(s.hash) && preview >= 2,
            s,
            room,
            preview,
        };
    });
    const room = pre.last.s.hash.replace(/^#\/r\//, '');
    if (
        !check(
            pre.ok && pre.last.room === room,
            'Alice presses #create-room: the pre-join view of a new room /#/r/{room} shows, ' +
                'with her injected camera in the preview',
            `hash ${pre.last.s.hash}, #prejoin-room "${pre.last.room}", ` +
                `preview readyState ${pre.last.preview}, after ${pre.ms} ms`,
        )
    ) {
        return;
    }
    await alice.page.fill('#display-name', ALICE.name);
    await shot(alice.page, 'ui-prejoin.png');
    const aliceCall = await joinFromPrejoin(alice, room, base);
    if (!aliceCall) {
        return;
    }

    // Negative control: alone, Alice sees only her red tile.
    const soloA = await until(MEDIA_MS, async () => {
        const s = await state(alice.page);
        return { ok: alone(s, 'A') && rosterHas(s, [ALICE.name], ALICE.name), s };
    });
    check(
        alone(soloA.last.s, 'A'),
        `alone, Alice's composite is ${expectSize} with only red, one centred tile ` +
            `(>= ${MIN_ALONE_SHARE * 100} %), blue and green < ${MAX_GONE_SHARE * 100} %`,
        `${videoText(soloA.last.s)}, after ${soloA.ms} ms`,
    );
    if (!alone(soloA.last.s, 'A')) {
        printGrid('Alice', soloA.last.s);
    }
    check(
        rosterHas(soloA.last.s, [ALICE.name], ALICE.name),
        'alone, Alice\'s #roster lists only "Alice", marked data-you="true"',
        fmtRoster(soloA.last.s),
    );

    // ---- Bob: the room link -> pre-join -> join ----
    const link = `${base}/#/r/${room}`;
    const resB = await bob.page.goto(link, { timeout: 5000 });
    const preB = await until(STEP_MS, async () => {
        const s = await state(bob.page);
        const shownRoom = await bob.page.textContent('#prejoin-room');
        return { ok: s.view === 'prejoin' && shownRoom === room, s, shownRoom };
    });
    if (
        !check(
            !!resB && resB.status() === 200 && preB.ok,
            `Bob opens the room link ${link}: the pre-join view of that room shows`,
            `status ${resB && resB.status()}, view ${preB.last.s.view}, ` +
                `#prejoin-room "${preB.last.shownRoom}"`,
        )
    ) {
        return;
    }
    const bobCall = await joinFromPrejoin(bob, room, base);
    if (!bobCall) {
        return;
    }

    // Both see both, side by side; both rosters list both.
    const both = await until(MEDIA_MS, async () => {
        const a = await state(alice.page);
        const b = await state(bob.page);
        return {
            ok:
                twoTiles(a) &&
                twoTiles(b) &&
                rosterHas(a, [ALICE.name, BOB.name], ALICE.name) &&
                rosterHas(b, [ALICE.name, BOB.name], BOB.name),
            a,
            b,
        };
    });
    for (const [p, s] of [
        [alice, both.last.a],
        [bob, both.last.b],
    ]) {
        const ok = twoTiles(s);
        check(
            ok,
            `${p.name}'s composite (#remote-video, ${expectSize}) shows red and blue as two ` +
                `tiles side by side (each >= ${MIN_SHARE * 100} % of the cells)`,
            `${videoText(s)}, after ${both.ms} ms`,
        );
        if (!ok) {
            printGrid(p.name, s);
        }
        check(
            rosterHas(s, [ALICE.name, BOB.name], p.name),
            `${p.name}'s #roster lists exactly "Alice" and "Bob", data-you="true" only on ` +
                `"${p.name}"`,
            fmtRoster(s),
        );
    }
    const aliceId = (both.last.b.roster.find((li) => li.text === ALICE.name) || {}).id;
    const aliceIdOk = !!aliceId && aliceId === both.last.a.conclave.publicId;
    check(
        aliceIdOk,
        "the data-id of Alice's entry in Bob's roster is Alice's window.conclave.publicId",
        `${aliceId} vs ${both.last.a.conclave.publicId}`,
    );

    // ---- audio: each hears the other (the mute check's negative control) ----
    const meterA = audioMeter(alice.page); // Alice hears Bob
    const meterB = audioMeter(bob.page); // Bob hears Alice
    const heard = await until(MEDIA_MS, async () => {
        const a = await meterA.read();
        const b = await meterB.read();
        return {
            ok:
                a.n >= AUDIO_WINDOW &&
                b.n >= AUDIO_WINDOW &&
                a.above[1] > MIN_HEARD_DB &&
                b.above[0] > MIN_HEARD_DB,
            a,
            b,
        };
    });
    const before = heard.last.b;
    check(
        before.n >= AUDIO_WINDOW && before.above[0] > MIN_HEARD_DB,
        `before muting, Bob's #remote-audio carries Alice's ${ALICE.toneHz} Hz ` +
            `> ${MIN_HEARD_DB} dB above the median`,
        `${fmtAudio(before)}, after ${heard.ms} ms`,
    );
    check(
        heard.last.a.n >= AUDIO_WINDOW && heard.last.a.above[1] > MIN_HEARD_DB,
        `Alice's #remote-audio carries Bob's ${BOB.toneHz} Hz > ${MIN_HEARD_DB} dB above ` +
            'the median',
        fmtAudio(heard.last.a),
    );

    // ---- chat ----
    const msg = 'hello from Alice';
    await alice.page.fill('#chat-input', msg);
    await alice.page.click('#chat-send');
    const chat = await until(EVENT_MS, async () => {
        const log = await bob.page.evaluate(pageChatLog);
        const hit = log.find((m) => m.who === ALICE.name && m.text === msg);
        return { ok: !!hit && !!hit.time && !hit.mine, log };
    });
    check(
        chat.ok,
        `Alice sends "${msg}": it appears in Bob's #chat-log with .who "Alice", a <time> and .text`,
        `${JSON.stringify(chat.last.log)}, after ${chat.ms} ms`,
    );
    const inputLeft = await alice.page.inputValue('#chat-input');
    check(
        inputLeft === '',
        "Alice's #chat-input is emptied once the message is sent",
        `"${inputLeft}"`,
    );
    await shot(bob.page, 'ui-call.png');
    const qb = (await state(bob.page)).quality;
    const qa = (await state(alice.page)).quality;
    console.log(`# Bob's #quality: "${qb}"; Alice's: "${qa}"`);

    // ---- mute ----
    await alice.page.click('#mute-mic');
    const pressed = await alice.page.getAttribute('#mute-mic', 'aria-pressed');
    check(
        pressed === 'true',
        'Alice presses #mute-mic: it shows aria-pressed="true"',
        `aria-pressed=${pressed}`,
    );
    const mutedRoster = await until(EVENT_MS, async () => {
        const s = await state(bob.page);
        const a = s.roster.find((li) => li.text === ALICE.name);
        const b = s.roster.find((li) => li.text === BOB.name);
        return { ok: !!a && a.muted === 'true' && !!b && b.muted === 'false', s };
    });
    check(
        mutedRoster.ok,
        `within ${EVENT_MS / 1000} s Bob's roster shows "Alice" with data-muted="true" ` +
            '(and himself still "false")',
        `${fmtRoster(mutedRoster.last.s)}, after ${mutedRoster.ms} ms`,
    );
    // A fresh window of readings taken after the click.
    const afterB = audioMeter(bob.page);
    const afterA = audioMeter(alice.page);
    const quiet = await until(MUTE_AUDIO_MS, async () => {
        const b = await afterB.read();
        const a = await afterA.read();
        return {
            ok:
                b.n >= AUDIO_WINDOW &&
                b.abs[0] <= before.abs[0] - MIN_MUTE_DROP_DB &&
                a.n >= AUDIO_WINDOW &&
                a.above[1] > MIN_HEARD_DB,
            a,
            b,
        };
    });
    const drop = before.abs[0] - quiet.last.b.abs[0];
    check(
        quiet.last.b.n >= AUDIO_WINDOW && drop >= MIN_MUTE_DROP_DB,
        `within ${MUTE_AUDIO_MS / 1000} s Alice's ${ALICE.toneHz} Hz in Bob's audio is ` +
            `>= ${MIN_MUTE_DROP_DB} dB below its level before the mute`,
        `before ${before.abs[0].toFixed(1)} dB, after ${quiet.last.b.abs[0].toFixed(1)} dB ` +
            `(drop ${drop.toFixed(1)} dB); after: ${fmtAudio(quiet.last.b)}; ${quiet.ms} ms`,
    );
    check(
        quiet.last.a.n >= AUDIO_WINDOW && quiet.last.a.above[1] > MIN_HEARD_DB,
        `while Alice is muted she still hears Bob's ${BOB.toneHz} Hz > ${MIN_HEARD_DB} dB above ` +
            'the median',
        fmtAudio(quiet.last.a),
    );
    const stillTwo = await state(bob.page);
    check(
        twoTiles(stillTwo),
        "while Alice is muted Bob's composite still shows red and blue side by side",
        videoText(stillTwo),
    );

    // ---- too many changes in a row: refused (429), said, and shown as the server has it ----
    await alice.page.evaluate(() => {
        const line = document.getElementById('status');
        window.__ui.said = [];
        new MutationObserver(() => window.__ui.said.push(line.textContent)).observe(line, {
            childList: true,
            characterData: true,
            subtree: true,
        });
    });
    for (let i = 0; i < 14; i++) {
        await alice.page.click('#raise-hand');
    }
    const refused = await until(EVENT_MS, async () => {
        const said = await alice.page.evaluate(() => window.__ui.said);
        const reason = /too many .*try again in \d+ s/i;
        return { ok: said.some((t) => reason.test(t)), said };
    });
    check(
        refused.ok,
        'Alice presses #raise-hand 14 times in a row: her status line gives the server\'s ' +
            '"too many" reason and when to try again',
        `${JSON.stringify(refused.last.said.filter((t) => t).slice(-2))}, after ${refused.ms} ms`,
    );
    const settled = await until(EVENT_MS, async () => {
        const pressed = await alice.page.getAttribute('#raise-hand', 'aria-pressed');
        const a = (await state(bob.page)).roster.find((li) => li.text === ALICE.name);
        return { ok: !!a && a.hand === pressed, pressed, hand: a ? a.hand : null };
    });
    check(
        settled.ok,
        "then Alice's #raise-hand shows what Bob's roster says of her hand",
        `aria-pressed=${settled.last.pressed}, data-hand=${settled.last.hand}, ` +
            `after ${settled.ms} ms`,
    );

    // ---- screen share ----
    const src = await alice.page.evaluate(pageScreen, SCREEN);
    console.log(`# Alice's screen: ${src}`);
    await alice.page.click('#share-screen');
    const sharing = await until(SHARE_MS, async () => {
        const a = await state(alice.page);
        const b = await state(bob.page);
        const pressedNow = await alice.page.getAttribute('#share-screen', 'aria-pressed');
        const aliceLi = b.roster.find((li) => li.text === ALICE.name);
        return {
            ok:
                presenter(b) &&
                pressedNow === 'true' &&
                !!a.conclave &&
                !!a.conclave.screen &&
                !!aliceLi &&
                aliceLi.sharing === 'true',
            a,
            b,
            pressedNow,
            aliceLi,
        };
    });
    const sh = sharing.last;
    const screenUrl =
        sh.a.conclave && sh.a.conclave.screen ? sh.a.conclave.screen.sessionUrl : null;
    check(
        sh.pressedNow === 'true' &&
            !!screenUrl &&
            screenUrl.startsWith(`${base}/rooms/${room}/sessions/`),
        'Alice presses #share-screen: it shows aria-pressed="true" and window.conclave.screen ' +
            'has a session URL in the room',
        `aria-pressed=${sh.pressedNow}, screen ${screenUrl}`,
    );
    check(
        presenter(sh.b),
        `Bob's composite: the green screen covers >= ${MIN_SCREEN_LEFT * 100} % of the left ` +
            `${LEFT_COLS}/${GRID_COLS} columns, red and blue in the strip on the right ` +
            `(centroids right of 0.75, each >= ${MIN_STRIP_SHARE * 100} %)`,
        `green on ${(sh.b.an ? sh.b.an.S.left * 100 : 0).toFixed(1)} % of the left cells; ` +
            `${videoText(sh.b)}, after ${sharing.ms} ms`,
    );
    if (!presenter(sh.b)) {
        printGrid('Bob', sh.b);
    }
    check(
        !!sh.aliceLi && sh.aliceLi.sharing === 'true',
        "Bob's roster shows Alice with data-sharing=\"true\"",
        fmtRoster(sh.b),
    );

    await alice.page.click('#share-screen');
    const unshared = await until(SHARE_MS, async () => {
        const b = await state(bob.page);
        const pressedNow = await alice.page.getAttribute('#share-screen', 'aria-pressed');
        return { ok: twoTiles(b) && pressedNow === 'false', b, pressedNow };
    });
    check(
        unshared.ok,
        'Alice presses #share-screen again: aria-pressed="false" and Bob\'s composite is back ' +
            `to red and blue side by side, green < ${MAX_GONE_SHARE * 100} %`,
        `aria-pressed=${unshared.last.pressedNow}; ${videoText(unshared.last.b)}, ` +
            `after ${unshared.ms} ms`,
    );
    if (!twoTiles(unshared.last.b)) {
        printGrid('Bob', unshared.last.b);
    }

    // ---- leaving ----
    await leave(bob, bobCall.sessionUrl);
    const gone = await until(EVENT_MS, async () => {
        const s = await state(alice.page);
        return { ok: rosterHas(s, [ALICE.name], ALICE.name), s };
    });
    check(
        gone.ok,
        `within ${EVENT_MS / 1000} s of Bob leaving, Alice's roster lists only "Alice"`,
        `${fmtRoster(gone.last.s)}, after ${gone.ms} ms`,
    );
    await leave(alice, aliceCall.sessionUrl);

    // ---- every request on the daemon's origin ----
    const foreign = requests.filter((line) => {
        const url = line.split(' ').slice(2).join(' ');
        return !(url.startsWith(`${base}/`) || url.startsWith('blob:') || url.startsWith('data:'));
    });
    const per = (n) => requests.filter((l) => l.startsWith(`${n} `)).length;
    check(
        foreign.length === 0 && per(ALICE.name) > 0 && per(BOB.name) > 0,
        `every request of both pages went to ${base} (or blob:/data:)`,
        foreign.length
            ? `foreign: ${foreign.join('; ')}`
            : `Alice ${per(ALICE.name)}, Bob ${per(BOB.name)} requests`,
    );
}

const main = () => runMain({ name: 'ui', T, check, watchdogMs: WATCHDOG_MS, run });

process.exitCode = await main();
