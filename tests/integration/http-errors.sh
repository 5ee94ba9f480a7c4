#!/usr/bin/env bash
# http-errors.sh - the real daemon over loopback: status codes and one-line
# reasons of the HTTP interface for bad requests (conclave(8) "HTTP INTERFACE"),
# static files and path traversal, a bad config file, and a clean SIGTERM.
# Talks to 127.0.0.1 only. Ends with "http-errors: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$PWD

it_name=http-errors
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_setup conclave-http-errors
tmp=$it_tmp

# The start of a body on one line, for messages.
short() {
    printf '%s' "$1" | tr -s '\r\n\t' '   ' | head -c "${2:-200}"
}

if [ ! -x "$it_bin" ]; then
    bad "no daemon: $it_bin is not built (run make)"
    it_finish
fi

# ---- fixtures: our own www/, a secret beside it, the config ----
mkdir -p "$tmp/www/js"
echo '<!doctype html><title>t</title><p>index-canary-7f3a</p>' >"$tmp/www/index.html"
echo 'export const canary = "js-canary";' >"$tmp/www/js/app.js"
echo 'body { color: black; }' >"$tmp/www/style.css"
echo 'secret-canary-91c2' >"$tmp/secret.txt"

max_body=4096
room_canary=zzroomcanary4d2e # must never appear in the daemon's output at the default level

write_ini() { # port
    cat >"$tmp/conclave.ini" <<EOF
; written by tests/integration/http-errors.sh
[http]
listen = 127.0.0.1
port = $1
www = $tmp/www
max_body = $max_body

[room pwroom]
password = open sesame now

[ice]
port_min = $2
port_max = $(($2 + 9))
addresses = 127.0.0.1

[mixer]
threads = 1
EOF
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}


# Start the daemon on a free port; a few tries in case another process takes it
# first (then the daemon exits at once).
started=0
for _ in 1 2 3 4 5; do
    port=$((18000 + RANDOM % 1000))
    port_in_use "$port" && continue
    write_ini "$port" $((42000 + (RANDOM % 100) * 10))
    it_start "$tmp/conclave.ini"
    if it_wait_ready "http://127.0.0.1:$port/healthz" --noproxy '*'; then
        started=1
        break
    fi
    # still running but not healthy: no point in another port
    kill -0 "$it_pid" 2>/dev/null && break
    it_stop
done
if [ "$started" -ne 1 ]; then
    bad "daemon did not answer /healthz within ${IT_READY_S:-20} s"
    it_finish
fi
base=http://127.0.0.1:$port

# req METHOD PATH [curl args...]: sets status, ctype, body, ecode (the
# Conclave-Error header, "" if none).
req() {
    local method=$1 path=$2
    shift 2
    local out
    out=$(curl -s --noproxy '*' --path-as-is --max-time 10 -X "$method" -o "$tmp/body" \
        -D "$tmp/hdr" -w '%{http_code} %{content_type}' "$@" "$base$path")
    status=${out%% *}
    ctype=${out#* }
    body=$(cat "$tmp/body" 2>/dev/null)
    ecode=$(tr -d '\r' <"$tmp/hdr" 2>/dev/null | sed -n 's/^Conclave-Error: *//Ip' | tail -n 1)
    rm -f "$tmp/body" "$tmp/hdr"
}

# expect_code NAME CODE: the last answer's Conclave-Error is CODE.
expect_code() {
    if [ "$ecode" = "$2" ]; then
        ok "$1: Conclave-Error $2"
    else
        bad "$1: Conclave-Error '$ecode', wanted $2"
    fi
}

# expect NAME STATUS...: the last status is one of those given.
expect() {
    local name=$1 s
    shift
    for s in "$@"; do
        if [ "$status" = "$s" ]; then
            ok "$name"
            return 0
        fi
    done
    bad "$name: status $status, wanted $*; body: $(short "$body")"
    return 1
}

# A one-line plain text reason: exactly one non-empty line, that matches the
# extended regex $2 (case-insensitive) when given.
expect_reason() {
    local name=$1 re=${2:-.}
    local lines
    lines=$(printf '%s\n' "$body" | grep -c .)
    if [ "$lines" -ne 1 ]; then
        bad "$name: reason is $lines lines, wanted 1: $(short "$body")"
    elif ! printf '%s\n' "$body" | grep -qiE -- "$re"; then
        bad "$name: reason '$(short "$body")' does not match /$re/"
    else
        ok "$name"
    fi
}

expect_ctype() {
    local name=$1 re=$2
    if printf '%s\n' "$ctype" | grep -qE -- "$re"; then
        ok "$name"
    else
        bad "$name: Content-Type '$ctype', wanted /$re/"
    fi
}

sdp() { # video codec line, e.g. "96 VP8/90000"
    local pt=${1%% *} codec=${1#* }
    printf '%s\r\n' \
        'v=0' \
        'o=- 4611731400430051336 2 IN IP4 127.0.0.1' \
        's=-' \
        't=0 0' \
        'a=group:BUNDLE 0 1' \
        'a=msid-semantic: WMS' \
        'm=audio 9 UDP/TLS/RTP/SAVPF 111' \
        'c=IN IP4 0.0.0.0' \
        'a=rtcp:9 IN IP4 0.0.0.0' \
        'a=ice-ufrag:Xq3b' \
        'a=ice-pwd:4mUjK0BSsL3P8z1wN9yTf2Ae' \
        'a=ice-options:trickle' \
        'a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:D6:BC' \
        'a=setup:actpass' \
        'a=mid:0' \
        'a=sendrecv' \
        'a=rtcp-mux' \
        'a=rtpmap:111 opus/48000/2' \
        'a=fmtp:111 minptime=10;useinbandfec=1' \
        'a=ssrc:1111 cname:t' \
        "m=video 9 UDP/TLS/RTP/SAVPF $pt" \
        'c=IN IP4 0.0.0.0' \
        'a=rtcp:9 IN IP4 0.0.0.0' \
        'a=ice-ufrag:Xq3b' \
        'a=ice-pwd:4mUjK0BSsL3P8z1wN9yTf2Ae' \
        'a=ice-options:trickle' \
        'a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:D6:BC' \
        'a=setup:actpass' \
        'a=mid:1' \
        'a=sendrecv' \
        'a=rtcp-mux' \
        "a=rtpmap:$pt $codec" \
        'a=rtcp-fb:'"$pt"' nack' \
        'a=rtcp-fb:'"$pt"' nack pli' \
        'a=ssrc:2222 cname:t'
}
sdp '102 H265/90000' >"$tmp/no-vp8.sdp"
sdp '102 H264/90000' >"$tmp/h264-mode0.sdp"
sdp '96 VP8/90000' >"$tmp/vp8.sdp"
head -c $((max_body + 1000)) /dev/zero | tr '\0' 'a' >"$tmp/big.sdp"
SDP=(-H 'Content-Type: application/sdp')

# ---- health and static files ----
req GET /healthz
expect "GET /healthz -> 200" 200

req GET /
expect "GET / -> 200" 200 &&
    expect_ctype "GET / is text/html" '^text/html( *;.*)?$'
case $body in
*index-canary-7f3a*) ok "GET / serves index.html" ;;
*) bad "GET / does not serve index.html: $(short "$body" 100)" ;;
esac

req GET /index.html
expect "GET /index.html -> 200" 200 &&
    expect_ctype "GET /index.html is text/html" '^text/html( *; *charset=(utf-8|UTF-8))?$'

req GET /js/app.js
expect "GET /js/app.js -> 200" 200 &&
    expect_ctype "GET /js/app.js is text/javascript" '^text/javascript( *;.*)?$'

req GET /style.css
expect "GET /style.css -> 200" 200 &&
    expect_ctype "GET /style.css is text/css" '^text/css( *;.*)?$'

req GET /no-such-file
expect "GET /no-such-file -> 404" 404 && expect_code "GET /no-such-file" not-found

req GET /healthz
check "a 200 carries no Conclave-Error" '[ -z "$ecode" ]'

# a room's link /r/{room} sends the browser to the client's route for it
loc=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -D - "$base/r/team-1" | tr -d '\r' |
    sed -n 's/^Location: //Ip')
[ "$loc" = "/#/r/team-1" ] && ok "GET /r/team-1 -> Location /#/r/team-1" ||
    bad "GET /r/team-1 -> Location '$loc'"
req GET '/r/bad!name'
expect "GET /r/<bad name> -> 400" 400 && expect_code "GET /r/<bad name>" bad-path

# ---- path traversal: refused, and nothing outside www/ leaks ----
for p in /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc/passwd \
    /foo/../../etc/passwd /../secret.txt /%2e%2e/secret.txt /js/../../secret.txt \
    /..%2fsecret.txt /%2e%2e%2fsecret.txt /js/%2e%2e/%2e%2e/secret.txt; do
    req GET "$p"
    expect "GET $p -> 400 or 404" 400 404
    case $body in
    *root:* | *secret-canary*) bad "GET $p leaks a file outside www/" ;;
    *) ok "GET $p leaks nothing" ;;
    esac
done

# ---- the echo check: bad offers ----
req POST /echo/whip -H 'Content-Type: text/plain' --data-binary @"$tmp/vp8.sdp"
expect "POST /echo/whip text/plain -> 415" 415 && expect_reason "415 has a reason line" &&
    expect_code "POST /echo/whip text/plain" bad-content-type

req POST /echo/whip "${SDP[@]}" --data-binary 'hello'
expect "POST /echo/whip 'hello' -> 400" 400 && expect_reason "400 for 'hello' has a reason line" &&
    expect_code "POST /echo/whip 'hello'" bad-offer

req POST /echo/whip "${SDP[@]}" --data-binary @"$tmp/no-vp8.sdp"
expect "POST /echo/whip with HEVC, neither VP8 nor H.264 -> 400" 400 &&
    expect_reason "400 without VP8 or H.264 names both" 'no VP8 or H.264'

req POST /echo/whip "${SDP[@]}" --data-binary @"$tmp/h264-mode0.sdp"
expect "POST /echo/whip with H.264 but no packetization-mode=1 -> 400" 400 &&
    expect_reason "400 for H.264 mode 0 says packetization-mode=1" 'packetization-mode=1'

req POST /echo/whip "${SDP[@]}" --data-binary @"$tmp/big.sdp"
expect "POST /echo/whip larger than max_body -> 413" 413 &&
    expect_code "POST /echo/whip larger than max_body" too-large

# ---- rooms ----
req POST '/rooms/bad!name/whip' "${SDP[@]}" --data-binary @"$tmp/vp8.sdp"
expect "POST /rooms/bad!name/whip -> 400" 400 &&
    expect_reason "bad room name reason" 'bad room name' &&
    expect_code "POST /rooms/bad!name/whip" bad-room

long65=$(printf 'r%.0s' $(seq 65))
req POST "/rooms/$long65/whip" "${SDP[@]}" --data-binary @"$tmp/vp8.sdp"
expect "POST /rooms/<65 chars>/whip -> 400" 400 &&
    expect_reason "65-char room name reason" 'bad room name'

long64=$(printf 'r%.0s' $(seq 64))
req POST "/rooms/$long64/whip" "${SDP[@]}" --data-binary @"$tmp/vp8.sdp"
if [ "$status" = 400 ] && printf '%s' "$body" | grep -qi 'room name'; then
    bad "a 64-char room name is refused: $(short "$body")"
else
    ok "a 64-char room name is a valid name (status $status)"
fi

req DELETE "/rooms/$room_canary/sessions/0123456789abcdef0123456789abcdef"
expect "DELETE /rooms/$room_canary/sessions/<unknown id> -> 404" 404 &&
    expect_code "DELETE of an unknown session" no-session

CMD=(-H 'Content-Type: application/json' -H 'Conclave-Session: 0123456789abcdef0123456789abcdef')
req POST "/rooms/$room_canary/command" "${CMD[@]}" --data-binary '{"type":"mute"}'
expect "POST /rooms/$room_canary/command, mute without audio -> 400" 400 &&
    expect_code "a bad command" bad-command
req POST "/rooms/$room_canary/command" "${CMD[@]}" --data-binary '{"type":"mute","audio":true}'
expect "POST /rooms/$room_canary/command of an unknown session -> 404" 404 &&
    expect_code "a command of an unknown session" no-session

# the password of [room pwroom]: none given, a wrong one
req POST /rooms/pwroom/whip "${SDP[@]}" --data-binary @"$tmp/vp8.sdp"
expect "POST /rooms/pwroom/whip without its password -> 401" 401 &&
    expect_code "a join without the room's password" password-required
req POST /rooms/pwroom/whip "${SDP[@]}" -H 'Authorization: Bearer not it' \
    --data-binary @"$tmp/vp8.sdp"
expect "POST /rooms/pwroom/whip with a wrong password -> 403" 403 &&
    expect_code "a join with a wrong password" bad-password

req GET "/rooms/$room_canary/whip"
expect "GET /rooms/$room_canary/whip -> 405" 405 && expect_code "GET of a WHIP endpoint" bad-method

req POST "/rooms/$room_canary/whip" "${SDP[@]}" --data-binary @"$tmp/no-vp8.sdp"
expect "POST /rooms/$room_canary/whip without VP8 -> 400" 400

# ---- every error answer of signaling/*.c has its code: no cv_api_reply
# with a status of 400 or more, nor with a status that is not a number ----
left=$(grep -nE 'cv_api_reply\(rs, *([^0-9 ]|[4-9][0-9][0-9])' "$root"/signaling/*.c)
check "no error answer without a Conclave-Error code${left:+: $left}" '[ -z "$left" ]'
left=$(grep -hoE 'cv_api_fail\(rs, *[^,]+, *[^,]+' "$root"/signaling/*.c |
    grep -vE 'cv_api_fail\(rs, *[^,]+, *"[a-z][a-z0-9-]*"$')
check "every cv_api_fail code is a literal [a-z][a-z0-9-]*${left:+: $left}" '[ -z "$left" ]'
undocumented=
for c in $(grep -hoE '(cv_api_fail\(rs, *[^,]+, *|send_text\(h, c, [0-9]+, |"Conclave-Error", )"[a-z][a-z0-9-]*"' \
    "$root"/signaling/*.c | grep -oE '"[a-z][a-z0-9-]*"$' | tr -d '"' | sort -u); do
    grep -qx "\.B ${c//-/\\\\-}" "$root/man/conclave.8" || undocumented="$undocumented $c"
done
check "every error code is in conclave(8), Error codes${undocumented:+:$undocumented}" \
    '[ -z "$undocumented" ]'

# ---- the daemon is unhurt, and said nothing about rooms ----
req GET /healthz
expect "GET /healthz after the bad requests -> 200" 200

if grep -q "$room_canary" "$tmp/err" "$tmp/out"; then
    bad "the daemon's output at the default log level names a room"
else
    ok "the daemon's output at the default log level names no room"
fi

# ---- SIGTERM: exit 0 within 5 s ----
kill -TERM "$it_pid"
deadline=$((SECONDS + 5))
while kill -0 "$it_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    sleep 0.05
done
if kill -0 "$it_pid" 2>/dev/null; then
    bad "SIGTERM: still running after 5 s"
else
    wait "$it_pid"
    rc=$?
    it_pid=
    if [ "$rc" -eq 0 ]; then
        ok "SIGTERM: exit 0 within 5 s"
    else
        bad "SIGTERM: exit status $rc"
    fi
fi

# ---- a bad config file: exit 1 with "<file>:<line>: reason" ----
printf '[http]\nprot = 8080\n' >"$tmp/bad.ini"
(cd "$tmp" && timeout 10 "$it_bin" -c bad.ini >"$tmp/bad.out" 2>"$tmp/bad.err")
rc=$?
if [ "$rc" -eq 1 ]; then
    ok "bad.ini: exit 1"
else
    bad "bad.ini: exit status $rc, wanted 1"
fi
if grep -qE "(^|[^[:alnum:]/])bad\.ini:2: unknown key 'prot'" "$tmp/bad.err"; then
    ok "bad.ini: stderr says bad.ini:2: unknown key"
else
    bad "bad.ini: stderr is '$(short "$(cat "$tmp/bad.err")" 300)'"
fi

it_finish
