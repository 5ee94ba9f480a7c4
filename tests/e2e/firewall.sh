#!/usr/bin/env bash
# Browser end-to-end test of joining from networks that block UDP: in a
# network namespace of its own (loopback only), two Chromium participants join
# a room (tests/e2e/firewall.mjs) three times:
#   udp:   nothing blocked: a direct UDP pair;
#   tcp:   nftables drops every UDP packet: ICE-TCP to the daemon's
#          TCP-passive candidates (RFC 6544);
#   relay: UDP to and from the browser's address and TCP from it to the
#          daemon's media ports are dropped; only TCP to a coturn started here
#          is open, with credentials from the room ([turn], TURN REST scheme);
#          the pair must be relayed;
#   ui:    the page's own call view with UDP dropped says "connected over
#          TCP"; once UDP is back and its session lost, it rejoins over UDP.
# Addresses (all on lo): the browser 127.0.0.1, the daemon's media
# 127.0.0.2 ([ice] addresses), coturn listens on 127.0.0.3 and relays from
# 127.0.0.4 (allowed-peer-ip: only the daemon's address).
# Prints the join and first-frame times of each phase ("# times ...").
# Needs root (unshare -n), ./conclave built, /usr/bin/chromium, nft
# (nftables), turnserver (coturn) and tests/e2e/node_modules (make deps).
# Environment: CONCLAVE (daemon binary), E2E_PORT (HTTP port, default 18490).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="firewall"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    command -v nft >/dev/null || e2e_fail "nft is installed (nftables, make deps)"
    command -v turnserver >/dev/null || e2e_fail "turnserver is installed (coturn, make deps)"
    e2e_reexec_in_netns "$@"
fi

# From here on, inside the new network namespace.
e2e_lo_up
e2e_setup 18490 conclave-firewall
turn_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    e2e_stop_daemon
    [ -n "$turn_pid" ] && e2e_stop "$turn_pid" 0
    rm -rf "$e2e_tmp"
}
trap cleanup EXIT

client=127.0.0.1 media=127.0.0.2 turn_ip=127.0.0.3 relay_ip=127.0.0.4 turn_port=3478
e2e_ice_addrs=$media
e2e_ice_min=41200
e2e_ice_max=41299
failed=0

# block RULES...: replaces the namespace's filter with the given nft rules
# (each one "meta ... drop" on the output hook, which every packet on lo
# passes once).
block() {
    nft delete table inet fw 2>/dev/null
    {
        echo "table inet fw {"
        echo "chain out {"
        echo "type filter hook output priority 0; policy accept;"
        for r in "$@"; do echo "$r"; done
        echo "}"
        echo "}"
    } | nft -f - || e2e_fail "nft rules loaded: $*"
}

phase() { # MODE ROOM
    TMPDIR=$e2e_tmp node tests/e2e/firewall.mjs "$e2e_base" "$1" "$2" || failed=1
}

e2e_start_daemon "$(e2e_ini_room 640 360)"
e2e_wait_healthy
phase udp fw-udp
block "meta l4proto udp counter drop"
phase tcp fw-tcp
dropped=$(nft list chain inet fw out | sed -n 's/.*packets \([0-9]*\).*/\1/p' | head -1)
echo "# udp packets dropped during the tcp phase: ${dropped:-?}"
# the page's own call view over TCP; firewall.mjs deletes the table itself
phase ui fw-ui
nft delete table inet fw 2>/dev/null
e2e_stop_daemon
e2e_pid=""

# relay: coturn on its own addresses, the daemon hands out its credentials
secret=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
turnserver --listening-ip="$turn_ip" --listening-port=$turn_port --relay-ip="$relay_ip" \
    --min-port=49160 --max-port=49200 --use-auth-secret --static-auth-secret="$secret" \
    --realm=conclave.test --no-tls --no-dtls --no-cli --no-multicast-peers \
    --allow-loopback-peers --denied-peer-ip=127.0.0.0-127.255.255.255 \
    --allowed-peer-ip="$media" --fingerprint --pidfile="$e2e_tmp/turn.pid" \
    --log-file=stdout --simple-log >"$e2e_tmp/turn.log" 2>&1 &
turn_pid=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/$turn_ip/$turn_port") 2>/dev/null && break
    sleep 0.1
done
kill -0 "$turn_pid" 2>/dev/null || e2e_fail "turnserver started ($(tail -3 "$e2e_tmp/turn.log"))"
e2e_start_daemon "$(e2e_ini_room 640 360)

[turn]
urls = turn:$turn_ip:$turn_port?transport=tcp
secret = $secret
ttl = 600"
e2e_wait_healthy
block "ip saddr $client meta l4proto udp drop" "ip daddr $client meta l4proto udp drop" \
    "ip saddr $client ip daddr $media tcp dport $e2e_ice_min-$e2e_ice_max drop"
phase relay fw-relay
if [ "$failed" -ne 0 ]; then
    echo "# --- coturn log (last 20 lines) ---"
    tail -n 20 "$e2e_tmp/turn.log" | sed 's/^/# /'
fi
e2e_finish "$failed"
