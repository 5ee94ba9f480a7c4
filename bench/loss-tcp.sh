#!/usr/bin/env bash
# ICE-TCP against UDP on a lossy link: in a network namespace of its own, two
# Chromium participants (tests/e2e/firewall.mjs) join a room over direct UDP,
# then with all UDP dropped over ICE-TCP, each time with nftables dropping a
# random LOSS_PCT % (default 5, like the relay's loss5 profile) of the media
# packets in each direction (UDP to or from the daemon's media address, or
# TCP on its media ports; every packet on lo passes the output hook once).
# Prints the join and first-frame times, the composite's frame rate and the
# share of audio samples the browsers concealed, per phase. A measurement,
# not a test: the figures are printed whatever they are.
# Needs root, ./conclave, /usr/bin/chromium, nft and tests/e2e/node_modules.
set -u
cd "$(dirname "$0")/.." || exit 1
loss=${LOSS_PCT:-5}
if [ "${CONCLAVE_E2E_IN_NETNS:-}" != 1 ]; then
    exec env CONCLAVE_E2E_IN_NETNS=1 unshare -n -- bash "$0" "$@"
fi
ip link set lo up
tmp=$(mktemp -d /tmp/conclave-loss-tcp.XXXXXX)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
media=127.0.0.2 lo_port=41300 hi_port=41399
cat >"$tmp/conclave.ini" <<EOF2
[http]
port = 18495
www = $PWD/www
[ice]
addresses = $media
port_min = $lo_port
port_max = $hi_port
[mixer]
width = 640
height = 360
EOF2
./conclave -c "$tmp/conclave.ini" >"$tmp/log" 2>&1 &
pid=$!
until curl -fs -o /dev/null http://127.0.0.1:18495/healthz; do sleep 0.1; done
rules() {
    nft delete table inet loss 2>/dev/null
    {
        echo "table inet loss {"
        echo "chain out {"
        echo "type filter hook output priority 0; policy accept;"
        for r in "$@"; do echo "$r"; done
        echo "}"
        echo "}"
    } | nft -f -
}
drop="numgen random mod 1000 < $((loss * 10)) counter drop"
dropped() { nft list table inet loss | grep -o 'packets [0-9]*' | awk '{s += $2} END {print s + 0}'; }
echo "# random loss: $loss % of the media packets each way"
rules "ip saddr $media meta l4proto udp $drop" "ip daddr $media meta l4proto udp $drop"
TMPDIR=$tmp node tests/e2e/firewall.mjs http://127.0.0.1:18495 udp loss-udp | grep '^#\|passed'
echo "# media packets dropped: $(dropped)"
rules "meta l4proto udp drop" \
    "ip saddr $media tcp sport $lo_port-$hi_port $drop" \
    "ip daddr $media tcp dport $lo_port-$hi_port $drop"
TMPDIR=$tmp node tests/e2e/firewall.mjs http://127.0.0.1:18495 tcp loss-tcp | grep '^#\|passed'
echo "# media packets dropped (TCP segments): $(dropped)"
