// events.js - the room's server-sent event stream
// (GET /rooms/{room}/events?token={token}, HTML "server-sent events" via
// EventSource): hello, roster, speakers, chat, layout, video (this
// participant's picture paused for a weak link, or resumed), room, removed and lobby
// (a moderator's waiting list, or a waiter's answer), each one
// JSON object per "data:", and shutdown ({"reason": "..."}) when the server is
// going down. A handler gets the parsed object; data that is not a JSON object
// is dropped.
//
// The session id never goes in the stream's URL: streamUrl() first POSTs
// /rooms/{room}/events with the session in a Conclave-Session header and gets
// a token that opens the stream once within seconds. So a dropped stream is
// not left to the browser's own reconnection (it would present the spent
// token again): openEvents() closes it and opens a new one with a new token
// after RETRY_MS. It reports trouble once, through onTrouble, when the
// stream has failed maxErrors times in a row without opening in between, or
// when the server no longer knows the session (404 to the token request);
// onTrouble(why, code) is given the reason in English and its code,
// 'no-answer' or 'session-gone', for the page to say in its language.
// The caller then rejoins with a new session and a new stream.

const NAMES = [
    'hello',
    'roster',
    'speakers',
    'chat',
    'layout',
    'video',
    'room',
    'recording',
    'recording_error',
    'removed',
    'shutdown',
    'lobby',
    'breakout',
];
const RETRY_MS = 2000;
const TOKEN_TIMEOUT_MS = 8000;

// The URL of a new event stream of session `sessionId` in `room`. Throws an
// Error with gone = true when the server does not know the session.
export async function streamUrl(room, sessionId) {
    const base = `rooms/${encodeURIComponent(room)}/events`;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TOKEN_TIMEOUT_MS);
    try {
        const res = await fetch(base, {
            method: 'POST',
            headers: { 'Conclave-Session': sessionId },
            signal: ctl.signal,
        });
        if (res.status === 404) {
            const e = new Error('the server no longer knows this session');
            e.gone = true;
            e.code = 'session-gone';
            throw e;
        }
        if (!res.ok) {
            throw new Error(`HTTP ${res.status} for a stream token`);
        }
        const { token } = await res.json();
        if (typeof token !== 'string' || !/^[0-9a-f]+$/.test(token)) {
            throw new Error('no stream token in the answer');
        }
        return `${base}?token=${token}`;
    } finally {
        clearTimeout(timer);
    }
}

// getUrl() resolves to the URL of a new stream (streamUrl), once per
// connection.
export function openEvents(getUrl, handlers, { onTrouble = () => {}, maxErrors = 3 } = {}) {
    let es = null;
    let errors = 0;
    let closed = false;
    let reported = false;
    let timer = null;

    const trouble = (why, code) => {
        if (closed || reported) {
            return;
        }
        reported = true;
        onTrouble(why, code);
    };

    const failed = () => {
        errors++;
        if (errors >= maxErrors) {
            trouble('the server stopped answering', 'no-answer');
        }
        if (!closed && !reported) {
            timer = setTimeout(connect, RETRY_MS);
        }
    };

    const listen = (source) => {
        for (const name of NAMES) {
            source.addEventListener(name, (ev) => {
                if (closed || typeof handlers[name] !== 'function') {
                    return;
                }
                let data;
                try {
                    data = JSON.parse(ev.data);
                } catch {
                    return;
                }
                if (data === null || typeof data !== 'object' || Array.isArray(data)) {
                    return;
                }
                handlers[name](data);
            });
        }
        source.addEventListener('open', () => {
            errors = 0;
            if (typeof handlers.open === 'function' && !closed) {
                handlers.open();
            }
        });
        source.addEventListener('error', () => {
            if (closed || source !== es) {
                return;
            }
            // never let the browser retry with the spent token
            source.close();
            es = null;
            failed();
        });
    };

    async function connect() {
        timer = null;
        let url;
        try {
            url = await getUrl();
        } catch (e) {
            if (e && e.gone) {
                trouble(e.message, 'session-gone');
            } else if (!closed) {
                failed();
            }
            return;
        }
        if (closed) {
            return;
        }
        es = new EventSource(url);
        listen(es);
    }
    connect();

    return {
        get source() {
            return es;
        },
        close() {
            closed = true;
            if (timer) {
                clearTimeout(timer);
            }
            if (es) {
                es.close();
            }
        },
    };
}
