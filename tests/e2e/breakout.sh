#!/usr/bin/env bash
# Browser end-to-end test of breakout groups: starts ./conclave in a network
# namespace holding only the loopback interface, with a small composite
# (320x180 at 15 fps, to keep the load low), and runs tests/e2e/breakout.mjs
# with headless Chromium (a teacher and six participants in one page, split
# into three groups: each group sees and hears its own members only; a
# reconnection lands in its group; closing and a 10 s duration bring everyone
# back). Needs root (unshare -n), ./conclave built, /usr/bin/chromium and
# tests/e2e/node_modules (make deps). Environment: CONCLAVE, E2E_PORT
# (default 18498), E2E_READY_S.
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="breakout-media"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18498
e2e_start_daemon "$(e2e_ini_room 320 180 | sed 's/^fps = 30$/fps = 15/')"
e2e_wait_healthy

node tests/e2e/breakout.mjs "$e2e_base"
e2e_finish $?
