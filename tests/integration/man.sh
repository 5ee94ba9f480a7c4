#!/usr/bin/env bash
# man.sh - the manual pages render without a warning (groff -ww, and man
# --warnings as a reader would see them), and they stay true to the source:
#   - every key of the table in signaling/config.c is documented in
#     man/conclave.ini.5 (in its section, with its default) and listed in
#     conclave.ini.example (commented out in its section, under a comment,
#     at its default value where config.c's defaults give a literal);
#   - every option of main.c's getopt string, every signal main.c waits for,
#     and every path segment the router of signaling/api_routes.c compares with,
#     appears in man/conclave.8.
# A failure names the missing key, option, signal or route.
# Ends with "man: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1

it_name=man
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
for tool in groff man python3; do
    command -v "$tool" >/dev/null || {
        bad "$tool is installed (make deps)"
        it_finish
    }
done
it_setup conclave-man
tmp=$it_tmp

# ---- rendering ----
for page in man/conclave.8 man/conclave.ini.5; do
    LC_ALL=C.UTF-8 groff -ww -man -Tutf8 "$page" >"$tmp/out" 2>"$tmp/err"
    if [ -s "$tmp/out" ] && ! [ -s "$tmp/err" ]; then
        ok "groff -ww -man renders $page without a warning"
    else
        bad "groff -ww -man renders $page without a warning: $(head -3 "$tmp/err" | tr '\n' ' ')"
    fi
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >"$tmp/out" 2>"$tmp/err"
    if [ -s "$tmp/out" ] && ! [ -s "$tmp/err" ]; then
        ok "man --warnings -l $page: no warning"
    else
        bad "man --warnings -l $page: no warning: $(head -3 "$tmp/err" | tr '\n' ' ')"
    fi
done

# ---- the pages against the source ----
# plain text of conclave.8 for the route, option and signal checks
LC_ALL=C.UTF-8 MANWIDTH=200 man -l man/conclave.8 2>/dev/null | col -b >"$tmp/conclave.8.txt"
python3 - "$tmp/conclave.8.txt" >"$tmp/py.out" <<'EOF'
import re
import sys

failures = 0


def result(good, what):
    global failures
    print(("ok - " if good else "not ok - ") + what)
    failures += 0 if good else 1


config = open("signaling/config.c").read()
table = re.search(r"static const struct key keys\[\] = \{(.*?)\n\};", config, re.S)
keys = re.findall(r'\{"([a-z_]+)", "([a-z_]+)", (K_[A-Z0-9_]+), FIELD\((\w+)\)', table.group(1)) \
    if table else []
result(len(keys) >= 10, "found the key table of signaling/config.c (%d keys)" % len(keys))

# literal defaults of cv_config_defaults(): field -> text of the value
body = re.search(r"void cv_config_defaults\(cv_config_t \*c\)\n\{(.*?)\n\}", config, re.S)
defaults = {}
text_d = body.group(1) if body else ""
for f, v in re.findall(r"c->(\w+) = ([^;]+);", text_d):
    defaults[f] = v.strip()
for f, v in re.findall(r'snprintf\(c->(\w+), sizeof\(c->\w+\), "([^"%]*)"\);', text_d):
    defaults[f] = '"' + v + '"'
for f in re.findall(r"c->(\w+)\[0\] = '\\0';", text_d):
    defaults[f] = '""'
# a field set in more than one place depends on a condition: no literal default
for f in list(defaults):
    if len(re.findall(r"(?<!sizeof\()c->" + f + r"\b", text_d)) > 1:
        del defaults[f]


# the kinds whose value may be empty (on_pair refuses an empty value otherwise)
m = re.search(r"if \(!\*value && ([^)]*)\)", config)
empty_ok = set(re.findall(r"k->kind != (K_\w+)", m.group(1))) if m else set()


def default_text(kind, field):
    """The default as conclave.ini would write it, or None if not a literal."""
    v = defaults.get(field)
    if v is None:
        return None
    if re.fullmatch(r"-?\d+", v):
        if kind == "K_BOOL":
            return "yes" if v != "0" else "no"
        return v
    if re.fullmatch(r'"[^"]*"', v):
        return v[1:-1]
    m = re.fullmatch(r"CV_LOG_([A-Z]+)", v)
    if m and kind == "K_LEVEL":
        return m.group(1).lower()
    return None


def unroff(s):
    return re.sub(r"\\f[BIRP]|\\&|\\%", "", s).replace("\\-", "-")


# conclave.ini.5: per section, the items (.TP/.TQ groups) and their text
page5 = open("man/conclave.ini.5").read().split("\n")
documented = {}  # (section, key) -> item text
section = None
item_keys = []
item_text = []


def close_item():
    for k in item_keys:
        documented[(section, k)] = " ".join(item_text)


prev = ""
for line in page5:
    m = re.match(r"\.SS \[(\w+)\]", line)
    if m or line.startswith(".SH") or line.startswith(".SS"):
        close_item()
        item_keys, item_text = [], []
        section = m.group(1) if m else None
    elif line.startswith(".TP"):
        close_item()
        item_keys, item_text = [], []
    elif prev.startswith((".TP", ".TQ")) and section:
        m = re.match(r"\.B[IR]?\s+\"?([a-z_]+)", line)
        if m:
            item_keys.append(m.group(1))
    else:
        item_text.append(unroff(line))
    prev = line
close_item()

example = open("conclave.ini.example").read().split("\n")
ex_section = None
ex = {}  # (section, key) -> (value, comment above it)
last_comment = ""
for line in example:
    m = re.match(r"\[(\w+)\]\s*$", line)
    if m:
        ex_section = m.group(1)
        last_comment = ""
        continue
    m = re.match(r";\s?([a-z_]+) =(?: (.*))?$", line)
    if m and ex_section:
        ex[(ex_section, m.group(1))] = ((m.group(2) or "").strip(), last_comment)
        continue
    if line.startswith(";") and ex_section:
        last_comment = line
    elif not line.strip():
        last_comment = ""

for sec, name, kind, field in keys:
    key = "[%s] %s" % (sec, name)
    text = documented.get((sec, name))
    result(text is not None, "%s is documented in man/conclave.ini.5 under .SS [%s]" % (key, sec))
    if text is not None:
        result("default" in text.lower(), "%s has a default in man/conclave.ini.5" % key)
    entry = ex.get((sec, name))
    result(entry is not None, "%s is in conclave.ini.example, as ';%s = ...' in [%s]" % (key, name, sec))
    if entry is None:
        continue
    value, comment = entry
    result(bool(comment), "%s has a comment above it in conclave.ini.example" % key)
    want = default_text(kind, field)
    if want == "" and kind not in empty_ok:
        want = None  # an empty value is refused: the example shows one instead
    if want is not None:
        result(value == want, "%s is at its default '%s' in conclave.ini.example (found '%s')" % (key, want, value))
        if text is not None:
            result(want == "" or re.search(r"(^|[\s(])" + re.escape(want) + r"([\s.,;)]|$)", text) is not None,
                   "man/conclave.ini.5 gives %s's default %s" % (key, want or "(empty)"))

# conclave.8 against main.c and api_routes.c
page8 = open(sys.argv[1]).read()
main = open("signaling/main.c").read()
m = re.search(r'getopt\(argc, argv, "([^"]+)"\)', main)
result(m is not None, "found the getopt string of signaling/main.c")
for opt in re.findall(r"[A-Za-z]", m.group(1) if m else ""):
    result(re.search(r"(^|\s)-" + opt + r"\b", page8, re.M) is not None, "option -%s is in conclave(8)" % opt)
signals = sorted(set(re.findall(r"sigaddset\(&\w+, (SIG[A-Z0-9]+)\)", main)))
result(len(signals) > 0, "found the signals main.c waits for (%s)" % " ".join(signals))
sig_section = re.search(r"^SIGNALS\n(.*?)^\S", page8, re.M | re.S)
for s in signals:
    result(sig_section is not None and s in sig_section.group(1), "%s is in SIGNALS of conclave(8)" % s)

api = open("signaling/api_routes.c").read()
segs = sorted(set(re.findall(r'str(?:n)?cmp\((?:p|path|what|rest|tail|sub), "([^"]+)"', api)))
result(len(segs) >= 5, "found the router's path segments in signaling/api_routes.c (%d)" % len(segs))
iface = re.search(r"^HTTP INTERFACE\n(.*?)^[A-Z][A-Z ]+\n", page8, re.M | re.S)
iface_text = iface.group(1) if iface else ""
for seg in segs:
    want = seg if seg.startswith("/") else "/" + seg
    result(want in iface_text, "route segment '%s' (api_routes.c) is in HTTP INTERFACE of conclave(8)" % want)

print("# python checks: %d failed" % failures)
EOF
python_rc=$?
cat "$tmp/py.out"
passed=$((passed + $(grep -c '^ok - ' "$tmp/py.out")))
failed=$((failed + $(grep -c '^not ok - ' "$tmp/py.out")))
[ "$python_rc" = 0 ] || bad "the source checks ran (python3 exit $python_rc)"
it_finish
