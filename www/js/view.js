// view.js - the shape of what the server sends this window, as the call goes
// on: the portrait composite while the window is upright ({"type":"view"}).
// The server keeps it per session, and a session starts in landscape, so it
// is told again after every rejoin (a new link). watchView(call) is called
// once when the call starts; it stops by itself when the call ends. (Audio
// only, {"type":"receive"}, is the call's: call.js setLowData.)

const SETTLE_MS = 500; // a resize or a turn is judged once it has settled
const LINK_CHECK_MS = 1000; // how often a new session (a rejoin) is looked for

let current = null; // the call being watched and what its session was told

// 1 when the window is upright enough for the portrait composite.
function isPortrait() {
    return window.innerHeight > window.innerWidth * 1.2;
}

// Tells the current session what differs from what it was told.
function update() {
    const w = current;
    if (!w || w.call.ended || !w.call.link) {
        return;
    }
    if (w.link !== w.call.link) {
        // a new session: it starts in landscape, with video
        w.link = w.call.link;
        w.portrait = false;
    }
    const portrait = isPortrait();
    if (portrait !== w.portrait) {
        w.portrait = portrait;
        w.call.command({ type: 'view', portrait });
    }
}

function stop() {
    if (!current) {
        return;
    }
    clearInterval(current.timer);
    clearTimeout(current.settle);
    window.removeEventListener('resize', current.onChange);
    window.removeEventListener('orientationchange', current.onChange);
    current = null;
}

// Follows call (call.js's Call) until it ends.
export function watchView(call) {
    stop();
    const w = { call, link: null, portrait: false, settle: 0, timer: 0 };
    w.onChange = () => {
        clearTimeout(w.settle);
        w.settle = setTimeout(update, SETTLE_MS);
    };
    w.timer = setInterval(() => {
        if (call.ended) {
            stop();
        } else if (call.link !== w.link) {
            update();
        }
    }, LINK_CHECK_MS);
    window.addEventListener('resize', w.onChange);
    window.addEventListener('orientationchange', w.onChange);
    current = w;
}
