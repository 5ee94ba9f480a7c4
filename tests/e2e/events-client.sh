#!/usr/bin/env bash
# The browser client's event stream logic (www/js/events.js) under node with
# a fake EventSource and fetch: stream tokens instead of the session id in
# the URL, reopening a dropped stream with a new token, trouble on a gone
# session or repeated failures (tests/e2e/events_client.mjs). No browser, no
# daemon, no network. Ends with "events-client: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
command -v node >/dev/null || {
    echo "not ok - node is installed (make deps)"
    echo "events-client: 0 passed, 1 failed"
    exit 1
}
exec node tests/e2e/events_client.mjs
