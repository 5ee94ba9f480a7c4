#!/usr/bin/env bash
# Browser end-to-end test of room passwords and moderation in conclave's web
# client (www/): starts ./conclave in a network namespace holding only the
# loopback interface, with a room "secret" that has a password, and runs
# tests/e2e/access.mjs with headless Chromium (Alice creates the room with the
# password and moderates; Bob joins with it; lecture layout, the floor, lock,
# remove). Needs root (unshare -n), ./conclave built, /usr/bin/chromium and
# tests/e2e/node_modules (make deps). Environment: CONCLAVE, E2E_PORT
# (default 18491), E2E_READY_S.
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="access-ui"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18491
e2e_start_daemon "$(e2e_ini_room 320 180)

[room secret]
password = open sesame"
e2e_wait_healthy

node tests/e2e/access.mjs "$e2e_base"
e2e_finish $?
