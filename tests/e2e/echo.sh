#!/usr/bin/env bash
# Browser end-to-end test of the echo check: starts ./conclave in a network
# namespace that holds only the loopback interface (so neither the daemon nor
# the browser can reach any other host), waits for /healthz, runs
# tests/e2e/echo.mjs against it with headless Chromium, and passes node's exit
# status through. Needs root (unshare -n), ./conclave built, /usr/bin/chromium
# and tests/e2e/node_modules (make deps).
# Environment: CONCLAVE (daemon binary, relative to the repo root, default
# ./conclave), E2E_PORT (HTTP port, default 18480), E2E_READY_S (seconds to
# wait for /healthz, default 10).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="echo"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

# From here on, inside the new network namespace.
e2e_lo_up
e2e_setup 18480
e2e_log_lines=40
e2e_start_daemon ""
e2e_wait_healthy

node tests/e2e/echo.mjs "$e2e_base"
rc=$?
if [ "$rc" -ne 0 ]; then
    e2e_daemon_log
fi
exit "$rc"
