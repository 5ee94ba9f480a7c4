#!/usr/bin/env bash
# Browser end-to-end test of the client's languages, devices and audio only
# (tests/e2e/i18n.mjs): starts ./conclave in a network namespace that holds
# only the loopback interface, waits for /healthz, runs i18n.mjs against it
# with headless Chromium (three fake cameras and microphones) and passes node's
# exit status through; prints the end of the daemon's log when something
# failed. Needs root (unshare -n), ./conclave built, /usr/bin/chromium and
# tests/e2e/node_modules (make deps).
# Environment: CONCLAVE (daemon binary, relative to the repo root, default
# ./conclave), E2E_PORT (HTTP port, default 18484), E2E_READY_S (seconds to
# wait for /healthz, default 10).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="i18n"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

# From here on, inside the new network namespace.
e2e_lo_up
e2e_setup 18484
e2e_start_daemon "$(e2e_ini_room 640 360)"
e2e_wait_healthy

node tests/e2e/i18n.mjs "$e2e_base"
e2e_finish $?
