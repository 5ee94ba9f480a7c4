// firewall.mjs - one phase of tests/e2e/firewall.sh: two Chromium
// participants join a room through the network path the script left open and
// check what they receive and which path ICE chose.
//
// Usage: node tests/e2e/firewall.mjs http://127.0.0.1:PORT MODE ROOM
//   MODE udp:   nothing blocked; the selected pair is direct UDP.
//   MODE tcp:   the script drops all UDP; the pair must be ICE-TCP (RFC 6544).
//   MODE relay: UDP and TCP to the media ports are dropped, only TCP to a TURN
//               server is open; the pair must be a relayed one.
//   MODE ui:    all UDP dropped (nftables table inet fw); one person joins
//               with the page's own call view, whose connection line must
//               say "connected over TCP"; then the test deletes that table
//               (UDP is back) and ends the session on the server: the page
//               rejoins on its own, over UDP, and the line no longer names
//               a path.
// Each participant sends a solid colour and a tone; each must decode at least
// MIN_FRAMES frames of the composite at MIN_FPS or more, hear the other's tone
// (the mix leaves out one's own voice), and the path the page's quality.js
// reads from getStats must be the one of MODE. Prints "ok - ..."/"not ok -
// ..." lines, the join and first-frame times ("# times ..."), and ends with
// "firewall-MODE: N passed, M failed". FW_HOLD_MS (default 5000): how long
// after the joins the frame rate is measured.

import { execFileSync } from 'node:child_process';
import { installPageHelpers, makeReporter, openPage, pollUntil, runMain } from './lib.mjs';

const MODE = process.argv[3] || '';
const ROOM = process.argv[4] || 'firewall';
const PARTS = [
    { name: 'red', rgb: [220, 30, 30], hz: 440 },
    { name: 'blue', rgb: [30, 60, 220], hz: 1000 },
];
const MIN_FRAMES = 60;
const MIN_FPS = 15; // the composite runs at 30; a loaded machine may lag
const TONE_ABOVE_MEDIAN_DB = 25;
const CONNECT_TIMEOUT_MS = 15000;
const MEDIA_DEADLINE_MS = 20000;
const WATCHDOG_MS = 90000;

const T = makeReporter(`firewall-${MODE}`);
const check = T.check;

// ---- inside the page ----

async function pageJoin({ room, parts, connectTimeoutMs }) {
    const H = window.__e2e;
    const { readStats } = await import('/js/quality.js');
    window.__fw = { parts: [], readStats };
    const box = H.mediaBox();
    const ac = new AudioContext({ sampleRate: 48000 });
    await ac.resume();
    const out = [];
    for (const p of parts) {
        const P = { name: p.name, frameCallbacks: 0, firstFrameMs: null };
        P.sink = H.compositeSink(box, p.name, '160px');
        P.canvas = document.createElement('canvas');
        const video = H.colourTrack(p.rgb, { width: 320, height: 240, fps: 30 });
        const audio = H.toneTrack(ac, p.hz, 0.5);
        const stream = new MediaStream([audio.track, video.track]);
        const t0 = performance.now();
        P.session = await H.whip(
            `/rooms/${room}/whip?name=${p.name}`,
            { stream, onTrack: (track) => H.receiveTrack(P, track, { ac, box }) },
            connectTimeoutMs,
        );
        P.answerMs = performance.now() - t0;
        const pc = P.session.pc;
        const conn = await H.until(
            () => ({ ok: pc.connectionState === 'connected' }),
            t0 + connectTimeoutMs,
        );
        P.joinMs = conn.ok ? performance.now() - t0 : null;
        const first = await H.until(() => ({ ok: P.frameCallbacks > 0 }), t0 + connectTimeoutMs);
        P.firstFrameMs = first.ok ? performance.now() - t0 : null;
        P.iceServers = pc.getConfiguration().iceServers.length;
        window.__fw.parts.push(P);
        out.push({
            name: p.name,
            answerMs: Math.round(P.answerMs),
            joinMs: P.joinMs === null ? null : Math.round(P.joinMs),
            firstFrameMs: P.firstFrameMs === null ? null : Math.round(P.firstFrameMs),
            iceServers: P.iceServers,
            answerTcp: /^a=candidate:\S+ 1 tcp \d+ \S+ \d+ typ host tcptype passive/m.test(
                P.session.answer,
            ),
        });
    }
    return out;
}

// Frames decoded now, the selected path, and the other tone's level.
async function pageSample({ freqs }) {
    const H = window.__e2e;
    const res = [];
    for (const [i, P] of window.__fw.parts.entries()) {
        const report = await P.session.pc.getStats();
        let frames = 0;
        let concealed = 0;
        let samples = 0;
        report.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
                frames += s.framesDecoded || 0;
            } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
                concealed += s.concealedSamples || 0;
                samples += s.totalSamplesReceived || 0;
            }
        });
        const st = window.__fw.readStats(report);
        const other = freqs[(i + 1) % freqs.length];
        const lv = P.analyser ? H.levels(P.analyser, [other]) : null;
        res.push({
            name: P.name,
            frames,
            concealed,
            samples,
            path: st.path,
            toneDb: lv ? lv.levels[0] - lv.medianDb : null,
            t: performance.now(),
        });
    }
    return res;
}

// The call view's state: its connection line, the session it holds and the
// path of its selected pair (quality.js readStats over getStats).
async function pageCallState() {
    const c = window.conclave;
    const { readStats } = await import('/js/quality.js');
    return {
        quality: document.getElementById('quality').textContent,
        pc: c ? c.pc.connectionState : 'none',
        path: c ? readStats(await c.pc.getStats()).path : null,
        sessionUrl: c ? c.sessionUrl : '',
        status: document.getElementById('status').textContent.trim(),
    };
}

// The pre-join view is up and its camera preview plays.
function pagePrejoinReady() {
    return (
        !document.getElementById('view-prejoin').hidden &&
        document.getElementById('preview').readyState >= 2
    );
}

async function runUi(base, browser) {
    const { page, errors } = await openPage(browser, base);
    await page.goto(`${base}/#/r/${ROOM}`, { timeout: 5000 });
    const pre = await pollUntil(() => page.evaluate(pagePrejoinReady), (r) => r, 10000, 100);
    check(pre.ok, "the room link's pre-join view shows the camera preview", `${pre.ms} ms`);
    await page.fill('#display-name', 'tcp');
    await page.click('#join');
    const overTcp = await pollUntil(
        () => page.evaluate(pageCallState),
        (s) => s.pc === 'connected' && s.path === 'tcp' && s.quality.includes('connected over TCP'),
        MEDIA_DEADLINE_MS,
        250,
    );
    check(
        overTcp.ok,
        'the call view says "connected over TCP" (its selected pair is TCP)',
        JSON.stringify(overTcp.value),
    );
    execFileSync('nft', ['delete', 'table', 'inet', 'fw']);
    const first = overTcp.value.sessionUrl;
    // the requests of the ended session that fail (its event stream, 404) are
    // the page noticing the loss, not errors
    check(errors.length === 0, 'no page errors before the session is ended', errors.join(' | '));
    if (!first) {
        return;
    }
    const del = await fetch(first, { method: 'DELETE' }).then((r) => r.status);
    check(del === 200, 'the server ends that session (DELETE)', `${del}`);
    const back = await pollUntil(
        () => page.evaluate(pageCallState),
        (s) =>
            s.pc === 'connected' &&
            s.sessionUrl !== first &&
            s.sessionUrl !== '' &&
            s.path === 'udp' &&
            /^Connection: (good|fair|poor)$/.test(s.quality),
        30000,
        250,
    );
    check(
        back.ok,
        'UDP back: the page rejoined on its own over UDP and its line names no path',
        `${JSON.stringify(back.value)} after ${back.ms} ms`,
    );
}

async function run(base, browser) {
    if (MODE === 'ui') {
        return runUi(base, browser);
    }
    const { page, errors } = await openPage(browser, base);
    await installPageHelpers(page);
    const joined = await page.evaluate(pageJoin, {
        room: ROOM,
        parts: PARTS,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    for (const j of joined) {
        check(j.joinMs !== null, `${j.name} connected (${MODE})`, `${j.joinMs} ms`);
        check(j.answerTcp, `${j.name}'s answer has a TCP-passive host candidate`);
        check(
            MODE === 'relay' ? j.iceServers > 0 : j.iceServers === 0,
            `${j.name} got ${MODE === 'relay' ? 'the TURN server' : 'no ICE server'} from the room`,
            `${j.iceServers} servers`,
        );
        console.log(
            `# times ${MODE} ${j.name}: answer ${j.answerMs} ms, connected ${j.joinMs} ms, ` +
                `first frame ${j.firstFrameMs} ms`,
        );
    }
    const freqs = PARTS.map((p) => p.hz);
    const deadline = Date.now() + MEDIA_DEADLINE_MS;
    let s = await page.evaluate(pageSample, { freqs });
    while (
        Date.now() < deadline &&
        s.some((x) => x.frames < MIN_FRAMES || x.toneDb === null || x.toneDb < TONE_ABOVE_MEDIAN_DB)
    ) {
        await new Promise((r) => setTimeout(r, 250));
        s = await page.evaluate(pageSample, { freqs });
    }
    // the frame rate over 3 s, from 5 s (FW_HOLD_MS) after the joins on: the
    // connection carrying the media must outlive the server's guard of
    // pending TCP ones
    await new Promise((r) => setTimeout(r, Number(process.env.FW_HOLD_MS) || 5000));
    const a = await page.evaluate(pageSample, { freqs });
    await new Promise((r) => setTimeout(r, 3000));
    const b = await page.evaluate(pageSample, { freqs });
    const wantPath = MODE === 'relay' ? 'relay' : MODE;
    for (let i = 0; i < PARTS.length; i++) {
        const fps = ((b[i].frames - a[i].frames) * 1000) / (b[i].t - a[i].t);
        const dS = b[i].samples - a[i].samples;
        const conceal = dS > 0 ? ((b[i].concealed - a[i].concealed) * 100) / dS : NaN;
        console.log(
            `# fps ${MODE} ${b[i].name}: ${fps.toFixed(1)}; audio concealed ` +
                `${conceal.toFixed(2)} % of ${dS} samples`,
        );
        check(s[i].frames >= MIN_FRAMES, `${s[i].name} decoded the composite`, `${s[i].frames}`);
        check(fps >= MIN_FPS, `${a[i].name} receives it at >= ${MIN_FPS} fps`, fps.toFixed(1));
        check(
            b[i].toneDb !== null && b[i].toneDb >= TONE_ABOVE_MEDIAN_DB,
            `${b[i].name} hears the other's tone in the mix`,
            `${b[i].toneDb === null ? 'no audio' : b[i].toneDb.toFixed(1)} dB above median`,
        );
        check(
            b[i].path === wantPath,
            `${b[i].name}'s selected pair is ${wantPath}`,
            `${b[i].path}`,
        );
    }
    check(errors.length === 0, 'no page errors', errors.join(' | '));
}

process.exitCode = await runMain({
    name: 'firewall',
    T,
    check,
    watchdogMs: WATCHDOG_MS,
    run,
});
