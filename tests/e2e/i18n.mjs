// i18n.mjs - the browser client in French and English, and the devices and
// "audio only" of a call, in headless Chromium.
//
// Usage: node tests/e2e/i18n.mjs http://127.0.0.1:PORT
//
// Chromium runs with three fake cameras and microphones (its second fake
// camera gives 16-bit depth frames, which no video encoder takes: the switch
// goes to the third, fake_device_2). Checks:
//  - a browser whose language is French (context locale fr-FR, nothing
//    stored) gets the landing page in French: <html lang="fr">, and no
//    visible text (nor aria-label, placeholder, title) is an English phrase
//    of the catalogue whose French differs, or a bare catalogue key; an
//    English browser gets English the same way (negative control of the
//    comparison: the French page must show French phrases);
//  - the landing page's language select switches to English at once (no
//    reload: a marker left in the window survives), <html lang> follows, the
//    choice is stored in localStorage 'conclave.lang' and still holds after
//    a reload of the French browser; and back to French;
//  - the pre-join screen and the call (with the settings panel open) are
//    checked the same way in French; the person chose "audio only" on the
//    pre-join screen: the call POSTs {"type":"receive","video":false}, shows
//    the notice instead of the picture and remembers the choice; the
//    in-call language select switches the call to English without reload;
//  - another person (English) switches camera and microphone during the
//    call from the settings panel: the senders' track ids change (no new
//    offer: the session URL is the same) and the outbound video keeps
//    flowing (bytesSent grows before and after the switch).
// Prints "ok - ..." lines and "i18n: N passed, M failed". Run through
// tests/e2e/i18n.sh (a daemon in a network namespace with only loopback).

import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, makeReporter, pollUntil } from './lib.mjs';
import en from '../../www/js/i18n/en.js';
import fr from '../../www/js/i18n/fr.js';

const T = makeReporter('i18n');
const check = T.check;
const WATCHDOG_MS = 40000;
const WAIT_MS = 8000;
const ARGS = CHROMIUM_ARGS.filter((a) => !a.startsWith('--lang=')).map((a) =>
    a === '--use-fake-device-for-media-stream' ? `${a}=device-count=3` : a,
);
const KEY_RE = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;

// The phrases of one catalogue that another says differently (no
// placeholder: those are compared whole).
function onlyIn(cat, other) {
    const out = new Set();
    for (const [k, v] of Object.entries(cat)) {
        for (const s of typeof v === 'string' ? [v] : Object.values(v)) {
            const o = other[k];
            const same = typeof o === 'string' ? o === s : o && Object.values(o).includes(s);
            if (!same && !/\{/.test(s)) {
                out.add(s.replace(/\s+/g, ' ').trim());
            }
        }
    }
    return out;
}
const EN_ONLY = onlyIn(en, fr);
const FR_ONLY = onlyIn(fr, en);

// The visible words of the shown view: text nodes of rendered elements, and
// the aria-label, placeholder and title of visible elements.
function visibleWords() {
    const out = [];
    const seen = (el) =>
        el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : !!el.offsetParent;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent.replace(/\s+/g, ' ').trim();
        const el = n.parentElement;
        if (text && el && !['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName) && seen(el)) {
            out.push(text);
        }
    }
    for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
        if (seen(el)) {
            for (const a of ['aria-label', 'placeholder', 'title']) {
                const v = el.getAttribute(a);
                if (v) {
                    out.push(v.replace(/\s+/g, ' ').trim());
                }
            }
        }
    }
    return out;
}

// Checks the words on `page` are all of `lang`.
async function checkWords(page, lang, where) {
    const words = await page.evaluate(visibleWords);
    const wrong = words.filter((w) => (lang === 'fr' ? EN_ONLY : FR_ONLY).has(w));
    const keys = words.filter((w) => KEY_RE.test(w));
    const own = words.filter((w) => (lang === 'fr' ? FR_ONLY : EN_ONLY).has(w));
    const htmlLang = await page.evaluate(() => document.documentElement.lang);
    check(
        htmlLang === lang && wrong.length === 0 && keys.length === 0 && own.length >= 3,
        `${where}: <html lang="${lang}">, no visible phrase of the other language, no bare key`,
        `lang ${htmlLang}; ${words.length} texts, ${own.length} of ${lang} only; ` +
            `other language: ${JSON.stringify(wrong.slice(0, 4))}; ` +
            `keys: ${JSON.stringify(keys.slice(0, 4))}`,
    );
}

async function until(probe, ms = WAIT_MS) {
    return pollUntil(probe, (v) => v && v.ok, ms, 150);
}

async function newPerson(browser, base, locale, lang = null) {
    const context = await browser.newContext({
        locale,
        viewport: { width: 1100, height: 800 },
        permissions: ['camera', 'microphone'],
    });
    if (lang) {
        await context.addInitScript((l) => {
            if (!sessionStorage.getItem('seeded')) {
                localStorage.setItem('conclave.lang', l);
                sessionStorage.setItem('seeded', '1');
            }
        }, lang);
    }
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    return { context, page, errors };
}

async function join(page, room, name, { lowData = false } = {}) {
    await page.evaluate((r) => {
        location.hash = `#/r/${r}`;
    }, room);
    await page.waitForSelector('#view-prejoin:not([hidden])', { timeout: WAIT_MS });
    await until(async () => ({
        ok: (await page.$$eval('#camera-select option', (o) => o.length)) >= 1,
    }));
    await page.fill('#display-name', name);
    if (lowData) {
        await page.check('#low-data');
    }
    await page.click('#join');
    return until(async () =>
        page.evaluate(() => ({
            ok: !!window.conclave && window.conclave.pc.connectionState === 'connected',
        })),
    );
}

async function run(base, browser) {
    const room = `i18n-${Date.now().toString(36)}`;

    // ---- the landing page, chosen from the browser's language ----
    const ana = await newPerson(browser, base, 'fr-FR');
    await checkWords(ana.page, 'fr', 'French browser, landing page');
    const bea = await newPerson(browser, base, 'en-US');
    await checkWords(bea.page, 'en', 'English browser, landing page');

    // ---- the switch: at once, stored, remembered ----
    await ana.page.evaluate(() => {
        window.__noReload = true;
    });
    await ana.page.selectOption('#lang-landing', 'en');
    await checkWords(ana.page, 'en', 'French browser, English chosen on the landing page');
    const kept = await ana.page.evaluate(() => ({
        noReload: window.__noReload === true,
        stored: localStorage.getItem('conclave.lang'),
    }));
    check(
        kept.noReload && kept.stored === 'en',
        'the switch works without a reload and is stored in localStorage conclave.lang',
        JSON.stringify(kept),
    );
    await ana.page.reload();
    await checkWords(ana.page, 'en', 'French browser after a reload: the choice holds');
    await ana.page.selectOption('#lang-landing', 'fr');
    await checkWords(ana.page, 'fr', 'French chosen again');

    // ---- pre-join and call in French, audio only ----
    const commands = [];
    ana.page.on('request', (r) => {
        if (r.method() === 'POST' && /\/command$/.test(r.url())) {
            commands.push(r.postData() || '');
        }
    });
    await ana.page.evaluate((r) => {
        location.hash = `#/r/${r}`;
    }, room);
    await ana.page.waitForSelector('#view-prejoin:not([hidden])', { timeout: WAIT_MS });
    await until(async () => ({
        ok: (await ana.page.$$eval('#camera-select option', (o) => o.length)) >= 1,
    }));
    await checkWords(ana.page, 'fr', 'pre-join screen');
    const joined = await join(ana.page, room, 'Ana', { lowData: true });
    check(joined.ok, 'Ana joins in French with "audio only"', `after ${joined.ms} ms`);
    const receive = await until(async () => ({
        ok: commands.some((c) => {
            try {
                const o = JSON.parse(c);
                return o.type === 'receive' && o.video === false;
            } catch {
                return false;
            }
        }),
    }));
    check(
        receive.ok,
        'the call POSTs {"type":"receive","video":false} after the join',
        commands.join(' '),
    );
    const audioOnly = await until(async () =>
        ana.page.evaluate(() => {
            const note = document.getElementById('low-data-note');
            const video = document.getElementById('remote-video');
            return {
                ok: !note.hidden && video.hidden && !video.srcObject,
                note: note.textContent.trim(),
                stored: localStorage.getItem('conclave.lowdata'),
            };
        }),
    );
    check(
        audioOnly.ok && audioOnly.value.stored === '1',
        'audio only: the notice shows instead of the picture, and the choice is remembered',
        JSON.stringify(audioOnly.value),
    );
    await ana.page.click('#show-settings');
    await checkWords(ana.page, 'fr', 'in the call, settings open');
    await ana.page.evaluate(() => {
        window.__noReload = true;
    });
    await ana.page.selectOption('#lang-call', 'en');
    const stillIn = await ana.page.evaluate(
        () => window.__noReload === true && !!window.conclave,
    );
    await checkWords(ana.page, 'en', 'in the call, English chosen in the settings');
    check(stillIn, 'the call goes on through the switch (no reload)', String(stillIn));
    const line = await ana.page.evaluate(() =>
        document.getElementById('status').textContent.trim(),
    );
    check(
        line !== en['status.idle'] && line !== fr['status.idle'],
        "the switch says the call's status line again (not the page's first words)",
        JSON.stringify(line),
    );

    // ---- switching camera and microphone during the call ----
    const okJoin = await join(bea.page, room, 'Bea');
    check(okJoin.ok, 'Bea joins in English', `after ${okJoin.ms} ms`);
    await bea.page.click('#show-settings');
    const senders = () =>
        bea.page.evaluate(async () => {
            const pc = window.conclave.pc;
            const out = { url: window.conclave.sessionUrl, bytes: 0 };
            for (const s of pc.getSenders()) {
                if (s.track) {
                    out[s.track.kind] = s.track.id;
                }
            }
            (await pc.getStats()).forEach((r) => {
                if (r.type === 'outbound-rtp' && r.kind === 'video') {
                    out.bytes += r.bytesSent || 0;
                }
            });
            return out;
        });
    const start = (await senders()).bytes;
    const flowing = await until(async () => {
        const b = (await senders()).bytes;
        return { ok: b > start + 5000, b };
    });
    check(
        flowing.ok,
        'Bea sends video before the switch (outbound-rtp bytesSent grows)',
        `${start} -> ${flowing.value.b} bytes in ${flowing.ms} ms`,
    );
    const before = await senders();
    const options = await bea.page.$$eval('#call-camera-select option', (os) =>
        os.map((o) => ({ value: o.value, selected: o.selected, label: o.textContent })),
    );
    const mics = await bea.page.$$eval('#call-mic-select option', (os) =>
        os.map((o) => ({ value: o.value, selected: o.selected })),
    );
    check(
        options.length >= 3 && mics.length >= 2,
        'the settings list the fake cameras and microphones',
        `${options.length} cameras, ${mics.length} microphones`,
    );
    const other = options.find((o) => !o.selected && o.label === 'fake_device_2');
    const otherMic = mics.find((o) => !o.selected);
    if (other && otherMic) {
        await bea.page.selectOption('#call-camera-select', other.value);
        await bea.page.selectOption('#call-mic-select', otherMic.value);
        const switched = await until(async () => {
            const now = await senders();
            const ok = now.video && now.video !== before.video && now.audio !== before.audio;
            return { ok, now };
        });
        check(
            switched.ok && switched.value.now.url === before.url,
            'camera and microphone switched: both senders have new tracks, on the same session',
            `video ${before.video} -> ${switched.value.now.video}, audio ${before.audio} -> ` +
                `${switched.value.now.audio}`,
        );
        const base0 = (await senders()).bytes;
        const flows = await until(async () => {
            const b = (await senders()).bytes;
            return { ok: b > base0 + 5000, b };
        });
        check(
            flows.ok,
            'video keeps flowing after the switch (outbound-rtp bytesSent grows)',
            `${base0} -> ${flows.value.b} bytes in ${flows.ms} ms`,
        );
    }
    check(
        ana.errors.length === 0 && bea.errors.length === 0,
        'no script error in either page',
        [...ana.errors, ...bea.errors].slice(0, 3).join(' | '),
    );
    await ana.page.click('#leave');
    await bea.page.click('#leave');
}

async function main() {
    const base = (process.argv[2] || '').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(base)) {
        console.log('usage: node i18n.mjs http://127.0.0.1:PORT');
        return 2;
    }
    let browser = null;
    const watchdog = setTimeout(() => {
        check(false, `the whole run finished within ${WATCHDOG_MS / 1000} s`);
        process.exit(T.finish());
    }, WATCHDOG_MS);
    try {
        browser = await chromium.launch({
            executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
            args: ARGS,
            timeout: 15000,
        });
        await run(base, browser);
    } catch (e) {
        check(false, 'test ran to its end', e.stack || e.message);
    } finally {
        if (browser) {
            await browser.close().catch(() => {});
        }
        clearTimeout(watchdog);
    }
    return T.finish();
}

process.exitCode = await main();
