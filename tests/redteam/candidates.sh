#!/usr/bin/env bash
# candidates.sh - the server sends ICE checks only where a browser can be
# (transport/candfilter.c): an offer naming a loopback port below 1024, a
# private-range, link-local or unspecified address gets no STUN packet there
# from a server whose media address is 127.0.0.1, while a loopback candidate
# on a high port does (so the capture works); with [ice]
# allow_private_candidates = yes the private one is probed, with no the
# loopback one is not. And [ice] addresses left out is the address of the
# interface holding the default route, not every interface: the answer's
# host candidates. UDP sockets bound in the test's namespace count what
# arrives. Ends with "candidates: N passed, M failed".
# shellcheck disable=SC2016,SC2317 # checks are eval'd strings
set -u
cd "$(dirname "$0")/../.." || exit 1

it_name=candidates
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
for tool in unshare curl python3 ip; do
    command -v "$tool" >/dev/null || {
        bad "$tool is installed (make deps)"
        it_finish
    }
done
it_netns "$@"
it_setup conclave-rt-candidates
port=18190
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 10 "$@"; }

# addresses the offer names, made local so that a packet sent there is seen
ip addr add 10.9.9.9/32 dev lo
ip addr add 169.254.9.9/32 dev lo

# The sockets: name address port, one a line; counts in $it_tmp/counts.
listen() { # seconds
    python3 - "$1" "$it_tmp/counts" <<'PY' &
import select, socket, sys, time
socks = {}
for name, addr, port in [("low", "127.0.0.2", 9), ("private", "10.9.9.9", 5000),
                         ("linklocal", "169.254.9.9", 5000), ("unspec", "127.0.0.1", 5002),
                         ("loopback", "127.0.0.3", 5004)]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    socks[s] = name
counts = {n: 0 for n in socks.values()}
open(sys.argv[2] + ".ready", "w").close()
end = time.time() + float(sys.argv[1])
while time.time() < end:
    r, _, _ = select.select(list(socks), [], [], 0.1)
    for s in r:
        data = s.recv(2048)
        if len(data) >= 20 and data[0] == 0 and data[1] == 1:  # a STUN binding request
            counts[socks[s]] += 1
with open(sys.argv[2], "w") as f:
    for n, k in counts.items():
        f.write("%s %d\n" % (n, k))
PY
    it_bg+=($!)
    listener=$!
    it_wait_for "$it_tmp/counts.ready" "" 5
}
count() { awk -v n="$1" '$1 == n { print $2 }' "$it_tmp/counts"; }

# an offer with all these candidates in its audio (BUNDLE) section
offer() {
    it_offer "1 1 udp 2122260223 127.0.0.2 9 typ host" |
        awk '{ print } /^a=candidate:/ {
            printf "a=candidate:2 1 udp 2122260222 10.9.9.9 5000 typ host\r\n"
            printf "a=candidate:3 1 udp 2122260221 169.254.9.9 5000 typ host\r\n"
            printf "a=candidate:4 1 udp 2122260220 0.0.0.0 5002 typ host\r\n"
            printf "a=candidate:5 1 udp 2122260219 127.0.0.3 5004 typ host\r\n" }'
}
offer >"$it_tmp/offer.sdp"
check "the offer carries the 5 candidates" '[ "$(grep -c "^a=candidate:" "$it_tmp/offer.sdp")" = 5 ]'

run() { # label, extra [ice] line
    rm -f "$it_tmp/counts" "$it_tmp/counts.ready"
    { it_ini "$port" 60; printf '[ice]\n%s\n' "$2"; } >"$it_tmp/$1.ini"
    it_daemon "$it_tmp/$1.ini" "$base"
    listen 6
    st=$(c -o /dev/null -w '%{http_code}' -H 'Content-Type: application/sdp' \
        --data-binary @"$it_tmp/offer.sdp" "$base/rooms/cand$1/whip")
    check "$1: the offer is answered (201: $st)" '[ "$st" = 201 ]'
    wait "$listener"
    echo "# $1: STUN requests received: $(tr '\n' ' ' <"$it_tmp/counts")"
    it_stop
}

run auto "" # the default
check "auto: a loopback candidate on a high port is probed (the capture works)" '[ "$(count loopback)" -gt 0 ]'
check "auto: no check to a loopback port below 1024 (127.0.0.2:9)" '[ "$(count low)" = 0 ]'
check "auto: no check to a private address when the server is on loopback (10.9.9.9)" '[ "$(count private)" = 0 ]'
check "auto: no check to a link-local address (169.254.9.9)" '[ "$(count linklocal)" = 0 ]'
check "auto: no check to the unspecified address (0.0.0.0:5002)" '[ "$(count unspec)" = 0 ]'

run yes "allow_private_candidates = yes"
check "yes: the private address is probed" '[ "$(count private)" -gt 0 ]'
check "yes: still no check to a port below 1024, link-local or unspecified" \
    '[ "$(count low)" = 0 ] && [ "$(count linklocal)" = 0 ] && [ "$(count unspec)" = 0 ]'

run no "allow_private_candidates = no"
check "no: not even the loopback candidate is probed" '[ "$(count loopback)" = 0 ] && [ "$(count private)" = 0 ]'

# ---- [ice] addresses by default: the interface with the default route ----
# (the answer's addresses, each once: ICE-TCP adds a TCP candidate beside each UDP one)
ip link add rt0 type veth peer name rt1
ip link add lan0 type veth peer name lan1
ip addr add 10.7.0.1/24 dev rt0
ip addr add 10.7.0.2/24 dev rt1
ip addr add 192.168.77.1/24 dev lan0
ip addr add 192.168.77.2/24 dev lan1
for i in rt0 rt1 lan0 lan1; do ip link set "$i" up; done
ip route add default via 10.7.0.2 dev rt0
printf '[http]\nport = %s\n[mixer]\nthreads = 1\nwidth = 320\nheight = 180\n' "$port" >"$it_tmp/default.ini"
it_daemon "$it_tmp/default.ini" "$base"
c -H 'Content-Type: application/sdp' --data-binary @"$it_tmp/offer.sdp" "$base/rooms/defaults/whip" |
    tr -d '\r' | sed -n 's/^a=candidate:[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .*/\1/p' |
    sort -u >"$it_tmp/host"
echo "# host candidates with a default route on rt0: $(tr '\n' ' ' <"$it_tmp/host")"
check "without [ice] addresses the answer's host candidate is the default route's interface (10.7.0.1) alone" \
    '[ "$(cat "$it_tmp/host")" = 10.7.0.1 ]'
it_stop
ip route del default
it_daemon "$it_tmp/default.ini" "$base"
c -H 'Content-Type: application/sdp' --data-binary @"$it_tmp/offer.sdp" "$base/rooms/defaults/whip" |
    tr -d '\r' | sed -n 's/^a=candidate:[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .*/\1/p' |
    sort -u >"$it_tmp/host"
echo "# host candidates without a default route: $(tr '\n' ' ' <"$it_tmp/host")"
check "with no default route it is 127.0.0.1 alone" '[ "$(cat "$it_tmp/host")" = 127.0.0.1 ]'
it_stop
it_finish
