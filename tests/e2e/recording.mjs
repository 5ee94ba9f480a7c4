// recording.mjs - browser end-to-end test of the recording indicator in
// conclave's web client (www/).
//
// Usage: node tests/e2e/recording.mjs http://127.0.0.1:PORT (the daemon has
// [recording] enabled; run it through tests/e2e/recording.sh).
//
// Three browser contexts with Chromium's fake camera and microphone:
//  - Alice opens the room first (she moderates) and Bob joins; Carol's
//    pre-join screen shows no recording notice yet;
//  - Alice presses #record-room: #recording-indicator shows on Alice's and
//    on Bob's page within 1 s of the press (each page notes the moment it
//    appeared), and each page's #recording-live tells screen readers
//    "This meeting is being recorded.";
//  - Carol opens the pre-join screen again: #prejoin-recording says "This
//    meeting is being recorded"; she turns her camera and microphone off and
//    joins: her indicator shows too, her tracks are off;
//  - Alice stops: every indicator hides and #recording-live says
//    "Recording stopped.".
// Every wait polls a condition against a deadline. Ends with
// "recording-ui: N passed, M failed".

import { makeReporter, pollUntil, runMain } from './lib.mjs';

const ROOM = 'taped';
const POLL_MS = 50;
const STEP_MS = 10000;
const CONNECT_MS = 20000;
const WATCHDOG_MS = 150000;
const SHOWN_WITHIN_MS = 1000;

const T = makeReporter('recording-ui');
const check = T.check;

async function until(deadlineMs, probe) {
    const r = await pollUntil(() => probe(), (last) => last.ok, deadlineMs, POLL_MS);
    return { ok: !!r.value.ok, last: r.value, ms: r.ms };
}

function pageState() {
    const $ = (id) => document.getElementById(id);
    const view = ['landing', 'prejoin', 'call', 'left'].find((v) => !$(`view-${v}`).hidden);
    const c = window.conclave;
    return {
        view,
        status: $('status').textContent.trim(),
        pc: c && c.pc ? c.pc.connectionState : null,
        panelShown: !$('moderator-panel').hidden,
        indicator: !$('recording-indicator').hidden,
        indicatorAt: window.__indicatorAt || 0,
        live: $('recording-live').textContent.trim(),
        notice: !$('prejoin-recording').hidden,
        noticeText: $('prejoin-recording').textContent.replace(/\s+/g, ' ').trim(),
        micPressed: $('prejoin-mic').getAttribute('aria-pressed'),
        camPressed: $('prejoin-cam').getAttribute('aria-pressed'),
    };
}

const state = (p) => p.page.evaluate(pageState);

async function newPerson(browser, name) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    // the moment #recording-indicator first shows, by this page's clock
    await context.addInitScript(() => {
        document.addEventListener('DOMContentLoaded', () => {
            const el = document.getElementById('recording-indicator');
            new MutationObserver(() => {
                if (!el.hidden && !window.__indicatorAt) {
                    window.__indicatorAt = Date.now();
                }
            }).observe(el, { attributes: true, attributeFilter: ['hidden'] });
        });
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`# ${name}: pageerror: ${e.message}`));
    return { name, context, page };
}

async function openRoom(p, base, again = false) {
    const load = { timeout: 2 * CONNECT_MS, waitUntil: 'domcontentloaded' };
    await (again ? p.page.reload(load) : p.page.goto(`${base}/#/r/${ROOM}`, load));
    await until(CONNECT_MS, async () => ({ ok: (await state(p)).view === 'prejoin' }));
    await p.page.fill('#display-name', p.name);
    await until(STEP_MS, async () => ({ ok: /ready/.test((await state(p)).status) }));
}

const inCall = (s) => s.view === 'call' && s.pc === 'connected';

async function join(p) {
    await p.page.click('#join');
    return until(CONNECT_MS, async () => {
        const s = await state(p);
        return { ok: inCall(s), s };
    });
}

async function run(base, browser) {
    const alice = await newPerson(browser, 'Alice');
    const bob = await newPerson(browser, 'Bob');
    const carol = await newPerson(browser, 'Carol');

    await openRoom(alice, base);
    let r = await join(alice);
    check(r.ok, 'Alice joins first and is in the call', `view ${r.last.s.view}`);
    r = await until(STEP_MS, async () => {
        const s = await state(alice);
        return { ok: s.panelShown, s };
    });
    check(r.ok, 'Alice moderates (her panel shows)');
    await openRoom(bob, base);
    r = await join(bob);
    check(r.ok, 'Bob joins', `view ${r.last.s.view}`);
    await openRoom(carol, base);
    let s = await state(carol);
    check(!s.notice, "Carol's pre-join screen says nothing of a recording before one starts");
    s = await state(bob);
    check(!s.indicator, "Bob's call shows no recording indicator before one starts");

    const pressed = Date.now();
    await alice.page.click('#record-room');
    for (const p of [alice, bob]) {
        r = await until(STEP_MS, async () => {
            const st = await state(p);
            return { ok: st.indicator && st.indicatorAt > 0, s: st };
        });
        const after = r.last.s.indicatorAt - pressed;
        check(
            r.ok && after <= SHOWN_WITHIN_MS,
            `${p.name}'s recording indicator shows within ${SHOWN_WITHIN_MS} ms of the press`,
            `shown ${r.ok}, after ${after} ms`,
        );
        r = await until(STEP_MS, async () => {
            const st = await state(p);
            return { ok: st.live === 'This meeting is being recorded.', s: st };
        });
        check(r.ok, `${p.name}'s screen reader is told`, `"${r.last.s.live}"`);
    }

    await openRoom(carol, base, true);
    r = await until(STEP_MS, async () => {
        const st = await state(carol);
        return { ok: st.notice, s: st };
    });
    check(
        r.ok && /This meeting is being recorded/.test(r.last.s.noticeText),
        "Carol's pre-join screen says the meeting is being recorded",
        `"${r.last.s.noticeText}"`,
    );
    await carol.page.click('#prejoin-cam');
    await carol.page.click('#prejoin-mic');
    s = await state(carol);
    check(
        s.camPressed === 'true' && s.micPressed === 'true',
        'Carol turns her camera and microphone off before joining',
        `camera ${s.camPressed}, microphone ${s.micPressed}`,
    );
    r = await join(carol);
    check(r.ok, 'Carol joins with them off');
    const tracks = await carol.page.evaluate(() =>
        window.conclave.pc
            .getSenders()
            .filter((x) => x.track)
            .map((x) => `${x.track.kind}:${x.track.enabled}`),
    );
    check(
        tracks.every((t) => t.endsWith(':false')),
        "Carol's camera and microphone stay off in the call",
        tracks.join(' '),
    );
    r = await until(STEP_MS, async () => {
        const st = await state(carol);
        return { ok: st.indicator, s: st };
    });
    check(r.ok, "Carol's call shows the recording indicator");

    await alice.page.click('#record-room');
    for (const p of [alice, bob, carol]) {
        r = await until(STEP_MS, async () => {
            const st = await state(p);
            return { ok: !st.indicator && st.live === 'Recording stopped.', s: st };
        });
        check(
            r.ok,
            `${p.name}: the indicator hides and the screen reader hears it stopped`,
            `indicator ${r.last.s.indicator}, "${r.last.s.live}"`,
        );
    }
    for (const p of [alice, bob, carol]) {
        await p.page.click('#leave').catch(() => {});
    }
}

process.exitCode = await runMain({ name: 'recording', T, check, watchdogMs: WATCHDOG_MS, run });
