#!/usr/bin/env bash
# Browser end-to-end test of the waiting room in conclave's web client
# (www/): starts ./conclave in a network namespace holding only the loopback
# interface, with a room "class" that has lobby = yes, and runs
# tests/e2e/lobby.mjs with headless Chromium (the host opens the room and
# moderates; Wendy waits, gets no media and no roster, and is in the call
# within 1 s of Admit; Dan is denied and refused again after a reload).
# Needs root (unshare -n), ./conclave built, /usr/bin/chromium and
# tests/e2e/node_modules (make deps). Environment: CONCLAVE, E2E_PORT
# (default 18497), E2E_READY_S.
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="lobby-ui"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18497
e2e_start_daemon "$(e2e_ini_room 320 180)

[room class]
lobby = yes"
e2e_wait_healthy

node tests/e2e/lobby.mjs "$e2e_base"
e2e_finish $?
