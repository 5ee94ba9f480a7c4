// i18n.js - the words of the page in the person's language.
//
// Each language has a catalogue (js/i18n/<lang>.js): keys to strings with
// named placeholders ("{name} joined."), or, for a phrase that depends on a
// number, an object of plural forms ({ one, other }, as Intl.PluralRules
// names them) chosen by the parameter `count`. t(key, params) gives the
// phrase in the current language (numbers in params formatted with Intl);
// a key missing from it falls back on English, then on the key itself.
//
// The language: localStorage 'conclave.lang' when set to one we have, else
// the first of navigator.languages that we have, else English. setLang()
// changes it at once: it is stored, <html lang> follows, every element
// marked in the page is translated again (apply) and the listeners of
// onLangChange() are told, so text drawn by the scripts is redrawn (the
// status line with origin(), which gives a phrase t() just made again in
// the new language).
//
// Marks in the page (apply): data-i18n (the text of an element without
// children of its own), data-i18n-aria-label, data-i18n-placeholder,
// data-i18n-title (those attributes), each naming a key; data-i18n-args
// holds the parameters of data-i18n as JSON (setText writes it).

import en from './i18n/en.js';
import fr from './i18n/fr.js';

const CATALOGUES = { en, fr };
export const LANGS = Object.keys(CATALOGUES);
const KEY = 'conclave.lang';
const ATTRS = ['aria-label', 'placeholder', 'title'];

function stored() {
    try {
        return localStorage.getItem(KEY) || '';
    } catch {
        return '';
    }
}

// The language to start with (see above).
export function pickLang(saved = stored(), wanted = navigator.languages || []) {
    if (LANGS.includes(saved)) {
        return saved;
    }
    for (const tag of wanted) {
        const base = String(tag).toLowerCase().split('-')[0];
        if (LANGS.includes(base)) {
            return base;
        }
    }
    return 'en';
}

let lang = pickLang();
let plurals = new Intl.PluralRules(lang);
let numbers = new Intl.NumberFormat(lang);
const listeners = new Set();

export function getLang() {
    return lang;
}

// Whether the catalogue (of the current language, or English) has `key`.
export function has(key) {
    return Object.hasOwn(CATALOGUES[lang], key) || Object.hasOwn(en, key);
}

function fill(text, params) {
    return text.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (whole, name) => {
        if (!(name in params)) {
            return whole;
        }
        const v = params[name];
        return typeof v === 'number' ? numbers.format(v) : String(v);
    });
}

// The latest phrases t() gave, to say them again in another language
// (origin()); a few dozen at most.
const RECENT_MAX = 64;
const recent = new Map();

function remember(text, key, params) {
    recent.delete(text);
    recent.set(text, [key, params]);
    if (recent.size > RECENT_MAX) {
        recent.delete(recent.keys().next().value);
    }
}

// For a phrase t() just gave: a function that gives it again in the
// language of the moment (its parameters too, when they were phrases);
// null for text t() did not give lately.
export function origin(text) {
    const r = recent.get(text);
    if (!r) {
        return null;
    }
    const [key, params] = r;
    const parts = Object.entries(params).map(([k, v]) => [
        k,
        typeof v === 'string' ? (origin(v) ?? v) : v,
    ]);
    return () =>
        phrase(
            key,
            Object.fromEntries(parts.map(([k, v]) => [k, typeof v === 'function' ? v() : v])),
        );
}

export function t(key, params = {}) {
    const text = phrase(key, params);
    remember(text, key, params);
    return text;
}

function phrase(key, params) {
    let entry = Object.hasOwn(CATALOGUES[lang], key) ? CATALOGUES[lang][key] : undefined;
    if (entry === undefined) {
        entry = Object.hasOwn(en, key) ? en[key] : undefined;
    }
    if (entry === undefined) {
        return key;
    }
    if (typeof entry === 'object') {
        const n = Number(params.count);
        entry = entry[plurals.select(Number.isFinite(n) ? n : 0)] ?? entry.other;
    }
    return fill(entry, params);
}

// Sets the text of `el` to the phrase `key` and marks it, so that a change
// of language redraws it with the same parameters; key '' empties it.
export function setText(el, key, params = null) {
    if (!key) {
        unmark(el);
        el.textContent = '';
        return;
    }
    el.dataset.i18n = key;
    if (params) {
        el.dataset.i18nArgs = JSON.stringify(params);
    } else {
        delete el.dataset.i18nArgs;
    }
    el.textContent = phrase(key, params || {});
}

// Forgets the phrase of `el`: the text set next (a name, a number) stays
// as it is through a change of language.
export function unmark(el) {
    delete el.dataset.i18n;
    delete el.dataset.i18nArgs;
}

// Translates every marked element under root (and root itself).
export function apply(root = document) {
    const all = (sel) => [
        ...(root.matches && root.matches(sel) ? [root] : []),
        ...root.querySelectorAll(sel),
    ];
    for (const el of all('[data-i18n]')) {
        let params = {};
        try {
            params = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
        } catch {
            params = {};
        }
        el.textContent = phrase(el.dataset.i18n, params);
    }
    for (const attr of ATTRS) {
        for (const el of all(`[data-i18n-${attr}]`)) {
            el.setAttribute(attr, phrase(el.getAttribute(`data-i18n-${attr}`), {}));
        }
    }
}

// fn() is called after every change of language.
export function onLangChange(fn) {
    listeners.add(fn);
}

export function setLang(next, { save = true } = {}) {
    if (!LANGS.includes(next)) {
        return;
    }
    lang = next;
    plurals = new Intl.PluralRules(lang);
    numbers = new Intl.NumberFormat(lang);
    if (save) {
        try {
            localStorage.setItem(KEY, next);
        } catch {
            // storage refused: the choice lasts for this page
        }
    }
    document.documentElement.lang = lang;
    apply(document);
    for (const sel of document.querySelectorAll('select.lang-select')) {
        sel.value = lang;
    }
    listeners.forEach((fn) => fn(lang));
}

// A number in the current language ("1 234,5" in French).
export function formatNumber(n, options = {}) {
    return new Intl.NumberFormat(lang, options).format(n);
}

// A clock time (hours and minutes) in the current language.
export function formatTime(ms) {
    return new Date(ms).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
}

// What to tell of an error from the server or the network: the phrase of
// its code (err.code, from the server's Conclave-Error header or set by
// the client), else one for its HTTP status, else a network failure.
export function errorText(err) {
    if (err && Number.isInteger(err.status) && err.status > 0) {
        return statusText(err.status, err.code);
    }
    if (err && typeof err.code === 'string' && has(`error.${err.code}`)) {
        return t(`error.${err.code}`);
    }
    return t('error.network');
}

// What to tell of an HTTP error `status` with the server's error `code`
// (may be empty): the phrase error.<code>, else error.http-<status> when
// the catalogue has one, else error.http.
export function statusText(status, code = '') {
    if (typeof code === 'string' && /^[a-z][a-z0-9-]*$/.test(code) && has(`error.${code}`)) {
        return t(`error.${code}`);
    }
    if (has(`error.http-${status}`)) {
        return t(`error.http-${status}`);
    }
    return t('error.http', { status });
}

// Wires the language selects (select.lang-select) and translates the page.
export function initI18n() {
    for (const sel of document.querySelectorAll('select.lang-select')) {
        sel.addEventListener('change', () => setLang(sel.value));
    }
    setLang(lang, { save: false });
}
