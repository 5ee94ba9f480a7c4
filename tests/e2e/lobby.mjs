// lobby.mjs - browser end-to-end test of the waiting room in conclave's web
// client (www/).
//
// Usage: node tests/e2e/lobby.mjs http://127.0.0.1:PORT (the daemon has
// [room class] lobby = yes; run it through tests/e2e/lobby.sh).
//
// Three browser contexts (people who share nothing), with Chromium's fake
// camera and microphone:
//  - Host opens /#/r/class first: an empty room lets its creator in, who
//    moderates; the waiting list in the moderator's panel says nobody waits;
//  - Wendy presses "Join now": the waiting screen shows with her camera
//    preview; while she waits her page makes no peer connection and no WHIP
//    join, receives no hello, roster, layout, room, speakers or chat event,
//    and shows nobody; Host's list shows "Wendy" with Admit and Deny, and the
//    aria-live line announces her;
//  - Host focuses Admit and presses Enter (the keyboard): Wendy's page is in
//    the call, its WHIP join answered, within 1 s, and connects;
//  - Dan waits, Host denies him: his page goes back to the pre-join screen
//    saying a moderator turned him away; he reloads and presses "Join now"
//    again: refused at once, no waiting screen, no WHIP join;
//  - Wendy reloads her page in the call and joins again: in at once (her
//    browser was let in while the room lasts), no waiting screen;
//  - every request went to the daemon's origin.
// Every wait polls a condition against a deadline. Ends with
// "lobby-ui: N passed, M failed".

import { makeReporter, pollUntil, runMain } from './lib.mjs';

const ROOM = 'class';
const POLL_MS = 50;
const STEP_MS = 10000; // generous: the test machine may be loaded
const CONNECT_MS = 20000;
const ADMIT_MS = 1000; // admit -> in the call
const WATCHDOG_MS = 150000;

const T = makeReporter('lobby-ui');
const check = T.check;

async function until(deadlineMs, probe) {
    const r = await pollUntil(() => probe(), (last) => last.ok, deadlineMs, POLL_MS);
    return { ok: !!r.value.ok, last: r.value, ms: r.ms };
}

function pageState() {
    const $ = (id) => document.getElementById(id);
    const view = ['landing', 'prejoin', 'waiting', 'call', 'left'].find(
        (v) => !$(`view-${v}`).hidden,
    );
    const c = window.conclave;
    const preview = $('waiting-preview');
    const track = preview.srcObject ? preview.srcObject.getVideoTracks()[0] : null;
    return {
        view,
        status: $('status').textContent.trim(),
        pc: c && c.pc ? c.pc.connectionState : null,
        sessionUrl: c ? c.sessionUrl : null,
        pcs: window.__pcs,
        events: window.__events.slice(),
        preview: track ? `${track.readyState} ${preview.videoWidth}x${preview.videoHeight}` : '',
        remote: !!$('remote-video').srcObject,
        roster: $('roster').children.length,
        waiting: Array.from($('lobby-list').children).map((li) => ({
            name: li.querySelector('.name').textContent,
            buttons: Array.from(li.querySelectorAll('button.mod')).map((b) => b.textContent),
        })),
        empty: !$('lobby-empty').hidden,
        announce: $('lobby-announce').textContent,
    };
}

const state = (p) => p.page.evaluate(pageState);

async function newPerson(browser, name, requests) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    context.on('request', (r) => requests.push(`${name} ${r.method()} ${r.url()}`));
    // count peer connections and the names of the events that arrive
    await context.addInitScript(() => {
        window.__pcs = 0;
        window.__events = [];
        const PC = window.RTCPeerConnection;
        window.RTCPeerConnection = function (...args) {
            window.__pcs++;
            return new PC(...args);
        };
        window.RTCPeerConnection.prototype = PC.prototype;
        const ES = window.EventSource;
        const names = ['hello', 'roster', 'speakers', 'chat', 'layout', 'room', 'lobby'];
        window.EventSource = function (url, init) {
            const es = new ES(url, init);
            for (const n of names) {
                es.addEventListener(n, () => window.__events.push(n));
            }
            return es;
        };
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`# ${name}: pageerror: ${e.message}`));
    return { name, context, page };
}

async function openRoom(p, base) {
    await p.page.goto(`${base}/#/r/${ROOM}`, {
        timeout: 2 * CONNECT_MS,
        waitUntil: 'domcontentloaded',
    });
    await until(CONNECT_MS, async () => ({ ok: (await state(p)).view === 'prejoin' }));
    await p.page.fill('#display-name', p.name);
    await until(STEP_MS, async () => ({ ok: /ready/.test((await state(p)).status) }));
}

const whipJoins = (requests, who) =>
    requests.filter((l) => l.startsWith(`${who} POST `) && /\/whip(\?|$)/.test(l));

// Host presses a button of the waiting list entry `name`, by the keyboard.
async function pressEntry(host, name, text) {
    const sel = `#lobby-list li:has(.name:text-is("${name}")) button.mod:text-is("${text}")`;
    await host.page.focus(sel, { timeout: STEP_MS });
    await host.page.keyboard.press('Enter');
}

async function waitIn(host, who) {
    await who.page.click('#join');
    let r = await until(STEP_MS, async () => {
        const s = await state(who);
        return { ok: s.view === 'waiting', s };
    });
    check(r.ok, `${who.name}: the waiting screen shows`, `view ${r.last.s.view}`);
    r = await until(STEP_MS, async () => {
        const s = await state(host);
        return { ok: s.waiting.some((e) => e.name === who.name), s };
    });
    check(r.ok, `Host's waiting list shows ${who.name}`, JSON.stringify(r.last.s.waiting));
    return r.ok;
}

async function run(base, browser) {
    const requests = [];
    const host = await newPerson(browser, 'Host', requests);
    const wendy = await newPerson(browser, 'Wendy', requests);
    const dan = await newPerson(browser, 'Dan', requests);

    // ---- the host opens the room ----
    await openRoom(host, base);
    await host.page.click('#join');
    let r = await until(CONNECT_MS, async () => {
        const s = await state(host);
        return { ok: s.view === 'call' && s.pc === 'connected', s };
    });
    check(r.ok, 'Host: the first into the room is let in and connects', `view ${r.last.s.view}`);
    if (!r.ok) {
        return;
    }
    r = await until(STEP_MS, async () => {
        const s = await state(host);
        return { ok: s.empty && s.waiting.length === 0 && s.events.includes('lobby'), s };
    });
    check(r.ok, "Host moderates: the waiting list says nobody waits (a 'lobby' event came)");

    // ---- Wendy waits ----
    await openRoom(wendy, base);
    if (!(await waitIn(host, wendy))) {
        return;
    }
    r = await until(STEP_MS, async () => {
        const s = await state(wendy);
        return { ok: /^live [1-9][0-9]*x[1-9]/.test(s.preview), s };
    });
    check(r.ok, 'Wendy: the waiting screen shows her camera preview', `"${r.last.s.preview}"`);
    // give the meeting time to reach her, if it could
    await new Promise((res) => setTimeout(res, 1500));
    let s = await state(wendy);
    check(
        s.pcs === 0 && !s.remote && whipJoins(requests, 'Wendy').length === 0,
        'Wendy, waiting: no peer connection, no WHIP join, no media',
        `${s.pcs} peer connections, ${whipJoins(requests, 'Wendy').length} joins`,
    );
    const meeting = s.events.filter((n) => n !== 'lobby');
    check(
        s.events.includes('lobby') && meeting.length === 0 && s.roster === 0,
        'Wendy, waiting: only lobby events reach her, no roster, no chat, nobody shown',
        `events ${s.events.join(',')}, roster ${s.roster}`,
    );
    s = await state(host);
    const entry = s.waiting.find((e) => e.name === 'Wendy');
    check(
        entry && entry.buttons.join(',') === 'Admit,Deny' && /Wendy is waiting/.test(s.announce),
        'Host: Wendy has Admit and Deny, and the live region announces her',
        `${JSON.stringify(entry)}, "${s.announce}"`,
    );

    // ---- admit, by the keyboard ----
    const t0 = Date.now();
    await pressEntry(host, 'Wendy', 'Admit');
    r = await until(STEP_MS, async () => {
        const st = await state(wendy);
        return { ok: st.view === 'call' && !!st.sessionUrl, s: st };
    });
    const ms = Date.now() - t0;
    check(
        r.ok && ms <= ADMIT_MS,
        `Wendy is in the call within 1 s of Admit (${ms} ms)`,
        `view ${r.last.s.view}, session ${r.last.s.sessionUrl}`,
    );
    r = await until(CONNECT_MS, async () => {
        const st = await state(wendy);
        return { ok: st.pc === 'connected', s: st };
    });
    check(r.ok, 'Wendy connects', `pc ${r.last.s.pc}`);
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        return { ok: st.roster === 2 && st.waiting.length === 0, s: st };
    });
    check(r.ok, "Host: Wendy left the waiting list and is in the roster");

    // ---- deny, then a reload ----
    await openRoom(dan, base);
    if (!(await waitIn(host, dan))) {
        return;
    }
    await pressEntry(host, 'Dan', 'Deny');
    r = await until(STEP_MS, async () => {
        const st = await state(dan);
        return { ok: st.view === 'prejoin' && /turned you away/.test(st.status), s: st };
    });
    check(
        r.ok,
        'Dan is denied: back on the pre-join screen, told a moderator turned him away',
        `view ${r.last.s.view}, "${r.last.s.status}"`,
    );
    await dan.page.reload({ waitUntil: 'domcontentloaded' });
    await until(CONNECT_MS, async () => ({ ok: (await state(dan)).view === 'prejoin' }));
    await dan.page.fill('#display-name', 'Dan');
    await until(STEP_MS, async () => ({ ok: /ready/.test((await state(dan)).status) }));
    const joinsBefore = whipJoins(requests, 'Dan').length;
    await dan.page.click('#join');
    let sawWaiting = false;
    r = await until(STEP_MS, async () => {
        const st = await state(dan);
        sawWaiting = sawWaiting || st.view === 'waiting';
        // the phrase of the server's error code, or of its status (no code sent)
        const said = /turned you away|\(HTTP 403\)/.test(st.status);
        return { ok: st.view === 'prejoin' && said, s: st };
    });
    check(
        r.ok && !sawWaiting && whipJoins(requests, 'Dan').length === joinsBefore,
        'Dan reloads and joins again: refused at once, no waiting, no WHIP join',
        `view ${r.last.s.view}, "${r.last.s.status}", waited ${sawWaiting}`,
    );

    // ---- a reload of someone let in: straight back into the call ----
    await wendy.page.reload({ waitUntil: 'domcontentloaded' });
    await until(CONNECT_MS, async () => ({ ok: (await state(wendy)).view === 'prejoin' }));
    await wendy.page.fill('#display-name', 'Wendy');
    await until(STEP_MS, async () => ({ ok: /ready/.test((await state(wendy)).status) }));
    await wendy.page.click('#join');
    sawWaiting = false;
    r = await until(CONNECT_MS, async () => {
        const st = await state(wendy);
        sawWaiting = sawWaiting || st.view === 'waiting';
        return { ok: st.view === 'call' && st.pc === 'connected', s: st };
    });
    check(
        r.ok && !sawWaiting,
        'Wendy reloads the call and joins again: in at once, without waiting',
        `view ${r.last.s.view}, pc ${r.last.s.pc}, waited ${sawWaiting}`,
    );

    const foreign = requests.filter((l) => {
        const url = l.split(' ').slice(2).join(' ');
        return !(url.startsWith(`${base}/`) || url.startsWith('blob:') || url.startsWith('data:'));
    });
    check(foreign.length === 0, `every request went to ${base}`, foreign.join('; '));
    await wendy.page.click('#leave');
    await host.page.click('#leave');
}

process.exitCode = await runMain({ name: 'lobby', T, check, watchdogMs: WATCHDOG_MS, run });
