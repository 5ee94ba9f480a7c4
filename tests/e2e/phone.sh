#!/usr/bin/env bash
# Browser end-to-end test of the portrait composite and of low data: starts
# ./conclave in a network namespace that holds only the loopback interface,
# with a 640x360 composite in two tiers, and runs tests/e2e/phone.mjs
# against it with headless Chromium (a desk window and a 390x844 phone in
# one room); passes node's exit status through and prints the end of the
# daemon's log when something failed. Needs root (unshare -n), ./conclave
# built, /usr/bin/chromium and tests/e2e/node_modules (make deps).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="phone"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18486
e2e_start_daemon "$(
    e2e_ini_room 640 360
    printf '[mixer]\ntiers = 640x360@30:600,320x180@15:150\n'
)"
e2e_wait_healthy

node tests/e2e/phone.mjs "$e2e_base"
e2e_finish $?
