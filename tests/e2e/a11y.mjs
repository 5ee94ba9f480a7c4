// a11y.mjs - accessibility of conclave's web client (www/): axe-core over
// every view, a keyboard walk through the call, and the phone sizes.
//
// Usage: node tests/e2e/a11y.mjs http://127.0.0.1:PORT (run it through
// tests/e2e/a11y.sh).
//
// For each language of LANGS (set as localStorage "conclave.lang" before
// any page script runs), one headless Chromium with three people, each a
// browser context with Chromium's fake camera and microphone:
//  - Host opens the landing page, then the pre-join screen of room
//    "a11y-<lang>", joins first (so moderates) and turns the room's waiting
//    room on; Pat knocks and waits until Host admits him from the waiting
//    list; Quinn comes and goes later;
//  - axe-core (rules tagged wcag2a, wcag2aa, wcag21a, wcag21aa) reports no
//    violation on: the landing page, the pre-join screen, the waiting
//    screen, the call of the moderator and of a participant in each layout
//    (grid, speaker, lecture), with the panel closed, with the people and
//    with the chat open, with a waiting person listed and with breakout
//    groups running, the shortcuts dialog and the leave dialog; each at
//    1280x800, 390x844 and 844x390 (one page resized), the landing and
//    pre-join pages also in the dark colour scheme; every violation is
//    printed with its id, impact and targets;
//  - phones: at 844x390 the pre-join Join button is within the first screen;
//    at 390x844 the people sheet shows the moderator's first controls;
//    every visible button, link, input and select of the landing page, the
//    pre-join screen and the call (people, chat, bar) at both phone sizes
//    is at least 44x44 CSS px; at 844x390 the call bar hides itself after a
//    few seconds and comes back with the keyboard and with a tap;
//  - the keyboard: Tab from the top of the call reaches every visible
//    control of the moderator's call, each shown inside the window when
//    focused; focus stays on a roster button while Quinn joins, raises a
//    hand and leaves, and on the row (a neighbour) after Mute takes its
//    own button away; Remove on Quinn's row (Quinn joined again) leaves the
//    focus on the first button of the row now in its place; Give floor
//    keeps its focus as it turns into Take floor; Escape closes the panel
//    and gives the focus back to the button that opened it, and closes the
//    shortcuts dialog back to its opener;
//    M flips the microphone button's aria-pressed (and not while typing in
//    the chat), V the camera's, H the hand's; Alt+Shift+L asks before
//    leaving; arrow keys on the layout select and the waiting room switch
//    send nothing (Enter sends the switch's mode); the layouts are applied
//    and the breakout groups opened and closed from the keyboard, the focus
//    staying on Apply and moving to a field of the part shown.
// The checks go by ids, data-action and marks, never by the words shown,
// so they hold in every language. Ends with "a11y: N passed, M failed".

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeReporter, pollUntil, runMain } from './lib.mjs';

// The languages the client can be shown in; each gets the whole run.
const LANGS = ['en', 'fr'];
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const DESKTOP = { width: 1280, height: 800 };
const PORTRAIT = { width: 390, height: 844 };
const LANDSCAPE = { width: 844, height: 390 };
const SIZES = [DESKTOP, PORTRAIT, LANDSCAPE];
const MIN_TARGET = 44;
const POLL_MS = 100;
const STEP_MS = 10000;
const CONNECT_MS = 20000;
const BAR_HIDE_MS = 9000; // the bar hides after 4 s; generous for a loaded machine
const WATCHDOG_MS = 170000;

const AXE_SOURCE = readFileSync(
    createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
    'utf8',
);

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

const T = makeReporter('a11y');
const check = T.check;

async function until(deadlineMs, probe) {
    const r = await pollUntil(
        () => probe(),
        (last) => last.ok,
        deadlineMs,
        POLL_MS,
    );
    return { ok: !!r.value.ok, last: r.value, ms: r.ms };
}

const sizeName = (v) => `${v.width}x${v.height}`;

function pageState() {
    const $ = (id) => document.getElementById(id);
    const c = window.conclave;
    const a = document.activeElement;
    return {
        view: ['landing', 'prejoin', 'waiting', 'call', 'left'].find((v) => !$(`view-${v}`).hidden),
        pc: c && c.pc ? c.pc.connectionState : null,
        me: c ? c.publicId : null,
        status: $('status').textContent.trim(),
        // the pre-join screen has its camera and microphone and their lists
        ready: !!$('preview').srcObject && $('camera-select').options.length > 0,
        moderator: !$('moderator-panel').hidden,
        layout: $('layout-select').value,
        floorNote: !$('floor-note').hidden,
        lobby: Array.from($('lobby-list').children).map((li) => li.textContent),
        groups: $('breakout-list').children.length,
        banner: !$('breakout-banner').hidden,
        panel: !$('side-panel').hidden,
        people: !$('people-section').hidden,
        roster: Array.from($('roster').children).map((li) => ({
            id: li.dataset.id,
            hand: li.dataset.hand,
            muted: li.dataset.muted,
            // what the buttons do, and the floor mark: the same in every language
            actions: Array.from(li.querySelectorAll('button')).map((b) => b.dataset.action),
            floor: !!li.querySelector('.m-floor'),
        })),
        active: a
            ? `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''} "${a.textContent.trim()}"`
            : '',
        mic: $('mute-mic').getAttribute('aria-pressed'),
        camera: $('mute-camera').getAttribute('aria-pressed'),
        hand: $('raise-hand').getAttribute('aria-pressed'),
        help: $('shortcuts-dialog').open,
        leaveAsk: $('leave-dialog').open,
        barHidden: $('view-call').classList.contains('bar-hidden'),
    };
}

const state = (p) => p.page.evaluate(pageState);

async function newPerson(browser, name, lang) {
    const context = await browser.newContext({ viewport: DESKTOP });
    await context.addInitScript((l) => {
        localStorage.setItem('conclave.lang', l);
    }, lang);
    const page = await context.newPage();
    const p = { name, context, page, errors: [], commands: [] };
    page.on('pageerror', (e) => p.errors.push(e.message));
    // the commands the page posts (JSON bodies), to see what was sent when
    page.on('request', (req) => {
        const body = req.method() === 'POST' ? req.postData() : null;
        if (body && body.startsWith('{"type":')) {
            try {
                p.commands.push(JSON.parse(body));
            } catch {
                // not a command
            }
        }
    });
    return p;
}

// Runs axe-core on p's page as it is; one check, every violation printed.
async function axe(p, what) {
    const res = await p.page.evaluate(
        async ({ src, tags }) => {
            if (!window.axe) {
                (0, eval)(src);
            }
            const r = await window.axe.run(document, {
                runOnly: { type: 'tag', values: tags },
                resultTypes: ['violations'],
            });
            return r.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                targets: v.nodes.map((n) => n.target.join(' ')),
            }));
        },
        { src: AXE_SOURCE, tags: TAGS },
    );
    for (const v of res) {
        console.log(`#   ${v.id} (${v.impact}): ${v.help}: ${v.targets.slice(0, 6).join(', ')}`);
    }
    return check(
        res.length === 0,
        `axe: ${p.name}, ${what}: no violation`,
        `${res.length} violations`,
    );
}

// A screenshot for a person to look at: tests/e2e/artifacts/a11y-<what>.png.
async function shot(p, what) {
    const path = join(ARTIFACTS, `a11y-${what}.png`);
    try {
        mkdirSync(ARTIFACTS, { recursive: true });
        await p.page.screenshot({ path, timeout: 5000 });
        console.log(`# screenshot ${path}`);
    } catch (e) {
        console.log(`# screenshot ${path} failed: ${e.message.split('\n')[0]}`);
    }
}

async function resize(p, size) {
    await p.page.setViewportSize(size);
    // two frames: media queries and the layout settle
    await p.page.evaluate(
        () => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))),
    );
}

// axe at every size, the page left at the desktop size.
async function axeSizes(p, what, extra = null) {
    for (const size of SIZES) {
        await resize(p, size);
        await axe(p, `${what}, ${sizeName(size)}`);
        if (extra) {
            await extra(size);
        }
    }
    await resize(p, DESKTOP);
}

// axe with the system's dark colour scheme (the pages follow it; the call
// is dark either way).
async function axeDark(p, what) {
    await p.page.emulateMedia({ colorScheme: 'dark' });
    await axe(p, `${what}, dark`);
    await p.page.emulateMedia({ colorScheme: 'light' });
}

// Every visible control of the shown view smaller than 44x44 CSS px.
function smallTargets(min) {
    const view = document.querySelector('.view:not([hidden])');
    const small = [];
    for (const e of view.querySelectorAll('button, a[href], input, select, textarea')) {
        const r = e.getBoundingClientRect();
        if (!e.checkVisibility() || r.width <= 1 || r.height <= 1) {
            continue;
        }
        if (r.width < min - 0.5 || r.height < min - 0.5) {
            const name = e.id || e.getAttribute('aria-label') || e.textContent.trim();
            small.push(
                `${e.tagName.toLowerCase()} "${name}" ${r.width.toFixed(0)}x${r.height.toFixed(0)}`,
            );
        }
    }
    return small;
}

async function checkTargets(p, what) {
    const small = await p.page.evaluate(smallTargets, MIN_TARGET);
    check(
        small.length === 0,
        `${p.name}, ${what}: every control is at least 44x44 px`,
        small.join('; ') || 'all',
    );
}

async function knock(p, base, room) {
    await p.page.goto(`${base}/#/r/${room}`, {
        timeout: CONNECT_MS,
        waitUntil: 'domcontentloaded',
    });
    await until(STEP_MS, async () => ({ ok: (await state(p)).view === 'prejoin' }));
    await p.page.fill('#display-name', p.name);
    await until(STEP_MS, async () => ({ ok: (await state(p)).ready }));
    await p.page.click('#join');
}

async function inCall(p) {
    return until(CONNECT_MS, async () => {
        const s = await state(p);
        return { ok: s.view === 'call' && s.pc === 'connected', s };
    });
}

async function applyLayout(host, layout, others) {
    await host.page.selectOption('#layout-select', layout);
    await host.page.focus('#layout-apply');
    await host.page.keyboard.press('Enter');
    for (const p of [host, ...others]) {
        await until(STEP_MS, async () => {
            const s = await state(p);
            return { ok: layout !== 'lecture' || s.moderator || s.floorNote, s };
        });
    }
    const r = await until(STEP_MS, async () => {
        const s = await state(host);
        const lecture = s.roster.some((e) => e.actions.includes('floor'));
        return { ok: (layout === 'lecture') === lecture, s };
    });
    const s = await state(host);
    check(
        r.ok && s.active.startsWith('button#layout-apply'),
        `Host applies the ${layout} layout from the keyboard; the focus stays on Apply`,
        s.active,
    );
}

// Marks the focused element; true while it is still the focused one.
const markFocus = (p) =>
    p.page.evaluate(() => {
        window.__held = document.activeElement;
        return document.activeElement.textContent;
    });
const stillFocused = (p) =>
    p.page.evaluate(() => document.activeElement === window.__held && window.__held.isConnected);

// Tab from the top through the call: every visible control gets the focus
// and is shown inside the window when it has it.
async function tabWalk(p) {
    const all = await p.page.evaluate(() => {
        const view = document.getElementById('view-call');
        const found = [];
        let n = 0;
        for (const e of view.querySelectorAll(
            'button, a[href], input, select, textarea, [tabindex]',
        )) {
            if (e.disabled || e.tabIndex < 0 || !e.checkVisibility()) {
                continue;
            }
            e.dataset.walk = String(n++);
            found.push(e.dataset.walk);
        }
        document.activeElement.blur();
        window.scrollTo(0, 0);
        return found;
    });
    const seen = new Set();
    const outside = [];
    for (let i = 0; i < all.length * 2 + 10; i++) {
        await p.page.keyboard.press('Tab');
        const f = await p.page.evaluate(() => {
            const a = document.activeElement;
            const r = a.getBoundingClientRect();
            const inside =
                r.width > 0 &&
                r.height > 0 &&
                r.top >= 0 &&
                r.left >= 0 &&
                r.bottom <= innerHeight + 0.5 &&
                r.right <= innerWidth + 0.5;
            return {
                walk: a.dataset.walk || null,
                tag: a.tagName,
                id: a.id,
                text: a.textContent.trim().slice(0, 30),
                inside,
            };
        });
        if (f.walk !== null && seen.has(f.walk) && seen.size === all.length) {
            break;
        }
        if (f.walk !== null) {
            seen.add(f.walk);
        }
        if (f.tag !== 'BODY' && !f.inside) {
            outside.push(`${f.tag.toLowerCase()}#${f.id} "${f.text}"`);
        }
    }
    const missed = await p.page.evaluate(
        (got) =>
            Array.from(document.querySelectorAll('[data-walk]'))
                .filter((e) => !got.includes(e.dataset.walk))
                .map(
                    (e) =>
                        `${e.tagName.toLowerCase()}#${e.id} "${e.textContent.trim().slice(0, 30)}"`,
                ),
        [...seen],
    );
    check(
        missed.length === 0 && all.length > 10,
        `${p.name}: Tab reaches every visible control of the call`,
        `${seen.size} of ${all.length}${missed.length ? `; missed ${missed.join(', ')}` : ''}`,
    );
    check(
        outside.length === 0,
        `${p.name}: each focused control is inside the window`,
        outside.join(', ') || 'all',
    );
}

async function runLang(base, browser, lang) {
    const room = `a11y-${lang}`;
    const host = await newPerson(browser, 'Host', lang);
    const pat = await newPerson(browser, 'Pat', lang);
    const quinn = await newPerson(browser, 'Quinn', lang);

    // ---- landing, pre-join ----
    await host.page.goto(`${base}/`, { timeout: CONNECT_MS });
    await axeSizes(host, `[${lang}] landing`, async (size) => {
        if (size !== DESKTOP) {
            await checkTargets(host, `landing, ${sizeName(size)}`);
        }
    });
    await axeDark(host, `[${lang}] landing`);
    await host.page.goto(`${base}/#/r/${room}`, { timeout: CONNECT_MS });
    await until(STEP_MS, async () => ({ ok: (await state(host)).view === 'prejoin' }));
    await host.page.fill('#display-name', host.name);
    await until(STEP_MS, async () => ({ ok: (await state(host)).ready }));
    await axeDark(host, `[${lang}] pre-join`);
    await axeSizes(host, `[${lang}] pre-join`, async (size) => {
        if (size !== DESKTOP) {
            await checkTargets(host, `pre-join, ${sizeName(size)}`);
        }
        if (size !== LANDSCAPE) {
            return;
        }
        await shot(host, 'prejoin-844x390');
        const j = await host.page.evaluate(() => {
            window.scrollTo(0, 0);
            const r = document.getElementById('join').getBoundingClientRect();
            return { bottom: r.bottom, inner: innerHeight };
        });
        check(
            j.bottom <= j.inner,
            'pre-join at 844x390: the Join button is within the first screen',
            `bottom ${j.bottom.toFixed(0)} px of ${j.inner}`,
        );
    });

    // ---- Host joins and moderates; Pat waits ----
    await host.page.click('#join');
    let r = await inCall(host);
    check(r.ok, `[${lang}] Host joins the room`);
    r = await until(STEP_MS, async () => ({ ok: (await state(host)).moderator }));
    check(r.ok, 'Host moderates');
    // a pick with the pointer turns the waiting room on at once
    await host.page.selectOption('#lobby-select', 'yes');
    r = await until(STEP_MS, async () => ({
        ok: host.commands.some((c) => c.type === 'lobby' && c.lobby === 'yes'),
    }));
    check(r.ok, 'Host turns the waiting room on (a pointer pick is sent at once)');
    await knock(pat, base, room);
    r = await until(CONNECT_MS, async () => ({ ok: (await state(pat)).view === 'waiting' }));
    check(r.ok, 'Pat waits to be let in');
    await axeSizes(pat, `[${lang}] waiting screen`);
    r = await until(STEP_MS, async () => {
        const s = await state(host);
        return { ok: s.lobby.some((t) => t.includes('Pat')), s };
    });
    check(r.ok, "Pat is on Host's waiting list");
    await axe(host, 'call with someone waiting, panel open');
    await host.page.click('#lobby-list .mod-controls button:first-child'); // Admit
    r = await inCall(pat);
    check(r.ok, 'Pat, admitted, joins');
    // the waiting room off, for Quinn later, from the keyboard: the arrow
    // key only picks, Enter changes the room's
    const lobbySent = () => host.commands.filter((c) => c.type === 'lobby').length;
    const sent0 = lobbySent();
    await host.page.focus('#lobby-select');
    await host.page.keyboard.press('ArrowUp');
    await new Promise((res) => setTimeout(res, 500));
    const picked = await host.page.inputValue('#lobby-select');
    const early = lobbySent() - sent0;
    await host.page.keyboard.press('Enter');
    r = await until(STEP_MS, async () => ({
        ok: host.commands.some((c) => c.type === 'lobby' && c.lobby === 'no'),
    }));
    check(
        picked === 'no' && early === 0 && r.ok,
        'waiting room switch: an arrow key only picks "no", Enter sends it',
        `picked ${picked}, ${early} sent before Enter, sent after: ${r.ok}`,
    );
    await host.page.focus('#layout-select');
    await host.page.keyboard.press('ArrowDown');
    await host.page.keyboard.press('ArrowDown');
    await new Promise((res) => setTimeout(res, 500));
    const layoutPicked = await host.page.inputValue('#layout-select');
    await host.page.keyboard.press('ArrowUp');
    await host.page.keyboard.press('ArrowUp');
    await host.page.focus('#mute-mic');
    check(
        layoutPicked === 'lecture' && !host.commands.some((c) => c.type === 'layout'),
        "layout select: arrow keys go through the layouts without changing the room's",
        `picked ${layoutPicked}, ${host.commands.filter((c) => c.type === 'layout').length} sent`,
    );

    // ---- the call at every size, both people, panel states ----
    await axeSizes(host, `[${lang}] call, moderator, grid, panel open`, async (size) => {
        if (size === DESKTOP) {
            return;
        }
        // on a phone the panel is a sheet, one part at a time: open People
        const s = await state(host);
        if (!s.people) {
            await host.page.click('#show-people');
        }
        await axe(host, `[${lang}] call, moderator, people sheet, ${sizeName(size)}`);
        await checkTargets(host, `people sheet, ${sizeName(size)}`);
        await shot(host, `people-${sizeName(size)}`);
        if (size === PORTRAIT) {
            const vis = await host.page.evaluate(() => {
                const sheet = document.getElementById('people-section').getBoundingClientRect();
                return ['layout-select', 'layout-apply', 'lock-room'].map((id) => {
                    const r = document.getElementById(id).getBoundingClientRect();
                    const ok =
                        r.top >= sheet.top && r.bottom <= Math.min(sheet.bottom, innerHeight);
                    return {
                        id,
                        ok,
                        at: [r.top, r.bottom, sheet.top, sheet.bottom].map(Math.round).join(' '),
                    };
                });
            });
            check(
                vis.every((v) => v.ok),
                "390x844: the people sheet shows the moderator's first controls without scrolling",
                vis.map((v) => `${v.id} ${v.ok ? 'shown' : 'hidden'} ${v.at}`).join(', '),
            );
        }
        await host.page.click('#show-chat');
        await axe(host, `[${lang}] call, moderator, chat sheet, ${sizeName(size)}`);
        await checkTargets(host, `chat sheet, ${sizeName(size)}`);
        await host.page.click('#show-chat');
        await axe(host, `[${lang}] call, moderator, panel closed, ${sizeName(size)}`);
        await checkTargets(host, `call bar, ${sizeName(size)}`);
    });
    await axeSizes(pat, `[${lang}] call, participant, grid`);

    // the call bar of a phone held sideways
    await resize(host, LANDSCAPE);
    await host.page.evaluate(() => document.activeElement.blur());
    r = await until(BAR_HIDE_MS, async () => ({ ok: (await state(host)).barHidden }));
    await shot(host, 'bar-hidden-844x390');
    check(r.ok, '844x390: the call bar hides itself without a touch', `after ${r.ms} ms`);
    await host.page.keyboard.press('Tab');
    let s = await state(host);
    check(!s.barHidden, '844x390: the call bar comes back with the keyboard', s.active);
    await host.page.evaluate(() => document.activeElement.blur());
    await until(BAR_HIDE_MS, async () => ({ ok: (await state(host)).barHidden }));
    await host.page.mouse.click(400, 150);
    s = await state(host);
    check(!s.barHidden, '844x390: the call bar comes back with a tap on the picture');
    await resize(host, DESKTOP);

    // ---- the keyboard walk (moderator, desktop, panel open) ----
    await tabWalk(host);

    // Escape closes the panel and gives the focus back
    await host.page.focus('#show-chat');
    await host.page.keyboard.press('Enter'); // closes the chat (open at this size)
    await host.page.keyboard.press('Enter'); // opens it again: this button opened it
    await host.page.focus('#chat-input');
    await host.page.keyboard.press('Escape');
    s = await state(host);
    check(
        !s.panel && s.active.startsWith('button#show-chat'),
        'Escape closes the panel and the focus goes back to the Chat button',
        `panel ${s.panel}, focus ${s.active}`,
    );
    await axe(host, `[${lang}] call, moderator, panel closed, desktop`);
    await host.page.click('#show-people');

    // the shortcuts
    await host.page.focus('#raise-hand');
    await host.page.keyboard.press('?');
    s = await state(host);
    check(s.help, '"?" opens the shortcuts dialog');
    await shot(host, 'shortcuts');
    await axeSizes(host, `[${lang}] shortcuts dialog`);
    await host.page.keyboard.press('Escape');
    s = await state(host);
    check(
        !s.help && s.active.startsWith('button#raise-hand'),
        'Escape closes the dialog and the focus goes back to its opener',
        s.active,
    );
    const mic0 = s.mic;
    await host.page.keyboard.press('m');
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        return { ok: st.mic !== mic0, s: st };
    });
    check(r.ok, 'M flips the microphone button (aria-pressed)', `${mic0} -> ${r.last.s.mic}`);
    await host.page.keyboard.press('m');
    s = await state(host);
    check(s.mic === mic0, 'M again flips it back', `${s.mic}`);
    await host.page.focus('#chat-input');
    await host.page.keyboard.type('mvh');
    s = await state(host);
    const typed = await host.page.inputValue('#chat-input');
    check(
        s.mic === mic0 && typed === 'mvh',
        'typing m, v, h in the chat box types them and presses nothing',
        `mic ${s.mic}, box "${typed}"`,
    );
    await host.page.fill('#chat-input', '');
    await host.page.focus('#mute-mic');
    const before = await state(host);
    await host.page.keyboard.press('v');
    await host.page.keyboard.press('h');
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        return { ok: st.camera !== before.camera && st.hand !== before.hand, s: st };
    });
    check(
        r.ok,
        'V flips the camera button, H the hand',
        `camera ${r.last.s.camera}, hand ${r.last.s.hand}`,
    );
    await host.page.keyboard.press('v');
    await host.page.keyboard.press('h');
    await host.page.keyboard.press('Alt+Shift+L');
    s = await state(host);
    check(s.leaveAsk && s.view === 'call', 'Alt+Shift+L asks before leaving', s.active);
    await axe(host, `[${lang}] leave dialog`);
    await host.page.keyboard.press('Escape');
    s = await state(host);
    check(!s.leaveAsk && s.view === 'call', 'Escape on that question stays in the call');

    // ---- focus on a roster button survives updates ----
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        return { ok: st.roster.some((e) => e.id !== st.me && e.actions.includes('mute')), s: st };
    });
    const patId = r.last.s.roster.find((e) => e.id !== r.last.s.me).id;
    await host.page.focus(`#roster li[data-id="${patId}"] button[data-action="remove"]`);
    await markFocus(host);
    await knock(quinn, base, room);
    r = await inCall(quinn);
    check(r.ok, 'Quinn joins');
    await until(STEP_MS, async () => ({ ok: (await state(host)).roster.length === 3 }));
    check(await stillFocused(host), "focus stays on Pat's Remove button as Quinn joins");
    await quinn.page.click('#raise-hand');
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        return { ok: st.roster.some((e) => e.hand === 'true'), s: st };
    });
    check(
        r.ok && (await stillFocused(host)),
        '... as Quinn raises a hand (the rows move)',
        (await state(host)).active,
    );
    await quinn.page.click('#leave');
    await until(STEP_MS, async () => ({ ok: (await state(host)).roster.length === 2 }));
    check(await stillFocused(host), '... and as Quinn leaves', (await state(host)).active);
    // Remove takes the row away: the focus goes to the row now in its place
    await quinn.page.click('#rejoin');
    await until(STEP_MS, async () => ({ ok: (await state(quinn)).ready }));
    await quinn.page.click('#join');
    r = await inCall(quinn);
    check(r.ok, 'Quinn joins again');
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        const q = st.roster.find((e) => e.id !== patId && e.id !== st.me);
        return { ok: !!q && q.actions.includes('remove'), id: q ? q.id : '' };
    });
    await host.page.focus(`#roster li[data-id="${r.last.id}"] button[data-action="remove"]`);
    await host.page.keyboard.press('Enter');
    r = await until(STEP_MS, async () => ({ ok: (await state(host)).roster.length === 2 }));
    const landed = await host.page.evaluate(() => {
        const a = document.activeElement;
        const li = a.closest('#roster li');
        return { row: li ? li.dataset.id : null, action: a.dataset.action, text: a.textContent };
    });
    check(
        r.ok && landed.row === patId && landed.action === 'mute',
        "Remove on Quinn's row: Quinn goes, the focus moves to the first button of the next row",
        `on "${landed.text}" of ${landed.row === patId ? "Pat's row" : landed.row}`,
    );

    // ---- the layouts ----
    await applyLayout(host, 'speaker', [pat]);
    await axe(host, `[${lang}] call, moderator, speaker`);
    await axe(pat, `[${lang}] call, participant, speaker`);
    // Mute takes its own button away: the focus goes to its neighbour in the row
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        const e = st.roster.find((x) => x.id === patId);
        return { ok: e && e.actions.includes('mute'), s: st };
    });
    await host.page.focus(`#roster li[data-id="${patId}"] button[data-action="mute"]`);
    await host.page.keyboard.press('Enter');
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        const e = st.roster.find((x) => x.id === patId);
        return { ok: e && e.muted === 'true', s: st };
    });
    const where = await host.page.evaluate((id) => {
        const a = document.activeElement;
        return { inRow: !!a.closest(`#roster li[data-id="${id}"]`), text: a.textContent };
    }, patId);
    check(
        r.ok && where.inRow,
        "Mute: Pat is muted and the focus stays in Pat's row",
        `on "${where.text}"`,
    );
    await applyLayout(host, 'lecture', [pat]);
    await axe(host, `[${lang}] call, moderator, lecture`);
    await axeSizes(pat, `[${lang}] call, participant, lecture`);
    // Give floor keeps its focus as it becomes Take floor
    await host.page.focus(`#roster li[data-id="${patId}"] button[data-action="floor"]`);
    await markFocus(host);
    await host.page.keyboard.press('Enter');
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        const e = st.roster.find((x) => x.id === patId);
        return { ok: e && e.floor && e.actions.includes('floor'), s: st };
    });
    check(
        r.ok && (await stillFocused(host)),
        'Give floor turns into Take floor and keeps the focus',
        `${(await state(host)).active}, "${(await state(host)).status}"`,
    );
    await applyLayout(host, 'grid', [pat]);

    // ---- breakout groups running ----
    await host.page.fill('#breakout-groups', '2');
    await host.page.fill('#breakout-minutes', '0');
    await host.page.focus('#breakout-open');
    await host.page.keyboard.press('Enter');
    r = await until(STEP_MS, async () => {
        const st = await state(host);
        return { ok: st.groups === 2, s: st };
    });
    check(
        r.ok && r.last.s.active.startsWith('input#breakout-broadcast-text'),
        'Host opens two breakout groups from the keyboard; the focus moves to the message box',
        r.last.s.active,
    );
    r = await until(CONNECT_MS, async () => {
        const st = await state(pat);
        return { ok: st.banner && st.pc === 'connected', s: st };
    });
    check(r.ok, "Pat's call moves to a group and connects there");
    await axe(host, `[${lang}] call, moderator, breakout groups running`);
    await axeSizes(pat, `[${lang}] call, participant in a breakout group`);
    await host.page.focus('#breakout-close');
    await host.page.keyboard.press('Enter');
    r = await until(CONNECT_MS, async () => ({ ok: !(await state(pat)).banner }));
    s = await state(host);
    check(
        r.ok && s.active.startsWith('input#breakout-groups'),
        'Host closes the groups: Pat is back; the focus moves to the number of groups',
        s.active,
    );

    for (const p of [pat, host]) {
        await p.page.click('#leave');
    }
    r = await until(STEP_MS, async () => ({ ok: (await state(host)).view === 'left' }));
    check(r.ok, 'Host leaves');
    await axe(host, `[${lang}] "you left"`);
    for (const p of [host, pat, quinn]) {
        check(p.errors.length === 0, `${p.name}: no page error`, p.errors.join(' | '));
        await p.context.close();
    }
}

async function run(base, browser) {
    for (const lang of LANGS) {
        await runLang(base, browser, lang);
    }
}

process.exitCode = await runMain({ name: 'a11y', T, check, watchdogMs: WATCHDOG_MS, run });
