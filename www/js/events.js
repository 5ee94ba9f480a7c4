// events.js - the room's server-sent event stream
// (GET /rooms/{room}/events?session={id}, HTML "server-sent events" via
// EventSource): hello, roster, speakers, chat, layout, room and removed, each one
// JSON object per "data:", and shutdown ({"reason": "..."}) when the server is
// going down. A handler gets the parsed object; data that is not a JSON object
// is dropped.
//
// The browser reconnects a dropped stream by itself (the server asks for
// "retry: 2000"). openEvents() reports trouble once, through onTrouble,
// when the stream has failed maxErrors times in a row without opening in
// between, or when the browser gave up on it (readyState CLOSED, as after a
// 404 once the server no longer knows the session). The caller then
// rejoins with a new session and a new stream.

const NAMES = ['hello', 'roster', 'speakers', 'chat', 'layout', 'room', 'removed', 'shutdown'];

export function openEvents(url, handlers, { onTrouble = () => {}, maxErrors = 3 } = {}) {
    const es = new EventSource(url);
    let errors = 0;
    let closed = false;
    let reported = false;

    const trouble = (why) => {
        if (closed || reported) {
            return;
        }
        reported = true;
        onTrouble(why);
    };

    for (const name of NAMES) {
        es.addEventListener(name, (ev) => {
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
    es.addEventListener('open', () => {
        errors = 0;
        if (typeof handlers.open === 'function' && !closed) {
            handlers.open();
        }
    });
    es.addEventListener('error', () => {
        if (closed) {
            return;
        }
        errors++;
        if (es.readyState === EventSource.CLOSED) {
            trouble('the server no longer knows this session');
        } else if (errors >= maxErrors) {
            trouble('the server stopped answering');
        }
    });

    return {
        source: es,
        close() {
            closed = true;
            es.close();
        },
    };
}
