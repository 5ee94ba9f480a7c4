#!/usr/bin/env bash
# Browser end-to-end test of breakout groups in conclave's web client
# (www/): starts ./conclave in a network namespace holding only the loopback
# interface and runs tests/e2e/breakout_ui.mjs with headless Chromium (the
# host opens two groups from the moderator's panel; two participants' calls
# move to them with a banner and a countdown; the host visits a group and
# comes back, sends a message to all groups, and closes them). Needs root
# (unshare -n), ./conclave built, /usr/bin/chromium and tests/e2e/node_modules
# (make deps). Environment: CONCLAVE, E2E_PORT (default 18499), E2E_READY_S.
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="breakout-ui"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18499
e2e_start_daemon "$(e2e_ini_room 320 180)"

e2e_wait_healthy

node tests/e2e/breakout_ui.mjs "$e2e_base"
e2e_finish $?
