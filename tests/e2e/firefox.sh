#!/usr/bin/env bash
# Browser end-to-end test of a conclave room shared by Firefox and Chromium:
# starts ./conclave in a network namespace of its own, runs
# tests/e2e/firefox.mjs against it (one participant in headless Firefox ESR
# driven by puppeteer-core over WebDriver BiDi, one in headless Chromium
# driven by playwright-core) and passes node's exit status through; prints
# the end of the daemon's log when something failed.
#
# Firefox gathers no ICE candidate on the loopback interface, so the
# namespace also holds a veth pair: veth0 has 198.18.0.1/24 (RFC 2544's
# benchmarking range) and the default route points at 198.18.0.2, which no
# one holds. Nothing leaves the namespace: its only other end, veth1, is in
# the same namespace and has no address. The daemon offers host candidates
# on 127.0.0.1 and 198.18.0.1 ([ice] addresses).
#
# Needs root (unshare -n, ip link add), ./conclave built, /usr/bin/firefox-esr,
# /usr/bin/chromium and tests/e2e/node_modules (make deps).
# Environment: CONCLAVE (daemon binary, relative to the repo root, default
# ./conclave), E2E_PORT (HTTP port, default 18480), E2E_READY_S (seconds to
# wait for /healthz, default 10), E2E_LOG_LEVEL (the daemon's [log] level,
# default info; debug shows ICE, DTLS and SDP details).
#
# With E2E_BLOCK_UDP=1 (tests/e2e/firefox-tcp.sh) nftables drops every UDP
# packet in the namespace, and firefox.mjs also checks that both selected
# pairs are TCP (ICE-TCP to the daemon's TCP-passive candidates).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="firefox"
[ "${E2E_BLOCK_UDP:-0}" = 1 ] && e2e_name="firefox-tcp"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight firefox chromium
    if [ "${E2E_BLOCK_UDP:-0}" = 1 ]; then
        command -v nft >/dev/null || e2e_fail "nft is installed (nftables, make deps)"
    fi
    e2e_reexec_in_netns "$@"
fi

# From here on, inside the new network namespace.
e2e_lo_up
veth_addr=198.18.0.1
{
    ip link add veth0 type veth peer name veth1 &&
        ip addr add "$veth_addr/24" dev veth0 &&
        ip link set veth0 up &&
        ip link set veth1 up &&
        ip route add default via 198.18.0.2
} || e2e_fail "veth0 ($veth_addr/24) and a default route via 198.18.0.2 in the test namespace"

if [ "${E2E_BLOCK_UDP:-0}" = 1 ]; then
    printf '%s\n' 'table inet fw {' 'chain out {' \
        'type filter hook output priority 0; policy accept;' 'meta l4proto udp drop' '}' '}' |
        nft -f - || e2e_fail "nftables drops UDP in the test namespace"
    export E2E_WANT_PROTOCOL=tcp
fi

e2e_setup 18480
# The composite size and the second host address; firefox.mjs checks them.
export ROOM_W=640 ROOM_H=360 E2E_VETH_ADDR=$veth_addr

# Stops the daemon (e2e_stop_daemon). Then ends whatever else still runs in
# this namespace (a browser left behind by a node that was killed): the
# namespace is this script's own, so every process in it was started by this
# test.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    e2e_stop_daemon
    # -ef compares the namespaces' inodes without starting a process.
    local p
    for p in /proc/[0-9]*; do
        if [ "${p#/proc/}" != $$ ] && [[ $p/ns/net -ef /proc/$$/ns/net ]]; then
            kill -9 "${p#/proc/}" 2>/dev/null &&
                echo "# killed process ${p#/proc/}, left in the test namespace"
        fi
    done
    rm -rf "$e2e_tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

e2e_ice_addrs=127.0.0.1,$veth_addr
e2e_log_level=${E2E_LOG_LEVEL:-info}
e2e_start_daemon "$(e2e_ini_room "$ROOM_W" "$ROOM_H")"
e2e_wait_healthy

# The browsers' profiles go to $e2e_tmp, which cleanup removes.
TMPDIR=$e2e_tmp node tests/e2e/firefox.mjs "$e2e_base"
e2e_finish $?
