// breakout.mjs - browser end-to-end test of breakout groups: six
// participants, split into three groups, each see and hear their own group
// only.
//
// Usage: node tests/e2e/breakout.mjs http://127.0.0.1:PORT (run it through
// tests/e2e/breakout.sh).
//
// Two pages (served by the daemon; two of them because a browser keeps at
// most six connections to one server, and each participant holds an event
// stream open) make seven RTCPeerConnections with www/js/whip.js: the
// teacher T (a WHEP viewer; first into the room, so it moderates) and A..F,
// each sending a solid colour and a sine tone. Each of A..F follows its own
// event stream as the browser client does: a "breakout" event makes it close
// its session and join the event's room with the event's ticket
// (Conclave-Ticket). The test checks that
//  (a) T's breakout_open (3 groups, at random) moves every one of A..F to a
//      room named from the parent with a random suffix, two to a group;
//  (b) in its group, each one's composite holds exactly its own colour and
//      its mate's (side by side, every other colour < 1 % of the cells), and
//      it hears its mate's tone > 25 dB above the median and every other
//      tone >= 15 dB below that;
//  (c) A drops its group session and joins the parent again: its stream
//      moves it back to its group at once, where it sees its mate again;
//  (d) T closes the groups: everyone is back in the parent;
//  (e) T opens 3 groups for 10 s: everyone moves, and is back in the parent
//      about 10 s later without anyone closing them;
// and that the page asked no other host for anything. Every wait polls a
// condition against a deadline. Ends with "breakout-media: N passed, M
// failed".

import {
    checkSameHost,
    compositeKit,
    evaluateOrError,
    hears,
    installPageHelpers,
    makeReporter,
    openPage,
    pollComposites,
    printDiagnostics,
    runMain,
    sideBySide,
    TILES,
} from './lib.mjs';

// Colours far apart in YUV and from the compositor's own (black, grey
// placeholder, yellow-green speaker border); tones whose low harmonics stay
// clear of each other.
const PARTS = [
    { name: 'A', rgb: [200, 40, 40], toneHz: 440 },
    { name: 'B', rgb: [40, 160, 70], toneHz: 730 },
    { name: 'C', rgb: [50, 70, 220], toneHz: 1230 },
    { name: 'D', rgb: [200, 60, 200], toneHz: 1570 },
    { name: 'E', rgb: [40, 190, 200], toneHz: 1910 },
    { name: 'F', rgb: [230, 140, 30], toneHz: 2350 },
];
const NAMES = PARTS.map((p) => p.name);
const ROOM = 'class';
const TONE_GAIN = 0.25;
const TONE_TOL_HZ = 15;
const MIN_HEARD_DB = 25;
const MIN_OTHERS_BELOW_DB = 15;
const POLL_MS = 150;
const CONNECT_TIMEOUT_MS = 10000;
const MOVE_DEADLINE_MS = 15000; // from breakout_open to every part connected in its group
const MEDIA_DEADLINE_MS = 20000;
const WATCHDOG_MS = 170000;

const T = makeReporter('breakout-media');
const check = T.check;
const kit = compositeKit(PARTS);
const { classify, analyse, videoText, printGrid, audioWindow, fmtAudio } = kit;

// Exactly `names` are shown, side by side; every other colour is gone.
const onlyPair = (an, names) =>
    PARTS.filter((p) => !names.includes(p.name)).every(
        (p) => an[p.name].share < TILES.maxGoneShare,
    ) && sideBySide(names.map((n) => an[n]));

// ---- code run inside the page (serialised by playwright; no closures) ----

async function pageInit({ parts, toneGain, teacher }) {
    const H = window.__e2e;
    const R = { parts: {}, logs: H.logs };
    window.__room = R;
    R.box = H.mediaBox();
    R.ac = new AudioContext({ sampleRate: 48000 });
    await R.ac.resume();
    const { openEvents, streamUrl } = await import('/js/events.js');
    R.openEvents = openEvents;
    R.streamUrl = streamUrl;
    for (const p of parts) {
        const video = H.colourTrack(p.rgb, { width: 320, height: 240, fps: 15 });
        const tone = H.toneTrack(R.ac, p.toneHz, toneGain);
        R.parts[p.name] = {
            stream: new MediaStream([tone.track, video.track]),
            sink: H.compositeSink(R.box, p.name, '160px'),
            canvas: document.createElement('canvas'),
            frameCallbacks: 0,
            analyser: null,
            session: null,
            room: '',
            moves: [],
            events: null,
        };
    }
    if (teacher) {
        R.parts.T = { stream: null, sink: H.compositeSink(R.box, 'T', '160px'), session: null };
    }
    return { ctxState: R.ac.state };
}

// Joins name to room (with a ticket, or none); resolves to its Location.
async function pageJoin({ name, room, ticket, connectTimeoutMs }) {
    const H = window.__e2e;
    const R = window.__room;
    const P = R.parts[name];
    const onTrack = (track) =>
        P.canvas ? H.receiveTrack(P, track, { ac: R.ac, box: R.box, label: `${name} ` }) : null;
    // T only watches: a viewer (WHEP), which moderates as the room's creator
    const url = P.stream ? `/rooms/${room}/whip?name=${name}` : `/rooms/${room}/whep`;
    P.session = await H.whip(
        url,
        { stream: P.stream, recvOnly: !P.stream, onTrack, ticket },
        connectTimeoutMs,
    );
    P.room = room;
    return { location: P.session.location };
}

// name follows its event stream: a breakout move closes its session and joins
// the move's room with the ticket, then follows the new session's stream.
async function pageFollow({ name, connectTimeoutMs }) {
    const R = window.__room;
    const P = R.parts[name];
    const follow = () => {
        const sid = P.session.location.split('/').pop();
        const room = P.room;
        let moving = false;
        P.events = R.openEvents(() => R.streamUrl(room, sid), {
            breakout: async (d) => {
                if (moving || (d.state !== 'moved' && d.state !== 'return')) {
                    return;
                }
                moving = true;
                P.moves.push({ state: d.state, room: d.room, group: d.group || 0 });
                P.events.close();
                const old = P.session;
                P.session = null;
                await old.close();
                try {
                    await window.__pageJoin({
                        name,
                        room: d.room,
                        ticket: d.ticket,
                        connectTimeoutMs,
                    });
                    follow();
                } catch (e) {
                    R.logs.push(`${name}: join of ${d.room} failed: ${e.message}`);
                }
            },
        });
    };
    follow();
    return { ok: true };
}

// Where each named part is: its room, its connection, its moves.
async function pageWhere({ names }) {
    const R = window.__room;
    const out = {};
    for (const n of names) {
        const P = R.parts[n];
        out[n] = {
            room: P.room,
            pc: P.session ? P.session.pc.connectionState : 'none',
            moves: P.moves.slice(),
        };
    }
    return out;
}

async function pageSample({ names, cols, rows, freqs, tolHz }) {
    const H = window.__e2e;
    const R = window.__room;
    const out = {};
    for (const n of names) {
        const P = R.parts[n];
        out[n] = P.session
            ? { ...H.samplePart(P, { cols, rows, freqs, tolHz }), room: P.room }
            : { cells: null, audio: null, pc: 'none', room: P.room };
    }
    return out;
}

async function pageCommand({ name, cmd }) {
    const P = window.__room.parts[name];
    const loc = new URL(P.session.location);
    const res = await fetch(loc.pathname.replace(/\/sessions\/.*$/, '/command'), {
        method: 'POST',
        headers: {
            'Content-Type': 'application/json',
            'Conclave-Session': loc.pathname.split('/').pop(),
        },
        body: JSON.stringify(cmd),
    });
    return { status: res.status, text: await res.text() };
}

// A loses its group session (closed, no DELETE of the parent needed) and
// joins the parent again, following its stream.
async function pageReconnect({ name, room, connectTimeoutMs }) {
    const R = window.__room;
    const P = R.parts[name];
    P.events.close();
    const old = P.session;
    P.session = null;
    await old.close();
    await window.__pageJoin({ name, room, ticket: null, connectTimeoutMs });
    return { location: P.session.location };
}

async function pageDiagnostics({ names }) {
    const R = window.__room;
    const out = {};
    for (const n of names) {
        if (R.parts[n].session) {
            out[n] = await window.__e2e.partDiagnostics(R.parts[n]);
        }
    }
    return { parts: out, logs: R.logs, ctxState: R.ac.state };
}

// ---- the run ----

const freqs = PARTS.map((p) => p.toneHz);
const groupRe = new RegExp(`^${ROOM}-g([1-3])-[0-9a-f]{16}$`);

// Which page holds which part: A..C (and T) on the first, D..F on the second.
const HALVES = [NAMES.slice(0, 3), NAMES.slice(3)];
let pages = [];
const pageOf = (n) => (n === 'T' || HALVES[0].includes(n) ? pages[0] : pages[1]);

async function where() {
    const [a, b] = await Promise.all(
        pages.map((pg, i) => pg.evaluate(pageWhere, { names: HALVES[i] })),
    );
    return { ...a, ...b };
}

// Waits until every part is connected in a room that pred(name, room) likes.
async function waitPlaced(deadlineMs, pred) {
    const t0 = Date.now();
    let w;
    do {
        w = await where();
        if (NAMES.every((n) => w[n].pc === 'connected' && pred(n, w[n].room))) {
            return { ok: true, w, ms: Date.now() - t0 };
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
    } while (Date.now() - t0 < deadlineMs);
    return { ok: false, w, ms: Date.now() - t0 };
}

const fmtWhere = (w) => NAMES.map((n) => `${n}:${w[n].room}(${w[n].pc})`).join(' ');

async function run(base, browser) {
    const opened = [];
    for (let i = 0; i < 2; i++) {
        opened.push(await openPage(browser, base, { viewport: { width: 800, height: 600 } }));
    }
    const served = opened.every((o) => o.res && o.res.status() === 200);
    if (!check(served, 'pages served')) {
        return;
    }
    pages = opened.map((o) => o.page);
    const requests = opened.flatMap((o) => o.requests);
    for (let i = 0; i < 2; i++) {
        await installPageHelpers(pages[i]);
        const parts = PARTS.filter((p) => HALVES[i].includes(p.name));
        await pages[i].evaluate(pageInit, { parts, toneGain: TONE_GAIN, teacher: i === 0 });
        await pages[i].evaluate((fnText) => {
            window.__pageJoin = new Function(`return (${fnText})`)();
        }, pageJoin.toString());
    }
    const join = (name, room, ticket = null) =>
        evaluateOrError(pageOf(name), pageJoin, {
            name,
            room,
            ticket,
            connectTimeoutMs: CONNECT_TIMEOUT_MS,
        });
    const command = (cmd) => pages[0].evaluate(pageCommand, { name: 'T', cmd });
    const diagnostics = async () => {
        for (let i = 0; i < 2; i++) {
            const names = HALVES[i];
            printDiagnostics(await evaluateOrError(pages[i], pageDiagnostics, { names }));
        }
    };

    const jt = await join('T', ROOM);
    const opens = !jt.error && /\/rooms\/class\/sessions\//.test(jt.location);
    if (!check(opens, 'T opens the room', jt.error || jt.location)) {
        return;
    }
    const joins = await Promise.all(NAMES.map((n) => join(n, ROOM)));
    const bad = joins.filter((j) => j.error);
    if (!check(bad.length === 0, 'A..F join the room', bad.map((j) => j.error).join('; '))) {
        return;
    }
    for (const n of NAMES) {
        await pageOf(n).evaluate(pageFollow, { name: n, connectTimeoutMs: CONNECT_TIMEOUT_MS });
    }
    let p = await waitPlaced(CONNECT_TIMEOUT_MS, (n, room) => room === ROOM);
    check(p.ok, 'A..F are connected in the room', fmtWhere(p.w));

    // (a) three groups at random
    let r = await command({ type: 'breakout_open', groups: 3, assign: 'random' });
    check(r.status === 204, 'T opens 3 groups at random -> 204', `${r.status} ${r.text}`);
    p = await waitPlaced(MOVE_DEADLINE_MS, (n, room) => groupRe.test(room));
    const group = {};
    for (const n of NAMES) {
        group[n] = p.w[n].room;
    }
    const rooms = [...new Set(Object.values(group))];
    const sizes = rooms.map((g) => NAMES.filter((n) => group[n] === g).length);
    check(
        p.ok && rooms.length === 3 && sizes.every((s) => s === 2),
        '(a) every one moves to a group room named from the parent, two to a group',
        `${fmtWhere(p.w)} after ${p.ms} ms`,
    );
    if (!p.ok) {
        await diagnostics();
        return;
    }
    const mate = (n) => NAMES.find((x) => x !== n && group[x] === group[n]);

    // (b) each sees and hears its group only
    const read = async () => {
        const [a, b] = await Promise.all(
            pages.map((pg, i) =>
                pg.evaluate(pageSample, {
                    names: HALVES[i],
                    cols: kit.cols,
                    rows: kit.rows,
                    freqs,
                    tolHz: TONE_TOL_HZ,
                }),
            ),
        );
        return { ...a, ...b };
    };
    const hearsMate = (aw, n) =>
        hears(
            aw,
            [mate(n)],
            NAMES.filter((x) => x !== mate(n)),
            { window: kit.window, minHeardDb: MIN_HEARD_DB, belowDb: MIN_OTHERS_BELOW_DB },
        );
    const media = await pollComposites(
        read,
        (s, h) =>
            NAMES.every(
                (n) =>
                    s[n].an &&
                    onlyPair(s[n].an, [n, mate(n)]) &&
                    hearsMate(audioWindow(h[n]), n),
            ),
        { names: NAMES, deadlineMs: MEDIA_DEADLINE_MS, classify, analyse, pollMs: POLL_MS },
    );
    console.log(`# group media settled after ${media.ms} ms`);
    for (const n of NAMES) {
        const s = media.value[n];
        const ok = !!s.an && onlyPair(s.an, [n, mate(n)]);
        check(
            ok,
            `(b) ${n}'s composite in its group holds ${n} and ${mate(n)} side by side, ` +
                'no other colour',
            videoText(s),
        );
        if (!ok) {
            printGrid(n, s);
        }
        const aw = audioWindow(media.history[n]);
        check(
            hearsMate(aw, n),
            `(b) ${n} hears ${mate(n)}'s tone > ${MIN_HEARD_DB} dB above the median, every ` +
                `other >= ${MIN_OTHERS_BELOW_DB} dB below it`,
            s.audio ? fmtAudio(aw) : 'no remote audio track',
        );
    }
    if (!media.ok) {
        await diagnostics();
    }

    // (c) a reconnection to the parent lands in the group
    const ra = await evaluateOrError(pageOf('A'), pageReconnect, {
        name: 'A',
        room: ROOM,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    check(!ra.error && /\/rooms\/class\/sessions\//.test(ra.location), 'A rejoins the parent');
    await pageOf('A').evaluate(pageFollow, { name: 'A', connectTimeoutMs: CONNECT_TIMEOUT_MS });
    p = await waitPlaced(MOVE_DEADLINE_MS, (n, room) => room === group[n]);
    check(p.ok, `(c) A is moved back to its group ${group.A} at once`, fmtWhere(p.w));
    const back = await pollComposites(
        read,
        (s) => s.A.an && onlyPair(s.A.an, ['A', mate('A')]),
        { names: NAMES, deadlineMs: MEDIA_DEADLINE_MS, classify, analyse, pollMs: POLL_MS },
    );
    check(back.ok, `(c) and sees ${mate('A')} there again`, videoText(back.value.A));

    // (d) closed by the moderator
    r = await command({ type: 'breakout_close' });
    check(r.status === 204, 'T closes the groups -> 204', `${r.status} ${r.text}`);
    p = await waitPlaced(MOVE_DEADLINE_MS, (n, room) => room === ROOM);
    check(p.ok, '(d) everyone is back in the parent', `${fmtWhere(p.w)} after ${p.ms} ms`);

    // (e) a 10 s duration
    r = await command({ type: 'breakout_open', groups: 3, assign: 'random', duration: 10 });
    const tOpen = Date.now();
    check(r.status === 204, 'T opens 3 groups for 10 s -> 204', `${r.status} ${r.text}`);
    p = await waitPlaced(MOVE_DEADLINE_MS, (n, room) => groupRe.test(room));
    check(p.ok, '(e) everyone moves to a group', `${fmtWhere(p.w)} after ${p.ms} ms`);
    p = await waitPlaced(20000, (n, room) => room === ROOM);
    const took = (Date.now() - tOpen) / 1000;
    const returned = NAMES.every((n) => p.w[n].moves.at(-1).state === 'return');
    check(
        p.ok && returned && took >= 9.5 && took <= 16,
        `(e) at the end of the 10 s everyone is back in the parent (${took.toFixed(1)} s)`,
        fmtWhere(p.w),
    );
    checkSameHost(check, requests, base);
}

process.exitCode = await runMain({ name: 'breakout', T, check, watchdogMs: WATCHDOG_MS, run });
