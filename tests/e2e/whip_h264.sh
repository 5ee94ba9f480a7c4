#!/usr/bin/env bash
# End-to-end test of H.264 senders: starts ./conclave in a network namespace
# that holds only the loopback interface (as whip_gst.sh does), then runs
# tests/e2e/whip_h264.mjs: a GStreamer WHIP publisher sending H.264
# (tests/e2e/gst_whip.py --codec h264, x264enc), one sending VP8, a headless
# Chromium participant offering only H.264 (which receives the composite as
# H.264) and a Chromium WHEP viewer in one room. Passes node's exit status through and prints the end of the daemon's
# log when something failed; ends with "whip-h264: N passed, M failed".
# Needs root (unshare -n), ./conclave built, /usr/bin/chromium,
# tests/e2e/node_modules, python3-gi and the GStreamer plugins with x264enc
# (gstreamer1.0-plugins-ugly; make deps).
# Environment: CONCLAVE (daemon binary, default ./conclave), E2E_PORT (HTTP
# port, default 18482), GST_PYTHON (default /usr/bin/python3),
# WHIP_H264_DEBUG=1 (verbose).
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="whip-h264"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    py=${GST_PYTHON:-/usr/bin/python3}
    why=$("$py" - 2>&1 <<'PY'
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
need = ("webrtcbin nicesrc dtlsenc srtpenc rtpbin videotestsrc videoconvert vp8enc rtpvp8pay "
        "x264enc rtph264pay audiotestsrc audioconvert audioresample opusenc rtpopuspay queue")
missing = [e for e in need.split() if Gst.ElementFactory.find(e) is None]
if missing:
    raise SystemExit("missing GStreamer elements: " + " ".join(missing))
PY
    ) || e2e_fail "GStreamer with webrtcbin and x264enc for $py (make deps): ${why##*$'\n'}"
    export GST_PYTHON="$py"
    e2e_reexec_in_netns "$@"
fi

# From here on, inside the new network namespace.
e2e_lo_up
e2e_setup 18482 conclave-whip-h264
npid=""
export ROOM_W=640 ROOM_H=360

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -n "$npid" ] && e2e_stop "$npid" 1
    e2e_cleanup
}
trap cleanup EXIT

e2e_ice_min=41400
e2e_ice_max=41500
e2e_start_daemon "$(e2e_ini_room "$ROOM_W" "$ROOM_H")"
e2e_wait_healthy

setsid node tests/e2e/whip_h264.mjs "$e2e_base" &
npid=$!
wait "$npid"
e2e_finish $?
