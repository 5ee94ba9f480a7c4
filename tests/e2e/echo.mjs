// echo.mjs - browser end-to-end test of conclave's echo check.
//
// Usage: node tests/e2e/echo.mjs http://127.0.0.1:PORT
//
// Headless Chromium opens the daemon's own page and
//  1. uses it as a person would: Tab to "Test my camera and microphone",
//     Enter (Chromium's synthetic camera and microphone), sees "Connected" and
//     the returned picture playing, then Stop, which leaves (DELETE);
//  2. builds a known source (a canvas painted one solid colour, a 440 Hz
//     oscillator), joins /echo/whip with www/js/whip.js (WHIP, RFC 9725) and
//     checks what comes back: frames decoded, the same colour, the same tone,
//     with negative controls; then that leaving makes the server forget the
//     session, that a malformed offer gets a 4xx, and that no other host was
//     asked for anything.
// Every wait polls a condition against a deadline. Prints "ok - ..." and
// "not ok - ..." lines and ends with "echo: N passed, M failed"; exits
// non-zero on any failure. Screenshots go to tests/e2e/artifacts/.
// Run it through tests/e2e/echo.sh, which starts the daemon in a network
// namespace holding only the loopback interface.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    checkSameHost,
    colourNear,
    fmtRgb,
    installPageHelpers,
    makeReporter,
    openPage,
    runMain,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCREENSHOT = join(HERE, 'artifacts', 'echo.png'); // the known source and what came back
const SCREENSHOT_PAGE = join(HERE, 'artifacts', 'echo-page.png'); // the page, connected

const SENT_RGB = [30, 200, 60]; // the colour painted on the source canvas
const OTHER_RGB = [255, 0, 255]; // negative control: a colour never sent
const RGB_TOLERANCE = 25; // per channel; VP8 and YUV<->RGB shift colours a little
const TONE_HZ = 440; // the oscillator's frequency
const OTHER_TONE_HZ = 1000; // negative control: a tone never sent
const TONE_TOLERANCE_HZ = 30;
const MIN_TONE_ABOVE_MEDIAN_DB = 30;
const MIN_FRAMES = 60;
const MEDIA_DEADLINE_MS = 10000; // from the WHIP answer to every media check passing
const CONNECT_TIMEOUT_MS = 8000; // gathering (<= 3 s) plus the POST
const WATCHDOG_MS = 45000; // the whole run, browser start to finish

const T = makeReporter('echo');
const check = T.check;

// ---- code run inside the page (serialised by playwright; no closures) ----

// Builds the known source, joins the echo room and keeps everything the later
// steps need in window.__echo. Resolves once the WHIP answer is applied.
async function pageSetup({ sentRgb, toneHz, connectTimeoutMs }) {
    const H = window.__e2e; // lib.mjs pageHelpers
    const E = { logs: H.logs, until: H.until };
    window.__echo = E;

    const box = H.mediaBox();

    // Video source: 320x240 frames of one solid colour, 30 per second, as
    // I420 BT.601 limited range frames where the browser can (see lib.mjs).
    E.videoSource = H.colourTrack(sentRgb, { width: 320, height: 240, fps: 30 });
    const swatch = E.videoSource.canvas;
    swatch.style.width = '160px';
    swatch.title = 'sent';
    box.append(swatch);
    const videoTrack = E.videoSource.track;
    E.source = E.videoSource.source;

    // Audio source: a sine through WebAudio into a MediaStream track.
    const ac = new AudioContext({ sampleRate: 48000 });
    await ac.resume();
    E.ac = ac;
    const audioTrack = H.toneTrack(ac, toneHz, 0.5).track;

    // Sinks for what comes back (the remote audio plays through a muted
    // media element too, see remoteAnalyser).
    E.sink = H.compositeSink(box, 'echo', '160px');
    E.frameCallbacks = 0;
    const onTrack = (track) => H.receiveTrack(E, track, { ac, box, smoothing: 0.5 });

    const stream = new MediaStream([audioTrack, videoTrack]);
    const t = performance.now();
    const session = await H.whip('/echo/whip', { stream, onTrack }, connectTimeoutMs);
    E.session = session;
    E.t0 = performance.now();

    // The first payload type on the offer's m=video line names the codec the
    // browser prefers.
    const offer = session.pc.localDescription.sdp;
    const answer = session.answer; // as sent: the browser's copy drops end-of-candidates
    const mvideo = /^m=video \S+ \S+ (\d+)/m.exec(offer);
    const firstPt = mvideo ? mvideo[1] : '';
    const rtpmap = new RegExp(`^a=rtpmap:${firstPt} ([^/\\r\\n]+)`, 'm').exec(offer);
    return {
        source: E.source,
        location: session.location,
        connectMs: Math.round(E.t0 - t),
        offerFirstVideoCodec: rtpmap ? rtpmap[1] : '',
        offerCandidates: (offer.match(/^a=candidate:/gm) || []).length,
        answerCandidates: (answer.match(/^a=candidate:/gm) || []).length,
        answerLoopback: /^a=candidate:.* 127\.0\.0\.1 \d+ typ host/m.test(answer),
        answerEndOfCandidates: /^a=end-of-candidates/m.test(answer),
    };
}

// Waits (until the media deadline) for the peer connection to be connected.
async function pageWaitConnected({ deadlineMs }) {
    const E = window.__echo;
    const pc = E.session.pc;
    return E.until(
        () => ({ ok: pc.connectionState === 'connected', state: pc.connectionState }),
        E.t0 + deadlineMs,
    );
}

// Waits for minFrames decoded video frames (inbound-rtp framesDecoded).
async function pageWaitFrames({ deadlineMs, minFrames }) {
    const E = window.__echo;
    return E.until(async () => {
        let frames = 0;
        const stats = await E.session.pc.getStats();
        stats.forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') {
                frames += r.framesDecoded || 0;
            }
        });
        return { ok: frames >= minFrames, frames, frameCallbacks: E.frameCallbacks };
    }, E.t0 + deadlineMs);
}

// Averages the centre half (in each direction) of the received picture; waits
// until it is within tol of want, and returns the last measurement either way.
async function pageWaitColour({ deadlineMs, want, tol }) {
    const E = window.__echo;
    const v = E.sink;
    const c = document.createElement('canvas');
    const ctx = c.getContext('2d', { willReadFrequently: true });
    return E.until(() => {
        if (v.readyState < 2 || v.videoWidth === 0) {
            return { ok: false, rgb: null, size: '0x0', readyState: v.readyState };
        }
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        ctx.drawImage(v, 0, 0);
        const x0 = Math.floor(c.width / 4);
        const y0 = Math.floor(c.height / 4);
        const w = Math.max(1, Math.floor(c.width / 2));
        const h = Math.max(1, Math.floor(c.height / 2));
        const px = ctx.getImageData(x0, y0, w, h).data;
        const sum = [0, 0, 0];
        for (let i = 0; i < px.length; i += 4) {
            sum[0] += px[i];
            sum[1] += px[i + 1];
            sum[2] += px[i + 2];
        }
        const n = px.length / 4;
        const rgb = sum.map((s) => s / n);
        const ok = rgb.every((val, i) => Math.abs(val - want[i]) <= tol);
        return { ok, rgb, size: `${c.width}x${c.height}` };
    }, E.t0 + deadlineMs);
}

// Finds the loudest frequency between 100 Hz and 4 kHz in the received audio
// and how far it stands above the median level of that band.
async function pageWaitTone({ deadlineMs, toneHz, tolHz, minAboveDb }) {
    const E = window.__echo;
    return E.until(() => {
        const a = E.analyser;
        if (!a) {
            return { ok: false, peakHz: null, reason: 'no remote audio track' };
        }
        const { peakHz, peakDb, medianDb } = window.__e2e.peak(a, 100, 4000);
        const ok = Math.abs(peakHz - toneHz) <= tolHz && peakDb - medianDb > minAboveDb;
        return { ok, peakHz, peakDb, medianDb, ctxState: E.ac.state };
    }, E.t0 + deadlineMs);
}

// Everything that helps to tell why media did not flow.
async function pageDiagnostics() {
    const E = window.__echo;
    if (!E || !E.session) {
        return { note: 'no session', logs: E ? E.logs : [] };
    }
    return { ...(await window.__e2e.diagnostics(E.session.pc)), logs: E.logs };
}

// Leaves; then asks the server to delete the same session again.
async function pageLeave() {
    const E = window.__echo;
    E.videoSource.stop();
    const first = await E.session.close();
    const res = await fetch(E.session.location, { method: 'DELETE', cache: 'no-store' });
    return { first, second: res.status, reason: (await res.text()).trim().split('\n')[0] };
}

// Sends an offer that is not SDP; the server must refuse it with 4xx and a
// one-line reason.
async function pageBadOffer() {
    const res = await fetch('/echo/whip', {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp' },
        body: 'v=0\r\nthis is not a session description\r\n',
        cache: 'no-store',
    });
    const body = await res.text();
    return { status: res.status, body, location: res.headers.get('Location') };
}

// ---- the run ----

// What a person does on the landing page, with Chromium's synthetic camera and
// microphone: Tab to the button, press Enter, see "Connected" and the returned
// picture playing; then Stop, which leaves the session.
async function pageButtonFlow(page) {
    // The check comes after "Create a room" and the join form: Tab to it.
    let focused = '';
    for (let i = 0; i < 8 && focused !== 'start'; i++) {
        await page.keyboard.press('Tab');
        focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
    }
    check(
        focused === 'start',
        'the camera check button is reached with the Tab key',
        `focus on #${focused}`,
    );
    await page.keyboard.press('Enter');
    try {
        await page.waitForFunction(
            () => {
                const v = document.getElementById('remote');
                const st = document.getElementById('status');
                if (st.classList.contains('error')) {
                    return true; // the page gave up: no point in waiting
                }
                return (
                    st.textContent.startsWith('Connected') &&
                    v.readyState >= 2 &&
                    v.videoWidth > 0 &&
                    !v.paused &&
                    v.currentTime > 0.5
                );
            },
            null,
            { timeout: MEDIA_DEADLINE_MS, polling: 100 },
        );
    } catch {
        // reported below with what the page shows
    }
    const shown = await page.evaluate(() => {
        const v = document.getElementById('remote');
        const l = document.getElementById('local');
        const kinds = v.srcObject ? v.srcObject.getTracks().map((t) => t.kind) : [];
        return {
            status: document.getElementById('status').textContent,
            remote:
                `${v.videoWidth}x${v.videoHeight} t=${v.currentTime.toFixed(1)} ` +
                `paused=${v.paused} tracks=${kinds.join('+') || 'none'}`,
            local: `${l.videoWidth}x${l.videoHeight} muted=${l.muted}`,
            stopEnabled: !document.getElementById('stop').disabled,
        };
    });
    await page.screenshot({ path: SCREENSHOT_PAGE }).catch(() => {});
    check(
        shown.status.startsWith('Connected') &&
            /^[1-9]\d*x[1-9]/.test(shown.remote) &&
            /paused=false/.test(shown.remote) &&
            /audio/.test(shown.remote) &&
            /muted=true/.test(shown.local) &&
            shown.stopEnabled,
        'the page button shows the preview and plays the returned picture and sound',
        `status "${shown.status}", remote ${shown.remote}, preview ${shown.local}`,
    );
    let delStatus = 0;
    if (shown.stopEnabled) {
        const deleted = page
            .waitForResponse((r) => r.request().method() === 'DELETE', { timeout: 5000 })
            .then((r) => r.status())
            .catch(() => 0);
        await page.getByRole('button', { name: 'Stop' }).click({ timeout: 2000 });
        delStatus = await deleted;
    }
    const after = await page.evaluate(() => ({
        status: document.getElementById('status').textContent,
        startEnabled: !document.getElementById('start').disabled,
        remoteCleared: document.getElementById('remote').srcObject === null,
    }));
    check(
        delStatus >= 200 && delStatus < 300 && after.startEnabled && after.remoteCleared,
        'Stop leaves the session (DELETE) and resets the page',
        `${shown.stopEnabled ? `DELETE ${delStatus}` : 'Stop was disabled'}, ` +
            `status "${after.status}", start enabled ${after.startEnabled}`,
    );
}

async function run(base, browser) {
    const opened = await openPage(browser, base, { viewport: { width: 800, height: 900 } });
    const { page, res, requests } = opened;
    const pageErrors = opened.errors;
    const title = await page.title();
    const buttons = await page
        .getByRole('button', { name: 'Test my camera and microphone' })
        .count();
    check(
        res && res.status() === 200 && title === 'conclave' && buttons === 1,
        'landing page served with its camera check button',
        `status=${res && res.status()} title=${JSON.stringify(title)} buttons=${buttons}`,
    );
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await pageButtonFlow(page);
    await installPageHelpers(page);

    let setup;
    try {
        setup = await page.evaluate(pageSetup, {
            sentRgb: SENT_RGB,
            toneHz: TONE_HZ,
            connectTimeoutMs: CONNECT_TIMEOUT_MS,
        });
    } catch (e) {
        check(false, 'WHIP join /echo/whip answered 201 with a session', e.message.split('\n')[0]);
        const d = await page.evaluate(pageDiagnostics).catch(() => null);
        console.log(`# ${JSON.stringify(d)}`);
        pageErrors.forEach((l) => console.log(`# ${l}`));
        return;
    }
    console.log(`# video source: ${setup.source}`);
    check(
        setup.location.startsWith(`${base}/`) &&
            /\/sessions\/[0-9a-fA-F]{32,}$/.test(setup.location),
        'WHIP join /echo/whip answered 201 with a session URL (>= 128-bit hex id)',
        `${setup.connectMs} ms, Location ${setup.location}`,
    );
    check(
        setup.offerFirstVideoCodec.toUpperCase() === 'VP8',
        'offer lists VP8 first',
        `first video codec ${setup.offerFirstVideoCodec || 'none'}`,
    );
    check(
        setup.answerCandidates > 0 && setup.answerLoopback && setup.answerEndOfCandidates,
        'answer is complete: host candidates incl. 127.0.0.1 and end-of-candidates',
        `candidates=${setup.answerCandidates} loopback=${setup.answerLoopback} ` +
            `end-of-candidates=${setup.answerEndOfCandidates}`,
    );

    const failedBefore = T.failed;
    const conn = await page.evaluate(pageWaitConnected, { deadlineMs: MEDIA_DEADLINE_MS });
    check(conn.ok, 'ICE and DTLS connected', `connectionState=${conn.state}`);

    const frames = await page.evaluate(pageWaitFrames, {
        deadlineMs: MEDIA_DEADLINE_MS,
        minFrames: MIN_FRAMES,
    });
    check(
        frames.frames >= MIN_FRAMES,
        `received video decoded >= ${MIN_FRAMES} frames`,
        `framesDecoded=${frames.frames} frameCallbacks=${frames.frameCallbacks}`,
    );

    const colour = await page.evaluate(pageWaitColour, {
        deadlineMs: MEDIA_DEADLINE_MS,
        want: SENT_RGB,
        tol: RGB_TOLERANCE,
    });
    check(
        colourNear(colour.rgb, SENT_RGB, RGB_TOLERANCE),
        `returned picture has the sent colour ${fmtRgb(SENT_RGB)} ±${RGB_TOLERANCE}`,
        `measured ${fmtRgb(colour.rgb)} at ${colour.size}`,
    );

    const tone = await page.evaluate(pageWaitTone, {
        deadlineMs: MEDIA_DEADLINE_MS,
        toneHz: TONE_HZ,
        tolHz: TONE_TOLERANCE_HZ,
        minAboveDb: MIN_TONE_ABOVE_MEDIAN_DB,
    });
    const toneText =
        tone.peakHz === null
            ? tone.reason
            : `peak ${tone.peakHz.toFixed(1)} Hz at ${tone.peakDb.toFixed(1)} dB, ` +
              `median ${tone.medianDb.toFixed(1)} dB, audio context ${tone.ctxState}`;
    const toneOk =
        tone.peakHz !== null &&
        Math.abs(tone.peakHz - TONE_HZ) <= TONE_TOLERANCE_HZ &&
        tone.peakDb - tone.medianDb > MIN_TONE_ABOVE_MEDIAN_DB;
    check(
        toneOk,
        `returned audio carries the ${TONE_HZ} Hz tone ±${TONE_TOLERANCE_HZ} Hz, ` +
            `> ${MIN_TONE_ABOVE_MEDIAN_DB} dB above the median`,
        toneText,
    );

    // Negative controls: the same comparisons against what was never sent must
    // fail, or the checks above prove nothing.
    check(
        !colourNear(colour.rgb, OTHER_RGB, RGB_TOLERANCE),
        `negative control: the picture is not ${fmtRgb(OTHER_RGB)}`,
        `measured ${fmtRgb(colour.rgb)}`,
    );
    check(
        !(tone.peakHz !== null && Math.abs(tone.peakHz - OTHER_TONE_HZ) <= TONE_TOLERANCE_HZ),
        `negative control: the audio peak is not near ${OTHER_TONE_HZ} Hz`,
        toneText,
    );

    await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch((e) => {
        console.log(`# screenshot failed: ${e.message}`);
    });

    if (T.failed !== failedBefore) {
        const d = await page.evaluate(pageDiagnostics);
        console.log(
            `# connectionState=${d.connectionState} iceConnectionState=${d.iceConnectionState} ` +
                `iceGatheringState=${d.iceGatheringState} signalingState=${d.signalingState}`,
        );
        d.stats.forEach((l) => console.log(`# ${l}`));
        d.logs.forEach((l) => console.log(`# ${l}`));
        pageErrors.forEach((l) => console.log(`# ${l}`));
    }

    const leave = await page.evaluate(pageLeave);
    check(
        leave.first >= 200 && leave.first < 300 && leave.second === 404,
        'leaving: DELETE session succeeds, a second DELETE gets 404',
        `first DELETE ${leave.first}, second DELETE ${leave.second} ${leave.reason}`,
    );

    const bad = await page.evaluate(pageBadOffer);
    const lines = bad.body.split(/\r?\n/).filter((l) => l.trim() !== '');
    check(
        bad.status >= 400 && bad.status < 500 && lines.length === 1 && !bad.location,
        'a malformed offer is refused with 4xx and a one-line reason',
        `${bad.status} ${JSON.stringify(lines[0] || '')}, ${lines.length} line(s)` +
            `${bad.location ? `, Location ${bad.location}` : ''}`,
    );

    checkSameHost(check, requests, base);
}

// Out of time: report it and exit at once.
const main = () =>
    runMain({ name: 'echo', T, check, watchdogMs: WATCHDOG_MS, run, quickExit: true });

process.exitCode = await main();
