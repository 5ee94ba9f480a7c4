// access.js - room passwords, the moderator token and the moderator's
// controls in the call.
//
// Credentials: a room's password (typed on the pre-join screen after the
// server answered 401) and the moderator token the server gives the room's
// creator (hello event) are kept in sessionStorage, so they last for this tab
// only; never in the address, never in localStorage. They travel only as
// "Authorization: Bearer ..." on a join (WHIP, RFC 9725 section 4.2).
//
// Joining tries the token first (a creator who reconnects stays moderator),
// then the password, then nothing; a refused token is forgotten.
//
// Moderator controls: per roster entry (give or take the floor, mute,
// remove) and for the room (layout, lock, password), each a JSON command on
// the session's command URL. Everything is built with textContent.

import { $ } from './dom.js';
import { setText, t, unmark } from './i18n.js';

const KEY = 'conclave.access.';

function read(room) {
    try {
        const v = JSON.parse(sessionStorage.getItem(KEY + room) || '{}');
        return v && typeof v === 'object' ? v : {};
    } catch {
        return {};
    }
}

function write(room, v) {
    try {
        if (v.password || v.token) {
            sessionStorage.setItem(KEY + room, JSON.stringify(v));
        } else {
            sessionStorage.removeItem(KEY + room);
        }
    } catch {
        // storage refused (private mode): the credential lasts for this page only
    }
}

// The server's rule: 1..128 printable ASCII characters, no space at either end.
export function passwordProblem(pw) {
    if (pw.length < 1 || pw.length > 128) {
        return t('password.length');
    }
    if (!/^[\x20-\x7e]+$/.test(pw)) {
        return t('password.chars');
    }
    if (pw[0] === ' ' || pw[pw.length - 1] === ' ') {
        return t('password.space');
    }
    return '';
}

export function savePassword(room, password) {
    write(room, { ...read(room), password });
}

// What a join of room presents first (token, else password), or null.
export function roomBearer(room) {
    const cred = read(room);
    return cred.token || cred.password || null;
}

export function hasPassword(room) {
    return typeof read(room).password === 'string';
}

export function forgetPassword(room) {
    const v = read(room);
    delete v.password;
    write(room, v);
}

export function saveToken(room, token) {
    if (/^[0-9a-f]{32}$/.test(token)) {
        write(room, { ...read(room), token });
    }
}

// A refusal that a password would answer: 401, or 403 for a wrong one.
export function needsPassword(err) {
    return !!err && (err.status === 401 || isWrongPassword(err));
}

function isWrongPassword(e) {
    return (
        !!e &&
        e.status === 403 &&
        (e.code === 'bad-password' || /wrong password/.test(e.message))
    );
}

// Calls join(bearer) with the token, the password, then nothing, moving on
// only when a credential is refused as wrong; resolves to { result, bearer }.
export async function joinWithCredentials(room, join) {
    const cred = read(room);
    const tries = [];
    if (typeof cred.token === 'string') {
        tries.push({ bearer: cred.token, kind: 'token' });
    }
    if (typeof cred.password === 'string') {
        tries.push({ bearer: cred.password, kind: 'password' });
    }
    tries.push({ bearer: null, kind: 'none' });
    let wrongPassword = null;
    for (const t of tries) {
        try {
            return { result: await join(t.bearer), bearer: t.bearer };
        } catch (e) {
            const wrong = isWrongPassword(e);
            if (!wrong || t.kind === 'none') {
                // asked for a password after ours was refused: say it was wrong
                const err = e && e.status === 401 && wrongPassword ? wrongPassword : e;
                if (isWrongPassword(err) && !err.code) {
                    err.code = 'bad-password'; // a server that names no code
                }
                throw err;
            }
            const v = read(room);
            delete v[t.kind]; // the room was opened again, or its password changed
            write(room, v);
            if (t.kind === 'password') {
                wrongPassword = e;
            }
        }
    }
    throw new Error('no way to join');
}

// ---- the moderator's controls ----

const ui = {
    panel: $('moderator-panel'),
    layout: $('layout-select'),
    layoutApply: $('layout-apply'),
    lock: $('lock-room'),
    pwForm: $('room-password-form'),
    pwInput: $('room-password-new'),
    pwClear: $('room-password-clear'),
    record: $('record-room'),
    floorNote: $('floor-note'),
};

const actions = new WeakMap(); // a roster button: what it does now

// Buttons of one roster entry p, for a moderator: floor (in the lecture
// layout), mute, remove. send(obj) posts a command. With `box` (the
// entry's buttons drawn before) the buttons are changed in place: one that
// stays keeps its element, and so its focus.
export function entryControls(p, { lecture, send }, box = null) {
    if (!box) {
        box = document.createElement('span');
        box.className = 'mod-controls';
    }
    const old = new Map(Array.from(box.children, (b) => [b.dataset.action, b]));
    const want = [];
    const button = (action, text, label, obj) => {
        let b = old.get(action);
        if (!b) {
            b = document.createElement('button');
            b.type = 'button';
            b.className = 'mod';
            b.dataset.action = action;
            b.addEventListener('click', () => actions.get(b)());
        }
        if (b.textContent !== text) {
            b.textContent = text;
        }
        b.setAttribute('aria-label', label);
        b.title = label;
        actions.set(b, () => send(obj));
        want.push(b);
    };
    const name = typeof p.name === 'string' && p.name !== '' ? p.name : t('people.this-one');
    const voice = p.role === 'participant' || p.role === 'publisher';
    if (voice && lecture && p.moderator !== true) {
        if (p.floor === true) {
            button('floor', t('mod.take-floor'), t('mod.take-floor-from', { name }), {
                type: 'floor',
                participant: p.id,
                on: false,
            });
        } else {
            button('floor', t('mod.give-floor'), t('mod.give-floor-to', { name }), {
                type: 'floor',
                participant: p.id,
                on: true,
            });
        }
    }
    if (voice && p.muted !== true) {
        button('mute', t('mod.mute'), t('mod.mute-who', { name }), {
            type: 'mute_participant',
            participant: p.id,
        });
    }
    button('remove', t('mod.remove'), t('mod.remove-who', { name }), {
        type: 'remove',
        participant: p.id,
    });
    old.forEach((b) => {
        if (!want.includes(b)) {
            b.remove();
        }
    });
    let cursor = box.firstElementChild;
    for (const b of want) {
        if (b === cursor) {
            cursor = cursor.nextElementSibling;
        } else {
            box.insertBefore(b, cursor);
        }
    }
    return box;
}

let send = null; // the current call's command function
let layoutNow = 'grid'; // the room's layout
let layoutPicked = false; // the select shows a layout not applied yet

// Shows the room panel to a moderator, and the note to a muted attendee.
// state: { moderator, layout, locked, password, recording, floor, lecture }
export function renderRoomControls(state, sendCommand) {
    send = sendCommand;
    ui.panel.hidden = !state.moderator;
    if (state.moderator) {
        layoutNow = state.layout;
        if (!layoutPicked) {
            ui.layout.value = state.layout;
        }
        ui.lock.setAttribute('aria-pressed', state.locked ? 'true' : 'false');
        setText(ui.lock, state.locked ? 'mod.unlock' : 'mod.lock');
        ui.pwClear.disabled = !state.password;
        ui.record.setAttribute('aria-pressed', state.recording ? 'true' : 'false');
        setText(ui.record, state.recording ? 'mod.stop-recording' : 'mod.record');
    }
    ui.floorNote.hidden = !(state.lecture && !state.moderator && !state.floor);
}

export function hideRoomControls() {
    send = null;
    layoutPicked = false;
    ui.panel.hidden = true;
    ui.floorNote.hidden = true;
}

// The layout select only picks (its arrow keys go through every layout);
// the Apply button, or Enter on the select, changes the room's. The button
// is never disabled: it would drop the focus once the room follows.
function applyLayout() {
    if (send && ui.layout.value !== layoutNow) {
        send({ type: 'layout', layout: ui.layout.value });
    }
    layoutPicked = false;
}
ui.layout.addEventListener('change', () => {
    layoutPicked = ui.layout.value !== layoutNow;
});
ui.layout.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
        ev.preventDefault();
        applyLayout();
    }
});
ui.layoutApply.addEventListener('click', applyLayout);
ui.lock.addEventListener('click', () => {
    if (send) {
        send({ type: 'lock', locked: ui.lock.getAttribute('aria-pressed') !== 'true' });
    }
});
ui.record.addEventListener('click', () => {
    if (send) {
        send({ type: 'record', on: ui.record.getAttribute('aria-pressed') !== 'true' });
    }
});
ui.pwForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pw = ui.pwInput.value;
    const problem = passwordProblem(pw);
    const err = $('room-password-error');
    unmark(err);
    err.textContent = problem;
    if (problem || !send) {
        return;
    }
    const status = await send({ type: 'password', password: pw });
    if (status === 204) {
        ui.pwInput.value = '';
        setText(err, 'mod.password-done');
    }
});
ui.pwClear.addEventListener('click', async () => {
    if (send && (await send({ type: 'password', password: null })) === 204) {
        setText($('room-password-error'), 'mod.password-removed');
        if (document.activeElement === ui.pwClear) {
            ui.pwInput.focus(); // the button is disabled once the room follows
        }
    }
});
