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
e2e_name="whip-gst"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    py=${GST_PYTHON:-/usr/bin/python3}
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
    ) || e2e_fail "GStreamer with webrtcbin for $py (make deps): $(echo "$why" | tail -n 1)"
    export GST_PYTHON="$py"
    e2e_reexec_in_netns "$@"
fi

# From here on, inside the new network namespace.
e2e_lo_up
e2e_setup 18481 conclave-whip-gst
npid=""
export ROOM_W=640 ROOM_H=360

# Stops what we started: node's process group (node and the publishers it
# spawned, should any be left), then the daemon: SIGTERM, SIGKILL after 3 s.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -n "$npid" ] && e2e_stop "$npid" 1
    e2e_cleanup
}
trap cleanup EXIT

e2e_ice_min=41200
e2e_ice_max=41300
e2e_start_daemon "$(e2e_ini_room "$ROOM_W" "$ROOM_H")"
e2e_wait_healthy

# node runs in a process group of its own (setsid), so that cleanup can end
# it together with any publisher it left behind.
setsid node tests/e2e/whip_gst.mjs "$e2e_base" &
npid=$!
wait "$npid"
e2e_finish $?
