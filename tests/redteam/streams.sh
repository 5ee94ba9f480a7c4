#!/usr/bin/env bash
# streams.sh - event streams under attack: one stream a session (a new one
# ends the one before, so a flood of streams on one session id holds one
# connection), a cap on the requests one client address has open at once
# that also holds behind a trusted proxy (X-Forwarded-For) and counts an
# IPv6 client by its /64, a stalled reader freed within seconds, and the
# connections of one peer served directly over HTTPS capped by its /64.
# In its own network namespace; ends with "streams: N passed, M failed".
set -u
case $0 in /*) ;; *) exec bash "$(readlink -f "$0")" "$@" ;; esac
cd "$(dirname "$0")/../.." || exit 1
it_name=streams
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-rt-streams
tmp=$it_tmp
port=18090
base=http://127.0.0.1:$port
cap=8 # max_connections_per_ip
{
    it_ini "$port" 60 41000 41199
    printf '[ice]\ncheck_timeout = 60\n'
    printf '[http]\ntrust_proxy = yes\njoins_per_minute = 0\nmax_connections = 64\n'
    printf 'max_connections_per_ip = %s\n' "$cap"
    printf '[rooms]\nmax_pending_per_address = 0\nmax_rooms_per_address = 0\n'
} >"$tmp/conclave.ini"
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"
c() { curl -s --noproxy '*' "$@"; }
join() { # path -> session id (from loopback: not limited)
    c --max-time 20 -o /dev/null -D "$tmp/h" -X POST -H 'Content-Type: application/sdp' \
        --data-binary @"$tmp/offer.sdp" "$base$1"
    tr -d '\r' <"$tmp/h" | sed -n 's/^Location: .*\///Ip'
}
# stream <session> <out> [curl args]: an event stream in the background; its pid in $!
# (its token is asked for from loopback, not limited: the stream is what counts)
stream() {
    local id=$1 out=$2 url
    shift 2
    url=$(it_events_url "$base" rt "$id")
    curl -s --noproxy '*' -N --max-time 120 -o "$out" -w '%{http_code}\n' "$@" \
        "$url" >"$out.code" 2>/dev/null &
    it_bg+=($!)
}
# server-side TCP connections of the daemon that are established
conns() { ss -tnH state established "( sport = :$port )" | wc -l; }
health() { c --max-time 3 -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: $1" "$base/healthz"; }

a=$(join "/rooms/rt/whip?name=A")
check "a session to stream for" '[ ${#a} = 32 ]'

# ---- one stream a session ----
stream "$a" "$tmp/s1"
# shellcheck disable=SC2034 # s1 is used in a check's condition
s1=$!
it_wait_for "$tmp/s1" "^event: hello" 10
stream "$a" "$tmp/s2"
s2=$!
it_wait_for "$tmp/s2" "^event: hello" 10
check "a second stream of the session ends the first" 'it_ended "$s1" 5'
check "the second stays open" 'kill -0 "$s2" 2>/dev/null'
kill "$s2" 2>/dev/null

# ---- a flood of streams on one session id from one address ----
XF=(-H 'X-Forwarded-For: 203.0.113.5')
before=$(conns)
for i in $(seq 1 100); do stream "$a" "$tmp/f$i" "${XF[@]}"; done
sleep 3
flood=$(($(conns) - before))
code=$(health 198.51.100.7)
echo "# 100 streams on one session id from one address: $flood connections held open"
check "100 streams of one session hold at most 2 connections ($flood)" '[ "$flood" -le 2 ]'
check "the server still answers another client (healthz: $code)" '[ "$code" = 200 ]'
for p in "${it_bg[@]}"; do kill "$p" 2>/dev/null; done
it_bg=()
it_until '[ "$(conns)" -le "$before" ]' 10

# ---- open requests per client address, behind the proxy ----
ids=()
for i in $(seq 1 $((cap + 4))); do ids+=("$(join "/rooms/rt/whip?name=P$i")"); done
before=$(conns)
XC=(-H 'X-Forwarded-For: 203.0.113.9')
for i in "${!ids[@]}"; do stream "${ids[$i]}" "$tmp/p$i" "${XC[@]}"; done
sleep 3
n200=0
n429=0
for i in "${!ids[@]}"; do
    grep -q "^event: hello" "$tmp/p$i" && n200=$((n200 + 1))
    [ "$(cat "$tmp/p$i.code" 2>/dev/null)" = 429 ] && n429=$((n429 + 1))
done
echo "# $((cap + 4)) streams of different sessions from one address: $n200 open, $n429 refused"
check "one address behind the proxy holds at most $cap streams ($n200 open)" '[ "$n200" -le "$cap" ] && [ "$n200" -ge 1 ]'
check "the ones past the cap get 429 ($n429 of 4)" '[ "$n429" = 4 ]'
c -o /dev/null -w '%{http_code}' --max-time 3 "${XC[@]}" "$base/healthz" >"$tmp/hc"
check "a short request of that address past its cap also gets 429 ($(cat "$tmp/hc"))" '[ "$(cat "$tmp/hc")" = 429 ]'
check "another address is not affected ($(health 203.0.113.6))" '[ "$(health 203.0.113.6)" = 200 ]'
for p in "${it_bg[@]}"; do kill "$p" 2>/dev/null; done
it_bg=()
check "the cap is given back when the streams end ($(health 203.0.113.9))" \
    'it_until "[ \"\$(health 203.0.113.9)\" = 200 ]" 5'

# ---- IPv6 clients count by /64 ----
for i in $(seq 1 $((cap + 2))); do
    stream "${ids[$i]}" "$tmp/v$i" -H "X-Forwarded-For: 2001:db8:7:1::$i"
done
sleep 3
n200=0
for i in $(seq 1 $((cap + 2))); do grep -q "^event: hello" "$tmp/v$i" && n200=$((n200 + 1)); done
echo "# $((cap + 2)) streams from $((cap + 2)) addresses of one IPv6 /64: $n200 open"
check "addresses of one IPv6 /64 share the cap ($n200 open)" '[ "$n200" -le "$cap" ]'
check "another /64 is another client ($(health 2001:db8:7:2::1))" '[ "$(health 2001:db8:7:2::1)" = 200 ]'
for p in "${it_bg[@]}"; do kill "$p" 2>/dev/null; done
it_bg=()

# ---- a stalled reader: takes nothing, its events pile up ----
b=$(join "/rooms/rt/whip?name=B")
stalled_url=$(it_events_url "$base" rt "$a")
python3 - "$port" "/${stalled_url#*://*/}" "$tmp/stalled.port" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode())
open(sys.argv[3], "w").write(str(s.getsockname()[1]))
time.sleep(120)  # never reads
EOF
it_bg+=($!)
it_until '[ -s "$tmp/stalled.port" ]' 5
sport=$(cat "$tmp/stalled.port")
held() { ss -tnH state established "( sport = :$port and dport = :$sport )" | grep -c .; }
check "the stalled stream is open" 'it_until "[ \"\$(held)\" = 1 ]" 5'
# ~22 KB of chat, a few messages from each of three sessions: more than the
# reader's window takes, far less than the 64 KiB a stream may fall behind
b2=$(join "/rooms/rt/whip?name=B2")
b3=$(join "/rooms/rt/whip?name=B3")
text=$(head -c 900 /dev/zero | tr '\0' x)
n204=0
for i in $(seq 1 8); do
    for who in "$b" "$b2" "$b3"; do
        r=$(c --max-time 5 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
            -H "Conclave-Session: $who" --data "{\"type\":\"chat\",\"text\":\"$text\"}" \
            "$base/rooms/rt/command")
        [ "$r" = 204 ] && n204=$((n204 + 1))
    done
done
check "chat sent for the stalled reader ($n204 of 24 messages)" '[ "$n204" -ge 8 ]'
t0=$SECONDS
it_until '[ "$(held)" = 0 ]' 45
gone=$((SECONDS - t0))
echo "# a stalled stream with $n204 chat messages waiting for it: closed ${gone} s after the last one"
check "the stalled stream's connection is closed within 15 s ($gone s)" '[ "$gone" -le 15 ]'
check "daemon still running" 'kill -0 "$it_pid"'
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'

# ---- HTTPS served directly: connections per peer, an IPv6 peer by its /64 ----
for i in $(seq 1 $((cap + 2))); do ip -6 addr add "2001:db8:99::$i/128" dev lo nodad; done
ip -6 addr add 2001:db8:98::1/128 dev lo nodad
it_cert "$tmp"
{
    it_ini "$port" 60 41000 41199
    printf '[http]\nlisten = ::\ncert = %s\nkey = %s\n' "$tmp/server.crt" "$tmp/server.key"
    printf 'max_connections_per_ip = %s\n' "$cap"
} >"$tmp/tls.ini"
it_start "$tmp/tls.ini"
it_wait_ready "https://[::1]:$port/healthz" -k -g || bad "the HTTPS daemon answers /healthz"
# cap + 2 idle connections, each from its own address of one /64: how many
# does the server keep after 2 s?
kept=$(python3 - "$port" "$((cap + 2))" <<'EOF2'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(1, n + 1):
    s = socket.socket(socket.AF_INET6)
    s.bind(("2001:db8:99::%d" % i, 0))
    s.connect(("::1", port))
    s.setblocking(False)
    socks.append(s)
time.sleep(2)
kept = 0
for s in socks:
    try:
        kept += s.recv(1) != b""
    except BlockingIOError:
        kept += 1  # nothing to read: still open
    except OSError:
        pass
print(kept)
EOF2
)
echo "# $((cap + 2)) connections from $((cap + 2)) addresses of one IPv6 /64: $kept kept"
check "one /64 keeps at most $cap connections ($kept)" '[ "$kept" = "$cap" ]'
code=$(curl -s -k --max-time 5 -o /dev/null -w '%{http_code}' --interface 2001:db8:98::1 \
    "https://[::1]:$port/healthz")
check "a peer of another /64 is served ($code)" '[ "$code" = 200 ]'
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
it_finish
