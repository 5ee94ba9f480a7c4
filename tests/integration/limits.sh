#!/usr/bin/env bash
# limits.sh - the limits of conclave.ini(5): joins per client address a
# minute (429 + Retry-After + one line), the client address behind a trusted
# proxy (last X-Forwarded-For hop, only from a loopback peer), sessions on the
# server and in a room (503 + one line), and the request body (413).
# In its own network namespace; ends with "limits: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=limits
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-limits
root=$PWD
port=18080
it_offer >"$it_tmp/offer.sdp"

write_ini() { # extra [http] lines, then [rooms] lines
    {
        printf '[http]\nlisten = %s\nport = %s\nwww = %s/www\nmax_body = 4096\n' \
            "${listen:-127.0.0.1}" "$port" "$root"
        printf '%b' "$1"
        printf '[ice]\naddresses = 127.0.0.1\nport_min = 40000\nport_max = 40199\ntimeout = 120\ncheck_timeout = 120\n'
        printf '[mixer]\nthreads = 1\nwidth = 320\nheight = 180\nfps = 5\n'
        printf '[rooms]\n%b' "$2"
    } >"$it_tmp/conclave.ini"
}

# join <path> [curl args]: status in $code, headers in $it_tmp/h, body in $it_tmp/b
join() {
    local path=$1
    shift
    code=$(curl -s --max-time 20 -o "$it_tmp/b" -D "$it_tmp/h" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/sdp' --data-binary @"$it_tmp/offer.sdp" "$@" "$base$path")
    tr -d '\r' <"$it_tmp/h" >"$it_tmp/h.txt"
}
one_line() { # the body is one non-empty line matching $1
    [ "$(grep -c . "$it_tmp/b")" = 1 ] && grep -qiE "$1" "$it_tmp/b"
}
body() { head -c 150 "$it_tmp/b" | tr '\n' ' '; }

# ---- daemon 1: behind a trusted proxy on this machine ----
write_ini 'trust_proxy = yes\njoins_per_minute = 3\n' 'max_sessions = 8\nmax_participants = 2\n'
it_start "$it_tmp/conclave.ini"
base=http://127.0.0.1:$port
if ! it_wait_ready "$base/healthz"; then
    bad "the daemon answers /healthz"
    it_finish
fi
XA=(-H 'X-Forwarded-For: 203.0.113.5')
n201=0
for i in 1 2 3; do
    join "/rooms/ra$i/whip" "${XA[@]}"
    [ "$code" = 201 ] && n201=$((n201 + 1))
done
check "3 joins for 203.0.113.5 -> 201 each ($n201 of 3)" '[ "$n201" = 3 ]'
join /rooms/ra4/whip "${XA[@]}"
check "the 4th join in the minute -> 429 ($code: $(body))" '[ "$code" = 429 ]'
ra=$(sed -n 's/^Retry-After: //Ip' "$it_tmp/h.txt")
check "429 has Retry-After in 1..60 s ('$ra')" '[[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ]'
check "429 has a one-line reason" 'one_line "too many joins"'
check "429 names no address" '! grep -q "203.0.113" "$it_tmp/b"'
join /echo/whip "${XA[@]}"
check "the echo check counts too -> 429" '[ "$code" = 429 ]'
join /rooms/ra4/whip -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.5'
check "the last X-Forwarded-For hop is the client -> 429" '[ "$code" = 429 ]'
join /rooms/rb1/whip -H 'X-Forwarded-For: 203.0.113.5, 198.51.100.9'
check "another last hop is another client -> 201 ($code)" '[ "$code" = 201 ]'
join /rooms/rb2/whip -H 'X-Forwarded-For: 203.0.113.6'
check "another address has its own count -> 201 ($code)" '[ "$code" = 201 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' "${XA[@]}" "$base/healthz")
check "other requests of a limited address still work ($code)" '[ "$code" = 200 ]'

# sessions: 5 so far; a room takes 2
join /rooms/full/whip
check "a join without X-Forwarded-For from loopback is not limited ($code)" '[ "$code" = 201 ]'
join /rooms/full/whip
check "second participant of room 'full' -> 201 ($code)" '[ "$code" = 201 ]'
join /rooms/full/whip
check "third participant of a room of 2 -> 503 ($code: $(body))" '[ "$code" = 503 ] && one_line "full"'
join /rooms/rc1/whip
check "8th session -> 201 ($code)" '[ "$code" = 201 ]'
join /rooms/rc2/whip
check "9th session with max_sessions = 8 -> 503 ($code: $(body))" \
    '[ "$code" = 503 ] && one_line "server full"'
join /echo/whip
check "an echo check when full -> 503 ($code)" '[ "$code" = 503 ]'

# the body limit
head -c 5000 /dev/zero | tr '\0' a >"$it_tmp/big.sdp"
code=$(curl -s --max-time 20 -o "$it_tmp/b" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/sdp' --data-binary @"$it_tmp/big.sdp" "$base/rooms/rd/whip")
check "a 5000-byte offer with max_body = 4096 -> 413 ($code)" '[ "$code" = 413 ] && one_line "too large"'
code=$(curl -s --max-time 20 -o "$it_tmp/b" -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/sdp' --data-binary @"$it_tmp/big.sdp" "$base/rooms/rd/whip")
check "the same, chunked without a length -> 413 ($code)" '[ "$code" = 413 ]'
check "daemon still running" 'kill -0 "$it_pid"'
it_stop
check "SIGTERM with open sessions: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'

# ---- daemon 2: HTTPS on every address; a non-loopback peer is the client,
# whatever X-Forwarded-For it sends, trust_proxy or not ----
ip addr add 10.99.0.1/32 dev lo
it_cert "$it_tmp"
listen=0.0.0.0 write_ini "cert = $it_tmp/server.crt\nkey = $it_tmp/server.key\ntrust_proxy = yes\njoins_per_minute = 2\n" ''
it_start "$it_tmp/conclave.ini"
base=https://10.99.0.1:$port
TLS=(--cacert "$it_tmp/server.crt" --interface 10.99.0.1)
if ! it_wait_ready "$base/healthz" "${TLS[@]}"; then
    bad "the HTTPS daemon answers /healthz"
    it_finish
fi
n201=0
for i in 1 2; do
    join "/rooms/d$i/whip" "${TLS[@]}" -H "X-Forwarded-For: 192.0.2.$i"
    [ "$code" = 201 ] && n201=$((n201 + 1))
done
check "2 joins from 10.99.0.1 -> 201 ($n201 of 2)" '[ "$n201" = 2 ]'
join /rooms/d3/whip "${TLS[@]}" -H 'X-Forwarded-For: 192.0.2.3'
check "3rd join from 10.99.0.1 -> 429: X-Forwarded-For of a non-loopback peer is ignored ($code)" \
    '[ "$code" = 429 ]'
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'

# ---- daemon 3: open files: the soft limit raised to the hard one; a warning
# when the hard one cannot hold the sessions a room of 500 needs ----
errf=${it_err:-$it_tmp/err}
nofile() { sed -n 's/^Max open files *\([0-9a-z]*\) *\([0-9a-z]*\).*/\1 \2/p' "/proc/$it_pid/limits"; }
ulimit -S -n 256
write_ini '' 'max_participants = 500\nmax_sessions = 600\n'
it_start "$it_tmp/conclave.ini"
base=http://127.0.0.1:$port
it_wait_ready "$base/healthz" || bad "the daemon answers /healthz (open files)"
read -r soft hard < <(nofile)
check "soft limit on open files raised to the hard one ($soft of $hard)" \
    '[ -n "$soft" ] && [ "$soft" = "$hard" ] && [ "$soft" != 256 ]'
if [ "$hard" = unlimited ] || [ "$hard" -ge 2464 ]; then
    check "no warning when the hard limit holds 600 sessions" '! grep -q "open files" "$errf"'
fi
it_stop
ulimit -H -n 1024
it_start "$it_tmp/conclave.ini"
it_wait_ready "$base/healthz" || bad "the daemon answers /healthz (hard limit 1024)"
check "a hard limit of 1024 for 600 sessions: a warning ($(grep -m1 'open files' "$errf"))" \
    'grep -q "open files are limited to 1024: 600 sessions" "$errf"'
it_stop
it_finish
