// shutdown.mjs - the browser client when the server stops (driven by
// shutdown.sh): Ada joins a room through the pages and connects (a live
// media session); the script then writes "$SHUTDOWN_DIR/ready" and waits for
// shutdown.sh to send SIGTERM to the daemon. Checks that the page says "The
// server is shutting down" (stage note and status line), that it does not
// rejoin at once (its first try waits 4 s), and that it does try again
// later (a restart would bring the call back).
// Usage: node shutdown.mjs http://127.0.0.1:PORT (SHUTDOWN_DIR in the environment).
import { writeFileSync } from 'node:fs';
import { makeReporter, pollUntil, runMain } from './lib.mjs';

const T = makeReporter('e2e-shutdown');
const check = T.check;
const ROOM = 'shutdown-test';
const CONNECT_MS = 15000;
const NOTICE_MS = 8000; // SIGTERM sent to the note shown (shutdown.sh sends it at once)
const QUIET_MS = 2000; // no rejoin this soon after the notice (the first try waits 4 s)
const RETRY_MS = 9000; // a try within this long after the notice

async function state(page) {
    return page.evaluate(() => ({
        view: ['landing', 'prejoin', 'call', 'left'].find(
            (v) => !document.getElementById(`view-${v}`).hidden,
        ),
        pc: window.conclave ? window.conclave.pc.connectionState : null,
        note: document.getElementById('stage-note').hidden
            ? ''
            : document.getElementById('stage-note').textContent,
        status: document.getElementById('status').textContent,
    }));
}

async function run(base, browser) {
    const dir = process.env.SHUTDOWN_DIR;
    const context = await browser.newContext();
    const page = await context.newPage();
    const joins = [];
    page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith(`/rooms/${ROOM}/whip?name=Ada`)) {
            joins.push(Date.now());
        }
    });
    await page.goto(`${base}/#/r/${ROOM}`, { timeout: 5000 });
    // the pre-join screen is set up (it fills the name field) once the camera preview plays
    const pre = await pollUntil(
        async () => ({
            s: await state(page),
            preview: await page.evaluate(() => document.getElementById('preview').readyState),
        }),
        (v) => v.s.view === 'prejoin' && v.preview >= 2,
        CONNECT_MS,
        100,
    );
    check(pre.ok, 'the pre-join screen shows the camera', `view ${pre.value.s.view}`);
    await page.fill('#display-name', 'Ada');
    await page.click('#join');
    const conn = await pollUntil(
        () => state(page),
        (s) => s.view === 'call' && s.pc === 'connected',
        CONNECT_MS,
        100,
    );
    check(conn.ok, 'Ada joins and connects', `view ${conn.value.view}, pc ${conn.value.pc}`);
    if (!conn.ok) {
        return;
    }
    writeFileSync(`${dir}/ready`, 'ready\n');
    const seen = await pollUntil(
        () => state(page),
        (s) => s.note === 'The server is shutting down.',
        NOTICE_MS,
        50,
    );
    check(
        seen.ok,
        'the page shows "The server is shutting down."',
        `note "${seen.value.note}", status "${seen.value.status}"`,
    );
    check(
        /The server is shutting down/.test(seen.value.status) &&
            // 4 s first; on a slow run the page may already be past that try
            /Next try in (4|8|16|30) s/.test(seen.value.status),
        'the status line says so, and when it tries again',
        `"${seen.value.status}"`,
    );
    const noticeAt = Date.now();
    const joinsBefore = joins.length;
    await new Promise((res) => setTimeout(res, QUIET_MS));
    check(
        joins.length === joinsBefore,
        `no rejoin within ${QUIET_MS / 1000} s of the notice`,
        `${joins.length - joinsBefore} tries`,
    );
    const retried = await pollUntil(
        () => joins.length,
        (n) => n > joinsBefore,
        RETRY_MS - QUIET_MS,
        100,
    );
    check(
        retried.ok,
        'it tries to rejoin later (the backoff goes on)',
        `first try ${retried.ok ? `${joins[joinsBefore] - noticeAt} ms` : 'none'} after the notice`,
    );
}

process.exitCode = await runMain({ name: 'shutdown', T, check, watchdogMs: 60000, run });
