// breakout.js - breakout groups in the browser client.
//
// A "breakout" event moves the call: "moved" (placed in a group) or "visit"
// (a moderator's visit) into a group's room, "return" back to the main room,
// each with a one-time ticket. The call (call.js moveCall) leaves its session
// and joins the new room with the ticket; the banner says which group and
// how long is left, the time counting down once a second. The text a screen
// reader hears is said once on a move and again at one minute left; the
// ticking clock beside it is hidden from it.
//
// For a moderator, the panel's "Breakout rooms": how many groups, at random
// or by hand (a group for each person of the roster), a duration; once
// open, Visit for each group, a message to all groups, and Close. All of it
// buttons, selects and inputs, built with textContent.

import { $ } from './dom.js';
import { formatNumber, setText, t } from './i18n.js';

const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
const TICKET_RE = /^[0-9a-f]{32}$/;

const ui = {
    banner: $('breakout-banner'),
    text: $('breakout-text'),
    clock: $('breakout-clock'),
    back: $('breakout-back'),
    form: $('breakout-form'),
    groups: $('breakout-groups'),
    assign: $('breakout-assign'),
    minutes: $('breakout-minutes'),
    people: $('breakout-people'),
    open: $('breakout-open'),
    running: $('breakout-running'),
    list: $('breakout-list'),
    bcForm: $('breakout-broadcast-form'),
    bcText: $('breakout-broadcast-text'),
    close: $('breakout-close'),
    note: $('breakout-note'),
};

let timer = 0;
let send = null;
let roster = [];

// A valid move: { state, room, ticket, group?, groups?, left? } or null.
export function parseMove(d) {
    if (!['moved', 'visit', 'return'].includes(d.state)) {
        return null;
    }
    if (typeof d.room !== 'string' || !ROOM_RE.test(d.room)) {
        return null;
    }
    if (typeof d.ticket !== 'string' || !TICKET_RE.test(d.ticket)) {
        return null;
    }
    return d;
}

// "4:05" (minutes and seconds).
function clockText(s) {
    const m = Math.floor(s / 60);
    const r = s % 60;
    return `${formatNumber(m)}:${String(r).padStart(2, '0')}`;
}

// Shows where the call is: a group (move) or nowhere special (null).
// onBack: the "Back to the main room" button of a visit.
export function showBanner(move, onBack) {
    clearInterval(timer);
    timer = 0;
    if (!move || move.state === 'return') {
        ui.banner.hidden = true;
        setText(ui.text, move ? 'breakout.back-in-main' : '');
        return;
    }
    const visiting = move.state === 'visit';
    const where = { group: move.group, groups: move.groups };
    ui.banner.hidden = false;
    ui.back.hidden = !visiting;
    ui.back.onclick = onBack;
    const ends = Number.isFinite(move.left) ? Date.now() + move.left * 1000 : 0;
    let warned = !ends || move.left <= 60; // a short stay is not warned again
    const tick = () => {
        const left = ends ? Math.max(0, Math.round((ends - Date.now()) / 1000)) : -1;
        ui.clock.textContent =
            left >= 0 ? ` — ${t('breakout.time-left', { time: clockText(left) })}` : '';
        if (!warned && left <= 60) {
            warned = true;
            setText(ui.text, visiting ? 'breakout.visit-minute' : 'breakout.in-minute', where);
        }
    };
    const stay = ends ? clockText(move.left) : '';
    if (visiting) {
        setText(ui.text, 'breakout.visit', where);
    } else if (stay) {
        setText(ui.text, 'breakout.in-for', { ...where, time: stay });
    } else {
        setText(ui.text, 'breakout.in', where);
    }
    tick();
    if (ends) {
        timer = setInterval(tick, 1000);
    }
}

// ---- the moderator's controls ----

function person(p) {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const id = `breakout-for-${p.id}`;
    label.htmlFor = id;
    label.textContent = typeof p.name === 'string' && p.name ? p.name : t('people.someone');
    const sel = document.createElement('select');
    sel.id = id;
    sel.dataset.id = p.id;
    const n = Number(ui.groups.value) || 2;
    const none = document.createElement('option');
    none.value = '';
    none.textContent = t('breakout.stays');
    sel.append(none);
    for (let g = 1; g <= n; g++) {
        const o = document.createElement('option');
        o.value = String(g);
        o.textContent = t('breakout.group', { group: g });
        sel.append(o);
    }
    li.append(label, sel);
    return li;
}

function drawPeople() {
    const byHand = ui.assign.value === 'hand';
    ui.people.hidden = !byHand;
    if (byHand) {
        ui.people.replaceChildren(...roster.map(person));
    }
}

// The roster, for placing people by hand (participants who are not moderators).
export function setBreakoutRoster(list) {
    roster = list.filter(
        (p) => p && p.role === 'participant' && p.moderator !== true && /^[0-9a-f]{16}$/.test(p.id),
    );
    if (!ui.people.hidden && !ui.people.contains(document.activeElement)) {
        drawPeople();
    }
}

// Shows the form (groups closed) or the running groups; the focus, when it
// was in the part that hides, goes to a field of the other (not a button
// that Enter pressed again would act on: Visit, Open groups).
function showPart(running) {
    const leaving = running ? ui.form : ui.running;
    const had = leaving.contains(document.activeElement);
    ui.form.hidden = running;
    ui.running.hidden = !running;
    if (had) {
        (running ? ui.bcText : ui.groups).focus();
    }
}

// The moderator's "open" event: the groups, for Visit.
export function showRunning(d) {
    const groups = Array.isArray(d.groups) ? d.groups : [];
    ui.list.replaceChildren(
        ...groups.map((g) => {
            const li = document.createElement('li');
            const members = Array.isArray(g.members) ? g.members.join(', ') : '';
            li.textContent = members
                ? t('breakout.members', { group: g.group, members })
                : t('breakout.nobody', { group: g.group });
            li.append(' ');
            const b = document.createElement('button');
            b.type = 'button';
            b.className = 'mod';
            b.textContent = t('breakout.visit-button');
            b.setAttribute('aria-label', t('breakout.visit-group', { group: g.group }));
            b.addEventListener(
                'click',
                () => send && send({ type: 'breakout_visit', group: g.group }),
            );
            li.append(b);
            return li;
        }),
    );
    showPart(groups.length > 0);
}

export function bindBreakoutControls(sendCommand) {
    send = sendCommand;
}

export function resetBreakout() {
    showBanner(null);
    setText(ui.text, '');
    showPart(false);
    setText(ui.note, '');
    send = null;
}

ui.assign.addEventListener('change', drawPeople);
ui.groups.addEventListener('change', drawPeople);
ui.form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const groups = Number(ui.groups.value);
    const minutes = Number(ui.minutes.value || 0);
    if (!Number.isInteger(groups) || groups < 2 || groups > 20) {
        setText(ui.note, 'breakout.bad-groups');
        return;
    }
    if (!Number.isFinite(minutes) || minutes < 0 || minutes > 240) {
        setText(ui.note, 'breakout.bad-minutes');
        return;
    }
    const cmd = { type: 'breakout_open', groups, duration: Math.round(minutes * 60) };
    if (ui.assign.value === 'hand') {
        cmd.assign = {};
        for (const sel of ui.people.querySelectorAll('select')) {
            if (sel.value) {
                cmd.assign[sel.dataset.id] = Number(sel.value);
            }
        }
    } else {
        cmd.assign = 'random';
    }
    if (send && (await send(cmd)) === 204) {
        setText(ui.note, 'breakout.opened', { count: groups });
    }
});
ui.bcForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = ui.bcText.value.trim();
    if (text && send && (await send({ type: 'breakout_broadcast', text })) === 204) {
        ui.bcText.value = '';
        setText(ui.note, 'breakout.sent');
    }
});
ui.close.addEventListener('click', async () => {
    if (send && (await send({ type: 'breakout_close' })) === 204) {
        showPart(false);
        setText(ui.note, 'breakout.closed');
    }
});
