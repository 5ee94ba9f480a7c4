// lib.mjs - helpers shared by conclave's browser end-to-end tests (echo.mjs,
// room.mjs, ui.mjs, whip_gst.mjs, firefox.mjs): the Chromium flags that make
// WebRTC work in a namespace holding only the loopback interface, the
// "ok / not ok" reporter, the main() harness (runMain), opening the page
// and checking where it went (openPage, checkSameHost, evaluateOrError,
// sessionUrlOk), polling (pollUntil, pollComposites), colour arithmetic,
// analysis of a composite's colour grid (classifyGrid, analyseGrid, the
// layout predicates sideBySide, threeOnGrid, aloneCentred with the
// tolerances TILES), tone readings (audioWindow, fmtAudio, hears), what to
// print (fmtAnalysis, videoText, printGrid, printDiagnostics), compositeKit
// (those readers bound to one test's parts), and pageHelpers, which
// installs window.__e2e in a page: known sources (a solid-colour video
// track, a sine tone), a WHIP join with a deadline, sinks for what comes
// back, FFT readings, sampling of a received picture, and getStats
// summaries.
//
// Code that runs in the page is serialised by playwright, so pageHelpers is
// self-contained (no closures over this module); install it once per page
// with installPageHelpers(page) and call window.__e2e.* from page.evaluate.

// In a namespace with only lo, Chromium gathers no ICE candidate at all unless
// both --allow-loopback-in-peer-connection and --use-fake-ui-for-media-stream
// are given (the latter grants media access, which lets WebRTC enumerate
// every interface instead of only the default route, of which there is none).
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
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
    // the page speaks the browser's language (www/js/i18n.js): the tests read English
    '--lang=en-US',
];

// Counts results and prints one line each: "ok - what (detail)", or with
// numbered: true "ok 3 - what (detail)" (TAP style). finish() prints the run
// time and "<name>: N passed, M failed" and returns the exit status.
export function makeReporter(name, { numbered = false } = {}) {
    const startedAt = Date.now();
    const r = {
        passed: 0,
        failed: 0,
        check(ok, what, detail = '') {
            if (ok) {
                r.passed++;
            } else {
                r.failed++;
            }
            const n = numbered ? ` ${r.passed + r.failed}` : '';
            console.log(`${ok ? 'ok' : 'not ok'}${n} - ${what}${detail ? ` (${detail})` : ''}`);
            return ok;
        },
        finish() {
            console.log(`# run took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
            console.log(`${name}: ${r.passed} passed, ${r.failed} failed`);
            return r.failed === 0 && r.passed > 0 ? 0 : 1;
        },
    };
    return r;
}

export function colourNear(rgb, want, tol) {
    return (
        Array.isArray(rgb) && rgb.length === 3 && rgb.every((v, i) => Math.abs(v - want[i]) <= tol)
    );
}

export function fmtRgb(rgb) {
    return Array.isArray(rgb) ? `rgb(${rgb.map((v) => v.toFixed(1)).join(', ')})` : String(rgb);
}

// BT.601 limited range (the colour space a VP8 receiver assumes when nothing
// else is signalled), unrounded.
export function rgbToYuv601([r, g, b]) {
    return [
        16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
        128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255,
        128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255,
    ];
}

// The main() of a one-Chromium test: takes the daemon's base URL from argv[2]
// (else prints the usage and returns 2), arms a watchdog of watchdogMs,
// launches Chromium, awaits run(base, browser), closes the browser and
// returns T.finish(). cleanup(), if given, is also run on process exit, when
// the watchdog fires and before the browser is closed. When the watchdog
// fires it reports the overrun and, with quickExit, exits at once; otherwise
// it gives the browser 2 s to close, then exits.
export async function runMain({
    name,
    T,
    check,
    watchdogMs,
    run,
    cleanup = null,
    quickExit = false,
}) {
    const base = (process.argv[2] || '').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(base)) {
        console.log(`usage: node ${name}.mjs http://127.0.0.1:PORT`);
        return 2;
    }
    let browser = null;
    if (cleanup) {
        process.on('exit', cleanup);
    }
    const watchdog = setTimeout(() => {
        check(false, `the whole run finished within ${watchdogMs / 1000} s`);
        const code = T.finish();
        if (quickExit) {
            process.exit(code);
        }
        if (cleanup) {
            cleanup();
        }
        setTimeout(() => process.exit(code), 2000).unref();
        (browser ? browser.close() : Promise.resolve())
            .catch(() => {})
            .finally(() => process.exit(code));
    }, watchdogMs);
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
        if (cleanup) {
            cleanup();
        }
        if (browser) {
            await browser.close().catch(() => {});
        }
        clearTimeout(watchdog);
    }
    return T.finish();
}

// Calls sample(t0) (t0: Date.now() at the start) every pollMs until
// done(value) is true or deadlineMs have passed since t0. Returns
// { ok, value (the last sample), ms }.
export async function pollUntil(sample, done, deadlineMs, pollMs) {
    const t0 = Date.now();
    for (;;) {
        const value = await sample(t0);
        const ms = Date.now() - t0;
        if (done(value)) {
            return { ok: true, value, ms };
        }
        if (ms >= deadlineMs) {
            return { ok: false, value, ms };
        }
        await new Promise((res) => setTimeout(res, pollMs));
    }
}

// Opens base/ in a new page of browser (playwright or puppeteer), collecting
// page errors and console errors and warnings in errors and every requested
// URL in requests. Returns { page, res (the answer to the page), errors,
// requests }.
export async function openPage(browser, base, { viewport = null, timeoutMs = 5000 } = {}) {
    const page = await (viewport ? browser.newPage({ viewport }) : browser.newPage());
    const errors = [];
    const requests = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        const t = m.type();
        if (t === 'error' || t === 'warning' || t === 'warn') {
            errors.push(`console.${t}: ${m.text()}`);
        }
    });
    page.on('request', (r) => requests.push(r.url()));
    const res = await page.goto(`${base}/`, { timeout: timeoutMs });
    return { page, res, errors, requests };
}

// page.evaluate(fn, arg), or { error: the first line of why it failed }.
export function evaluateOrError(page, fn, arg) {
    return page.evaluate(fn, arg).catch((e) => ({ error: e.message.split('\n')[0] }));
}

// Checks that every URL in requests went to base, none to another host.
export function checkSameHost(check, requests, base, who = 'the page') {
    const foreign = requests.filter((u) => !u.startsWith(`${base}/`));
    return check(
        foreign.length === 0,
        `${who} requested nothing from another host`,
        foreign.length ? foreign.join(' ') : `${requests.length} requests`,
    );
}

// A join's result r carries a session URL of `room` on the server at base.
export function sessionUrlOk(r, base, room) {
    const prefix = `${base}/rooms/${room}/sessions/`;
    return (
        !r.error &&
        typeof r.location === 'string' &&
        r.location.startsWith(prefix) &&
        /^[0-9a-f]{32,}$/.test(r.location.slice(prefix.length))
    );
}

// ---- the composite's colour grid (node side) ----

// One character per cell of cells (flat [r, g, b, ...]): p[key] of the first
// of parts whose p.rgb is within tol per channel, '.' black, 'g' placeholder
// grey, 'y' speaker border, '?' anything else (edges of tiles, mixed cells).
export function classifyGrid(cells, parts, tol, key = 'name') {
    let s = '';
    for (let i = 0; i < cells.length; i += 3) {
        const c = [cells[i], cells[i + 1], cells[i + 2]];
        const near = (want, t) => c.every((v, k) => Math.abs(v - want[k]) <= t);
        const hit = parts.find((p) => near(p.rgb, tol));
        if (hit) {
            s += hit[key];
        } else if (Math.max(...c) < 24) {
            s += '.';
        } else if (near([37, 37, 37], 14)) {
            s += 'g';
        } else if (near([170, 255, 0], 45)) {
            s += 'y';
        } else {
            s += '?';
        }
    }
    return s;
}

// For each of parts, keyed by p[key]: the share of the cells of a cols x rows
// grid classified as it, their centroid (0..1 of the canvas) and, when cells
// is given, their mean colour (rgb, null when there are none).
export function analyseGrid(classes, cells, parts, cols, rows, key = 'name') {
    const out = {};
    for (const p of parts) {
        let n = 0;
        let sx = 0;
        let sy = 0;
        const rgb = [0, 0, 0];
        for (let i = 0; i < classes.length; i++) {
            if (classes[i] === p[key]) {
                n++;
                sx += ((i % cols) + 0.5) / cols;
                sy += (Math.floor(i / cols) + 0.5) / rows;
                if (cells) {
                    for (let k = 0; k < 3; k++) {
                        rgb[k] += cells[i * 3 + k];
                    }
                }
            }
        }
        const a = { share: n / classes.length, cx: n ? sx / n : NaN, cy: n ? sy / n : NaN };
        if (cells) {
            a.rgb = n ? rgb.map((v) => v / n) : null;
        }
        out[p[key]] = a;
    }
    return out;
}

// Where the tiles are, from analyseGrid's entries ({ share, cx, cy }), with
// the tolerances lim (TILES unless a test needs others).
export const TILES = {
    minShare: 0.08, // of the cells, for a colour that is shown
    maxGoneShare: 0.01, // of the cells, for a colour that is not shown
    minAloneShare: 0.5, // one full-canvas 4:3 tile on 16:9 covers 75 %
    centreTol: 0.06, // of the canvas, for "centred"
    sideMargin: 0.05, // a left tile's centroid is left of 0.5 - this
};

// Two tiles side by side, vertically centred.
export function sideBySide(shown, lim = TILES) {
    if (!shown.every((a) => a.share >= lim.minShare)) {
        return false;
    }
    const [l, r] = [...shown].sort((x, y) => x.cx - y.cx);
    return (
        l.cx < 0.5 - lim.sideMargin &&
        r.cx > 0.5 + lim.sideMargin &&
        shown.every((a) => Math.abs(a.cy - 0.5) <= lim.centreTol)
    );
}

// Three tiles on a 2x2 grid: two in the top half (left and right), one
// centred in the bottom half.
export function threeOnGrid(shown, lim = TILES) {
    if (!shown.every((a) => a.share >= lim.minShare)) {
        return false;
    }
    const byY = [...shown].sort((x, y) => x.cy - y.cy);
    const top = byY.slice(0, 2).sort((x, y) => x.cx - y.cx);
    const bottom = byY[2];
    return (
        top.every((a) => a.cy < 0.5 - lim.sideMargin) &&
        bottom.cy > 0.5 + lim.sideMargin &&
        top[0].cx < 0.5 - lim.sideMargin &&
        top[1].cx > 0.5 + lim.sideMargin &&
        Math.abs(bottom.cx - 0.5) <= lim.centreTol
    );
}

// Tile a alone: one centred tile covering most of the canvas; every entry
// of `gone` is not shown.
export function aloneCentred(a, gone, lim = TILES) {
    return (
        a.share >= lim.minAloneShare &&
        Math.abs(a.cx - 0.5) <= lim.centreTol &&
        Math.abs(a.cy - 0.5) <= lim.centreTol &&
        gone.every((g) => g.share < lim.maxGoneShare)
    );
}

// analyseGrid's result as "A 24.1% @(0.25,0.50), ..." (with rgb, each
// shown part's mean colour too).
export function fmtAnalysis(an, parts, { key = 'name', rgb = false } = {}) {
    return parts
        .map((p) => {
            const a = an[p[key]];
            const colour = rgb ? ` ${fmtRgb(a.rgb)}` : '';
            const where = a.share > 0 ? ` @(${a.cx.toFixed(2)},${a.cy.toFixed(2)})${colour}` : '';
            return `${p.name} ${(a.share * 100).toFixed(1)}%${where}`;
        })
        .join(', ');
}

// One reading of a composite (s.an from analyseGrid, fmt formats it) in words.
export function videoText(s, fmt) {
    if (!s.an) {
        return `no picture yet (size ${s.size}, pc ${s.pc})`;
    }
    return `${fmt(s.an)}; ${s.size}, ${s.frames} frames shown`;
}

// Prints the classified grid of one reading (s.classes), a row a line.
export function printGrid(who, s, cols, rows) {
    if (s && s.classes) {
        console.log(`# ${who}'s composite, ${cols}x${rows} cells:`);
        for (let r = 0; r < rows; r++) {
            console.log(`#   ${s.classes.slice(r * cols, (r + 1) * cols)}`);
        }
    }
}

// The readers of a test's received composites and tones: parts (each with
// name, rgb and toneHz; p[key] its letter in a classified grid) on a
// cols x rows grid, a colour within rgbTol per channel, tone readings
// averaged over the last `window`; with rgb, fmtAnalysis shows each part's
// mean colour. The defaults are what room, whip_gst and firefox use.
export function compositeKit(
    parts,
    { key = 'name', cols = 32, rows = 18, rgbTol = 30, window = 8, rgb = false } = {},
) {
    const kit = { cols, rows, rgbTol, window };
    kit.classify = (cells) => classifyGrid(cells, parts, rgbTol, key);
    kit.analyse = (classes, cells) => analyseGrid(classes, cells, parts, cols, rows, key);
    kit.fmtAnalysis = (an) => fmtAnalysis(an, parts, { key, rgb });
    kit.videoText = (s) => videoText(s, kit.fmtAnalysis);
    kit.printGrid = (who, s) => printGrid(who, s, cols, rows);
    kit.audioWindow = (readings) => audioWindow(readings, parts, window, key);
    kit.fmtAudio = (aw) => fmtAudio(aw, parts, key);
    return kit;
}

// Polls read(t0) every pollMs until done(value, history) is true or
// deadlineMs have passed. The readings of a value (partsOf(value), keyed by
// name) that carry a picture (cells) get classes = classify(cells) and
// an = analyse(classes, cells); their audio readings are kept in
// history[name] (and printed with debug). Returns { ok, value, history, ms }.
export async function pollComposites(
    read,
    done,
    { names, deadlineMs, classify, analyse, pollMs, partsOf = (v) => v, debug = false },
) {
    const history = Object.fromEntries(names.map((n) => [n, []]));
    const sample = async (t0) => {
        const value = await read(t0);
        const parts = partsOf(value);
        for (const n of names) {
            const s = parts[n];
            s.classes = s.cells ? classify(s.cells) : '';
            s.an = s.cells ? analyse(s.classes, s.cells) : null;
            if (s.audio) {
                history[n].push(s.audio);
                if (debug) {
                    const above = s.audio.levels.map((l) => (l - s.audio.medianDb).toFixed(1));
                    console.log(
                        `# ${Date.now() - t0} ms ${n} hears ${above.join(' ')} dB above the ` +
                            `median ${s.audio.medianDb.toFixed(1)} dB`,
                    );
                }
            }
        }
        return value;
    };
    const r = await pollUntil(sample, (v) => done(v, history), deadlineMs, pollMs);
    return { ok: r.ok, value: r.value, history, ms: r.ms };
}

// Prints what a page's diagnostics say ({ parts: { name: a partDiagnostics
// result }, logs, ctxState } or { error }), then the page's errors.
export function printDiagnostics(d, pageErrors = []) {
    if (d.error) {
        console.log(`# diagnostics failed: ${d.error}`);
        return;
    }
    for (const [n, x] of Object.entries(d.parts || {})) {
        console.log(
            `# ${n}: connectionState=${x.connectionState} ` +
                `iceConnectionState=${x.iceConnectionState} ` +
                `iceGatheringState=${x.iceGatheringState} signalingState=${x.signalingState} ` +
                `frameCallbacks=${x.frameCallbacks} remoteAudio=${x.hasAnalyser}`,
        );
        x.stats.forEach((l) => console.log(`#   ${l}`));
    }
    console.log(`# audio context ${d.ctxState}`);
    (d.logs || []).forEach((l) => console.log(`# ${l}`));
    pageErrors.forEach((l) => console.log(`# ${l}`));
}

// ---- tone readings (node side) ----

// Averages of the last `window` readings ({ levels (dB, one per part, in
// the order of parts), medianDb }): level of each part's tone above the
// median (dB), keyed by p[key].
export function audioWindow(readings, parts, window, key = 'name') {
    const w = readings.slice(-window);
    const above = {};
    parts.forEach((p, i) => {
        above[p[key]] = w.length
            ? w.reduce((s, r) => s + (r.levels[i] - r.medianDb), 0) / w.length
            : NaN;
    });
    const medianDb = w.length ? w.reduce((s, r) => s + r.medianDb, 0) / w.length : NaN;
    return { n: w.length, above, medianDb };
}

// audioWindow's result as "dB above median: A@440 21.3, ...; median ... dB,
// N readings".
export function fmtAudio(aw, parts, key = 'name') {
    if (!aw.n) {
        return 'no readings';
    }
    const tones = parts.map((p) => `${p.name}@${p.toneHz} ${aw.above[p[key]].toFixed(1)}`);
    return (
        `dB above median: ${tones.join(', ')}; ` +
        `median ${aw.medianDb.toFixed(1)} dB, ${aw.n} readings`
    );
}

// Every key of `heard` more than lim.minHeardDb above the median and every
// key of `silent` at least lim.belowDb under the weakest heard one, over a
// full window of lim.window readings (aw from audioWindow).
export function hears(aw, heard, silent, lim) {
    if (aw.n < lim.window) {
        return false;
    }
    const weakest = Math.min(...heard.map((k) => aw.above[k]));
    return weakest > lim.minHeardDb && silent.every((k) => aw.above[k] <= weakest - lim.belowDb);
}

export async function installPageHelpers(page) {
    await page.evaluate(pageHelpers);
}

// ---- code run inside the page (serialised by playwright; no closures) ----

export function pageHelpers() {
    const H = { logs: [] };
    window.__e2e = H;

    // Calls probe() every everyMs until it returns { ok: true } or
    // performance.now() passes deadline; returns the last result either way.
    H.until = async (probe, deadline, everyMs = 50) => {
        for (;;) {
            const r = await probe();
            if (r.ok || performance.now() >= deadline) {
                return r;
            }
            await new Promise((res) => setTimeout(res, everyMs));
        }
    };

    // A section for the test's own media elements, at the end of the page.
    H.mediaBox = () => {
        const box = document.createElement('section');
        box.id = 'e2e';
        box.setAttribute('aria-label', 'end-to-end test media');
        box.style.cssText = 'display:flex;gap:8px;flex-wrap:wrap;margin-top:8px';
        document.body.append(box);
        return box;
    };

    // A muted video element in box that shows what `name` receives.
    H.compositeSink = (box, name, width = '320px') => {
        const sink = document.createElement('video');
        sink.id = `composite-${name}`;
        sink.muted = true;
        sink.autoplay = true;
        sink.playsInline = true;
        sink.style.width = width;
        sink.style.background = '#000';
        sink.title = `what ${name} receives`;
        box.append(sink);
        return sink;
    };

    // Joins with the page's own whip.js (options as whipConnect's, gathering
    // for at most 3 s); rejects when no answer came within timeoutMs.
    H.whip = async (url, options, timeoutMs) => {
        const { whipConnect } = await import('/js/whip.js');
        return Promise.race([
            whipConnect(url, { gatherTimeoutMs: 3000, ...options }),
            new Promise((_, rej) =>
                setTimeout(
                    () => rej(new Error(`no WHIP answer within ${timeoutMs} ms`)),
                    timeoutMs,
                ),
            ),
        ]);
    };

    // Takes a received track for P: video plays in P.sink and counts the
    // frames shown in P.frameCallbacks; audio feeds P.analyser (see
    // remoteAnalyser; smoothing 0: each reading stands alone, and a departed
    // tone does not fade out over seconds). label prefixes a log line.
    H.receiveTrack = (P, track, { ac, box, label = '', smoothing = 0 }) => {
        if (track.kind === 'video') {
            P.sink.srcObject = new MediaStream([track]);
            P.sink.play().catch((e) => H.logs.push(`${label}video.play: ${e.message}`));
            if (P.sink.requestVideoFrameCallback) {
                const count = () => {
                    P.frameCallbacks++;
                    P.sink.requestVideoFrameCallback(count);
                };
                P.sink.requestVideoFrameCallback(count);
            }
        } else if (track.kind === 'audio') {
            P.analyser = H.remoteAnalyser(ac, track, box, smoothing);
        }
    };

    // One reading of what P receives: its composite's cells and size (none
    // without video), frames shown, the levels of the tones freqs, and the
    // state of its connection.
    H.samplePart = (P, { cols, rows, freqs, tolHz, video = true }) => {
        const v = video ? H.sampleCells(P.sink, P.canvas, cols, rows) : { cells: null };
        const a = P.analyser ? H.levels(P.analyser, freqs, tolHz) : null;
        return { ...v, frames: P.frameCallbacks, audio: a, pc: P.session.pc.connectionState };
    };

    // diagnostics() of P's session (or "not joined"), with the frames shown
    // and whether its audio arrived.
    H.partDiagnostics = async (P) => {
        const d = P.session
            ? await H.diagnostics(P.session.pc)
            : { connectionState: 'not joined', stats: [] };
        return { ...d, frameCallbacks: P.frameCallbacks, hasAnalyser: !!P.analyser };
    };

    // A video track of one solid colour, width x height, fps frames a second.
    // Preferred: I420 frames written as BT.601 limited range, the colour space
    // a VP8 receiver assumes when nothing else is signalled. A canvas capture
    // is the fallback: Chromium encodes it as BT.709 full range and says so
    // only in the RTP color-space header extension, so a server that does not
    // negotiate that extension returns it visibly shifted ((30,200,60) comes
    // back as about (35,244,59)) although it kept every pixel value.
    // Returns { track, canvas (a swatch of the colour), source, stop() }.
    H.colourTrack = (rgb, { width = 320, height = 240, fps = 30 } = {}) => {
        const W = width;
        const Hh = height;
        const swatch = document.createElement('canvas');
        swatch.width = W;
        swatch.height = Hh;
        const sctx = swatch.getContext('2d');
        const paint = () => {
            sctx.fillStyle = `rgb(${rgb.join(',')})`;
            sctx.fillRect(0, 0, W, Hh);
        };
        paint();
        let timer;
        let track;
        let source;
        if (typeof MediaStreamTrackGenerator === 'function' && typeof VideoFrame === 'function') {
            const [r, g, b] = rgb;
            const y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
            const u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255;
            const v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255;
            const buf = new Uint8Array((W * Hh * 3) / 2);
            buf.fill(Math.round(y), 0, W * Hh);
            buf.fill(Math.round(u), W * Hh, (W * Hh * 5) / 4);
            buf.fill(Math.round(v), (W * Hh * 5) / 4);
            const gen = new MediaStreamTrackGenerator({ kind: 'video' });
            const writer = gen.writable.getWriter();
            const colorSpace = {
                primaries: 'smpte170m',
                transfer: 'smpte170m',
                matrix: 'smpte170m',
                fullRange: false,
            };
            let ts = 0;
            timer = setInterval(() => {
                const frame = new VideoFrame(buf, {
                    format: 'I420',
                    codedWidth: W,
                    codedHeight: Hh,
                    timestamp: ts,
                    colorSpace,
                });
                ts += Math.round(1e6 / fps);
                writer.write(frame).catch((e) => H.logs.push(`frame write: ${e.message}`));
            }, 1000 / fps);
            track = gen;
            source = `I420 BT.601 limited frames, YUV (${[y, u, v].map(Math.round).join(', ')})`;
        } else {
            // A canvas only yields frames while it is repainted.
            timer = setInterval(paint, 1000 / fps);
            track = swatch.captureStream(fps).getVideoTracks()[0];
            source = 'canvas capture (BT.709 full range, see above)';
        }
        return {
            track,
            canvas: swatch,
            source,
            stop: () => clearInterval(timer),
        };
    };

    // An audio track carrying a sine of hz at the given gain (0..1), made in
    // the AudioContext ac. Returns { track, osc }.
    H.toneTrack = (ac, hz, gain = 0.5) => {
        const osc = ac.createOscillator();
        osc.type = 'sine';
        osc.frequency.value = hz;
        const g = ac.createGain();
        g.gain.value = gain;
        const dst = ac.createMediaStreamDestination();
        osc.connect(g).connect(dst);
        osc.start();
        return { track: dst.stream.getAudioTracks()[0], osc };
    };

    // An audio track playing a recording (the bytes of a WAV file, base64) in
    // a loop at the given gain, made in the AudioContext ac (which resamples
    // it). Speech, unlike a tone, keeps Opus in its voice modes, where in-band
    // FEC exists. Returns { track, seconds }.
    H.speechTrack = async (ac, wavBase64, gain = 0.5) => {
        const bytes = Uint8Array.from(atob(wavBase64), (c) => c.charCodeAt(0));
        const buf = await ac.decodeAudioData(bytes.buffer);
        const src = ac.createBufferSource();
        src.buffer = buf;
        src.loop = true;
        const g = ac.createGain();
        g.gain.value = gain;
        const dst = ac.createMediaStreamDestination();
        src.connect(g).connect(dst);
        src.start();
        return { track: dst.stream.getAudioTracks()[0], seconds: buf.duration };
    };

    // The level (dBFS) of what an analyser hears now: the RMS of its last
    // fftSize samples, -200 for silence.
    H.rmsDb = (analyser) => {
        const x = new Float32Array(analyser.fftSize);
        analyser.getFloatTimeDomainData(x);
        let e = 0;
        for (let i = 0; i < x.length; i++) {
            e += x[i] * x[i];
        }
        return e > 0 ? 10 * Math.log10(e / x.length) : -200;
    };

    // An AnalyserNode (8192-point FFT) fed with a remote audio track. The
    // track must also play through a media element (muted is enough) or
    // Chromium feeds WebAudio with silence; that element goes into container.
    H.remoteAnalyser = (ac, track, container, smoothing = 0.5) => {
        const ms = new MediaStream([track]);
        const audio = document.createElement('audio');
        audio.muted = true;
        audio.autoplay = true;
        audio.srcObject = ms;
        container.append(audio);
        audio.play().catch((e) => H.logs.push(`audio.play: ${e.message}`));
        const analyser = ac.createAnalyser();
        analyser.fftSize = 8192;
        analyser.smoothingTimeConstant = smoothing;
        ac.createMediaStreamSource(ms).connect(analyser);
        return analyser;
    };

    // The analyser's spectrum in dB with silence (-Infinity) as -200, and the
    // width of a bin in Hz.
    H.spectrum = (analyser) => {
        const bins = new Float32Array(analyser.frequencyBinCount);
        analyser.getFloatFrequencyData(bins);
        for (let i = 0; i < bins.length; i++) {
            if (!Number.isFinite(bins[i])) {
                bins[i] = -200;
            }
        }
        return { bins, hzPerBin: analyser.context.sampleRate / analyser.fftSize };
    };

    // The median level (dB) of the bins between loHz and hiHz.
    H.medianDb = (bins, hzPerBin, loHz, hiHz) => {
        const band = Array.from(
            bins.subarray(Math.ceil(loHz / hzPerBin), Math.floor(hiHz / hzPerBin) + 1),
        );
        band.sort((x, y) => x - y);
        return band[band.length >> 1];
    };

    // The loudest bin between loHz and hiHz and the band's median level.
    H.peak = (analyser, loHz = 100, hiHz = 4000) => {
        const { bins, hzPerBin } = H.spectrum(analyser);
        const lo = Math.ceil(loHz / hzPerBin);
        const hi = Math.floor(hiHz / hzPerBin);
        let peak = lo;
        for (let i = lo; i <= hi; i++) {
            if (bins[i] > bins[peak]) {
                peak = i;
            }
        }
        return {
            peakHz: peak * hzPerBin,
            peakDb: bins[peak],
            medianDb: H.medianDb(bins, hzPerBin, loHz, hiHz),
        };
    };

    // The level (dB) at each frequency in freqs (the loudest bin within
    // ±tolHz of it) and the median level between loHz and hiHz.
    H.levels = (analyser, freqs, tolHz = 15, loHz = 100, hiHz = 4000) => {
        const { bins, hzPerBin } = H.spectrum(analyser);
        const levels = freqs.map((f) => {
            let best = -200;
            const lo = Math.max(0, Math.ceil((f - tolHz) / hzPerBin));
            const hi = Math.min(bins.length - 1, Math.floor((f + tolHz) / hzPerBin));
            for (let i = lo; i <= hi; i++) {
                best = Math.max(best, bins[i]);
            }
            return best;
        });
        return { levels, medianDb: H.medianDb(bins, hzPerBin, loHz, hiHz) };
    };

    // Draws the video's current picture at its own size onto canvas and
    // returns the mean RGB of each cell of a cols x rows grid (row-major, flat
    // [r, g, b, r, g, b, ...], rounded) and the picture size; cells is null
    // while the video has no picture.
    H.sampleCells = (video, canvas, cols, rows) => {
        if (video.readyState < 2 || video.videoWidth === 0) {
            return { size: '0x0', cells: null, readyState: video.readyState };
        }
        const w = video.videoWidth;
        const h = video.videoHeight;
        canvas.width = w;
        canvas.height = h;
        const ctx = canvas.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(video, 0, 0);
        const px = ctx.getImageData(0, 0, w, h).data;
        const sum = new Float64Array(cols * rows * 4);
        for (let y = 0; y < h; y++) {
            const cy = Math.min(rows - 1, Math.floor((y * rows) / h));
            for (let x = 0; x < w; x++) {
                const cx = Math.min(cols - 1, Math.floor((x * cols) / w));
                const c = (cy * cols + cx) * 4;
                const p = (y * w + x) * 4;
                sum[c] += px[p];
                sum[c + 1] += px[p + 1];
                sum[c + 2] += px[p + 2];
                sum[c + 3]++;
            }
        }
        const cells = [];
        for (let i = 0; i < cols * rows; i++) {
            const n = Math.max(1, sum[i * 4 + 3]);
            cells.push(
                Math.round(sum[i * 4] / n),
                Math.round(sum[i * 4 + 1] / n),
                Math.round(sum[i * 4 + 2] / n),
            );
        }
        return { size: `${w}x${h}`, cells };
    };

    // Everything that helps to tell why media did not flow on pc.
    H.diagnostics = async (pc) => {
        const out = {
            connectionState: pc.connectionState,
            iceConnectionState: pc.iceConnectionState,
            iceGatheringState: pc.iceGatheringState,
            signalingState: pc.signalingState,
            stats: [],
        };
        if (pc.connectionState === 'closed') {
            return out;
        }
        const stats = await pc.getStats();
        const codecs = {};
        const cands = {};
        stats.forEach((r) => {
            if (r.type === 'codec') {
                codecs[r.id] = r.mimeType;
            } else if (r.type === 'local-candidate' || r.type === 'remote-candidate') {
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
                const f = fields(r, [
                    'packetsReceived',
                    'packetsLost',
                    'bytesReceived',
                    'nackCount',
                    'framesDecoded',
                    'keyFramesDecoded',
                    'frameWidth',
                    'frameHeight',
                    'pliCount',
                    'audioLevel',
                    'totalSamplesReceived',
                    'concealedSamples',
                ]);
                out.stats.push(`inbound ${r.kind} ${codecs[r.codecId] || '?'} ${f}`);
            } else if (r.type === 'outbound-rtp') {
                const f = fields(r, ['packetsSent', 'bytesSent', 'framesEncoded', 'frameWidth']);
                out.stats.push(`outbound ${r.kind} ${codecs[r.codecId] || '?'} ${f}`);
            } else if (r.type === 'transport') {
                const f = fields(r, [
                    'iceState',
                    'dtlsState',
                    'srtpCipher',
                    'selectedCandidatePairId',
                ]);
                out.stats.push(`transport ${f}`);
            } else if (r.type === 'candidate-pair' && (r.nominated || r.state === 'succeeded')) {
                const f = fields(r, ['state', 'nominated', 'bytesSent', 'bytesReceived']);
                out.stats.push(
                    `pair ${cands[r.localCandidateId]} -> ${cands[r.remoteCandidateId]} ${f}`,
                );
            }
        });
        return out;
    };
}
