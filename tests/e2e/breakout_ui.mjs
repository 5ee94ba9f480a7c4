// breakout_ui.mjs - browser end-to-end test of breakout groups in
// conclave's web client (www/).
//
// Usage: node tests/e2e/breakout_ui.mjs http://127.0.0.1:PORT (run it
// through tests/e2e/breakout-ui.sh).
//
// Three browser contexts with Chromium's fake camera and microphone:
//  - Host opens /#/r/class first (moderates); Sam and Kim join;
//  - Host, from the keyboard, sets 2 groups, 1 minute, and presses "Open
//    groups": Sam's and Kim's calls move to two different group rooms and
//    connect there, and each banner says "You are in group N of 2" with a
//    clock counting down from 1:00; the page address stays the room's;
//  - Host's panel lists the groups; "Visit" on group 1 takes Host there
//    (banner "You are visiting group 1 of 2"), "Back to the main room"
//    brings Host back;
//  - a message to all groups reaches Sam's and Kim's chat;
//  - "Close groups": both calls come back to the room, banners hidden.
// Every wait polls a condition against a deadline. Ends with
// "breakout-ui: N passed, M failed".

import { makeReporter, pollUntil, runMain } from './lib.mjs';

const ROOM = 'class';
const POLL_MS = 100;
const STEP_MS = 15000;
const CONNECT_MS = 20000;
const WATCHDOG_MS = 170000;

const T = makeReporter('breakout-ui');
const check = T.check;

async function until(deadlineMs, probe) {
    const r = await pollUntil(() => probe(), (last) => last.ok, deadlineMs, POLL_MS);
    return { ok: !!r.value.ok, last: r.value, ms: r.ms };
}

function pageState() {
    const $ = (id) => document.getElementById(id);
    const c = window.conclave;
    return {
        view: ['landing', 'prejoin', 'waiting', 'call', 'left'].find((v) => !$(`view-${v}`).hidden),
        href: location.href,
        room: c ? c.room : null,
        pc: c && c.pc ? c.pc.connectionState : null,
        banner: !$('breakout-banner').hidden,
        text: $('breakout-text').textContent,
        clock: $('breakout-clock').textContent,
        back: !$('breakout-back').hidden,
        groups: Array.from($('breakout-list').children).map((li) => li.textContent),
        chat: $('chat-log').textContent,
        panel: !$('moderator-panel').hidden,
    };
}

const state = (p) => p.page.evaluate(pageState);

async function newPerson(browser, name) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
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

const inGroup = (s) => /^class-g[12]-[0-9a-f]{16}$/.test(s.room || '') && s.pc === 'connected';

async function run(base, browser) {
    const host = await newPerson(browser, 'Host');
    const sam = await newPerson(browser, 'Sam');
    const kim = await newPerson(browser, 'Kim');
    let r = await joinRoom(host, base);
    check(r.ok, 'Host opens the room and connects');
    r = await until(STEP_MS, async () => ({ ok: (await state(host)).panel }));
    check(r.ok, "Host moderates: the moderator's panel shows");
    for (const p of [sam, kim]) {
        r = await joinRoom(p, base);
        check(r.ok, `${p.name} joins and connects`, `view ${r.last.s && r.last.s.view}`);
    }

    // ---- open two groups for a minute, from the keyboard ----
    await host.page.fill('#breakout-groups', '2');
    await host.page.selectOption('#breakout-assign', 'random');
    await host.page.fill('#breakout-minutes', '1');
    await host.page.focus('#breakout-open');
    await host.page.keyboard.press('Enter');
    const moved = {};
    for (const p of [sam, kim]) {
        r = await until(STEP_MS, async () => {
            const s = await state(p);
            return { ok: inGroup(s) && s.banner, s };
        });
        moved[p.name] = r.last.s;
        check(
            r.ok && /^You are in group [12] of 2/.test(r.last.s.text),
            `${p.name}: the call moves to a group room, connects, and the banner says which`,
            `room ${r.last.s.room}, pc ${r.last.s.pc}, "${r.last.s.text}"`,
        );
        check(
            /— (1:00|0:5[0-9]) left/.test(r.last.s.clock) &&
                r.last.s.href.endsWith(`#/r/${ROOM}`),
            `${p.name}: the clock counts down from 1:00; the address stays the room's`,
            `"${r.last.s.clock}", ${r.last.s.href}`,
        );
    }
    check(
        moved.Sam.room && moved.Kim.room && moved.Sam.room !== moved.Kim.room,
        'Sam and Kim are in different groups (two groups, at random, one each)',
        `${moved.Sam.room} / ${moved.Kim.room}`,
    );

    // ---- the host visits group 1, then goes back ----
    r = await until(STEP_MS, async () => {
        const s = await state(host);
        return { ok: s.groups.length === 2, s };
    });
    check(r.ok, "Host's panel lists the two groups", JSON.stringify(r.last.s.groups));
    await host.page.click('#breakout-list button:text-is("Visit")');
    r = await until(STEP_MS, async () => {
        const s = await state(host);
        return { ok: /^class-g1-/.test(s.room || '') && s.pc === 'connected', s };
    });
    check(
        r.ok && /You are visiting group 1 of 2/.test(r.last.s.text) && r.last.s.back,
        'Host visits group 1: in its room, banner says so, with a way back',
        `room ${r.last.s.room}, "${r.last.s.text}"`,
    );
    await host.page.click('#breakout-back');
    r = await until(STEP_MS, async () => {
        const s = await state(host);
        return { ok: s.room === ROOM && s.pc === 'connected' && !s.banner, s };
    });
    check(r.ok, 'Host goes back to the main room', `room ${r.last.s.room}`);

    // ---- a message to all groups ----
    await host.page.fill('#breakout-broadcast-text', 'two minutes to go');
    await host.page.press('#breakout-broadcast-text', 'Enter');
    for (const p of [sam, kim]) {
        r = await until(STEP_MS, async () => {
            const s = await state(p);
            return { ok: s.chat.includes('two minutes to go'), s };
        });
        check(r.ok, `${p.name} reads the message to all groups in its group's chat`);
    }

    // ---- close ----
    await host.page.click('#breakout-close');
    for (const p of [sam, kim]) {
        r = await until(STEP_MS, async () => {
            const s = await state(p);
            return { ok: s.room === ROOM && s.pc === 'connected' && !s.banner, s };
        });
        check(
            r.ok,
            `${p.name} comes back to the room when the groups close, banner gone`,
            `room ${r.last.s.room}, pc ${r.last.s.pc}, banner ${r.last.s.banner}`,
        );
    }
    for (const p of [sam, kim, host]) {
        await p.page.click('#leave');
    }
}

process.exitCode = await runMain({ name: 'breakout_ui', T, check, watchdogMs: WATCHDOG_MS, run });
