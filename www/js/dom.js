// dom.js - the two small helpers the views share: an element of the page by
// its id, and the pressed state of a toggle button (aria-pressed).

export const $ = (id) => document.getElementById(id);

export function setPressed(btn, on) {
    btn.setAttribute('aria-pressed', on ? 'true' : 'false');
}
