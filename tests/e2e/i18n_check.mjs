// i18n_check.mjs - the browser client's words all come from its message
// catalogues (www/js/i18n/*.js, see www/js/i18n.js), without a browser:
//  - every catalogue has the same keys, and each key the same placeholders
//    ({name}) in every language (all plural forms together);
//  - every key the page uses exists: t('key') and the other calls that take
//    a key (setText, showStageNote, ...) in www/js, data-i18n* in index.html;
//  - every error code the server sends (the third argument of
//    cv_api_fail(rs, status, "code", ...) in signaling/*.c) has its phrase
//    error.<code> in every catalogue;
//  - no text reaches the page outside the catalogues: in www/js, no string or
//    template literal with letters assigned to textContent, innerText,
//    innerHTML, title, placeholder, or set as aria-label, title, placeholder
//    or alt, or given to say() and the other calls that put words on the
//    page; in index.html, no text and no aria-label, title, placeholder or
//    alt without its data-i18n mark (a few non-words excepted).
// Then it checks itself: copies of the tree with one fault each must fail
// the rule that fault breaks.
// Usage: node tests/e2e/i18n_check.mjs [repo root]. Prints
// "i18n-check: N passed, M failed".

import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ALLOWED_TEXT = new Set(['conclave', '×', '—', '–']);
const DOM_PROPS = new Set(['textContent', 'innerText', 'innerHTML', 'title', 'placeholder']);
const DOM_ATTRS = new Set(['aria-label', 'title', 'placeholder', 'alt']);
// calls that put words on the page: the arguments that are words
const NOTICES = {
    say: [0],
    showQuality: [1, 2],
    showPresenter: [0],
    stopShare: [1],
    lost: [1],
    retryLater: [1],
    announce: [0],
    leave: [0],
    onEnd: [0],
    interrupt: [2, 3, 4],
};
// calls whose argument is a catalogue key
const KEY_ARGS = {
    t: [0],
    setText: [1],
    showStageNote: [0],
    setStageNoteText: [0],
    showRoomError: [0],
    interrupt: [1],
    mark: [1],
};
const KEY_RE = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;
const COMPARE = new Set(['===', '!==', '==', '!=']);

// Whether toks[i] is compared with something (a value, not words).
function compared(toks, i) {
    const near = [toks[i - 1], toks[i + 1]];
    return near.some((tk) => tk && tk.type === 'p' && COMPARE.has(tk.value));
}
const LETTER_RE = /\p{L}/u;

// ---- a small JavaScript tokenizer: strings, templates, words, punctuation ----

function tokenize(src) {
    const out = [];
    let i = 0;
    const n = src.length;
    let prevSignificant = null;
    while (i < n) {
        const c = src[i];
        if (c === '/' && src[i + 1] === '/') {
            i = src.indexOf('\n', i);
            i = i < 0 ? n : i;
            continue;
        }
        if (c === '/' && src[i + 1] === '*') {
            const e = src.indexOf('*/', i + 2);
            i = e < 0 ? n : e + 2;
            continue;
        }
        if (/\s/.test(c)) {
            i++;
            continue;
        }
        if (c === "'" || c === '"') {
            let j = i + 1;
            let v = '';
            while (j < n && src[j] !== c) {
                if (src[j] === '\\') {
                    v += src[j + 1];
                    j += 2;
                } else {
                    v += src[j++];
                }
            }
            out.push({ type: 'str', value: v, pos: i });
            i = j + 1;
        } else if (c === '`') {
            // static parts and the sources of the ${} parts
            let j = i + 1;
            const parts = [];
            const exprs = [];
            let cur = '';
            while (j < n && src[j] !== '`') {
                if (src[j] === '\\') {
                    cur += src[j + 1];
                    j += 2;
                } else if (src[j] === '$' && src[j + 1] === '{') {
                    let depth = 1;
                    let k = j + 2;
                    while (k < n && depth > 0) {
                        if (src[k] === '{') {
                            depth++;
                        } else if (src[k] === '}') {
                            depth--;
                        } else if (src[k] === '`') {
                            k = src.indexOf('`', k + 1); // a nested template, roughly
                        }
                        k++;
                    }
                    exprs.push(src.slice(j + 2, k - 1));
                    parts.push(cur);
                    cur = '';
                    j = k;
                } else {
                    cur += src[j++];
                }
            }
            parts.push(cur);
            out.push({ type: 'tpl', parts, exprs, pos: i });
            i = j + 1;
        } else if (/[A-Za-z_$]/.test(c)) {
            let j = i;
            while (j < n && /[A-Za-z0-9_$]/.test(src[j])) {
                j++;
            }
            out.push({ type: 'id', value: src.slice(i, j), pos: i });
            i = j;
        } else if (
            c === '/' &&
            prevSignificant &&
            !(prevSignificant.type === 'id' || prevSignificant.type === 'num') &&
            !(prevSignificant.value === ')' || prevSignificant.value === ']')
        ) {
            // a regular expression literal
            let j = i + 1;
            let inClass = false;
            while (j < n && (src[j] !== '/' || inClass)) {
                if (src[j] === '\\') {
                    j++;
                } else if (src[j] === '[') {
                    inClass = true;
                } else if (src[j] === ']') {
                    inClass = false;
                }
                j++;
            }
            j++;
            while (j < n && /[a-z]/.test(src[j])) {
                j++;
            }
            out.push({ type: 're', pos: i });
            i = j;
        } else if (/[0-9]/.test(c)) {
            let j = i;
            while (j < n && /[0-9A-Za-z_.]/.test(src[j])) {
                j++;
            }
            out.push({ type: 'num', value: src.slice(i, j), pos: i });
            i = j;
        } else {
            const two = src.slice(i, i + 3);
            const op = ['===', '!==', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '+=']
                .map((o) => (two.startsWith(o) ? o : null))
                .find((o) => o);
            const v = op || c;
            out.push({ type: 'p', value: v, pos: i });
            i += v.length;
        }
        prevSignificant = out[out.length - 1];
    }
    return out;
}

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);

// The arguments of the call whose '(' is at toks[open]: arrays of tokens,
// and the index after the ')'.
function callArgs(toks, open) {
    const args = [[]];
    let depth = 0;
    let i = open + 1;
    for (; i < toks.length; i++) {
        const tk = toks[i];
        if (tk.type === 'p' && OPEN.has(tk.value)) {
            depth++;
        } else if (tk.type === 'p' && CLOSE.has(tk.value)) {
            if (depth === 0) {
                break;
            }
            depth--;
        } else if (tk.type === 'p' && tk.value === ',' && depth === 0) {
            args.push([]);
            continue;
        }
        args[args.length - 1].push(tk);
    }
    return { args: args.filter((a, k) => a.length > 0 || k < args.length - 1), end: i + 1 };
}

// The tokens of the expression that starts at toks[from] (up to ; or a
// comma or closing bracket of the enclosing level).
function expression(toks, from) {
    const out = [];
    let depth = 0;
    for (let i = from; i < toks.length; i++) {
        const tk = toks[i];
        if (tk.type === 'p' && OPEN.has(tk.value)) {
            depth++;
        } else if (tk.type === 'p' && CLOSE.has(tk.value)) {
            if (depth === 0) {
                break;
            }
            depth--;
        } else if (tk.type === 'p' && (tk.value === ';' || tk.value === ',') && depth === 0) {
            break;
        }
        out.push(tk);
    }
    return out;
}

const TRANSLATING = new Set(['t', 'setText', 'statusText', 'errorText', 'deviceErrorText']);

// Literals with letters in `toks` that no translating call wraps.
function wordsIn(toks) {
    const found = [];
    for (let i = 0; i < toks.length; i++) {
        const tk = toks[i];
        if (
            tk.type === 'id' &&
            TRANSLATING.has(tk.value) &&
            toks[i + 1] &&
            toks[i + 1].value === '('
        ) {
            // skip the translating call's arguments
            let depth = 0;
            let j = i + 1;
            for (; j < toks.length; j++) {
                if (toks[j].type === 'p' && OPEN.has(toks[j].value)) {
                    depth++;
                } else if (toks[j].type === 'p' && CLOSE.has(toks[j].value)) {
                    depth--;
                    if (depth === 0) {
                        break;
                    }
                }
            }
            i = j;
            continue;
        }
        if (
            tk.type === 'str' &&
            LETTER_RE.test(tk.value) &&
            !ALLOWED_TEXT.has(tk.value.trim()) &&
            !compared(toks, i)
        ) {
            found.push(tk.value);
        } else if (tk.type === 'tpl') {
            if (tk.parts.some((p) => LETTER_RE.test(p))) {
                found.push(tk.parts.join('${…}'));
            }
            for (const e of tk.exprs) {
                found.push(...wordsIn(tokenize(e)));
            }
        }
    }
    return found;
}

function lineOf(src, pos) {
    return src.slice(0, pos).split('\n').length;
}

function jsFiles(dir) {
    const out = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
            if (e.name !== 'i18n') {
                out.push(...jsFiles(p));
            }
        } else if (e.name.endsWith('.js')) {
            out.push(p);
        }
    }
    return out.sort();
}

// Keys and words of the scripts: { keys: [{key, where}], words: [{text, where}] }.
export function scanScripts(root) {
    const keys = [];
    const words = [];
    for (const file of jsFiles(join(root, 'www/js'))) {
        const src = readFileSync(file, 'utf8');
        const rel = file.slice(root.length + 1);
        const toks = tokenize(src);
        for (let i = 0; i < toks.length; i++) {
            const tk = toks[i];
            if (tk.type !== 'id') {
                continue;
            }
            const where = `${rel}:${lineOf(src, tk.pos)}`;
            const prev = toks[i - 1];
            const next = toks[i + 1];
            const declared = prev && prev.type === 'id' && prev.value === 'function';
            if (next && next.value === '(' && !declared) {
                const { args } = callArgs(toks, i + 1);
                for (const k of (Object.hasOwn(KEY_ARGS, tk.value) && KEY_ARGS[tk.value]) || []) {
                    const arg = args[k] || [];
                    for (let j = 0; j < arg.length; j++) {
                        const a = arg[j];
                        if (a.type === 'str' && !compared(arg, j)) {
                            if (KEY_RE.test(a.value)) {
                                keys.push({ key: a.value, where });
                            } else if (LETTER_RE.test(a.value)) {
                                words.push({ text: a.value, where: `${where} (not a key)` });
                            }
                        }
                    }
                }
                if (tk.value !== 't') {
                    for (const k of (Object.hasOwn(NOTICES, tk.value) && NOTICES[tk.value]) || []) {
                        for (const w of wordsIn(args[k] || [])) {
                            words.push({ text: w, where: `${where} ${tk.value}()` });
                        }
                    }
                }
                if (tk.value === 'setAttribute' && args[0] && args[0][0]) {
                    const a0 = args[0][0];
                    if (a0.type === 'str' && DOM_ATTRS.has(a0.value)) {
                        for (const w of wordsIn(args[1] || [])) {
                            words.push({ text: w, where: `${where} ${a0.value}` });
                        }
                    }
                }
            }
            if (
                DOM_PROPS.has(tk.value) &&
                prev &&
                prev.value === '.' &&
                next &&
                (next.value === '=' || next.value === '+=')
            ) {
                for (const w of wordsIn(expression(toks, i + 2))) {
                    words.push({ text: w, where: `${where} .${tk.value}` });
                }
            }
        }
    }
    return { keys, words };
}

// ---- index.html: marks and unmarked words ----

const VOID = new Set(['meta', 'link', 'input', 'br', 'img', 'hr', 'source', 'track', 'wbr']);

function attrsOf(tag) {
    const attrs = {};
    const re = /([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*("([^"]*)"|'([^']*)'|[^\s"'>]+))?/g;
    const body = tag.replace(/^<\s*[A-Za-z0-9]+/, '').replace(/\/?>$/, '');
    let m;
    while ((m = re.exec(body))) {
        attrs[m[1].toLowerCase()] = m[3] ?? m[4] ?? m[2] ?? '';
    }
    return attrs;
}

export function scanHtml(root) {
    const src = readFileSync(join(root, 'www/index.html'), 'utf8');
    const keys = [];
    const words = [];
    const stack = [];
    const re = /<!--[\s\S]*?-->|<![^>]*>|<\/?[A-Za-z][^>]*>|[^<]+/g;
    let m;
    while ((m = re.exec(src))) {
        const s = m[0];
        const where = `www/index.html:${lineOf(src, m.index)}`;
        if (s.startsWith('<!')) {
            continue;
        }
        if (s.startsWith('</')) {
            const name = s.slice(2).replace(/[\s>].*$/s, '').toLowerCase();
            while (stack.length && stack.pop().name !== name) {
                // an element closed implicitly
            }
            continue;
        }
        if (s.startsWith('<')) {
            const name = s.slice(1).replace(/[\s/>].*$/s, '').toLowerCase();
            const attrs = attrsOf(s);
            for (const [a, v] of Object.entries(attrs)) {
                if (a.startsWith('data-i18n') && a !== 'data-i18n-args') {
                    keys.push({ key: v, where });
                }
                if (DOM_ATTRS.has(a) && !(`data-i18n-${a}` in attrs)) {
                    if (LETTER_RE.test(v) && !ALLOWED_TEXT.has(v.trim())) {
                        words.push({ text: v, where: `${where} ${a}` });
                    }
                }
            }
            if (!VOID.has(name) && !s.endsWith('/>')) {
                stack.push({ name, attrs });
            }
            continue;
        }
        const text = s.replace(/\s+/g, ' ').trim();
        const top = stack[stack.length - 1];
        if (
            text === '' ||
            ALLOWED_TEXT.has(text) ||
            !LETTER_RE.test(text) ||
            (top && (top.name === 'script' || top.name === 'style'))
        ) {
            continue;
        }
        if (!top || !('data-i18n' in top.attrs)) {
            words.push({ text, where });
        }
    }
    return { keys, words };
}

// ---- the server's error codes ----

export function serverCodes(root) {
    const codes = [];
    const dir = join(root, 'signaling');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.c')).sort()) {
        const src = readFileSync(join(dir, f), 'utf8');
        const re = /\bcv_api_fail\s*\(\s*[^,()]+,\s*[^,]+,\s*"([^"]*)"/g;
        let m;
        while ((m = re.exec(src))) {
            codes.push({ code: m[1], where: `signaling/${f}:${lineOf(src, m.index)}` });
        }
    }
    return codes;
}

// ---- the catalogues ----

function placeholders(entry) {
    const texts = typeof entry === 'string' ? [entry] : Object.values(entry || {});
    const set = new Set();
    for (const s of texts) {
        for (const m of String(s).matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)) {
            set.add(m[1]);
        }
    }
    return [...set].sort().join(',');
}

async function loadCatalogues(root) {
    const dir = join(root, 'www/js/i18n');
    const cats = {};
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.js')).sort()) {
        const mod = await import(`${pathToFileURL(join(dir, f)).href}?${Date.now()}`);
        cats[f.replace(/\.js$/, '')] = mod.default;
    }
    return cats;
}

// Every rule's problems: { rule: [text] }.
export async function audit(root) {
    const cats = await loadCatalogues(root);
    const langs = Object.keys(cats);
    const problems = {
        'every catalogue has the same keys': [],
        'every key has the same placeholders in every language': [],
        'plural forms are objects with an "other" form': [],
        'every key used in www/js and index.html is in the catalogues': [],
        "every server error code has its phrase error.<code>": [],
        'no words reach the page outside the catalogues': [],
    };
    const all = new Set(langs.flatMap((l) => Object.keys(cats[l])));
    for (const k of all) {
        const missing = langs.filter((l) => !(k in cats[l]));
        if (missing.length) {
            problems['every catalogue has the same keys'].push(`${k}: not in ${missing}`);
            continue;
        }
        const ph = new Set(langs.map((l) => placeholders(cats[l][k])));
        if (ph.size > 1) {
            problems['every key has the same placeholders in every language'].push(
                `${k}: ${langs.map((l) => `${l} {${placeholders(cats[l][k])}}`).join(', ')}`,
            );
        }
        for (const l of langs) {
            const e = cats[l][k];
            if (typeof e === 'object' && (e === null || typeof e.other !== 'string')) {
                problems['plural forms are objects with an "other" form'].push(`${l} ${k}`);
            } else if (typeof e !== 'string' && typeof e !== 'object') {
                problems['plural forms are objects with an "other" form'].push(`${l} ${k}`);
            }
        }
    }
    const js = scanScripts(root);
    const html = scanHtml(root);
    for (const { key, where } of [...js.keys, ...html.keys]) {
        const missing = langs.filter((l) => !(key in cats[l]));
        if (missing.length) {
            problems['every key used in www/js and index.html is in the catalogues'].push(
                `${key} (${where}): not in ${missing}`,
            );
        }
    }
    for (const { code, where } of serverCodes(root)) {
        if (!/^[a-z][a-z0-9-]*$/.test(code)) {
            problems["every server error code has its phrase error.<code>"].push(
                `"${code}" (${where}) is not a code of [a-z][a-z0-9-]*`,
            );
            continue;
        }
        const missing = langs.filter((l) => !(`error.${code}` in cats[l]));
        if (missing.length) {
            problems["every server error code has its phrase error.<code>"].push(
                `error.${code} (${where}): not in ${missing}`,
            );
        }
    }
    for (const { text, where } of [...js.words, ...html.words]) {
        problems['no words reach the page outside the catalogues'].push(
            `${where}: ${JSON.stringify(text)}`,
        );
    }
    return { problems, counts: { js, html, langs, keys: all.size } };
}

// ---- the run ----

function report() {
    let passed = 0;
    let failed = 0;
    return {
        check(ok, what, detail = '') {
            ok ? passed++ : failed++;
            console.log(`${ok ? 'ok' : 'not ok'} - ${what}${detail ? ` (${detail})` : ''}`);
        },
        finish(name) {
            console.log(`${name}: ${passed} passed, ${failed} failed`);
            return failed === 0 && passed > 0 ? 0 : 1;
        },
    };
}

// A copy of the parts of the tree the audit reads, changed by edit(dir).
async function faulty(root, edit) {
    const dir = mkdtempSync(join(tmpdir(), 'conclave-i18n-'));
    try {
        cpSync(join(root, 'www'), join(dir, 'www'), { recursive: true });
        cpSync(join(root, 'signaling'), join(dir, 'signaling'), {
            recursive: true,
            filter: (p) => !/\.(o|d)$/.test(p),
        });
        edit(dir);
        return await audit(dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

function change(dir, rel, from, to) {
    const p = join(dir, rel);
    const s = readFileSync(p, 'utf8');
    if (!s.includes(from)) {
        throw new Error(`${rel} has no ${JSON.stringify(from)} to change`);
    }
    writeFileSync(p, s.replace(from, to));
}

async function main() {
    const root = process.argv[2] || new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
    const T = report();
    const { problems, counts } = await audit(root);
    console.log(
        `# ${counts.langs.join(', ')}: ${counts.keys} keys; www/js uses ${counts.js.keys.length} ` +
            `literal keys, index.html ${counts.html.keys.length} marks`,
    );
    for (const [rule, list] of Object.entries(problems)) {
        T.check(list.length === 0, rule, list.slice(0, 12).join('; '));
    }
    T.check(
        counts.js.keys.length > 100 && counts.html.keys.length > 60,
        'the scan finds the keys of the scripts and the marks of the page',
        `${counts.js.keys.length} and ${counts.html.keys.length}`,
    );

    // each fault must be found by its rule
    const faults = [
        [
            'a key missing from one catalogue',
            'every catalogue has the same keys',
            (d) => change(d, 'www/js/i18n/fr.js', "    'chat.send': 'Envoyer',\n", ''),
        ],
        [
            'a placeholder renamed in one language',
            'every key has the same placeholders in every language',
            (d) =>
                change(d, 'www/js/i18n/fr.js', "'{name} a rejoint", "'{nom} a rejoint"),
        ],
        [
            'a key used by a script and in no catalogue',
            'every key used in www/js and index.html is in the catalogues',
            (d) => change(d, 'www/js/share.js', "t('share.on')", "t('share.on-now')"),
        ],
        [
            'a mark of the page naming no key',
            'every key used in www/js and index.html is in the catalogues',
            (d) => change(d, 'www/index.html', 'data-i18n="left.home"', 'data-i18n="left.away"'),
        ],
        [
            'a server error code without its phrase',
            "every server error code has its phrase error.<code>",
            (d) =>
                writeFileSync(
                    join(d, 'signaling/zz_fault.c'),
                    'void f(void) { cv_api_fail(rs, 409, "room-on-fire", "on fire"); }\n',
                ),
        ],
        [
            'a literal given to textContent',
            'no words reach the page outside the catalogues',
            (d) =>
                change(
                    d,
                    'www/js/panel.js',
                    "who.textContent = str(d.name) || t('people.someone');",
                    "who.textContent = str(d.name) || 'Someone';",
                ),
        ],
        [
            'a template literal said in the status line',
            'no words reach the page outside the catalogues',
            (d) => change(d, 'www/js/share.js', "say(t('share.wait')", 'say(`Wait ${1} s`'),
        ],
        [
            'a literal set as aria-label',
            'no words reach the page outside the catalogues',
            (d) =>
                change(
                    d,
                    'www/js/breakout.js',
                    "b.setAttribute('aria-label', t('breakout.visit-group', { group: g.group }));",
                    "b.setAttribute('aria-label', `Visit group ${g.group}`);",
                ),
        ],
        [
            'text of the page without its mark',
            'no words reach the page outside the catalogues',
            (d) =>
                change(d, 'www/index.html', ' data-i18n="left.title">You', '>You'),
        ],
        [
            'a placeholder attribute without its mark',
            'no words reach the page outside the catalogues',
            (d) =>
                change(
                    d,
                    'www/index.html',
                    'data-i18n-placeholder="chat.placeholder"',
                    'data-x="chat.placeholder"',
                ),
        ],
    ];
    for (const [what, rule, edit] of faults) {
        let found = [];
        try {
            const r = await faulty(root, edit);
            found = r.problems[rule].filter((x) => !problems[rule].includes(x));
        } catch (e) {
            found = [];
            console.log(`# ${what}: ${e.message}`);
        }
        T.check(found.length > 0, `the check finds ${what}`, found.slice(0, 2).join('; '));
    }
    return T.finish('i18n-check');
}

process.exitCode = await main();
