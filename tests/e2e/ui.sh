#!/usr/bin/env bash
# Browser end-to-end test of conclave's own web client (www/): starts
# ./conclave in a network namespace that holds only the loopback interface
# (so neither the daemon nor the browser can reach any other host), with a
# small composite (640x360 at 30 fps), waits for /healthz, runs
# tests/e2e/ui.mjs against it with headless Chromium (Alice and Bob join one
# room through the pages: landing, pre-join, call; chat, mute, screen share,
# leave), and passes node's exit status through; prints the end of the
# daemon's log when something failed. Screenshots go to tests/e2e/artifacts/
# ui-landing.png, ui-prejoin.png and ui-call.png. Needs root (unshare -n),
# ./conclave built, /usr/bin/chromium and tests/e2e/node_modules (make deps).
# Environment: CONCLAVE (daemon binary, relative to the repo root, default
# ./conclave), E2E_PORT (HTTP port, default 18481), E2E_READY_S (seconds to
# wait for /healthz, default 10).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="ui"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

# From here on, inside the new network namespace.
e2e_lo_up
e2e_setup 18481
# The composite size; ui.mjs checks the received picture against it.
export UI_W=640 UI_H=360
e2e_start_daemon "$(e2e_ini_room "$UI_W" "$UI_H")"
e2e_wait_healthy

node tests/e2e/ui.mjs "$e2e_base"
e2e_finish $?
