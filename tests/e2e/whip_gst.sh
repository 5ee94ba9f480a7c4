#!/usr/bin/env bash
# End-to-end test of conclave with GStreamer WHIP publishers: starts
# ./conclave in a network namespace that holds only the loopback interface
# (as room.sh does), then runs tests/e2e/whip_gst.mjs, which starts two
# tests/e2e/gst_whip.py publishers (webrtcbin; one with every candidate in its
# offer, one trickling them by PATCH) and headless Chromium (a participant and
# a WHEP viewer) in one room, and checks what each sees and hears. Passes
# node's exit status through and prints the end of the daemon's log when
# something failed; ends with "whip-gst: N passed, M failed".
# Needs root (unshare -n), ./conclave built, /usr/bin/chromium,
# tests/e2e/node_modules, and Debian's python3-gi, gir1.2-gst-plugins-bad-1.0
# and the GStreamer plugins (make deps).
# Environment: CONCLAVE (daemon binary, default ./conclave), E2E_PORT (HTTP
# port, default 18481), E2E_READY_S (seconds to wait for /healthz, default
# 10), GST_PYTHON (default /usr/bin/python3), WHIP_GST_DEBUG=1 (verbose).
set -u
cd "$(dirname "$0")/../.." || exit 1

fail() {
    echo "not ok - $1"
    echo "whip-gst: 0 passed, 1 failed"
    exit 1
}

if [ "${CONCLAVE_E2E_IN_NETNS:-}" != 1 ]; then
    daemon=${CONCLAVE:-./conclave}
    py=${GST_PYTHON:-/usr/bin/python3}
    [ -x "$daemon" ] || fail "daemon $daemon is built (run make)"
    command -v node >/dev/null || fail "node is installed (make deps)"
    [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is installed (make deps)"
    [ -d tests/e2e/node_modules/playwright-core ] || fail "playwright-core is installed (make deps)"
    command -v unshare >/dev/null || fail "unshare is installed (util-linux)"
    [ "$(id -u)" = 0 ] || fail "runs as root (unshare -n needs it)"
    # Every element gst_whip.py uses, through the same introspection it uses.
    why=$("$py" - 2>&1 <<'EOF'
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import Gst, GstSdp, GstWebRTC
Gst.init(None)
need = ("webrtcbin nicesrc dtlsenc srtpenc rtpbin videotestsrc videoconvert vp8enc "
        "rtpvp8pay audiotestsrc audioconvert audioresample opusenc rtpopuspay queue")
missing = [e for e in need.split() if Gst.ElementFactory.find(e) is None]
if missing:
    raise SystemExit("missing GStreamer elements: " + " ".join(missing))
EOF
    ) || fail "GStreamer with webrtcbin for $py (make deps): $(echo "$why" | tail -n 1)"
    exec env CONCLAVE_E2E_IN_NETNS=1 CONCLAVE="$daemon" GST_PYTHON="$py" \
        unshare -n -- bash "$PWD/tests/e2e/whip_gst.sh" "$@"
fi

# From here on, inside the new network namespace.
ip link set lo up || fail "loopback is up in the test namespace"

port=${E2E_PORT:-18481}
base="http://127.0.0.1:$port"
tmp=$(mktemp -d /tmp/conclave-whip-gst.XXXXXX)
ini="$tmp/conclave.ini"
log="$tmp/conclave.log"
pid=""
npid=""
export ROOM_W=640 ROOM_H=360

now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# Stops what we started: node's process group (node and the publishers it
# spawned, should any be left), then the daemon: SIGTERM, SIGKILL after 3 s.
# shellcheck disable=SC2317 # called by the EXIT trap
stop() {
    local p=$1 group=$2
    local target=$p
    [ "$group" = 1 ] && target=-$p
    kill -TERM -- "$target" 2>/dev/null || return 0
    local until_ms=$(($(now_ms) + 3000))
    while kill -0 -- "$target" 2>/dev/null && [ "$(now_ms)" -lt "$until_ms" ]; do
        sleep 0.05
    done
    kill -KILL -- "$target" 2>/dev/null
    wait "$p" 2>/dev/null
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -n "$npid" ] && stop "$npid" 1
    [ -n "$pid" ] && stop "$pid" 0
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$ini" <<EOF
[http]
listen = 127.0.0.1
port = $port
www = $PWD/www

[ice]
port_min = 41200
port_max = 41300
addresses = 127.0.0.1

[mixer]
width = $ROOM_W
height = $ROOM_H
fps = 30

[rooms]
open = yes
max_participants = 8

[log]
level = info
EOF

daemon_log() {
    echo "# --- daemon log (last 60 lines) ---"
    tail -n 60 "$log" | sed 's/^/# /'
}

"$CONCLAVE" -c "$ini" >"$log" 2>&1 &
pid=$!

ready_s=${E2E_READY_S:-10}
deadline_ms=$(($(now_ms) + ready_s * 1000))
until curl -fsS -o /dev/null --max-time 1 "$base/healthz" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        echo "not ok - daemon started (it exited with status $?)"
        daemon_log
        echo "whip-gst: 0 passed, 1 failed"
        exit 1
    fi
    if [ "$(now_ms)" -ge "$deadline_ms" ]; then
        echo "not ok - daemon answered /healthz within $ready_s s"
        daemon_log
        echo "whip-gst: 0 passed, 1 failed"
        exit 1
    fi
    sleep 0.05
done

# node runs in a process group of its own (setsid), so that cleanup can end
# it together with any publisher it left behind.
setsid node tests/e2e/whip_gst.mjs "$base" &
npid=$!
wait "$npid"
rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    echo "# the daemon exited during the test (status $?)"
    rc=1
fi
if [ "$rc" -ne 0 ]; then
    daemon_log
fi
exit "$rc"
