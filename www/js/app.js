// app.js - the page's views and where they come from.
//
// Addresses (the part after "#" never reaches the server, so they work with
// plain static files):
//   /            the landing page: create a room, join one by name or link,
//                check the camera and microphone (echo.js)
//   /#/r/{room}  the pre-join screen of a room (prejoin.js); "Join now"
//                knocks (lobby.js) and, in a room with a waiting room, shows
//                the waiting screen until a moderator lets the person in;
//                then enters the call (call.js); leaving shows "You left".
// "/?r={room}" is accepted too and rewritten to "/#/r/{room}".

import { $ } from './dom.js';
import { errorText, initI18n, onLangChange, setText, t } from './i18n.js';
import { stopEcho } from './echo.js';
import { enterPrejoin, leavePrejoin } from './prejoin.js';
import { inCall, leaveCall, startCall } from './call.js';
import { needsPassword } from './access.js';
import { cancelWaiting, knock, leaveWaiting, showWaiting } from './lobby.js';
import { parseRoomInput, randomRoomName, roomFromHash } from './rooms.js';
import { moveStatusTo, say } from './status.js';

const views = {
    landing: $('view-landing'),
    prejoin: $('view-prejoin'),
    waiting: $('view-waiting'),
    call: $('view-call'),
    left: $('view-left'),
};

let shown = 'landing';
let lastRoom = null;

function show(name, { focus = null } = {}) {
    for (const [k, el] of Object.entries(views)) {
        el.hidden = k !== name;
    }
    document.documentElement.classList.toggle('in-call', name === 'call');
    document.title = t(`title.${name}`);
    if (shown !== name) {
        moveStatusTo(name);
        say('');
    }
    shown = name;
    if (focus) {
        focus.focus({ preventScroll: true });
    }
}

function openPrejoin(room, reuse = null, askPassword = false) {
    lastRoom = room;
    stopEcho();
    show('prejoin', { focus: $('prejoin-title') });
    enterPrejoin(room, { onJoin, reuse, askPassword });
}

// Knocks, and waits on the waiting screen when the room has a waiting room.
// Resolves to the ticket of an admitted waiter, null when the room let the
// join in at once, or undefined when the person went elsewhere meanwhile.
async function passLobby(opts) {
    const door = await knock(opts.room, opts.name);
    if (!door || door.atOnce) {
        return door ? door.ticket : null;
    }
    showWaiting(opts.room, opts.stream);
    show('waiting', { focus: $('waiting-title') });
    const ticket = await door.wait();
    leaveWaiting();
    return shown === 'waiting' ? ticket : undefined;
}

async function onJoin(opts) {
    let ticket;
    try {
        ticket = await passLobby(opts);
    } catch (e) {
        leaveWaiting();
        if ((shown !== 'prejoin' && shown !== 'waiting') || lastRoom !== opts.room) {
            // left for another page meanwhile: the camera is no longer needed
            if (opts.ownsStream && opts.stream) {
                opts.stream.getTracks().forEach((t) => t.stop());
            }
            return;
        }
        openPrejoin(opts.room, opts, needsPassword(e));
        const why = e.cancelled
            ? t('waiting.stopped')
            : t('prejoin.join-failed', { reason: errorText(e) });
        say(why, { error: !e.cancelled });
        return;
    }
    if (ticket === undefined) {
        return;
    }
    show('call', { focus: $('mute-mic') });
    say(t('call.joining'));
    try {
        await startCall({ ...opts, ticket, onEnd: onCallEnd });
    } catch (e) {
        if (shown !== 'call') {
            return;
        }
        openPrejoin(opts.room, opts, needsPassword(e));
        say(t('prejoin.join-failed', { reason: errorText(e) }), { error: true });
    }
}

function onCallEnd(message) {
    $('left-room').textContent = lastRoom || '';
    show('left', { focus: $('left-title') });
    say(message);
}

async function route() {
    // "/?r=room" -> "/#/r/room"
    const q = new URLSearchParams(location.search).get('r');
    if (q !== null) {
        const url = new URL(location.href);
        url.search = '';
        url.hash = `#/r/${q}`;
        history.replaceState(null, '', url.href);
    }
    const hash = location.hash;
    const room = roomFromHash(hash);
    if (inCall()) {
        if (room && room === lastRoom) {
            return; // the same room: stay in the call
        }
        await leaveCall('');
    }
    if (shown === 'waiting') {
        if (room && room === lastRoom) {
            return; // the same room: keep waiting
        }
        cancelWaiting();
    }
    if (room) {
        if (shown === 'prejoin' && room === lastRoom) {
            return;
        }
        openPrejoin(room);
        return;
    }
    leavePrejoin();
    show('landing');
    if (/^#\/r\//.test(hash)) {
        showRoomError('landing.bad-link');
    }
}

// ---- landing ----

const roomInput = $('room-name');
const roomError = $('room-name-error');

// key: the phrase to show, or '' for none.
function showRoomError(key) {
    if (key) {
        setText(roomError, key);
        roomInput.setAttribute('aria-invalid', 'true');
    } else {
        setText(roomError, '');
        roomInput.removeAttribute('aria-invalid');
    }
}

$('create-room').addEventListener('click', () => {
    location.hash = `#/r/${randomRoomName()}`;
});
$('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const room = parseRoomInput(roomInput.value);
    if (!room) {
        showRoomError(
            roomInput.value.trim() === '' ? 'landing.room-empty' : 'landing.room-bad',
        );
        roomInput.focus();
        return;
    }
    showRoomError('');
    location.hash = `#/r/${room}`;
});
roomInput.addEventListener('input', () => showRoomError(''));

// ---- after leaving ----

$('rejoin').addEventListener('click', () => {
    if (lastRoom) {
        openPrejoin(lastRoom);
    }
});
$('go-home').addEventListener('click', () => {
    if (location.hash === '' || location.hash === '#/') {
        route();
    } else {
        location.hash = '#/';
    }
});

window.addEventListener('hashchange', () => {
    route();
});
initI18n();
onLangChange(() => {
    document.title = t(`title.${shown}`);
});
route();
