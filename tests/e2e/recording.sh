#!/usr/bin/env bash
# Browser end-to-end test of the recording indicator in conclave's web client
# (www/): starts ./conclave in a network namespace holding only the loopback
# interface, with [recording] enabled into a temporary directory, and runs
# tests/e2e/recording.mjs with headless Chromium (Alice moderates and records,
# Bob sees the indicator, Carol is told on the pre-join screen). Needs root
# (unshare -n), ./conclave built, /usr/bin/chromium and tests/e2e/node_modules
# (make deps). Environment: CONCLAVE, E2E_PORT (default 18497), E2E_READY_S.
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="recording-ui"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18497
e2e_start_daemon "$(e2e_ini_room 320 180)

[recording]
enabled = yes
dir = $e2e_tmp/recordings"
e2e_wait_healthy

node tests/e2e/recording.mjs "$e2e_base"
rc=$?
n=$(find "$e2e_tmp/recordings" -name '*.webm' 2>/dev/null | wc -l)
if [ "$n" = 1 ]; then
    echo "# the recording was written ($n file)"
else
    echo "not ok - the recording was written (found $n files)"
    rc=1
fi
e2e_finish $rc
