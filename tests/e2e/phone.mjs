// phone.mjs - browser end-to-end test of the portrait composite and of low
// data in conclave's web client (www/js/view.js).
//
// Usage: node tests/e2e/phone.mjs http://127.0.0.1:PORT (run it through
// tests/e2e/phone.sh).
//
// Two browser contexts with Chromium's fake camera and microphone, both
// through the page's pre-join screen:
//  - Desk (a 1100x800 window) opens the room, Phone (390x844, upright)
//    joins: Phone's page asks for the portrait composite by itself, and its
//    remote video turns taller than wide (videoHeight > videoWidth) while
//    Desk's stays wider than tall; Phone's <video> box, and the picture
//    shown in it, fill at least 80 % of the viewport's width;
//  - Phone turns sideways (844x390): its picture is wider than tall again;
//  - Desk goes to audio only (the call's switch): after a settle time its
//    inbound video packetsReceived (getStats) no longer grows over 2 s
//    while its audio does and Phone's video does; off again, its video
//    comes back.
// Every wait polls a condition against a deadline. Ends with
// "phone: N passed, M failed".

import { makeReporter, pollUntil, runMain } from './lib.mjs';

const ROOM = 'phones';
const POLL_MS = 200;
const STEP_MS = 15000;
const CONNECT_MS = 20000;
const SETTLE_MS = 2000;
const SAMPLE_MS = 2000;
const WATCHDOG_MS = 120000;

const T = makeReporter('phone');
const check = T.check;

async function until(deadlineMs, probe) {
    const r = await pollUntil(() => probe(), (last) => last.ok, deadlineMs, POLL_MS);
    return { ok: !!r.value.ok, last: r.value, ms: r.ms };
}

// In the page: the call's state, the remote picture and its boxes.
function pageState() {
    const $ = (id) => document.getElementById(id);
    const c = window.conclave;
    const v = $('remote-video');
    const box = v.getBoundingClientRect();
    // the picture inside the box (object-fit: contain)
    let shownW = 0;
    if (v.videoWidth && v.videoHeight && box.width && box.height) {
        const scale = Math.min(box.width / v.videoWidth, box.height / v.videoHeight);
        shownW = v.videoWidth * scale;
    }
    return {
        view: ['landing', 'prejoin', 'waiting', 'call', 'left'].find((x) => !$(`view-${x}`).hidden),
        pc: c && c.pc ? c.pc.connectionState : null,
        vw: v.videoWidth,
        vh: v.videoHeight,
        boxW: Math.round(box.width),
        boxH: Math.round(box.height),
        shownW: Math.round(shownW),
        innerW: window.innerWidth,
        innerH: window.innerHeight,
    };
}

const state = (p) => p.page.evaluate(pageState);

// In the page: packets received so far by the inbound video and audio streams.
async function packets() {
    const c = window.conclave;
    const out = { video: 0, audio: 0 };
    if (!c || !c.pc) {
        return out;
    }
    const stats = await c.pc.getStats();
    stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && (s.kind === 'video' || s.kind === 'audio')) {
            out[s.kind] += s.packetsReceived || 0;
        }
    });
    return out;
}

async function newPerson(browser, name, viewport) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`# ${name}: pageerror: ${e.message}`));
    return { name, context, page };
}

async function joinRoom(p, base) {
    await p.page.goto(`${base}/#/r/${ROOM}`, {
        timeout: CONNECT_MS,
        waitUntil: 'domcontentloaded',
    });
    await until(CONNECT_MS, async () => ({ ok: (await state(p)).view === 'prejoin' }));
    await p.page.fill('#display-name', p.name);
    const status = () => p.page.evaluate(() => document.getElementById('status').textContent);
    await until(STEP_MS, async () => ({ ok: /ready/.test(await status()) }));
    await p.page.click('#join');
    return until(CONNECT_MS, async () => {
        const s = await state(p);
        return { ok: s.view === 'call' && s.pc === 'connected', s };
    });
}

const dims = (s) =>
    `${s.vw}x${s.vh}, box ${s.boxW}x${s.boxH}, picture ${s.shownW} wide, ` +
    `window ${s.innerW}x${s.innerH}`;

// Two samples SAMPLE_MS apart: what grew in between.
async function growth(p) {
    const a = await p.page.evaluate(packets);
    await new Promise((res) => setTimeout(res, SAMPLE_MS));
    const b = await p.page.evaluate(packets);
    return { video: b.video - a.video, audio: b.audio - a.audio };
}

async function run(base, browser) {
    const desk = await newPerson(browser, 'Desk', { width: 1100, height: 800 });
    const phone = await newPerson(browser, 'Phone', { width: 390, height: 844 });
    let r = await joinRoom(desk, base);
    check(r.ok, 'Desk opens the room and connects');
    r = await joinRoom(phone, base);
    check(r.ok, 'Phone (390x844) joins and connects', r.last.s ? r.last.s.view : '');

    // ---- upright: the portrait composite, filling the width ----
    r = await until(STEP_MS, async () => {
        const s = await state(phone);
        return { ok: s.vw > 0 && s.vh > s.vw, s };
    });
    check(r.ok, "Phone's remote video is taller than wide", dims(r.last.s));
    const s = r.last.s;
    check(
        s.boxW >= 0.8 * s.innerW,
        "Phone's <video> box fills at least 80 % of the viewport's width",
        dims(s),
    );
    check(
        s.shownW >= 0.8 * s.innerW,
        'the picture shown in it fills at least 80 % of the width too',
        dims(s),
    );
    r = await until(STEP_MS, async () => {
        const d = await state(desk);
        return { ok: d.vw > d.vh && d.vh > 0, d };
    });
    check(r.ok, "Desk's remote video stays wider than tall", dims(r.last.d));

    // ---- sideways: landscape again ----
    await phone.page.setViewportSize({ width: 844, height: 390 });
    r = await until(STEP_MS, async () => {
        const x = await state(phone);
        return { ok: x.vw > x.vh && x.vh > 0, x };
    });
    check(r.ok, 'Phone turned sideways (844x390) gets a picture wider than tall', dims(r.last.x));

    // ---- low data on Desk ----
    const before = await growth(desk);
    check(
        before.video > 0,
        'before low data, Desk receives video',
        `${before.video} packets in 2 s`,
    );
    // the in-call "audio only" switch (its settings panel need not be open)
    const low = async (on) =>
        desk.page.evaluate((v) => {
            const box = document.getElementById('call-low-data');
            if (box.checked !== v) {
                box.click();
            }
            return box.checked;
        }, on);
    check((await low(true)) === true, 'Desk turns audio only on (the call\'s switch)');
    await new Promise((res) => setTimeout(res, SETTLE_MS));
    const during = await growth(desk);
    check(
        during.video === 0,
        "on low data, Desk's inbound video packetsReceived stops growing",
        `${during.video} packets in 2 s`,
    );
    check(during.audio > 20, 'while its audio keeps growing', `${during.audio} packets in 2 s`);
    const neighbour = await growth(phone);
    check(neighbour.video > 0, "Phone's video still grows", `${neighbour.video} packets in 2 s`);
    check((await low(false)) === false, 'Desk turns low data off');
    r = await until(STEP_MS, async () => {
        const g = await growth(desk);
        return { ok: g.video > 0, g };
    });
    check(r.ok, 'then its video comes back', `${r.last.g.video} packets in 2 s`);

    for (const p of [desk, phone]) {
        await p.context.close();
    }
}

process.exitCode = await runMain({ name: 'phone', T, check, watchdogMs: WATCHDOG_MS, run });
