// browser_room.mjs - measures what one room of N browser participants costs
// the real conclave daemon: its CPU time and resident memory while headless
// Chromium sends N moving pictures and N tones and receives N composites.
//
// Usage: node bench/browser_room.mjs http://127.0.0.1:PORT DAEMON_PID
// Environment:
//   N               participants (default 4)
//   BENCH_W/BENCH_H the daemon's [mixer] width and height, for the report and
//                   the received-size check (default 1280x720)
//   BENCH_WINDOW_S  length of the measured window in seconds (default 20)
//   BENCH_WARMUP_S  seconds between "everyone receives" and the window, for
//                   the senders' bandwidth estimates to ramp up (default 5)
//   BENCH_OUT       a file to which one tab-separated result line is appended
//   CHROMIUM        the browser binary (default /usr/bin/chromium)
//
// Run it through bench/browser_room.sh, which starts the daemon in a network
// namespace holding only the loopback interface and prints the table.
//
// One page served by the daemon (same origin, so /js/whip.js can be imported)
// joins /rooms/<random>/whip N times. Each participant sends a 640x480,
// 30 fps picture that moves everywhere (a scrolling diagonal gradient and a
// bouncing square, written as I420 frames) and a sine tone; each receives the
// composite into a <video> element and the audio mix into a muted <audio>
// element, as a real page would. Once every participant is connected and its
// framesDecoded grows, and after a warm-up, the window starts. Read at both
// ends of it: the daemon's utime+stime (/proc/PID/stat, clock ticks) and that
// of each of its threads, the CPU time of every Chromium process (every
// process below this node process), the machine's busy time (/proc/stat),
// the daemon's conclave_mixer_late_ticks_total (/metrics), and each
// participant's inbound and outbound video counters (getStats); the daemon's
// VmRSS (/proc/PID/status) is read at the end. Details go to stdout as
// "# ..." lines, the result row to BENCH_OUT; the exit status is 0 only when
// the measurement was taken with video flowing at every participant.

import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { CHROMIUM_ARGS, installPageHelpers } from '../tests/e2e/lib.mjs';

// playwright-core lives in tests/e2e/node_modules (make deps).
const requireE2e = createRequire(new URL('../tests/e2e/package.json', import.meta.url));
const { chromium } = requireE2e('playwright-core');

const N = Number(process.env.N) || 4;
const COMPOSITE_W = Number(process.env.BENCH_W) || 1280;
const COMPOSITE_H = Number(process.env.BENCH_H) || 720;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S) || 20;
const WARMUP_S = process.env.BENCH_WARMUP_S !== undefined ? Number(process.env.BENCH_WARMUP_S) : 5;
const OUT = process.env.BENCH_OUT || '';
const SRC_W = 640;
const SRC_H = 480;
const SRC_FPS = 30;
const TONE_GAIN = 0.2;
const JOIN_TIMEOUT_MS = 10000; // gathering (<= 3 s) plus the POST
const FLOW_DEADLINE_MS = 20000; // from all joined to video decoded everywhere
const POLL_MS = 250;
// The whole run, browser start to finish; the window and warm-up come on top
// of about 25 s for start, joins and teardown.
const WATCHDOG_MS = (WINDOW_S + WARMUP_S + 45) * 1000;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const log = (s) => console.log(`# ${s}`);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// ---- /proc readings (node side) ----

// utime + stime of one process, in clock ticks, or null when it is gone. The
// command name (field 2) may hold spaces and parentheses: fields are counted
// after its closing parenthesis.
function procTicks(pid) {
    try {
        const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        // f[0] is field 3 (state); utime and stime are fields 14 and 15.
        return Number(f[11]) + Number(f[12]);
    } catch {
        return null;
    }
}

function procPpid(pid) {
    try {
        const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
        return null;
    }
}

// VmRSS and VmHWM of one process in KiB.
function procMemKiB(pid) {
    const out = { rss: NaN, hwm: NaN };
    try {
        for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
            const m = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(line);
            if (m) {
                out[m[1] === 'VmRSS' ? 'rss' : 'hwm'] = Number(m[2]);
            }
        }
    } catch {
        // gone: NaN
    }
    return out;
}

// The 1, 5 and 15 minute load averages, as /proc/loadavg has them.
function loadAvg() {
    try {
        return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    } catch {
        return '?';
    }
}

// The whole machine's busy and total CPU ticks (all cores), from /proc/stat:
// busy is everything but idle and iowait.
function machineTicks() {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
    const v = f.map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - v[3] - (v[4] || 0), total };
}

// conclave_mixer_late_ticks_total from the daemon's /metrics (ticks skipped
// because the previous one still ran), or NaN when it cannot be read.
async function lateTicks(base) {
    try {
        const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2000) });
        const m = /^conclave_mixer_late_ticks_total (\d+)/m.exec(await res.text());
        return m ? Number(m[1]) : NaN;
    } catch {
        return NaN;
    }
}

// root and every process below it, by parent pid.
function processTree(root) {
    const children = new Map();
    for (const d of readdirSync('/proc')) {
        if (/^\d+$/.test(d)) {
            const pp = procPpid(d);
            if (pp !== null) {
                if (!children.has(pp)) {
                    children.set(pp, []);
                }
                children.get(pp).push(Number(d));
            }
        }
    }
    const out = [];
    const todo = [root];
    while (todo.length) {
        const p = todo.pop();
        out.push(p);
        todo.push(...(children.get(p) || []));
    }
    return out;
}

// Ticks of every thread of one process, by thread id, with its name.
function threadTicks(pid) {
    const m = new Map();
    let tids = [];
    try {
        tids = readdirSync(`/proc/${pid}/task`);
    } catch {
        return m;
    }
    for (const tid of tids) {
        try {
            const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
            const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
            const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
            m.set(Number(tid), { name, ticks: Number(f[11]) + Number(f[12]) });
        } catch {
            // the thread ended
        }
    }
    return m;
}

// Ticks of every Chromium process, by pid: playwright-core launches the
// browser as a child of this node process, so that is every process below
// it (the wrapper script, the browser, zygotes, renderer, GPU and utility
// processes), node itself left out.
function browserTicks() {
    const m = new Map();
    for (const p of processTree(process.pid)) {
        const t = p === process.pid ? null : procTicks(p);
        if (t !== null) {
            m.set(p, t);
        }
    }
    return m;
}

// Ticks the tree used between two readings: a process born in between counts
// from zero; one that died in between is lost (none should, in a steady room).
function treeDelta(before, after) {
    let d = 0;
    for (const [p, t] of after) {
        d += t - (before.get(p) || 0);
    }
    return d;
}

// ---- code run inside the page (serialised by playwright; no closures) ----

// Builds every participant's sources and sinks (not joined yet). The picture
// is I420, BT.601 limited range: a diagonal gradient (a triangle wave of
// period 512 along x + y) that scrolls by a few pixels a frame, over a chroma
// gradient that scrolls the other way, and a bright 128x128 square bouncing
// on its own path, so that every part of every frame changes.
async function pageInit({ n, width, height, fps, toneGain }) {
    const H = window.__e2e;
    const R = { parts: [], logs: H.logs, timers: [] };
    window.__bench = R;
    const box = document.createElement('section');
    box.id = 'bench';
    box.setAttribute('aria-label', 'benchmark media');
    box.style.cssText = 'display:flex;gap:4px;flex-wrap:wrap';
    document.body.append(box);
    R.ac = new AudioContext({ sampleRate: 48000 });
    await R.ac.resume();
    if (typeof MediaStreamTrackGenerator !== 'function' || typeof VideoFrame !== 'function') {
        throw new Error('this browser has no MediaStreamTrackGenerator/VideoFrame');
    }
    const W = width;
    const Hh = height;
    const CW = W >> 1;
    const CH = Hh >> 1;
    const PERIOD = 512;
    // One row of the luma pattern, long enough for any offset below PERIOD.
    const yPat = new Uint8Array(PERIOD + W + Hh);
    for (let k = 0; k < yPat.length; k++) {
        const t = k % PERIOD;
        const tri = t < PERIOD / 2 ? t : PERIOD - t; // 0..256
        yPat[k] = 16 + Math.round((219 * tri) / (PERIOD / 2));
    }
    const cPat = new Uint8Array(PERIOD + CW + CH);
    for (let k = 0; k < cPat.length; k++) {
        const t = k % PERIOD;
        const tri = t < PERIOD / 2 ? t : PERIOD - t;
        cPat[k] = 64 + Math.round((128 * tri) / (PERIOD / 2));
    }
    const colorSpace = {
        primaries: 'smpte170m',
        transfer: 'smpte170m',
        matrix: 'smpte170m',
        fullRange: false,
    };
    const SQ = 128;
    for (let i = 0; i < n; i++) {
        const buf = new Uint8Array((W * Hh * 3) / 2);
        const uOff = W * Hh;
        const vOff = uOff + CW * CH;
        const gen = new MediaStreamTrackGenerator({ kind: 'video' });
        const writer = gen.writable.getWriter();
        const speed = 3 + i; // pixels a frame, different for everyone
        const sqU = 16 + ((i * 67) % 224); // the square's chroma, per participant
        const sqV = 240 - ((i * 101) % 224);
        let frame = 0;
        const draw = () => {
            const f = frame++;
            const yShift = (f * speed) % PERIOD;
            for (let y = 0; y < Hh; y++) {
                const o = (y + yShift) % PERIOD;
                buf.set(yPat.subarray(o, o + W), y * W);
            }
            const cShift = PERIOD - ((f * 2) % PERIOD);
            for (let y = 0; y < CH; y++) {
                const o = (y + cShift) % PERIOD;
                buf.set(cPat.subarray(o, o + CW), uOff + y * CW);
                const o2 = (CH - 1 - y + cShift + 97 * i) % PERIOD;
                buf.set(cPat.subarray(o2, o2 + CW), vOff + y * CW);
            }
            // The square on a Lissajous path, even coordinates for chroma.
            const ph = f / fps + i;
            const sx = Math.round(((W - SQ) * (1 + Math.sin(ph * 1.3))) / 4) * 2;
            const sy = Math.round(((Hh - SQ) * (1 + Math.cos(ph * 0.9))) / 4) * 2;
            for (let y = sy; y < sy + SQ; y++) {
                buf.fill(235, y * W + sx, y * W + sx + SQ);
            }
            for (let y = sy >> 1; y < (sy + SQ) >> 1; y++) {
                buf.fill(sqU, uOff + y * CW + (sx >> 1), uOff + y * CW + ((sx + SQ) >> 1));
                buf.fill(sqV, vOff + y * CW + (sx >> 1), vOff + y * CW + ((sx + SQ) >> 1));
            }
            const vf = new VideoFrame(buf, {
                format: 'I420',
                codedWidth: W,
                codedHeight: Hh,
                timestamp: Math.round((f * 1e6) / fps),
                colorSpace,
            });
            writer.write(vf).catch((e) => R.logs.push(`frame write ${i}: ${e.message}`));
        };
        R.timers.push(setInterval(draw, 1000 / fps));
        const tone = H.toneTrack(R.ac, 300 + 170 * i, toneGain);
        const sink = document.createElement('video');
        sink.muted = true;
        sink.autoplay = true;
        sink.playsInline = true;
        sink.style.width = '240px';
        box.append(sink);
        R.parts.push({
            stream: new MediaStream([tone.track, gen]),
            sink,
            box,
            session: null,
        });
    }
    return { ctxState: R.ac.state };
}

// Joins participant i; resolves once the WHIP answer is applied.
async function pageJoin({ i, url, timeoutMs }) {
    const { whipConnect } = await import('/js/whip.js');
    const R = window.__bench;
    const P = R.parts[i];
    const onTrack = (track) => {
        if (track.kind === 'video') {
            P.sink.srcObject = new MediaStream([track]);
            P.sink.play().catch((e) => R.logs.push(`${i} video.play: ${e.message}`));
        } else if (track.kind === 'audio') {
            const a = document.createElement('audio');
            a.muted = true;
            a.autoplay = true;
            a.srcObject = new MediaStream([track]);
            P.box.append(a);
            a.play().catch((e) => R.logs.push(`${i} audio.play: ${e.message}`));
        }
    };
    const t = performance.now();
    P.session = await Promise.race([
        whipConnect(url, { stream: P.stream, onTrack, gatherTimeoutMs: 3000 }),
        new Promise((_, rej) =>
            setTimeout(() => rej(new Error(`no WHIP answer within ${timeoutMs} ms`)), timeoutMs),
        ),
    ]);
    return { location: P.session.location, ms: Math.round(performance.now() - t) };
}

// Per participant: connection state, inbound video (frames decoded, size),
// outbound video (size, frames encoded, why the encoder limits itself),
// bytes both ways.
async function pageStats() {
    const R = window.__bench;
    const out = [];
    for (const P of R.parts) {
        const s = {
            pc: P.session ? P.session.pc.connectionState : 'not joined',
            decoded: 0,
            received: 0,
            dropped: 0,
            inW: 0,
            inH: 0,
            inBytes: 0,
            encoded: 0,
            outW: 0,
            outH: 0,
            outBytes: 0,
            limit: '',
        };
        if (P.session) {
            const stats = await P.session.pc.getStats();
            stats.forEach((r) => {
                if (r.type === 'inbound-rtp' && r.kind === 'video') {
                    s.decoded = r.framesDecoded || 0;
                    s.received = r.framesReceived || 0;
                    s.dropped = r.framesDropped || 0;
                    s.inW = r.frameWidth || 0;
                    s.inH = r.frameHeight || 0;
                    s.inBytes = r.bytesReceived || 0;
                } else if (r.type === 'outbound-rtp' && r.kind === 'video') {
                    s.encoded = r.framesEncoded || 0;
                    s.outW = r.frameWidth || 0;
                    s.outH = r.frameHeight || 0;
                    s.outBytes = r.bytesSent || 0;
                    s.limit = r.qualityLimitationReason || '';
                }
            });
        }
        out.push(s);
    }
    return { t: performance.now(), parts: out, logs: R.logs.slice(-10) };
}

// Everyone leaves with DELETE; the sources stop.
async function pageLeave() {
    const R = window.__bench;
    R.timers.forEach((t) => clearInterval(t));
    const st = await Promise.all(R.parts.map((P) => (P.session ? P.session.close() : 0)));
    return st;
}

// ---- the run ----

async function run(base, daemonPid, browser) {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    const res = await page.goto(`${base}/`, { timeout: 5000 });
    if (!res || res.status() !== 200) {
        throw new Error(`the page was not served (status ${res && res.status()})`);
    }
    await installPageHelpers(page);
    await page.evaluate(pageInit, {
        n: N,
        width: SRC_W,
        height: SRC_H,
        fps: SRC_FPS,
        toneGain: TONE_GAIN,
    });
    const room = `bench-${randomBytes(6).toString('hex')}`;
    log(`room ${room}: ${N} participants sending ${SRC_W}x${SRC_H} at ${SRC_FPS} fps`);

    const joins = await Promise.all(
        Array.from({ length: N }, (_, i) =>
            page
                .evaluate(pageJoin, {
                    i,
                    url: `/rooms/${room}/whip?name=p${i}`,
                    timeoutMs: JOIN_TIMEOUT_MS,
                })
                .catch((e) => ({ error: e.message.split('\n')[0] })),
        ),
    );
    const failed = joins.filter((j) => j.error);
    if (failed.length) {
        throw new Error(`${failed.length} of ${N} joins failed: ${failed[0].error}`);
    }
    log(`joined in ${joins.map((j) => j.ms).join(', ')} ms`);

    // Connected and decoding everywhere: framesDecoded grew at every
    // participant between two polls.
    const t0 = Date.now();
    let prev = await page.evaluate(pageStats);
    for (;;) {
        await sleep(POLL_MS);
        const cur = await page.evaluate(pageStats);
        const ok = cur.parts.every(
            (s, i) => s.pc === 'connected' && s.decoded > prev.parts[i].decoded,
        );
        prev = cur;
        if (ok) {
            break;
        }
        if (Date.now() - t0 > FLOW_DEADLINE_MS) {
            const st = cur.parts.map((s) => `${s.pc}/${s.decoded}`).join(' ');
            throw new Error(
                `video did not reach every participant within ${FLOW_DEADLINE_MS} ms (${st}); ` +
                    `${cur.logs.concat(pageErrors).join('; ')}`,
            );
        }
    }
    log(`every participant decodes video ${Date.now() - t0} ms after the joins`);
    if (WARMUP_S > 0) {
        await sleep(WARMUP_S * 1000);
    }

    // The window.
    const late0 = await lateTicks(base);
    const m0 = machineTicks();
    const a0 = procTicks(daemonPid);
    const th0 = threadTicks(daemonPid);
    const c0 = browserTicks();
    const w0 = process.hrtime.bigint();
    const s0 = await page.evaluate(pageStats);
    let hwmDuring = 0;
    const until = Date.now() + WINDOW_S * 1000;
    while (Date.now() < until) {
        await sleep(Math.min(1000, until - Date.now()));
        hwmDuring = Math.max(hwmDuring, procMemKiB(daemonPid).rss || 0);
    }
    const a1 = procTicks(daemonPid);
    const th1 = threadTicks(daemonPid);
    const c1 = browserTicks();
    const m1 = machineTicks();
    const w1 = process.hrtime.bigint();
    const s1 = await page.evaluate(pageStats);
    const mem = procMemKiB(daemonPid);
    const late1 = await lateTicks(base);
    if (a0 === null || a1 === null) {
        throw new Error(`the daemon (pid ${daemonPid}) went away during the window`);
    }

    const wallS = Number(w1 - w0) / 1e9;
    const statsS = (s1.t - s0.t) / 1000;
    const daemonPct = (100 * (a1 - a0)) / CLK_TCK / wallS;
    const chromePct = (100 * treeDelta(c0, c1)) / CLK_TCK / wallS;
    const fps = s1.parts.map((s, i) => (s.decoded - s0.parts[i].decoded) / statsS);
    const first = s1.parts[0];
    const rxSize = `${first.inW}x${first.inH}`;
    const rssMiB = mem.rss / 1024;

    log(
        `window ${wallS.toFixed(2)} s, clock tick ${1000 / CLK_TCK} ms, daemon pid ${daemonPid}, ` +
            `load average ${loadAvg()}`,
    );
    log(
        `daemon: ${a1 - a0} ticks = ${daemonPct.toFixed(1)} % of one core; VmRSS ` +
            `${rssMiB.toFixed(1)} MiB (largest seen ${(hwmDuring / 1024).toFixed(1)} MiB, ` +
            `VmHWM ${(mem.hwm / 1024).toFixed(1)} MiB); mixer ticks skipped as late ` +
            `${late1 - late0}`,
    );
    // Where the daemon's time went, thread by thread (the main thread is the
    // one whose id is the pid).
    const perThread = [...th1]
        .map(([tid, t]) => ({
            tid,
            name: t.name,
            pct: (100 * (t.ticks - (th0.get(tid)?.ticks || 0))) / CLK_TCK / wallS,
        }))
        .filter((t) => t.pct >= 0.5)
        .sort((x, y) => y.pct - x.pct)
        .map((t) => `${t.tid === daemonPid ? 'main' : t.tid} ${t.name} ${t.pct.toFixed(1)}`);
    log(`daemon threads (% of one core): ${perThread.join(', ') || 'none above 0.5'}`);
    log(`chromium: ${c1.size} processes, ${chromePct.toFixed(1)} % of one core`);
    // The rest of the machine's load (other programs, node, the kernel's
    // own threads): it competes with the daemon for the same cores.
    const busyPct = (100 * (m1.busy - m0.busy)) / CLK_TCK / wallS;
    const allPct = (100 * (m1.total - m0.total)) / CLK_TCK / wallS;
    log(
        `all cores: ${busyPct.toFixed(0)} % busy of ${allPct.toFixed(0)} %; ` +
            `everything but the daemon and chromium: ` +
            `${(busyPct - daemonPct - chromePct).toFixed(0)} % of one core`,
    );
    s1.parts.forEach((s, i) => {
        const inKbps = ((s.inBytes - s0.parts[i].inBytes) * 8) / statsS / 1000;
        const outKbps = ((s.outBytes - s0.parts[i].outBytes) * 8) / statsS / 1000;
        const encFps = (s.encoded - s0.parts[i].encoded) / statsS;
        const rxFps = (s.received - s0.parts[i].received) / statsS;
        const dropped = s.dropped - s0.parts[i].dropped;
        log(
            `p${i}: receives ${s.inW}x${s.inH}, ${rxFps.toFixed(1)} frames/s arrive, ` +
                `${fps[i].toFixed(1)} decoded, ${dropped} dropped, ` +
                `${inKbps.toFixed(0)} kbit/s; sends ${s.outW}x${s.outH} at ` +
                `${encFps.toFixed(1)} fps ${outKbps.toFixed(0)} kbit/s` +
                `${s.limit && s.limit !== 'none' ? ` (limited by ${s.limit})` : ''}`,
        );
    });
    if (rxSize !== `${COMPOSITE_W}x${COMPOSITE_H}`) {
        log(`note: received ${rxSize}, the daemon's composite is ${COMPOSITE_W}x${COMPOSITE_H}`);
    }

    const row = [
        N,
        `${COMPOSITE_W}x${COMPOSITE_H}`,
        daemonPct.toFixed(1),
        rssMiB.toFixed(1),
        `${fps[0].toFixed(1)} @ ${rxSize}`,
        chromePct.toFixed(1),
    ];
    // What the table's footnote says about this scenario.
    const encFps0 = (first.encoded - s0.parts[0].encoded) / statsS;
    const msPerFrame = (10 * daemonPct) / Math.max(fps[0], 0.1);
    const otherPct = busyPct - daemonPct - chromePct;
    const note =
        `${COMPOSITE_W}x${COMPOSITE_H}: daemon ${msPerFrame.toFixed(1)} ms CPU per frame p0 ` +
        `decoded; mixer ticks skipped as late ${((late1 - late0) / wallS).toFixed(1)}/s; ` +
        `machine ${busyPct.toFixed(0)} % busy of ${allPct.toFixed(0)} %, other programs ` +
        `${otherPct.toFixed(0)} % of one core; p0 sends ${first.outW}x${first.outH} at ` +
        `${encFps0.toFixed(1)} fps`;
    if (OUT) {
        appendFileSync(OUT, `${row.join('\t')}\t${note}\n`);
    }
    log(`result ${row.join(' | ')}`);

    const left = await page.evaluate(pageLeave).catch(() => []);
    log(`left: DELETE ${left.join(' ')}`);
    return fps.every((f) => f > 0);
}

async function main() {
    const base = (process.argv[2] || '').replace(/\/+$/, '');
    const daemonPid = Number(process.argv[3]);
    if (!/^https?:\/\/[^/]+$/.test(base) || !(daemonPid > 0)) {
        console.log('usage: node bench/browser_room.mjs http://127.0.0.1:PORT DAEMON_PID');
        return 2;
    }
    let browser = null;
    // Out of time: say so, give the browser 2 s to close, then exit.
    const watchdog = setTimeout(() => {
        log(`the run did not finish within ${WATCHDOG_MS / 1000} s`);
        setTimeout(() => process.exit(1), 2000).unref();
        (browser ? browser.close() : Promise.resolve())
            .catch(() => {})
            .finally(() => process.exit(1));
    }, WATCHDOG_MS);
    let ok = false;
    try {
        browser = await chromium.launch({
            executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
            args: CHROMIUM_ARGS,
            timeout: 15000,
        });
        ok = await run(base, daemonPid, browser);
    } catch (e) {
        log(`failed: ${e.stack || e.message}`);
    } finally {
        if (browser) {
            await browser.close().catch(() => {});
        }
        clearTimeout(watchdog);
    }
    return ok ? 0 : 1;
}

process.exitCode = await main();
