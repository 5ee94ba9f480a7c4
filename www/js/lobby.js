// lobby.js - the waiting room.
//
// Before its first join the client knocks (POST /rooms/{room}/lobby with the
// credentials access.js holds). When the room has no waiting room, or the
// credential is a moderator's, the answer is "open" and the join goes ahead.
// Otherwise the server gives a ticket and the waiting screen shows the camera
// preview while the waiter's own event stream (opened with the ticket, like
// a session's) waits for the answer: "admitted" (the join then presents the
// ticket as Conclave-Ticket), "denied", "expired" or "ended". Nothing of the
// meeting reaches a waiter.
//
// The knock carries a key this browser keeps for the site (localStorage,
// random, not a credential), so a moderator's "deny" still holds after a
// reload.
//
// For a moderator, the waiting list in the room panel: who waits and for how
// long, Admit / Deny each, Admit all, who was turned away (Admit lifts it),
// and the switch of the room's waiting room. A newcomer to the list is
// announced (aria-live). Everything is built with textContent.

import { joinWithCredentials } from './access.js';
import { $ } from './dom.js';
import { formatNumber, setText, t } from './i18n.js';
import { openEvents, streamUrl } from './events.js';
import { fetchWithTimeout } from './whip.js';

const KEY = 'conclave.lobby.key';
const KNOCK_TIMEOUT_MS = 10000;

// This browser's key: 32 random letters and digits, kept for the site.
function browserKey() {
    try {
        let k = localStorage.getItem(KEY);
        if (!k || !/^[A-Za-z0-9]{32}$/.test(k)) {
            const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
            const bytes = crypto.getRandomValues(new Uint8Array(32));
            k = Array.from(bytes, (b) => abc[b % abc.length]).join('');
            localStorage.setItem(KEY, k);
        }
        return k;
    } catch {
        return null; // storage refused: the server falls back on the address
    }
}

async function knockOnce(room, name, bearer) {
    const url = `rooms/${encodeURIComponent(room)}/lobby?${new URLSearchParams({ name })}`;
    const key = browserKey();
    const headers = bearer ? { Authorization: `Bearer ${bearer}` } : {};
    const init = { method: 'POST', headers };
    if (key) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify({ key });
    }
    const res = await fetchWithTimeout(url, init, KNOCK_TIMEOUT_MS);
    if (res.status === 200 || res.status === 202) {
        return res.json();
    }
    const text = (await res.text()).trim() || `HTTP ${res.status}`;
    const e = new Error(text);
    e.status = res.status;
    const code = res.headers.get('Conclave-Error');
    if (code && /^[a-z][a-z0-9-]*$/.test(code)) {
        e.code = code;
    }
    throw e;
}

const ui = {
    room: $('waiting-room'),
    preview: $('waiting-preview'),
    note: $('waiting-note'),
    leave: $('waiting-leave'),
};

// Knocks at `room` as `name`. Resolves to null when the room lets the join in
// at once, or to { ticket, atOnce, wait() }: atOnce when this browser was let
// in before (the ticket is good now); else wait() shows nothing itself; it
// resolves to the ticket once a moderator admits, and rejects with the
// reason otherwise (err.cancelled when the waiter gave up).
export async function knock(room, name) {
    const { result } = await joinWithCredentials(room, (bearer) => knockOnce(room, name, bearer));
    if (!result || typeof result.ticket !== 'string' || !/^[0-9a-f]{32}$/.test(result.ticket)) {
        return null;
    }
    if (result.state === 'admitted') {
        return { ticket: result.ticket, atOnce: true, wait: async () => result.ticket };
    }
    return { ticket: result.ticket, atOnce: false, wait: () => waitForAnswer(room, result.ticket) };
}

// A rejoin after a lost connection knocks again: the ticket when the room
// lets this browser back at once, else null (a join that must wait is
// refused, and the call says why).
export async function rejoinTicket(room, name) {
    try {
        const door = await knock(room, name);
        if (!door || door.atOnce) {
            return door ? door.ticket : null;
        }
        fetch(`rooms/${encodeURIComponent(room)}/lobby/${door.ticket}`, {
            method: 'DELETE',
            keepalive: true,
        }).catch(() => {});
    } catch {
        // the join that follows gets the same refusal, with its reason
    }
    return null;
}

let giveUp = null; // ends the wait in progress

// The person went elsewhere: the wait ends as if they pressed "Stop waiting".
export function cancelWaiting() {
    if (giveUp) {
        giveUp();
    }
}

function waitForAnswer(room, ticket) {
    return new Promise((resolve, reject) => {
        let done = false;
        const finish = (fn, arg) => {
            if (done) {
                return;
            }
            done = true;
            giveUp = null;
            events.close();
            ui.leave.removeEventListener('click', onLeave);
            fn(arg);
        };
        // code: the phrase error.<code> says it (i18n.js errorText)
        const fail = (code, extra = {}) =>
            finish(reject, Object.assign(new Error(code), { code }, extra));
        const onLeave = () => {
            fetch(`rooms/${encodeURIComponent(room)}/lobby/${ticket}`, {
                method: 'DELETE',
                keepalive: true,
            }).catch(() => {});
            fail('cancelled', { cancelled: true });
        };
        ui.leave.addEventListener('click', onLeave);
        giveUp = onLeave;
        const events = openEvents(
            () => streamUrl(room, ticket),
            {
                lobby: (d) => {
                    if (d.state === 'admitted') {
                        finish(resolve, ticket);
                    } else if (d.state === 'denied') {
                        fail('lobby-denied', { denied: true });
                    } else if (d.state === 'expired') {
                        fail('lobby-expired');
                    } else if (d.state === 'ended') {
                        fail('lobby-ended');
                    }
                },
                shutdown: () => fail('shutting-down'),
            },
            { onTrouble: () => fail('lobby-gone') },
        );
    });
}

// Fills the waiting screen: the room and the camera preview (stream may be null).
export function showWaiting(room, stream) {
    ui.room.textContent = room;
    ui.preview.srcObject = stream && stream.getVideoTracks().length ? stream : null;
    ui.preview.hidden = !ui.preview.srcObject;
    setText(ui.note, 'waiting.note');
}

export function leaveWaiting() {
    ui.preview.srcObject = null;
}

// ---- a moderator's waiting list ----

const mod = {
    select: $('lobby-select'),
    count: $('lobby-count'),
    empty: $('lobby-empty'),
    list: $('lobby-list'),
    admitAll: $('lobby-admit-all'),
    deniedTitle: $('lobby-denied-title'),
    denied: $('lobby-denied'),
    announce: $('lobby-announce'),
};
let send = null;
let known = new Set(); // ids already announced

function waited(s) {
    if (!Number.isFinite(s) || s < 60) {
        return t('lobby.waited-now');
    }
    return t('lobby.waited', { count: Math.floor(s / 60) });
}

function entry(p, buttons) {
    const li = document.createElement('li');
    li.className = 'lobby-entry';
    const who = document.createElement('span');
    who.className = 'name';
    who.textContent = typeof p.name === 'string' && p.name !== '' ? p.name : t('people.someone');
    li.append(who);
    if (typeof p.waited === 'number') {
        const since = document.createElement('span');
        since.className = 'since';
        since.textContent = ` ${waited(p.waited)}`;
        li.append(since);
    }
    const box = document.createElement('span');
    box.className = 'mod-controls';
    for (const [text, label, obj] of buttons) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'mod';
        b.textContent = text;
        b.setAttribute('aria-label', label);
        b.title = label;
        b.addEventListener('click', () => send && send(obj));
        box.append(b);
    }
    li.append(box);
    return li;
}

// The "lobby" event of a moderator's stream: {waiting: [{id, name, waited}],
// denied: [{id, name}]}. sendCommand(obj) posts a command.
export function renderWaitingList(data, sendCommand) {
    send = sendCommand;
    const valid = (p) => p && typeof p.id === 'string' && /^[0-9a-f]{16}$/.test(p.id);
    const waiting = Array.isArray(data.waiting) ? data.waiting.filter(valid) : [];
    const denied = Array.isArray(data.denied) ? data.denied.filter(valid) : [];
    const fresh = waiting.filter((p) => !known.has(p.id));
    known = new Set(waiting.map((p) => p.id));
    const lists = [mod.list, mod.denied];
    const focused = lists.find((l) => l.contains(document.activeElement)) || null;
    const focusAt = focused
        ? Array.from(focused.querySelectorAll('button')).indexOf(document.activeElement)
        : -1;
    mod.list.replaceChildren(
        ...waiting.map((p) => {
            const name = typeof p.name === 'string' && p.name !== '' ? p.name : t('lobby.someone');
            return entry(p, [
                [
                    t('lobby.admit'),
                    t('lobby.admit-who', { name }),
                    { type: 'admit', participant: p.id },
                ],
                [
                    t('lobby.deny'),
                    t('lobby.deny-who', { name }),
                    { type: 'deny', participant: p.id },
                ],
            ]);
        }),
    );
    mod.denied.replaceChildren(
        ...denied.map((p) => {
            const name = typeof p.name === 'string' && p.name !== '' ? p.name : t('lobby.someone');
            return entry(p, [
                [
                    t('lobby.let-back'),
                    t('lobby.let-back-who', { name }),
                    { type: 'admit', participant: p.id },
                ],
            ]);
        }),
    );
    mod.count.textContent = waiting.length ? `(${formatNumber(waiting.length)})` : '';
    mod.empty.hidden = waiting.length > 0;
    mod.admitAll.hidden = waiting.length < 2;
    mod.deniedTitle.hidden = denied.length === 0;
    if (focused) {
        // the focused button went with the list drawn anew: the one now at
        // its place, else the last of that list, else the room's switch
        const buttons = Array.from(focused.querySelectorAll('button'));
        (buttons[Math.min(focusAt, buttons.length - 1)] || mod.select).focus();
    }
    if (fresh.length === 1) {
        const f = fresh[0];
        const name = typeof f.name === 'string' && f.name ? f.name : t('people.someone');
        mod.announce.textContent = t('lobby.one-waits', { name });
    } else if (fresh.length > 1) {
        mod.announce.textContent = t('lobby.many-wait', { count: fresh.length });
    }
}

// The room event: the switch shows the room's waiting room.
export function renderLobbySwitch(mode, sendCommand) {
    send = sendCommand;
    if (document.activeElement !== mod.select && ['no', 'yes', 'all'].includes(mode)) {
        mod.select.value = mode;
    }
}

export function resetWaitingList() {
    known = new Set();
    keyed = false;
    pending = false;
    send = null;
    mod.list.replaceChildren();
    mod.denied.replaceChildren();
    mod.count.textContent = '';
    mod.empty.hidden = false;
    mod.admitAll.hidden = true;
    mod.deniedTitle.hidden = true;
    mod.announce.textContent = '';
}

// The switch changes the room's waiting room on a pick with the pointer or
// a phone's picker at once, but from the keyboard (whose arrow keys go
// through every mode) only on Enter or when the focus leaves it.
let keyed = false; // the select's last change came from a key
let pending = false; // a mode picked from the keyboard, not sent yet

function sendMode() {
    pending = false;
    if (send) {
        send({ type: 'lobby', lobby: mod.select.value });
    }
}
mod.select.addEventListener('pointerdown', () => {
    keyed = false;
});
mod.select.addEventListener('keydown', (ev) => {
    keyed = true;
    if (ev.key === 'Enter' && pending) {
        ev.preventDefault();
        sendMode();
    }
});
mod.select.addEventListener('change', () => {
    if (keyed) {
        pending = true;
    } else {
        sendMode();
    }
});
mod.select.addEventListener('blur', () => {
    if (pending) {
        sendMode();
    }
});
mod.admitAll.addEventListener('click', () => {
    if (send) {
        send({ type: 'admit_all' });
    }
});
