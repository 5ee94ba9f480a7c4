#!/usr/bin/env bash
# slowloris.sh - partial requests against the request deadline ([http]
# request_timeout, 10 s by default): headers trickled a byte a second, a body
# trickled the same way, a connection that sends nothing, and 40 of them at
# once are all closed by the deadline (they used to live past the 30 s idle
# timeout, for ever while the bytes kept coming), while a keep-alive client
# and an event stream that outlive the deadline are left alone.
# In its own network namespace; ends with "slowloris: N passed, M failed".
set -u
case $0 in /*) ;; *) exec bash "$(readlink -f "$0")" "$@" ;; esac
cd "$(dirname "$0")/../.." || exit 1
it_name=slowloris
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-rt-slowloris
tmp=$it_tmp
port=18092
base=http://127.0.0.1:$port
it_ini "$port" 60 41200 41299 >"$tmp/conclave.ini"
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

# Each attack on its own connection, at once; prints "<name> <seconds the
# server kept it open>" (capped at 45: "still open").
python3 - "$port" >"$tmp/lives" <<'EOF'
import socket, sys, threading, time
port = int(sys.argv[1])
CAP = 45
lives = {}

def attack(name, chunks, pause):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.5)
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < CAP:
        try:
            if i < len(chunks):
                s.sendall(chunks[i])
                i += 1
            data = s.recv(4096)
            if not data:
                break  # closed by the server
        except socket.timeout:
            pass
        except OSError:
            break
        time.sleep(pause)
    lives[name] = time.monotonic() - t0
    s.close()

def bytes_of(text):
    return [bytes([b]) for b in text]

headers = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " + b"x" * 200
body = (b"POST /rooms/sl/whip HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sdp\r\n"
        b"Content-Length: 2000\r\n\r\n")
jobs = [("headers", bytes_of(headers), 1.0),
        ("body", [body] + bytes_of(b"v" * 200), 1.0),
        ("silent", [], 1.0)]
jobs += [("crowd%d" % i, bytes_of(headers), 1.0) for i in range(40)]
threads = [threading.Thread(target=attack, args=j) for j in jobs]
for t in threads:
    t.start()
for t in threads:
    t.join()
for name in sorted(lives):
    print(name, int(lives[name]))
EOF
life() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/lives"; }
echo "# seconds each partial request kept its connection (45 = still open):"
echo "#   trickled headers $(life headers), trickled body $(life body), nothing sent $(life silent)"
crowd_max=$(awk '$1 ~ /^crowd/ { if ($2 > m) m = $2 } END { print m + 0 }' "$tmp/lives")
echo "#   40 trickled-header connections at once: the longest lived $crowd_max s"
check "trickled headers: closed by the deadline ($(life headers) s)" '[ "$(life headers)" -ge 8 ] && [ "$(life headers)" -le 14 ]'
check "trickled body: closed by the deadline ($(life body) s)" '[ "$(life body)" -ge 8 ] && [ "$(life body)" -le 14 ]'
check "nothing sent: closed by the deadline ($(life silent) s)" '[ "$(life silent)" -ge 8 ] && [ "$(life silent)" -le 14 ]'
check "40 at once: every one closed by the deadline (longest $crowd_max s)" '[ "$crowd_max" -le 14 ]'

# what the deadline must not hurt: a keep-alive client with pauses between
# its requests, and an event stream open past the deadline
python3 - "$port" >"$tmp/keepalive" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
ok = 0
for i in range(3):
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    if data.startswith(b"HTTP/1.1 200"):
        ok += 1
    time.sleep(4)
print(ok)
EOF
check "a keep-alive client with 4 s pauses: 3 answers on one connection ($(cat "$tmp/keepalive"))" \
    '[ "$(cat "$tmp/keepalive")" = 3 ]'
loc=$(curl -s --max-time 20 -D - -o /dev/null -X POST -H 'Content-Type: application/sdp' \
    --data-binary @"$tmp/offer.sdp" "$base/rooms/sl/whip" | tr -d '\r' | sed -n 's/^Location: //Ip')
curl -s -N --max-time 40 "$(it_session_events "$base" "$loc")" >"$tmp/sse" &
sse=$!
it_bg+=("$sse")
check "an event stream opens" 'it_wait_for "$tmp/sse" "^event: hello" 10'
sleep 16
check "the event stream outlives the deadline (16 s later still open)" 'kill -0 "$sse" 2>/dev/null'
check "the daemon still answers" '[ "$(curl -s --max-time 5 -o /dev/null -w "%{http_code}" "$base/healthz")" = 200 ]'
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
it_finish
