// access.mjs - browser end-to-end test of room passwords and moderation in
// conclave's web client (www/).
//
// Usage: node tests/e2e/access.mjs http://127.0.0.1:PORT (the daemon has
// [room secret] password = open sesame; run it through tests/e2e/access.sh).
//
// Three browser contexts (people who share nothing), with Chromium's fake
// camera and microphone:
//  - Alice opens /#/r/secret and presses #join: the server answers 401, the
//    pre-join screen comes back with #password-field shown and the reason in
//    the status line; a wrong password gives "wrong password"; the right one
//    joins (connected). The password is in sessionStorage, never in the
//    address nor in localStorage. Alice is the room's creator: her
//    #moderator-panel shows;
//  - Bob joins the same way; his panel stays hidden, his roster marks Alice
//    as moderator;
//  - Alice picks "lecture" in #layout-select and applies it: Bob's
//    #floor-note shows and his #mute-mic turns pressed (muted by the
//    server); pressing it leaves him muted. Bob raises his hand; Alice
//    presses "Give floor" on his entry: his note hides and his microphone
//    is on;
//  - Alice locks the room: Carol, with the right password, is refused with
//    "room is locked";
//  - Alice presses "Remove" on Bob's entry: Bob's page shows the "You left"
//    view saying the moderator removed him, and he leaves Alice's roster;
//  - every request went to the daemon's origin.
// Every wait polls a condition against a deadline. Ends with
// "access-ui: N passed, M failed".

import { makeReporter, pollUntil, runMain } from './lib.mjs';

const PASSWORD = 'open sesame';
const ROOM = 'secret';
const POLL_MS = 100;
// generous: the test machine may be loaded
const STEP_MS = 10000;
const CONNECT_MS = 20000;
const WATCHDOG_MS = 170000;

const T = makeReporter('access-ui');
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
        href: location.href,
        status: $('status').textContent.trim(),
        passwordShown: !$('password-field').hidden,
        panelShown: !$('moderator-panel').hidden,
        floorNote: !$('floor-note').hidden,
        micPressed: $('mute-mic').getAttribute('aria-pressed'),
        pc: c && c.pc ? c.pc.connectionState : null,
        me: c ? c.publicId : null,
        session: JSON.stringify(Object.assign({}, sessionStorage)),
        local: JSON.stringify(Object.assign({}, localStorage)),
        roster: Array.from($('roster').children).map((li) => ({
            id: li.dataset.id,
            name: li.querySelector('.name') ? li.querySelector('.name').textContent : '',
            hand: li.dataset.hand,
            moderator: !!li.querySelector('.m-moderator'),
            buttons: Array.from(li.querySelectorAll('button.mod')).map((b) => b.textContent),
        })),
    };
}

const state = (p) => p.page.evaluate(pageState);

async function newPerson(browser, name, requests) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    context.on('request', (r) => requests.push(`${name} ${r.url()}`));
    // every text of the status line, for the report of a failure
    await context.addInitScript(() => {
        window.__said = [];
        document.addEventListener('DOMContentLoaded', () => {
            const line = document.getElementById('status');
            new MutationObserver(() => window.__said.push(line.textContent.trim())).observe(line, {
                childList: true,
                characterData: true,
                subtree: true,
            });
        });
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`# ${name}: pageerror: ${e.message}`));
    return { name, context, page };
}

// Opens the room's pre-join screen and presses #join with the name (and the
// password, when given); resolves to the state once it settles.
async function tryJoin(p, base, password, want) {
    if (password !== null) {
        await p.page.fill('#room-password', password);
    }
    await p.page.click('#join');
    return until(CONNECT_MS, async () => {
        const s = await state(p);
        return { ok: want(s), s };
    });
}

async function openRoom(p, base) {
    await p.page.goto(`${base}/#/r/${ROOM}`, {
        timeout: 2 * CONNECT_MS,
        waitUntil: 'domcontentloaded',
    });
    await until(CONNECT_MS, async () => ({ ok: (await state(p)).view === 'prejoin' }));
    await p.page.fill('#display-name', p.name);
    // the fake camera and microphone are open before the first join
    await until(STEP_MS, async () => ({ ok: /ready/.test((await state(p)).status) }));
}

const inCall = (s) => s.view === 'call' && s.pc === 'connected';
const askedAgain = (s) => s.view === 'prejoin' && s.passwordShown && s.status !== '';

// Joins with the password after the 401; returns true once in the call.
async function joinWithPassword(p, base) {
    await openRoom(p, base);
    let r = await tryJoin(p, base, null, askedAgain);
    check(
        r.ok && /needs a password/.test(r.last.s.status),
        `${p.name}: a join without the password brings the pre-join screen back with the ` +
            'password field and the reason',
        `view ${r.last.s.view}, field ${r.last.s.passwordShown}, "${r.last.s.status}"`,
    );
    r = await tryJoin(p, base, PASSWORD, inCall);
    check(
        r.ok,
        `${p.name}: with the password the call connects`,
        `view ${r.last.s.view}, pc ${r.last.s.pc}, after ${r.ms} ms, said: ` +
            (await p.page.evaluate(() => window.__said.join(' | '))),
    );
    const s = r.last.s;
    check(
        s.session.includes(PASSWORD) && !s.local.includes(PASSWORD) && !s.href.includes('sesame'),
        `${p.name}: the password is kept in sessionStorage only, never in the address`,
        `address ${s.href}`,
    );
    return r.ok;
}

function entryOf(s, id) {
    return s.roster.find((e) => e.id === id) || null;
}

async function run(base, browser) {
    const requests = [];
    const alice = await newPerson(browser, 'Alice', requests);
    const bob = await newPerson(browser, 'Bob', requests);
    const carol = await newPerson(browser, 'Carol', requests);

    // ---- Alice: 401, wrong password, right password ----
    await openRoom(alice, base);
    let r = await tryJoin(alice, base, null, askedAgain);
    check(
        r.ok && /needs a password/.test(r.last.s.status),
        'Alice: the server asks for a password and the pre-join screen shows the field',
        `view ${r.last.s.view}, field ${r.last.s.passwordShown}, "${r.last.s.status}"`,
    );
    r = await tryJoin(alice, base, 'not it', (s) => askedAgain(s) && /wrong/.test(s.status));
    check(
        r.ok,
        'Alice: a wrong password is refused with "wrong password"',
        `"${r.last.s.status}"`,
    );
    r = await tryJoin(alice, base, PASSWORD, inCall);
    check(
        r.ok,
        'Alice: with the right password the call connects',
        `view ${r.last.s.view}, pc ${r.last.s.pc}, said: ` +
            (await alice.page.evaluate(() => window.__said.join(' | '))),
    );
    if (!r.ok) {
        return;
    }
    r = await until(STEP_MS, async () => {
        const s = await state(alice);
        return { ok: s.panelShown, s };
    });
    check(r.ok, "Alice created the room: the moderator's panel shows");

    // ---- Bob joins as an attendee ----
    if (!(await joinWithPassword(bob, base))) {
        return;
    }
    const aliceId = (await state(alice)).me;
    const bobId = (await state(bob)).me;
    r = await until(STEP_MS, async () => {
        const s = await state(bob);
        const a = entryOf(s, aliceId);
        return { ok: !s.panelShown && a && a.moderator && a.buttons.length === 0, s };
    });
    check(
        r.ok,
        "Bob: no moderator's panel, no buttons; his roster marks Alice as moderator",
        JSON.stringify(r.last.s.roster),
    );
    r = await until(STEP_MS, async () => {
        const s = await state(alice);
        const b = entryOf(s, bobId);
        return { ok: b && b.buttons.includes('Remove') && b.buttons.includes('Mute'), s };
    });
    check(r.ok, "Alice's roster gives her Mute and Remove on Bob", JSON.stringify(r.last.s.roster));

    // ---- lecture: Bob muted, the floor ----
    await alice.page.selectOption('#layout-select', 'lecture');
    await alice.page.click('#layout-apply');
    r = await until(STEP_MS, async () => {
        const s = await state(bob);
        return { ok: s.floorNote && s.micPressed === 'true', s };
    });
    check(
        r.ok,
        "lecture: Bob sees he is muted by the moderator and his microphone button is pressed",
        `note ${r.last.s.floorNote}, mic pressed ${r.last.s.micPressed}, after ${r.ms} ms`,
    );
    await bob.page.click('#mute-mic');
    await new Promise((res) => setTimeout(res, 500));
    let s = await state(bob);
    check(
        s.micPressed === 'true',
        'Bob cannot unmute himself without the floor',
        `mic pressed ${s.micPressed}, "${s.status}"`,
    );
    await bob.page.click('#raise-hand');
    r = await until(STEP_MS, async () => {
        const st = await state(alice);
        const b = entryOf(st, bobId);
        return { ok: b && b.hand === 'true' && b.buttons.includes('Give floor'), s: st };
    });
    check(r.ok, "Alice sees Bob's hand and a Give floor button", JSON.stringify(r.last.s.roster));
    await alice.page.click(`#roster li[data-id="${bobId}"] button.mod:text("Give floor")`, {
        timeout: STEP_MS,
    });
    r = await until(STEP_MS, async () => {
        const st = await state(bob);
        return { ok: !st.floorNote && st.micPressed === 'false', s: st };
    });
    check(
        r.ok,
        'given the floor, Bob is unmuted and the note hides',
        `note ${r.last.s.floorNote}, mic pressed ${r.last.s.micPressed}`,
    );

    // ---- lock: Carol is refused ----
    await alice.page.click('#lock-room');
    r = await until(STEP_MS, async () => {
        const st = await state(alice);
        return { ok: /Unlock/.test(await alice.page.textContent('#lock-room')), s: st };
    });
    check(r.ok, 'Alice locks the room: the button now offers to unlock it');
    await openRoom(carol, base);
    await tryJoin(carol, base, null, askedAgain);
    r = await tryJoin(
        carol,
        base,
        PASSWORD,
        // the phrase of the server's error code (room-locked), or of its status
        // from a server that sends no code
        (st) => st.view === 'prejoin' && /locked|\(HTTP 403\)/.test(st.status),
    );
    check(
        r.ok,
        'Carol, with the right password, is refused: "room is locked"',
        `"${r.last.s.status}"`,
    );

    // ---- remove ----
    await alice.page.click(`#roster li[data-id="${bobId}"] button.mod:text("Remove")`, {
        timeout: STEP_MS,
    });
    r = await until(STEP_MS, async () => {
        const st = await state(bob);
        return { ok: st.view === 'left' && /removed/.test(st.status), s: st };
    });
    check(
        r.ok,
        'Bob is removed: his page shows that the moderator removed him',
        `view ${r.last.s.view}, "${r.last.s.status}"`,
    );
    r = await until(STEP_MS, async () => {
        const st = await state(alice);
        return { ok: !entryOf(st, bobId), s: st };
    });
    check(r.ok, "Bob leaves Alice's roster");
    await new Promise((res) => setTimeout(res, 3000));
    s = await state(bob);
    check(
        s.view === 'left' && s.pc === null,
        'Bob does not rejoin on his own (3 s later)',
        `view ${s.view}`,
    );

    const foreign = requests.filter((l) => {
        const url = l.split(' ').slice(1).join(' ');
        return !(url.startsWith(`${base}/`) || url.startsWith('blob:') || url.startsWith('data:'));
    });
    check(foreign.length === 0, `every request went to ${base}`, foreign.join('; '));
    await alice.page.click('#leave');
}

process.exitCode = await runMain({ name: 'access', T, check, watchdogMs: WATCHDOG_MS, run });
