// status.js - the page's one live status line (#status, role="status",
// aria-live="polite"), which moves into the slot of the view on show
// (elements marked data-status-slot="<view>").
//
// say(text, { error, transient }) replaces the line; an error is also
// marked with the "error" class (colour and weight: the words carry the
// meaning); a transient message clears itself after a few seconds unless
// another one replaced it.

import { onLangChange, origin, unmark } from './i18n.js';

const TRANSIENT_MS = 5000;

const line = document.getElementById('status');
let clearTimer = 0;
let sayAgain = null; // gives the words of the line in another language

export function say(text, { error = false, transient = false } = {}) {
    clearTimeout(clearTimer);
    unmark(line); // its first words ("Not connected.") are the page's
    line.textContent = text;
    sayAgain = origin(text);
    line.classList.toggle('error', error);
    line.classList.toggle('empty', text === '');
    if (transient) {
        const said = sayAgain;
        clearTimer = setTimeout(() => {
            if (line.textContent === text || (said && sayAgain === said)) {
                line.textContent = '';
                sayAgain = null;
                line.classList.add('empty');
                line.classList.remove('error');
            }
        }, TRANSIENT_MS);
    }
}

// A change of language says the line again in the new one.
onLangChange(() => {
    if (sayAgain) {
        line.textContent = sayAgain();
    }
});

// Moves the status line into the slot of `view` (landing, prejoin, call, left).
export function moveStatusTo(view) {
    const slot = document.querySelector(`[data-status-slot="${view}"]`);
    if (slot && line.parentElement !== slot) {
        slot.append(line);
    }
}
