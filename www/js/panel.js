// panel.js - the call's side panel: the people list (the room's roster, each
// entry with its marks and, for a moderator, its controls from access.js) and
// the chat log with its unread count; which of the two is shown (both on a
// wide screen, one at a time on a narrow one); and a quiet live region that
// says who joins, leaves or raises a hand. Everything is built with
// textContent. call.js and roomstate.js feed it the events; the call sends
// the commands.

import { entryControls } from './access.js';
import { $, setPressed } from './dom.js';
import { formatNumber, formatTime, t } from './i18n.js';
import { say } from './status.js';

const CHAT_MAX_BYTES = 1000;
const CHAT_KEEP = 500; // messages kept in the log

const ui = {
    view: $('view-call'),
    panel: $('side-panel'),
    peopleSection: $('people-section'),
    chatSection: $('chat-section'),
    roster: $('roster'),
    peopleCount: $('people-count'),
    chatLog: $('chat-log'),
    chatScroll: document.querySelector('#chat-section .chat-scroll'),
    chatInput: $('chat-input'),
    chatSend: $('chat-send'),
    unread: $('chat-unread'),
    showPeople: $('show-people'),
    showChat: $('show-chat'),
    settingsSection: $('settings-section'),
    showSettings: $('show-settings'),
};

// A second, quiet live region for who joins, leaves or raises a hand, so
// those notes do not overwrite the connection status.
const announcer = document.createElement('p');
announcer.className = 'sr-only';
announcer.setAttribute('aria-live', 'polite');
ui.view.append(announcer);

const wide = window.matchMedia('(min-width: 56rem)');
const finePointer = window.matchMedia('(pointer: fine)');

let showPeople = false;
let showChat = false;
let showSettings = false;
let unread = 0; // chat messages from others while the chat was hidden
let opener = null; // the button that last opened a part of the panel

export function str(v, fallback = '') {
    return typeof v === 'string' ? v : fallback;
}

function utf8Length(s) {
    return new TextEncoder().encode(s).length;
}

function clockText(ms) {
    return formatTime(typeof ms === 'number' && Number.isFinite(ms) ? ms : Date.now());
}

// ---- which part is shown ----

function clearUnread() {
    unread = 0;
    ui.unread.hidden = true;
    ui.unread.textContent = '';
}

function renderPanel() {
    ui.peopleSection.hidden = !showPeople;
    ui.chatSection.hidden = !showChat;
    ui.settingsSection.hidden = !showSettings;
    ui.panel.hidden = !showPeople && !showChat && !showSettings;
    ui.view.classList.toggle('panel-open', showPeople || showChat || showSettings);
    setPressed(ui.showPeople, showPeople);
    setPressed(ui.showChat, showChat);
    setPressed(ui.showSettings, showSettings);
    if (showChat) {
        clearUnread();
        ui.chatScroll.scrollTop = ui.chatScroll.scrollHeight;
    }
}

function panelDefaults() {
    showPeople = wide.matches;
    showChat = wide.matches;
    showSettings = false;
    renderPanel();
}

wide.addEventListener('change', panelDefaults);

ui.showPeople.addEventListener('click', () => {
    showPeople = !showPeople;
    opener = showPeople ? ui.showPeople : opener;
    if (showPeople && !wide.matches) {
        showChat = false;
        showSettings = false;
    }
    renderPanel();
    if (showPeople) {
        ui.peopleSection.scrollTop = 0; // at its top: the people, then the room's controls
    }
});
ui.showChat.addEventListener('click', () => {
    showChat = !showChat;
    opener = showChat ? ui.showChat : opener;
    if (showChat && !wide.matches) {
        showPeople = false;
        showSettings = false;
    }
    renderPanel();
    if (showChat && finePointer.matches) {
        ui.chatInput.focus(); // not on touch screens: it would pop the keyboard up
    }
});

ui.showSettings.addEventListener('click', () => {
    showSettings = !showSettings;
    opener = showSettings ? ui.showSettings : opener;
    if (showSettings && !wide.matches) {
        showPeople = false;
        showChat = false;
    }
    renderPanel();
});

export function panelOpen() {
    return showPeople || showChat || showSettings;
}

// Closes the panel (Escape) and gives the focus back to the button that
// opened it (the People button when it was open from the start).
export function closePanel() {
    const back = opener && !opener.hidden ? opener : ui.showPeople;
    showPeople = false;
    showChat = false;
    showSettings = false;
    opener = null;
    renderPanel();
    back.focus();
}

// Empties the panel for a new call and shows its default parts.
export function resetPanel() {
    ui.roster.replaceChildren();
    ui.peopleCount.textContent = '';
    ui.chatLog.replaceChildren();
    ui.chatInput.value = '';
    ui.chatSend.disabled = false;
    clearUnread();
    announcer.textContent = '';
    opener = null;
    panelDefaults();
}

// ---- people ----

// Says who joined, left or raised a hand between two rosters (`me`: one's
// own public id, left out).
export function announceChanges(before, after, me) {
    const people = (l) => new Map(l.filter((p) => p.role !== 'screen').map((p) => [p.id, p]));
    const a = people(before);
    const b = people(after);
    const notes = [];
    b.forEach((p, id) => {
        if (id === me) {
            return;
        }
        const was = a.get(id);
        const name = str(p.name) || t('people.someone');
        if (!was) {
            notes.push(t('people.joined', { name }));
        } else if (p.hand === true && was.hand !== true) {
            notes.push(t('people.hand', { name }));
        }
    });
    a.forEach((p, id) => {
        if (id !== me && !b.has(id)) {
            notes.push(t('people.left', { name: str(p.name) || t('people.someone') }));
        }
    });
    if (notes.length) {
        announcer.textContent = notes.join(' ');
    }
}

function markList(li, p) {
    const marks = document.createElement('span');
    marks.className = 'marks';
    const mark = (cls, key) => {
        const label = t(key);
        const m = document.createElement('span');
        m.className = `mark ${cls}`;
        m.setAttribute('role', 'img');
        m.setAttribute('aria-label', label);
        m.title = label;
        marks.append(m);
    };
    if (li.dataset.speaking === 'true') {
        mark('m-speaking', 'mark.speaking');
    }
    if (li.dataset.hand === 'true') {
        mark('m-hand', 'mark.hand');
    }
    if (li.dataset.sharing === 'true') {
        mark('m-screen', 'mark.screen');
    }
    if (li.dataset.camera === 'false') {
        mark('m-camera-off', 'mark.camera-off');
    }
    if (li.dataset.muted === 'true') {
        mark('m-mic-off', 'mark.mic-off');
    }
    if (p.moderator === true) {
        mark('m-moderator', 'mark.moderator');
    }
    if (p.floor === true) {
        mark('m-floor', 'mark.floor');
    }
    return marks;
}

// Shows the people of `roster` (the server's participants list): oneself
// first, then raised hands, then the server's order. A moderator gets each
// other one's controls, whose commands go through send(obj). The rows are
// kept by participant id and changed in place (added, updated, moved,
// removed; never drawn anew), so a focused control in the list keeps its
// focus; when its row or the control itself goes, focus moves to the
// nearest control left in the list.
export function renderRoster(roster, { me, speaking, moderator, lecture, send }) {
    const sharing = new Set(roster.filter((p) => p.role === 'screen').map((p) => str(p.owner)));
    const people = roster.filter((p) => p.role !== 'screen');
    const order = people
        .map((p, i) => ({ p, i }))
        .sort((x, y) => {
            const kx = x.p.id === me ? 0 : x.p.hand === true ? 1 : 2;
            const ky = y.p.id === me ? 0 : y.p.hand === true ? 1 : 2;
            return kx - ky || x.i - y.i;
        })
        .map((e) => e.p);
    const focused = ui.roster.contains(document.activeElement) ? document.activeElement : null;
    const focusRow = focused ? focused.closest('li') : null;
    const focusIndex = focusRow ? Array.from(ui.roster.children).indexOf(focusRow) : -1;
    const focusPos = focusRow
        ? Array.from(focusRow.querySelectorAll('button')).indexOf(focused)
        : -1;
    const rows = new Map(Array.from(ui.roster.children, (li) => [li.dataset.id, li]));
    const wanted = new Set(order.map((p) => p.id));
    rows.forEach((li, id) => {
        if (!wanted.has(id)) {
            li.remove();
        }
    });
    let cursor = ui.roster.firstElementChild;
    for (const p of order) {
        let li = rows.get(p.id);
        if (!li) {
            li = document.createElement('li');
            li.dataset.id = p.id;
        }
        updateRow(li, p, { me, speaking, sharing, moderator, lecture, send });
        if (li === cursor) {
            cursor = cursor.nextElementSibling;
        } else {
            ui.roster.insertBefore(li, cursor);
        }
    }
    ui.peopleCount.textContent = `(${formatNumber(people.length)})`;
    if (focused) {
        keepFocus(focused, focusRow, focusIndex, focusPos);
    }
}

// One row of the people list brought up to date with p.
function updateRow(li, p, { me, speaking, sharing, moderator, lecture, send }) {
    const name = str(p.name);
    li.dataset.muted = p.muted === true ? 'true' : 'false';
    li.dataset.camera = p.camera === false ? 'false' : 'true';
    li.dataset.hand = p.hand === true ? 'true' : 'false';
    li.dataset.speaking = p.id === speaking ? 'true' : 'false';
    li.dataset.sharing = sharing.has(p.id) ? 'true' : 'false';
    li.dataset.you = p.id === me ? 'true' : 'false';
    li.dataset.initial = (name.trim()[0] || '?').toUpperCase();
    let nameEl = li.querySelector(':scope > .name');
    if (!nameEl) {
        nameEl = document.createElement('span');
        nameEl.className = 'name';
        li.append(nameEl);
    }
    if (nameEl.textContent !== name) {
        nameEl.textContent = name;
    }
    nameEl.classList.toggle('anonymous', name === '');
    const marks = markList(li, p);
    const oldMarks = li.querySelector(':scope > .marks');
    if (!oldMarks) {
        nameEl.after(marks);
    } else if (oldMarks.innerHTML !== marks.innerHTML) {
        oldMarks.replaceWith(marks);
    }
    const box = li.querySelector(':scope > .mod-controls');
    if (moderator && p.id !== me) {
        if (box) {
            entryControls(p, { lecture, send }, box);
        } else {
            li.append(entryControls(p, { lecture, send }));
        }
    } else if (box) {
        box.remove();
    }
}

// Focus was on `el` in the people list before an update: it stays there (a
// move in the list may have taken it away), or goes to the control now at
// its place in its row (`pos`), else to the first control of the row now at
// the row's place (`index`; the first, so that Enter pressed again does not
// remove the next person), else to the People button.
function keepFocus(el, row, index, pos) {
    if (document.activeElement === el) {
        return;
    }
    if (el.isConnected) {
        el.focus({ preventScroll: true });
        return;
    }
    const controls = (li) =>
        li ? Array.from(li.querySelectorAll('button')).filter((b) => !b.disabled) : [];
    let target = null;
    if (row && row.isConnected) {
        const own = controls(row);
        target = own[Math.min(Math.max(pos, 0), own.length - 1)] || null;
    }
    if (!target) {
        const rows = ui.roster.children;
        target = controls(rows[Math.min(index, rows.length - 1)] || null)[0] || null;
    }
    (target || ui.showPeople).focus({ preventScroll: true });
}

// ---- chat ----

// Adds one chat event to the log (`me`: one's own public id); counts it as
// unread while the chat is hidden.
export function addChatMessage(d, me) {
    const text = str(d.text);
    if (text === '') {
        return;
    }
    const li = document.createElement('li');
    li.dataset.from = str(d.from);
    if (d.from === me) {
        li.classList.add('mine');
    }
    const head = document.createElement('span');
    head.className = 'head';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = str(d.name) || t('people.someone');
    const when = document.createElement('time');
    const t = typeof d.time === 'number' ? d.time : Date.now();
    when.dateTime = new Date(t).toISOString();
    when.textContent = clockText(t);
    head.append(who, ' ', when);
    const body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    li.append(head, ' ', body);

    const sc = ui.chatScroll;
    const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 40;
    ui.chatLog.append(li);
    while (ui.chatLog.children.length > CHAT_KEEP) {
        ui.chatLog.firstElementChild.remove();
    }
    if (atBottom || d.from === me) {
        sc.scrollTop = sc.scrollHeight;
    }
    if (ui.chatSection.hidden && d.from !== me) {
        unread++;
        ui.unread.textContent = String(unread);
        ui.unread.hidden = false;
    }
}

// Sends what is typed in the chat box through command(obj), which resolves
// to the HTTP status (0: not sent); the box is emptied once it went.
export async function sendChat(command) {
    const text = ui.chatInput.value.trim();
    if (text === '') {
        return;
    }
    if (utf8Length(text) > CHAT_MAX_BYTES) {
        say(t('chat.too-long', { max: CHAT_MAX_BYTES }), { error: true, transient: true });
        return;
    }
    ui.chatSend.disabled = true;
    const status = await command({ type: 'chat', text });
    ui.chatSend.disabled = false;
    if (status === 204 || status === 200) {
        ui.chatInput.value = '';
    } else if (status === 0) {
        say(t('chat.not-sent'), { error: true, transient: true });
    }
    ui.chatInput.focus();
}
