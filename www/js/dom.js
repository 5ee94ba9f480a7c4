// dom.js - the small helpers the views share: an element of the page by its
// id, the pressed state of a toggle button (aria-pressed), and what this
// browser remembers for the site (localStorage).

export const $ = (id) => document.getElementById(id);

export function setPressed(btn, on) {
    btn.setAttribute('aria-pressed', on ? 'true' : 'false');
}

// Remembers value under key ('' forgets it). Storage may be off (private
// mode, policy): nothing is remembered then.
export function remember(key, value) {
    try {
        if (value) {
            localStorage.setItem(key, value);
        } else {
            localStorage.removeItem(key);
        }
    } catch {
        // nothing to remember then
    }
}

// What was remembered under key, '' when nothing (or storage is off).
export function recall(key) {
    try {
        return localStorage.getItem(key) || '';
    } catch {
        return '';
    }
}
