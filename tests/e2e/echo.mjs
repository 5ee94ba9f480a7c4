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
import { chromium } from 'playwright-core';

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

// In a namespace with only lo, Chromium gathers no ICE candidate at all unless
// both --allow-loopback-in-peer-connection and --use-fake-ui-for-media-stream
// are given (the latter grants media access, which lets WebRTC enumerate
// every interface instead of only the default route, of which there is none).
const CHROMIUM_ARGS = [
    '--no-sandbox',
    '--headless=new',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream', // a synthetic camera and microphone for the page's button
    '--allow-loopback-in-peer-connection',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-gpu',
    '--autoplay-policy=no-user-gesture-required',
];

let passed = 0;
let failed = 0;

// Prints one result line; detail (the measured values) goes in parentheses.
function check(ok, what, detail = '') {
    if (ok) {
        passed++;
    } else {
        failed++;
    }
    console.log(`${ok ? 'ok' : 'not ok'} - ${what}${detail ? ` (${detail})` : ''}`);
    return ok;
}

const startedAt = Date.now();

function finish() {
    console.log(`# run took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    console.log(`echo: ${passed} passed, ${failed} failed`);
    return failed === 0 && passed > 0 ? 0 : 1;
}

function colourNear(rgb, want, tol) {
    return (
        Array.isArray(rgb) && rgb.length === 3 && rgb.every((v, i) => Math.abs(v - want[i]) <= tol)
    );
}

function fmtRgb(rgb) {
    return Array.isArray(rgb) ? `rgb(${rgb.map((v) => v.toFixed(1)).join(', ')})` : String(rgb);
}

// ---- code run inside the page (serialised by playwright; no closures) ----

// Builds the known source, joins the echo room and keeps everything the later
// steps need in window.__echo. Resolves once the WHIP answer is applied.
async function pageSetup({ sentRgb, toneHz, connectTimeoutMs }) {
    const { whipConnect } = await import('/js/whip.js');
    const E = { logs: [] };
    window.__echo = E;

    E.until = async (probe, deadline, everyMs = 50) => {
        for (;;) {
            const r = await probe();
            if (r.ok || performance.now() >= deadline) {
                return r;
            }
            await new Promise((res) => setTimeout(res, everyMs));
        }
    };

    const box = document.createElement('section');
    box.id = 'e2e';
    box.setAttribute('aria-label', 'end-to-end test media');
    box.style.cssText = 'display:flex;gap:8px;flex-wrap:wrap;margin-top:8px';
    document.body.append(box);

    // Video source: 320x240 frames of one solid colour, 30 per second.
    // Preferred: I420 frames written as BT.601 limited range, the colour space
    // a VP8 receiver assumes when nothing else is signalled. A canvas capture
    // is the fallback: Chromium encodes it as BT.709 full range and says so
    // only in the RTP color-space header extension, so a server that does not
    // negotiate that extension returns it visibly shifted ((30,200,60) comes
    // back as about (35,244,59)) although it kept every pixel value.
    const W = 320;
    const H = 240;
    const swatch = document.createElement('canvas');
    swatch.width = W;
    swatch.height = H;
    swatch.style.width = '160px';
    swatch.title = 'sent';
    box.append(swatch);
    const sctx = swatch.getContext('2d');
    const paint = () => {
        sctx.fillStyle = `rgb(${sentRgb.join(',')})`;
        sctx.fillRect(0, 0, W, H);
    };
    paint();
    let videoTrack;
    if (typeof MediaStreamTrackGenerator === 'function' && typeof VideoFrame === 'function') {
        const [r, g, b] = sentRgb;
        const y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
        const u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255;
        const v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255;
        const buf = new Uint8Array((W * H * 3) / 2);
        buf.fill(Math.round(y), 0, W * H);
        buf.fill(Math.round(u), W * H, (W * H * 5) / 4);
        buf.fill(Math.round(v), (W * H * 5) / 4);
        const gen = new MediaStreamTrackGenerator({ kind: 'video' });
        const writer = gen.writable.getWriter();
        const colorSpace = {
            primaries: 'smpte170m',
            transfer: 'smpte170m',
            matrix: 'smpte170m',
            fullRange: false,
        };
        let ts = 0;
        E.painter = setInterval(() => {
            const frame = new VideoFrame(buf, {
                format: 'I420',
                codedWidth: W,
                codedHeight: H,
                timestamp: ts,
                colorSpace,
            });
            ts += 33333;
            writer.write(frame).catch((e) => E.logs.push(`frame write: ${e.message}`));
        }, 1000 / 30);
        videoTrack = gen;
        E.source = `I420 BT.601 limited frames, YUV (${[y, u, v].map(Math.round).join(', ')})`;
    } else {
        // A canvas only yields frames while it is repainted.
        E.painter = setInterval(paint, 1000 / 30);
        videoTrack = swatch.captureStream(30).getVideoTracks()[0];
        E.source = 'canvas capture (BT.709 full range, see above)';
    }

    // Audio source: a sine through WebAudio into a MediaStream track.
    const ac = new AudioContext({ sampleRate: 48000 });
    await ac.resume();
    E.ac = ac;
    const osc = ac.createOscillator();
    osc.type = 'sine';
    osc.frequency.value = toneHz;
    const gain = ac.createGain();
    gain.gain.value = 0.5;
    const dst = ac.createMediaStreamDestination();
    osc.connect(gain).connect(dst);
    osc.start();
    const audioTrack = dst.stream.getAudioTracks()[0];

    // Sinks for what comes back. The remote audio must play through a media
    // element (muted is enough) or Chromium feeds WebAudio with silence.
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.style.width = '160px';
    video.style.background = '#000';
    box.append(video);
    E.video = video;
    const audio = document.createElement('audio');
    audio.muted = true;
    audio.autoplay = true;
    box.append(audio);
    E.frameCallbacks = 0;

    const onTrack = (track) => {
        const ms = new MediaStream([track]);
        if (track.kind === 'video') {
            video.srcObject = ms;
            video.play().catch((e) => E.logs.push(`video.play: ${e.message}`));
            if (video.requestVideoFrameCallback) {
                const count = () => {
                    E.frameCallbacks++;
                    video.requestVideoFrameCallback(count);
                };
                video.requestVideoFrameCallback(count);
            }
        } else if (track.kind === 'audio') {
            audio.srcObject = ms;
            audio.play().catch((e) => E.logs.push(`audio.play: ${e.message}`));
            const analyser = ac.createAnalyser();
            analyser.fftSize = 8192;
            analyser.smoothingTimeConstant = 0.5;
            ac.createMediaStreamSource(ms).connect(analyser);
            E.analyser = analyser;
        }
    };

    const stream = new MediaStream([audioTrack, videoTrack]);
    const t = performance.now();
    const session = await Promise.race([
        whipConnect('/echo/whip', { stream, onTrack, gatherTimeoutMs: 3000 }),
        new Promise((_, rej) =>
            setTimeout(
                () => rej(new Error(`no WHIP answer within ${connectTimeoutMs} ms`)),
                connectTimeoutMs,
            ),
        ),
    ]);
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
    const v = E.video;
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
        const bins = new Float32Array(a.frequencyBinCount);
        a.getFloatFrequencyData(bins);
        const hzPerBin = E.ac.sampleRate / a.fftSize;
        const lo = Math.ceil(100 / hzPerBin);
        const hi = Math.floor(4000 / hzPerBin);
        let peak = lo;
        const band = [];
        for (let i = lo; i <= hi; i++) {
            const db = Number.isFinite(bins[i]) ? bins[i] : -200;
            band.push(db);
            if (db > (Number.isFinite(bins[peak]) ? bins[peak] : -200)) {
                peak = i;
            }
        }
        band.sort((x, y) => x - y);
        const medianDb = band[band.length >> 1];
        const peakDb = Number.isFinite(bins[peak]) ? bins[peak] : -200;
        const peakHz = peak * hzPerBin;
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
    const pc = E.session.pc;
    const out = {
        connectionState: pc.connectionState,
        iceConnectionState: pc.iceConnectionState,
        iceGatheringState: pc.iceGatheringState,
        signalingState: pc.signalingState,
        stats: [],
        logs: E.logs,
    };
    if (pc.connectionState === 'closed') {
        return out;
    }
    const stats = await pc.getStats();
    const codecs = {};
    stats.forEach((r) => {
        if (r.type === 'codec') {
            codecs[r.id] = r.mimeType;
        }
    });
    const cands = {};
    stats.forEach((r) => {
        if (r.type === 'local-candidate' || r.type === 'remote-candidate') {
            cands[r.id] = `${r.address || r.ip}:${r.port}/${r.protocol} ${r.candidateType}`;
        }
    });
    // "name=value" for each field the report has, in the order given.
    const fields = (r, names) =>
        names
            .filter((n) => r[n] !== undefined)
            .map((n) => `${n}=${r[n]}`)
            .join(' ');
    stats.forEach((r) => {
        if (r.type === 'inbound-rtp') {
            const f = fields(r, ['packetsReceived', 'packetsLost', 'bytesReceived', 'nackCount']);
            const m = fields(r, [
                'framesDecoded',
                'keyFramesDecoded',
                'frameWidth',
                'frameHeight',
                'pliCount',
                'audioLevel',
                'totalSamplesReceived',
                'concealedSamples',
            ]);
            out.stats.push(`inbound ${r.kind} ${codecs[r.codecId] || '?'} ${f} ${m}`);
        } else if (r.type === 'outbound-rtp') {
            const f = fields(r, ['packetsSent', 'bytesSent', 'framesEncoded', 'frameWidth']);
            out.stats.push(`outbound ${r.kind} ${codecs[r.codecId] || '?'} ${f}`);
        } else if (r.type === 'transport') {
            const f = fields(r, ['iceState', 'dtlsState', 'srtpCipher', 'selectedCandidatePairId']);
            out.stats.push(`transport ${f}`);
        } else if (r.type === 'candidate-pair' && (r.nominated || r.state === 'succeeded')) {
            const f = fields(r, ['state', 'nominated', 'bytesSent', 'bytesReceived']);
            out.stats.push(
                `pair ${cands[r.localCandidateId]} -> ${cands[r.remoteCandidateId]} ${f}`,
            );
        }
    });
    return out;
}

// Leaves; then asks the server to delete the same session again.
async function pageLeave() {
    const E = window.__echo;
    clearInterval(E.painter);
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
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
    check(
        focused === 'start',
        'the camera check button is the first stop of the Tab key',
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
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') {
            pageErrors.push(`console.${m.type()}: ${m.text()}`);
        }
    });
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));

    const res = await page.goto(`${base}/`, { timeout: 5000 });
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

    const failedBefore = failed;
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

    if (failed !== failedBefore) {
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

    const foreign = requests.filter((u) => !u.startsWith(`${base}/`));
    check(
        foreign.length === 0,
        'the page requested nothing from another host',
        foreign.length ? foreign.join(' ') : `${requests.length} requests`,
    );
}

async function main() {
    const base = (process.argv[2] || '').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(base)) {
        console.log('usage: node echo.mjs http://127.0.0.1:PORT');
        return 2;
    }
    const watchdog = setTimeout(() => {
        check(false, `the whole run finished within ${WATCHDOG_MS / 1000} s`);
        process.exit(finish());
    }, WATCHDOG_MS);
    let browser = null;
    try {
        browser = await chromium.launch({
            executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
            args: CHROMIUM_ARGS,
            timeout: 15000,
        });
        await run(base, browser);
    } catch (e) {
        check(false, 'test ran to its end', e.stack || e.message);
    } finally {
        if (browser) {
            await browser.close().catch(() => {});
        }
        clearTimeout(watchdog);
    }
    return finish();
}

process.exitCode = await main();
