// events_client.mjs - www/js/events.js without a browser or a server: node
// runs it against a fake EventSource and a fake fetch, with RETRY_MS real
// (2 s). Checks that the stream's URL holds a stream token and never the
// session id, that the session goes in a Conclave-Session header of the
// token request, that a dropped stream is closed (the browser never retries
// the spent token) and opened again with a new token, that a 404 to the
// token request reports trouble once, that maxErrors failures in a row
// report trouble, and that close() stops everything.
// Prints "events-client: N passed, M failed"; exit status 1 on a failure.

let passed = 0;
let failed = 0;
function check(ok, what, detail = '') {
    if (ok) {
        passed++;
        console.log(`ok - ${what}`);
    } else {
        failed++;
        console.log(`not ok - ${what}${detail ? ` (${detail})` : ''}`);
    }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SID = '0123456789abcdef0123456789abcdef';
const sources = [];
class FakeEventSource {
    static CLOSED = 2;
    constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.listeners = {};
        this.closed = false;
        sources.push(this);
    }
    addEventListener(name, fn) {
        (this.listeners[name] ||= []).push(fn);
    }
    close() {
        this.closed = true;
        this.readyState = 2;
    }
    emit(name, data) {
        for (const fn of this.listeners[name] || []) {
            fn({ data });
        }
    }
}
globalThis.EventSource = FakeEventSource;

const requests = [];
let tokenStatus = 200;
let n = 0;
globalThis.fetch = async (url, init = {}) => {
    requests.push({ url, init });
    n++;
    const token = n.toString(16).padStart(32, '0');
    return {
        status: tokenStatus,
        ok: tokenStatus >= 200 && tokenStatus < 300,
        json: async () => ({ token, expires_in: 10 }),
    };
};

const { openEvents, streamUrl } = await import('../../www/js/events.js');

// ---- a stream, its drop and its reopening ----
const troubles = [];
const rosters = [];
const ev = openEvents(() => streamUrl('room-a', SID), { roster: (d) => rosters.push(d) }, {
    onTrouble: (why) => troubles.push(why),
});
await sleep(50);
check(sources.length === 1, 'one stream opens', `${sources.length}`);
const first = sources[0];
check(
    requests.length === 1 &&
        requests[0].url === 'rooms/room-a/events' &&
        requests[0].init.method === 'POST' &&
        requests[0].init.headers['Conclave-Session'] === SID,
    'a token was asked for with POST rooms/room-a/events and the session in Conclave-Session',
    JSON.stringify(requests[0]),
);
check(
    first.url === `rooms/room-a/events?token=${'1'.padStart(32, '0')}` &&
        !first.url.includes(SID),
    "the stream's URL holds the token, not the session id",
    first.url,
);
first.emit('open');
first.emit('roster', '{"participants":[]}');
check(rosters.length === 1, 'an event reaches its handler');
first.emit('error');
check(first.closed, 'a dropped stream is closed at once (the browser does not retry its token)');
await sleep(2300);
check(
    sources.length === 2 && requests.length === 2,
    'about 2 s later a new token and a new stream',
);
check(
    sources[1] && sources[1].url.endsWith(`token=${'2'.padStart(32, '0')}`),
    'the new stream has the new token',
    sources[1] && sources[1].url,
);
check(troubles.length === 0, 'no trouble reported for one drop', troubles.join());

// ---- the session is gone: 404 to the token request ----
tokenStatus = 404;
sources[1].emit('error');
await sleep(2300);
check(
    troubles.length === 1 && /no longer knows this session/.test(troubles[0]),
    'a 404 to the next token request reports trouble: the session is gone',
    troubles.join(),
);
check(sources.length === 2, 'and no stream is opened with no token');
await sleep(2300);
check(troubles.length === 1 && requests.length === 3, 'trouble once, and no more retries');
ev.close();

// ---- maxErrors failures in a row ----
tokenStatus = 200;
const t2 = [];
const ev2 = openEvents(() => streamUrl('room-b', SID), {}, {
    onTrouble: (why) => t2.push(why),
    maxErrors: 2,
});
await sleep(50);
const s1 = sources[sources.length - 1];
s1.emit('error');
await sleep(2300);
const s2 = sources[sources.length - 1];
check(s2 !== s1 && t2.length === 0, 'one failure: retried, no trouble yet');
s2.emit('error');
await sleep(100);
check(
    t2.length === 1 && /stopped answering/.test(t2[0]),
    'a second failure in a row without an open: trouble',
    t2.join(),
);

// ---- close() ----
const before = requests.length;
const ev3 = openEvents(() => streamUrl('room-c', SID), {}, {});
await sleep(50);
const s3 = sources[sources.length - 1];
s3.emit('error');
ev3.close();
await sleep(2300);
check(requests.length === before + 1 && s3.closed, 'after close() nothing is reopened');
ev2.close();

// ---- every event the server publishes has a listener ----
// (the names in signaling/*.c's cv_events_publish calls, and the breakout
// notices' names, against the stream's listeners: one seen by nobody is a
// feature the page never shows)
{
    const { readFileSync, readdirSync } = await import('node:fs');
    const dir = new URL('../../signaling/', import.meta.url);
    const published = new Set();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.c'))) {
        const src = readFileSync(new URL(f, dir), 'utf8');
        for (const m of src.matchAll(/cv_events_publish(?:_to)?\([^;]*?"([a-z_]+)"/g)) {
            published.add(m[1]);
        }
        for (const m of src.matchAll(/\.event\s*=\s*"([a-z_]+)"/g)) {
            published.add(m[1]);
        }
    }
    const seen = [];
    const handlers = {};
    for (const name of published) {
        handlers[name] = () => seen.push(name);
    }
    const ev4 = openEvents(() => streamUrl('room-d', SID), handlers, {});
    await sleep(50);
    const s4 = sources[sources.length - 1];
    s4.emit('open');
    for (const name of published) {
        s4.emit(name, '{"paused":true}');
    }
    const missed = [...published].filter((n) => !seen.includes(n));
    check(
        published.size >= 10 && published.has('video') && missed.length === 0,
        `each of the ${published.size} events the server publishes reaches its handler`,
        `not listened to: ${missed.join(', ')}`,
    );
    ev4.close();
}

console.log(`events-client: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
