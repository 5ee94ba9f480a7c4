#!/usr/bin/env bash
# Browser end-to-end test of a weak link: the daemon and the impairment relay
# (build/bench/relay) in a network namespace holding only the loopback
# interface; the relay listens on 127.0.0.2 on the daemon's ICE ports and
# forwards to 127.0.0.1 with a reproducible profile (WEAK_PROFILE, default
# loss20: 20 % random loss each way, seed 1). tests/e2e/weak.mjs puts one of
# two Chromium participants behind it and checks that it still hears the other
# and sees a moving picture. Needs root (unshare -n), ./conclave and
# build/bench/relay built (make), /usr/bin/chromium, tests/e2e/node_modules.
# Environment: CONCLAVE, E2E_PORT (default 18490), E2E_READY_S, E2E_LOG_LEVEL, WEAK_PROFILE,
# WEAK_BENCH=1 and WEAK_RUN_S (bench mode, used by bench/network.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="weak"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

relay=${RELAY:-build/bench/relay}
if ! e2e_in_netns; then
    e2e_preflight chromium
    [ -x "$relay" ] || e2e_fail "relay $relay is built (make build/bench/relay)"
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18490 conclave-weak
e2e_ice_min=41000
e2e_ice_max=41015
export WEAK_PROFILE=${WEAK_PROFILE:-loss20}
# no ICE-TCP: the relay carries UDP only, and B would reach the daemon's
# TCP candidates straight, around the impaired link
e2e_start_daemon "$(e2e_ini_room 640 360)

[ice]
tcp = no"
e2e_wait_healthy

"$relay" --listen 127.0.0.2 --target 127.0.0.1 --ports "$e2e_ice_min-$e2e_ice_max" \
    --profile "$WEAK_PROFILE" --seed "${WEAK_SEED:-1}" 2>"$e2e_tmp/relay.log" &
relay_pid=$!

node tests/e2e/weak.mjs "$e2e_base"
status=$?
e2e_stop "$relay_pid" 0
sed 's/^/# /' "$e2e_tmp/relay.log"
# the tier changes, when the daemon logs them (E2E_LOG_LEVEL=debug)
grep "output tier" "$e2e_log" | sed 's/^/# /'
e2e_finish $status
