#!/usr/bin/env bash
# The static files of the browser client (conclave(8), Static files), served
# from a copy of www/: gzip to a client that accepts it, the same bytes once
# decoded; none to one that does not; ETag and If-None-Match (304);
# Cache-Control; Vary; HEAD with the Content-Length of the GET; a changed
# file gets a new ETag and new bytes. Also: index.html preloads exactly the
# modules js/app.js imports (directly or not). Runs in its own network
# namespace (unshare -n, loopback only). Ends with "static: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
it_name=static
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
command -v python3 >/dev/null || { bad "python3 is installed"; it_finish; }
it_netns "$@"
it_setup conclave-static
tmp=$it_tmp

# ---- module preloading: the <link rel="modulepreload"> of index.html are the
# modules app.js reaches through its static imports ----
python3 - "$root/www" >"$tmp/preload" 2>&1 <<'EOF'
import os, re, sys
www = sys.argv[1]
seen, todo = set(), ['app.js']
while todo:
    src = open(os.path.join(www, 'js', todo.pop()), encoding='utf-8').read()
    for m in re.finditer(r"""(?:\bfrom|^\s*import)\s*['"]\./([^'"]+)['"]""", src, re.M):
        if m.group(1) not in seen:
            seen.add(m.group(1))
            todo.append(m.group(1))
seen.discard('app.js')
html = open(os.path.join(www, 'index.html'), encoding='utf-8').read()
head = html[:html.find('</head>')]
listed = re.findall(r'<link rel="modulepreload" href="js/([^"]+)"', head)
want = sorted(seen)
if len(listed) != len(set(listed)):
    print('listed twice:', sorted({x for x in listed if listed.count(x) > 1}))
for m in sorted(set(want) - set(listed)):
    print('not preloaded:', m)
for m in sorted(set(listed) - set(want)):
    print('preloaded but not imported:', m)
print('modules:', len(want))
EOF
if grep -q '^modules: [1-9]' "$tmp/preload" && ! grep -qv '^modules:' "$tmp/preload"; then
    ok "index.html preloads the $(sed -n 's/^modules: //p' "$tmp/preload") modules app.js imports"
else
    bad "index.html modulepreload list: $(paste -sd ';' "$tmp/preload")"
fi

# ---- the daemon, on a copy of www/ ----
cp -r "$root/www" "$tmp/www"
port=8080
{
    it_ini "$port"
    printf '[http]\nwww = %s\n' "$tmp/www"
} >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
it_daemon "$tmp/conclave.ini" "$base"

# get NAME METHOD PATH [curl args]: body in $tmp/NAME, headers in $tmp/NAME.h
# (no CR); status in $status
get() {
    local name=$1 method=$2 path=$3
    shift 3
    local how=(-X "$method" -o "$tmp/$name")
    [ "$method" = HEAD ] && how=(-I -o /dev/null) # curl -I prints the headers as the body
    status=$(curl -s --noproxy '*' --max-time 10 "${how[@]}" -D "$tmp/$name.hr" -w '%{http_code}' \
        "$@" "$base$path")
    tr -d '\r' <"$tmp/$name.hr" >"$tmp/$name.h"
}
hdr() { # NAME HEADER: its value, "" if none
    sed -n "s/^$2: *//Ip" "$tmp/$1.h" | tail -n 1
}
# decoded NAME FILE: the gzip body NAME decodes to the bytes of FILE
decoded() {
    python3 -c 'import gzip,sys; sys.exit(gzip.decompress(open(sys.argv[1],"rb").read()) != open(sys.argv[2],"rb").read())' \
        "$tmp/$1" "$2" 2>/dev/null
}

for f in index.html js/app.js js/call.js style.css; do
    path=/$f
    [ "$f" = index.html ] && path=/
    get gz GET "$path" -H 'Accept-Encoding: gzip, deflate, br'
    check "GET $path (gzip accepted) -> 200 ($status)" '[ "$status" = 200 ]'
    check "GET $path is gzipped" '[ "$(hdr gz Content-Encoding)" = gzip ]'
    check "GET $path gzipped decodes to the file's bytes" "decoded gz '$tmp/www/$f'"
    size=$(stat -c %s "$tmp/www/$f")
    check "GET $path gzipped is smaller ($(stat -c %s "$tmp/gz") < $size bytes)" \
        "[ $(stat -c %s "$tmp/gz") -lt $size ]"
    check "GET $path has Vary: Accept-Encoding" '[ "$(hdr gz Vary)" = Accept-Encoding ]'
    get id GET "$path"
    check "GET $path without Accept-Encoding is not encoded" '[ -z "$(hdr id Content-Encoding)" ]'
    check "GET $path without Accept-Encoding is the file's bytes" "cmp -s '$tmp/id' '$tmp/www/$f'"
    check "GET $path: the two encodings have different ETags" \
        '[ -n "$(hdr id ETag)" ] && [ "$(hdr id ETag)" != "$(hdr gz ETag)" ]'
    # HEAD: the Content-Length of the GET
    get hgz HEAD "$path" -H 'Accept-Encoding: gzip'
    check "HEAD $path (gzip) Content-Length = the GET's body ($(hdr hgz Content-Length))" \
        '[ "$(hdr hgz Content-Length)" = "$(stat -c %s "$tmp/gz")" ]'
    get hid HEAD "$path"
    check "HEAD $path Content-Length = the file's size ($(hdr hid Content-Length))" \
        '[ "$(hdr hid Content-Length)" = "$size" ]'
    # If-None-Match with the ETag of each encoding -> 304 without a body
    get c304 GET "$path" -H 'Accept-Encoding: gzip' -H "If-None-Match: $(hdr gz ETag)"
    check "GET $path If-None-Match its gzip ETag -> 304 ($status), no body" \
        '[ "$status" = 304 ] && [ ! -s "$tmp/c304" ] && [ "$(hdr c304 ETag)" = "$(hdr gz ETag)" ]'
    get c304 GET "$path" -H "If-None-Match: \"x\", $(hdr id ETag)"
    check "GET $path If-None-Match a list with its ETag -> 304 ($status)" '[ "$status" = 304 ]'
    get c200 GET "$path" -H "If-None-Match: $(hdr gz ETag)"
    check "GET $path not gzip, If-None-Match the gzip ETag -> 200 ($status)" '[ "$status" = 200 ]'
done

get cc GET /
check "index.html: Cache-Control: no-cache" '[ "$(hdr cc Cache-Control)" = no-cache ]'
get cc GET /index.html
check "/index.html: Cache-Control: no-cache" '[ "$(hdr cc Cache-Control)" = no-cache ]'
get cc GET /js/app.js
check "js: Cache-Control max-age, not immutable ($(hdr cc Cache-Control))" \
    'hdr cc Cache-Control | grep -qE "^max-age=[0-9]+$"'

# other Accept-Encoding values
for ae in 'gzip;q=0' 'br' 'identity' 'gzip;q=0, *'; do
    get ae GET /js/app.js -H "Accept-Encoding: $ae"
    check "Accept-Encoding '$ae': not gzipped" \
        '[ -z "$(hdr ae Content-Encoding)" ] && cmp -s "$tmp/ae" "$tmp/www/js/app.js"'
done
for ae in '*' 'br;q=1, gzip;q=0.5' 'GZIP'; do
    get ae GET /js/app.js -H "Accept-Encoding: $ae"
    check "Accept-Encoding '$ae': gzipped" \
        '[ "$(hdr ae Content-Encoding)" = gzip ] && decoded ae "$tmp/www/js/app.js"'
done

# an image is not compressed
icon=$(cd "$tmp/www" && find icons -name '*.png' | head -n 1)
if [ -n "$icon" ]; then
    get png GET "/$icon" -H 'Accept-Encoding: gzip'
    check "GET /$icon: not gzipped, the same bytes" \
        '[ "$status" = 200 ] && [ -z "$(hdr png Content-Encoding)" ] && cmp -s "$tmp/png" "$tmp/www/$icon"'
fi

# a changed file: a new ETag, the old one no longer matches, new bytes (not
# the cached compression of the old ones)
get old GET /js/app.js -H 'Accept-Encoding: gzip'
printf '\n// changed %s\n' "$RANDOM" >>"$tmp/www/js/app.js"
get new GET /js/app.js -H 'Accept-Encoding: gzip' -H "If-None-Match: $(hdr old ETag)"
check "a changed file -> 200 ($status) with a new ETag" \
    '[ "$status" = 200 ] && [ "$(hdr new ETag)" != "$(hdr old ETag)" ]'
check "a changed file decodes to its new bytes" "decoded new '$tmp/www/js/app.js'"

get e404 GET /js/nothing.js -H 'Accept-Encoding: gzip'
check "GET of a missing file -> 404, no-store, no ETag" \
    '[ "$status" = 404 ] && [ "$(hdr e404 Cache-Control)" = no-store ] && [ -z "$(hdr e404 ETag)" ]'

it_stop
it_finish
