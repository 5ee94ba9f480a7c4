#!/usr/bin/env bash
# Accessibility test of conclave's web client (www/): starts ./conclave in a
# network namespace holding only the loopback interface and runs
# tests/e2e/a11y.mjs with headless Chromium (axe-core over every view at
# desktop and phone sizes, a keyboard walk through the call, the shortcuts,
# the phone checks). Needs
# root (unshare -n), ./conclave built, /usr/bin/chromium and
# tests/e2e/node_modules (make deps). Environment: CONCLAVE, E2E_PORT
# (default 18492), E2E_READY_S.
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="a11y"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18492
e2e_start_daemon "$(e2e_ini_room 320 180)"
e2e_wait_healthy

node tests/e2e/a11y.mjs "$e2e_base"
e2e_finish $?
