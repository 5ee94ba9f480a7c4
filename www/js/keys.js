// keys.js - the call from the keyboard: shortcuts for the microphone (M),
// the camera (V), the hand (H) and leaving (Alt+Shift+L, which asks first),
// "?" for a dialog that lists them, and Escape, which closes the open
// panel and gives the focus back to the button that opened it (a dialog
// closes itself on Escape and does the same). A shortcut presses the call
// bar's own button, so its state (aria-pressed) and what the status line
// says follow as they do for a click. Shortcuts are ignored while typing in
// a field, with Ctrl or Meta held, and while a dialog is open.
//
// Also the call bar of a phone held sideways: it hides itself after a few
// seconds without a touch, and comes back on a touch, a key or the focus.

import { $ } from './dom.js';
import { t } from './i18n.js';
import { closePanel, panelOpen } from './panel.js';

// key (as shown, and as aria-keyshortcuts says it; a catalogue key when it
// is a word), what it does (a catalogue key), the button it presses
const SHORTCUTS = [
    { keys: 'M', what: 'keys.mic', button: 'mute-mic' },
    { keys: 'V', what: 'keys.camera', button: 'mute-camera' },
    { keys: 'H', what: 'keys.hand', button: 'raise-hand' },
    { keys: 'Alt+Shift+L', what: 'keys.leave', button: 'leave' },
    { keys: '?', what: 'keys.help', button: 'shortcuts-open' },
    { keys: 'Escape', word: 'keys.escape-key', what: 'keys.escape', button: null },
];

const BAR_HIDE_MS = 4000;

const view = $('view-call');
const bar = view.querySelector('.callbar');

function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
        if (k === 'class') {
            e.className = v;
        } else if (k in e) {
            e[k] = v;
        } else {
            e.setAttribute(k, v);
        }
    }
    e.append(...children);
    return e;
}

// An element whose words are catalogue key `key` (said again when the
// language changes: i18n.js apply()).
function words(tag, props, key) {
    return el(tag, { ...props, 'data-i18n': key }, t(key));
}

// ---- the two dialogs ----

function makeDialog(id, title) {
    const heading = words('h2', { id: `${id}-title` }, title);
    const d = el('dialog', { id, class: 'call-dialog', 'aria-labelledby': heading.id }, heading);
    d.addEventListener('close', () => {
        const back = d.returnTo;
        d.returnTo = null;
        if (back && back.isConnected && !view.hidden) {
            back.focus();
        }
    });
    view.append(d);
    return d;
}

function openDialog(d) {
    if (d.open || view.hidden) {
        return;
    }
    d.returnTo = document.activeElement;
    d.showModal();
}

const help = makeDialog('shortcuts-dialog', 'keys.title');
const list = el('dl', { class: 'shortcut-list' });
for (const s of SHORTCUTS) {
    const keys = s.word
        ? [words('kbd', {}, s.word)]
        : s.keys.split('+').map((k, i) => [i ? '+' : '', el('kbd', {}, k)]).flat();
    list.append(el('div', {}, el('dt', {}, ...keys), words('dd', {}, s.what)));
}
const helpClose = words('button', { type: 'button', class: 'secondary' }, 'keys.close');
helpClose.addEventListener('click', () => help.close());
help.append(list, el('div', { class: 'controls' }, helpClose));

const confirmLeave = makeDialog('leave-dialog', 'keys.leave-title');
const stay = words('button', { type: 'button', class: 'secondary', autofocus: true }, 'keys.leave-no');
const leave = words('button', { type: 'button', class: 'leave' }, 'keys.leave-yes');
stay.addEventListener('click', () => confirmLeave.close());
leave.addEventListener('click', () => {
    confirmLeave.returnTo = null;
    confirmLeave.close();
    $('leave').click();
});
confirmLeave.append(el('div', { class: 'controls' }, stay, leave));

// The button that opens the list, in the top bar.
const openHelp = el(
    'button',
    { id: 'shortcuts-open', type: 'button', class: 'shortcuts-open' },
    el('span', { 'aria-hidden': 'true' }, '?'),
    words('span', { class: 'sr-only' }, 'keys.open'),
);
openHelp.addEventListener('click', () => openDialog(help));
view.querySelector('.topbar').append(openHelp);

for (const s of SHORTCUTS) {
    if (s.button) {
        $(s.button).setAttribute('aria-keyshortcuts', s.keys === '?' ? 'Shift+?' : s.keys);
    }
}

const dialogOpen = () => help.open || confirmLeave.open;

function typing(t) {
    return !!(t && t.closest && t.closest('input, textarea, select, [contenteditable]'));
}

document.addEventListener('keydown', (ev) => {
    if (view.hidden || ev.defaultPrevented || dialogOpen()) {
        return;
    }
    if (ev.key === 'Escape') {
        if (panelOpen()) {
            ev.preventDefault();
            closePanel();
        }
        return;
    }
    if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.repeat) {
        return;
    }
    if (ev.altKey) {
        if (ev.shiftKey && ev.code === 'KeyL') {
            ev.preventDefault();
            openDialog(confirmLeave);
        }
        return;
    }
    const press = (id) => {
        ev.preventDefault();
        const b = $(id);
        if (!b.disabled && !b.hidden) {
            b.click();
        }
    };
    switch (ev.key) {
        case 'm':
        case 'M':
            press('mute-mic');
            break;
        case 'v':
        case 'V':
            press('mute-camera');
            break;
        case 'h':
        case 'H':
            press('raise-hand');
            break;
        case '?':
            ev.preventDefault();
            openDialog(help);
            break;
        default:
    }
});

// Closes what the keyboard may have left open when the call ends.
export function resetKeys() {
    for (const d of [help, confirmLeave]) {
        if (d.open) {
            d.returnTo = null;
            d.close();
        }
    }
    showBar();
}

// ---- the call bar of a phone held sideways ----

const sideways = window.matchMedia('(orientation: landscape) and (max-height: 30rem)');
let barTimer = 0;

function mayHide() {
    return (
        sideways.matches &&
        !view.hidden &&
        !panelOpen() &&
        !dialogOpen() &&
        !bar.contains(document.activeElement)
    );
}

function showBar() {
    view.classList.remove('bar-hidden');
    clearTimeout(barTimer);
    barTimer = 0;
    if (sideways.matches && !view.hidden) {
        barTimer = setTimeout(() => {
            barTimer = 0;
            if (mayHide()) {
                view.classList.add('bar-hidden');
            } else {
                showBar();
            }
        }, BAR_HIDE_MS);
    }
}

for (const type of ['pointerdown', 'keydown', 'focusin']) {
    view.addEventListener(type, showBar, { passive: true });
}
view.addEventListener(
    'pointermove',
    (ev) => {
        if (ev.pointerType === 'mouse') {
            showBar();
        }
    },
    { passive: true },
);
sideways.addEventListener('change', showBar);
new MutationObserver(showBar).observe(view, { attributes: true, attributeFilter: ['hidden'] });
