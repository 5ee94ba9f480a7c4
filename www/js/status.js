// status.js - the page's one live status line (#status, role="status",
// aria-live="polite"), which moves into the slot of the view on show
// (elements marked data-status-slot="<view>").
//
// say(text, { error, transient }) replaces the line; an error is also
// marked with the "error" class (colour and weight: the words carry the
// meaning); a transient message clears itself after a few seconds unless
// another one replaced it.

const TRANSIENT_MS = 5000;

const line = document.getElementById('status');
let clearTimer = 0;

export function say(text, { error = false, transient = false } = {}) {
    clearTimeout(clearTimer);
    line.textContent = text;
    line.classList.toggle('error', error);
    line.classList.toggle('empty', text === '');
    if (transient) {
        clearTimer = setTimeout(() => {
            if (line.textContent === text) {
                line.textContent = '';
                line.classList.add('empty');
                line.classList.remove('error');
            }
        }, TRANSIENT_MS);
    }
}

// Moves the status line into the slot of `view` (landing, prejoin, call, left).
export function moveStatusTo(view) {
    const slot = document.querySelector(`[data-status-slot="${view}"]`);
    if (slot && line.parentElement !== slot) {
        slot.append(line);
    }
}
