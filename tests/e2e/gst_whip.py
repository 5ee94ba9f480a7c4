#!/usr/bin/python3
"""gst_whip.py - a WHIP publisher (RFC 9725) built on GStreamer's webrtcbin,
for conclave's end-to-end tests (tests/e2e/whip_gst.sh).

It sends what OBS or a GStreamer pipeline would: a send-only offer with a
VP8 picture (or with --codec h264 an H.264 one from x264enc, high profile
and packetization-mode 1, as OBS sends) from videotestsrc (one solid colour)
and an Opus sine tone from
audiotestsrc, one BUNDLE transport (bundle-policy max-bundle), no STUN or
TURN server. The WHIP exchange is done here with urllib, to a loopback
address only:

  --mode full     wait until ICE gathering is complete, then POST the offer
                  with every candidate in it (and a=end-of-candidates);
  --mode trickle  POST the offer at once, without candidates, then send each
                  candidate as it is gathered in a PATCH of type
                  application/trickle-ice-sdpfrag (RFC 8840) to the session
                  URL, and a last PATCH with a=end-of-candidates; a 405 (a
                  server without trickle, RFC 9725 section 4.3.1) is counted
                  and the publisher goes on: the server's answer carries its
                  own candidates, and our connectivity checks reach it.

Then it applies the answer and runs for --seconds (0: until SIGTERM or
SIGINT), leaves with DELETE on the session URL and exits 0; it exits 1 when
anything failed (HTTP error, answer refused, ICE or DTLS failure, not
connected within --connect-timeout, pipeline error). Every step is printed
on stdout as one line "gst-whip[<label>]: <what>: <details>" that the test
reads, for instance
  gst-whip[full]: post: 201 location=... directions=recvonly,recvonly ...
  gst-whip[trickle]: patch: candidate 1 -> 405
  gst-whip[full]: state: connection=connected
  gst-whip[full]: connected: after 412 ms
  gst-whip[full]: delete: 200
  gst-whip[full]: exit: 0 (...)

Needs Debian's python3-gi, gir1.2-gst-plugins-bad-1.0 and the GStreamer
plugins (base, good, bad, nice); run it with /usr/bin/python3.
"""

import argparse
import ipaddress
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

T_PROCESS_MS = time.monotonic() * 1000.0  # before GStreamer's slow start-up

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

HTTP_TIMEOUT_S = 5.0
VIDEO_PT = 96
AUDIO_PT = 111


def now_ms():
    return time.monotonic() * 1000.0


def parse_rgb(text):
    """'R,G,B' (0..255 each) -> (r, g, b)."""
    parts = [int(x) for x in text.split(",")]
    if len(parts) != 3 or any(not 0 <= v <= 255 for v in parts):
        raise argparse.ArgumentTypeError("colour must be R,G,B with 0..255 each")
    return tuple(parts)


def loopback_url(url):
    """True when url is http(s) to a loopback address (127.0.0.0/8, ::1,
    localhost): the only place this script talks to."""
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        return False
    if u.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(u.hostname).is_loopback
    except ValueError:
        return False


def add_end_of_candidates(sdp):
    """Adds a=end-of-candidates to each m-section that lacks it (a
    non-trickle offer says it holds every candidate)."""
    lines = [ln for ln in sdp.replace("\r\n", "\n").split("\n") if ln]
    out = []
    section_has_eoc = True  # the session part needs none
    for ln in lines:
        if ln.startswith("m="):
            if not section_has_eoc:
                out.append("a=end-of-candidates")
            section_has_eoc = False
        elif ln == "a=end-of-candidates":
            section_has_eoc = True
        out.append(ln)
    if not section_has_eoc:
        out.append("a=end-of-candidates")
    return "\r\n".join(out) + "\r\n"


def video_codecs(sdp):
    """The a=rtpmap and a=fmtp values of the video section, ';'-joined."""
    out, video = [], False
    for ln in sdp.replace("\r\n", "\n").split("\n"):
        if ln.startswith("m="):
            video = ln.startswith("m=video")
        elif video and (ln.startswith("a=rtpmap:") or ln.startswith("a=fmtp:")):
            out.append(ln[2:])
    return "; ".join(out)


def sdp_summary(sdp):
    """(directions of the m-sections, number of a=candidate lines,
    whether a=end-of-candidates is there, m-line kinds)."""
    dirs, kinds = [], []
    cands = 0
    eoc = False
    for ln in sdp.replace("\r\n", "\n").split("\n"):
        if ln.startswith("m="):
            kinds.append(ln[2:].split(" ", 1)[0])
            dirs.append("sendrecv")
        elif ln in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive") and dirs:
            dirs[-1] = ln[2:]
        elif ln.startswith("a=candidate:"):
            cands += 1
        elif ln == "a=end-of-candidates":
            eoc = True
    return dirs, cands, eoc, kinds


class Publisher:
    def __init__(self, args):
        self.args = args
        self.label = args.label or args.mode
        self.loop = GLib.MainLoop()
        self.status = None  # exit status once decided
        self.why = ""
        self.location = None
        self.etag = None
        self.t0 = now_ms()
        self.connected_at = None
        self.offer_sdp = None
        self.ufrag = None
        self.pwd = None
        self.first_mid = None
        self.first_kind = None
        self.pending = []  # (mline, candidate) gathered before the POST answered
        self.patches = {}  # HTTP status -> count
        self.trickled = 0
        self.gathering_done = False
        self.eoc_sent = False
        self.posting = False
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.pipe = None
        self.webrtc = None
        self.ice = None

    # ---- output ----

    def say(self, what, detail=""):
        print(f"gst-whip[{self.label}]: {what}: {detail}", flush=True)

    def finish(self, status, why):
        """Decides the exit status (the first decision wins) and stops."""
        if self.status is None:
            self.status = status
            self.why = why
            GLib.idle_add(self.shutdown)

    def fail(self, why):
        self.say("error", why)
        self.finish(1, why)

    # ---- HTTP (loopback only) ----

    def http(self, method, url, body=None, ctype=None):
        """Returns (status, headers, text); status 0 when the request failed."""
        if not loopback_url(url):
            return 0, {}, f"refused: {url} is not a loopback URL"
        headers = {}
        if ctype:
            headers["Content-Type"] = ctype
        if self.etag and method == "PATCH":
            headers["If-Match"] = self.etag
        data = body.encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=HTTP_TIMEOUT_S) as res:
                return res.status, res.headers, res.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            return e.code, e.headers, text
        except (urllib.error.URLError, OSError) as e:
            return 0, {}, str(e)

    # ---- pipeline ----

    def build(self):
        a = self.args
        r, g, b = a.rgb
        argb = 0xFF000000 | (r << 16) | (g << 8) | b
        desc = (
            "webrtcbin name=wb bundle-policy=max-bundle "
            f"videotestsrc is-live=true pattern=solid-color foreground-color={argb} "
            f"! video/x-raw,width={a.width},height={a.height},framerate={a.fps}/1 "
            "! videoconvert ! video/x-raw,format=I420,colorimetry=bt601 ! queue "
            f"! {self.video_encoder()} ! wb. "
            f"audiotestsrc is-live=true wave=sine freq={a.freq} volume={a.volume} "
            "! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! queue "
            f"! opusenc ! rtpopuspay pt={AUDIO_PT} "
            f"! application/x-rtp,media=audio,encoding-name=OPUS,payload={AUDIO_PT},"
            "clock-rate=48000 ! wb. "
        )
        self.pipe = Gst.parse_launch(desc)
        self.webrtc = self.pipe.get_by_name("wb")
        w = self.webrtc
        # libnice leaves out loopback interfaces when it looks for addresses,
        # and a test namespace has nothing else: name the address to use.
        # The agent's wrapper is kept for the pipeline's whole life: with
        # Debian 12's GStreamer 1.22 and PyGObject, letting it go frees the
        # agent while webrtcbin still uses it (a crash when the offer is made).
        self.ice = w.get_property("ice-agent")
        for addr in a.ice_address:
            self.ice.emit("add-local-ip-address", addr)
        w.connect("on-negotiation-needed", self.on_negotiation_needed)
        w.connect("on-ice-candidate", self.on_ice_candidate)
        for prop in (
            "connection-state",
            "ice-connection-state",
            "ice-gathering-state",
            "signaling-state",
        ):
            w.connect(f"notify::{prop}", self.on_state)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_bus_error)
        bus.connect("message::eos", lambda *_: self.fail("unexpected end of stream"))

    def video_encoder(self):
        """The encoder, payloader and RTP caps of the picture."""
        a = self.args
        if a.codec == "h264":
            # high profile (veryfast: CABAC, so x264 does not fall back to
            # baseline) without B frames, parameter sets before every IDR
            return (
                f"x264enc tune=zerolatency speed-preset=veryfast key-int-max={a.fps} "
                "bitrate=300 ! video/x-h264,profile=high "
                f"! rtph264pay pt={VIDEO_PT} config-interval=-1 aggregate-mode=zero-latency "
                f"! application/x-rtp,media=video,encoding-name=H264,payload={VIDEO_PT},"
                "clock-rate=90000"
            )
        return (
            f"vp8enc deadline=1 keyframe-max-dist={a.fps} target-bitrate=300000 "
            f"! rtpvp8pay pt={VIDEO_PT} picture-id-mode=15-bit "
            f"! application/x-rtp,media=video,encoding-name=VP8,payload={VIDEO_PT},"
            "clock-rate=90000"
        )

    def make_sendonly(self):
        """The transceivers webrtcbin made for the linked pads become
        send-only, so the offer says a=sendonly (a publisher)."""
        n = 0
        while True:
            t = self.webrtc.emit("get-transceiver", n)
            if t is None:
                break
            t.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            n += 1
        return n

    def on_bus_error(self, _bus, msg):
        err, dbg = msg.parse_error()
        self.fail(f"pipeline: {err.message} ({dbg})")

    def on_state(self, w, pspec):
        v = w.get_property(pspec.name)
        name = v.value_nick if hasattr(v, "value_nick") else str(v)
        short = pspec.name.replace("-state", "")
        GLib.idle_add(self.state_changed, short, name)

    def state_changed(self, what, value):
        self.say("state", f"{what}={value} (+{now_ms() - self.t0:.0f} ms)")
        if what == "connection" and value == "connected" and self.connected_at is None:
            self.connected_at = now_ms()
            self.say(
                "connected",
                f"after {self.connected_at - self.t0:.0f} ms "
                f"({self.connected_at - T_PROCESS_MS:.0f} ms after the process began)",
            )
            if self.args.seconds > 0:
                GLib.timeout_add(int(self.args.seconds * 1000), self.time_up)
        elif what == "connection" and value == "failed":
            self.fail("the peer connection failed (ICE or DTLS)")
        elif what == "ice-gathering" and value == "complete":
            self.gathering_complete()
        return False

    def time_up(self):
        self.finish(0, f"ran {self.args.seconds:g} s connected")
        return False

    def connect_deadline(self):
        if self.connected_at is None:
            self.fail(f"not connected within {self.args.connect_timeout:g} s")
        return False

    # ---- offer ----

    def on_negotiation_needed(self, w):
        GLib.idle_add(self.create_offer)

    def create_offer(self):
        if self.offer_sdp is not None:
            return False
        self.offer_sdp = ""
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit("create-offer", None, promise)
        return False

    def on_offer_created(self, promise, _data):
        # The offer belongs to the promise's reply: use it here, before the
        # promise goes, and hand only its text to the main loop.
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply and reply.has_field("offer") else None
        if offer is None:
            GLib.idle_add(self.fail, "webrtcbin created no offer")
            return
        text = offer.sdp.as_text()
        self.webrtc.emit("set-local-description", offer, None)
        GLib.idle_add(self.offer_ready, text)

    def offer_ready(self, text):
        self.offer_sdp = text
        self.learn_ice(text)
        dirs, _, _, kinds = sdp_summary(text)
        self.say("offer", f"m-sections {','.join(kinds)} directions {','.join(dirs)}")
        self.say("offer-video", video_codecs(text))
        if self.args.mode == "trickle":
            self.post(text)
        elif self.webrtc.get_property("ice-gathering-state") == (
            GstWebRTC.WebRTCICEGatheringState.COMPLETE
        ):
            self.gathering_complete()
        else:
            GLib.timeout_add(int(self.args.gather_timeout * 1000), self.gather_deadline)
        return False

    def learn_ice(self, sdp):
        """Keeps the ICE credentials and the first m-section's mid and kind
        (the BUNDLE transport's) for the trickle fragments."""
        kind = None
        for ln in sdp.replace("\r\n", "\n").split("\n"):
            if ln.startswith("m=") and kind is None:
                kind = ln
            elif ln.startswith("m="):
                break
            elif ln.startswith("a=ice-ufrag:") and not self.ufrag:
                self.ufrag = ln[len("a=ice-ufrag:") :]
            elif ln.startswith("a=ice-pwd:") and not self.pwd:
                self.pwd = ln[len("a=ice-pwd:") :]
            elif ln.startswith("a=mid:") and kind and self.first_mid is None:
                self.first_mid = ln[len("a=mid:") :]
        self.first_kind = kind

    def gather_deadline(self):
        if self.args.mode == "full" and not self.gathering_done:
            self.say("gathering", f"not complete after {self.args.gather_timeout:g} s")
            self.gathering_done = True
            self.post_full()
        return False

    def gathering_complete(self):
        if self.args.mode == "trickle":
            self.gathering_done = True
            self.flush_trickle()  # a=end-of-candidates
        elif not self.gathering_done:
            self.gathering_done = True
            self.post_full()

    def post_full(self):
        desc = self.webrtc.get_property("local-description")
        if desc is None:
            self.fail("no local description after gathering")
            return
        self.post(add_end_of_candidates(desc.sdp.as_text()))

    def post(self, sdp):
        dirs, cands, eoc, _ = sdp_summary(sdp)
        self.say(
            "post",
            f"offer with {cands} candidates{' and a=end-of-candidates' if eoc else ''}, "
            f"directions {','.join(dirs)} to {self.args.url}",
        )
        self.posting = True
        status, headers, text = self.http("POST", self.args.url, sdp, "application/sdp")
        self.posting = False
        if status != 201:
            self.fail(f"POST answered {status}: {text.strip()[:200]}")
            return
        loc = headers.get("Location")
        if not loc:
            self.fail("201 without a Location")
            return
        self.location = urllib.parse.urljoin(self.args.url, loc)
        self.etag = headers.get("ETag")
        dirs, cands, eoc, _ = sdp_summary(text)
        self.say(
            "answer",
            f"201 location={self.location} directions={','.join(dirs)} "
            f"candidates={cands} end-of-candidates={'yes' if eoc else 'no'} "
            f"content-type={headers.get('Content-Type')}",
        )
        self.say("answer-video", video_codecs(text))
        res, msg = GstSdp.SDPMessage.new_from_text(text)
        if res != GstSdp.SDPResult.OK:
            self.fail(f"the answer is not SDP ({res})")
            return
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        promise = Gst.Promise.new_with_change_func(self.on_remote_set, None)
        self.webrtc.emit("set-remote-description", answer, promise)
        if self.args.mode == "trickle":
            self.flush_trickle()

    def on_remote_set(self, promise, _data):
        reply = promise.get_reply()
        err = reply.get_value("error") if reply and reply.has_field("error") else None
        if err is not None:
            GLib.idle_add(self.fail, f"webrtcbin refused the answer: {err.message}")
        else:
            GLib.idle_add(self.say, "answer", "applied")

    # ---- trickle (RFC 8840 fragments, RFC 9725 section 4.3.1) ----

    def on_ice_candidate(self, _w, mline, candidate):
        GLib.idle_add(self.candidate_gathered, mline, candidate)

    def candidate_gathered(self, mline, candidate):
        if self.args.mode != "trickle":
            return False
        self.pending.append((mline, candidate))
        self.flush_trickle()
        return False

    def fragment(self, cands, eoc):
        mid = self.first_mid if self.first_mid is not None else "0"
        mline = (self.first_kind or "m=audio 9 UDP/TLS/RTP/SAVPF 0").split(" ")
        lines = [
            f"a=ice-ufrag:{self.ufrag}",
            f"a=ice-pwd:{self.pwd}",
            # the m= line of the BUNDLE transport, port 9, as RFC 8840 says
            f"{mline[0]} 9 {mline[2] if len(mline) > 2 else 'UDP/TLS/RTP/SAVPF'} "
            f"{' '.join(mline[3:]) if len(mline) > 3 else '0'}",
            f"a=mid:{mid}",
        ]
        for c in cands:
            lines.append(c if c.startswith("a=") else f"a={c}")
        if eoc:
            lines.append("a=end-of-candidates")
        return "\r\n".join(lines) + "\r\n"

    def patch(self, body, what):
        status, _, text = self.http(
            "PATCH", self.location, body, "application/trickle-ice-sdpfrag"
        )
        self.patches[status] = self.patches.get(status, 0) + 1
        detail = "" if status in (204, 200) else f" ({text.strip()[:120]})"
        self.say("patch", f"{what} -> {status}{detail}")
        if status not in (200, 204, 405):
            self.fail(f"PATCH answered {status}")

    def flush_trickle(self):
        """Sends what was gathered once the session URL is known."""
        if self.args.mode != "trickle" or self.location is None or self.status is not None:
            return
        while self.pending:
            mline, cand = self.pending.pop(0)
            if mline != 0:
                self.say("patch", f"candidate for m-line {mline} skipped (BUNDLE)")
                continue
            self.trickled += 1
            self.patch(self.fragment([cand], False), f"candidate {self.trickled} {cand}")
        if self.gathering_done and not self.eoc_sent:
            self.eoc_sent = True
            self.patch(self.fragment([], True), "end-of-candidates")
            summary = ", ".join(f"{n} x {s}" for s, n in sorted(self.patches.items()))
            self.say("trickle", f"{self.trickled} candidates sent; PATCH statuses: {summary}")

    # ---- the end ----

    def shutdown(self):
        if self.location:
            status, _, text = self.http("DELETE", self.location)
            self.say("delete", f"{status} {text.strip()[:120]}")
            if not 200 <= status < 300 and self.status == 0:
                self.status = 1
                self.why = f"DELETE answered {status}"
        self.pipe.set_state(Gst.State.NULL)
        self.loop.quit()
        return False

    def on_signal(self, signame):
        if self.connected_at is None:
            self.finish(1, f"{signame} before the connection was up")
        else:
            up_s = (now_ms() - self.connected_at) / 1000
            self.finish(0, f"{signame} after {up_s:.1f} s connected")
        return False

    def on_stdin(self, fd, _cond):
        """The test that started us holds our stdin: its end is ours."""
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if data:
            return True
        self.on_signal("end of stdin")
        return False

    def run(self):
        self.build()
        n = self.make_sendonly()
        self.say(
            "start",
            f"mode {self.args.mode}, colour rgb{tuple(self.args.rgb)}, tone {self.args.freq:g} Hz, "
            f"{n} transceivers send-only; {now_ms() - T_PROCESS_MS:.0f} ms after the process began",
        )
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, self.on_signal, "SIGTERM")
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, self.on_signal, "SIGINT")
        GLib.timeout_add(int(self.args.connect_timeout * 1000), self.connect_deadline)
        if self.args.stop_on_stdin_eof:
            GLib.io_add_watch(
                sys.stdin.fileno(),
                GLib.PRIORITY_DEFAULT,
                GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
                self.on_stdin,
            )
        if self.pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.say("error", "the pipeline does not start")
            return 1
        self.loop.run()
        self.say("exit", f"{self.status} ({self.why})")
        return self.status if self.status is not None else 1


def main():
    p = argparse.ArgumentParser(description="WHIP publisher over GStreamer webrtcbin")
    p.add_argument("url", help="the WHIP endpoint, http://127.0.0.1:PORT/rooms/ROOM/whip")
    p.add_argument("--mode", choices=("full", "trickle"), default="full")
    p.add_argument("--label", default="", help="the tag on every output line (default: mode)")
    p.add_argument("--rgb", type=parse_rgb, default=(200, 40, 40), help="R,G,B of the picture")
    p.add_argument("--freq", type=float, default=440.0, help="the tone, Hz")
    p.add_argument("--volume", type=float, default=0.25, help="the tone's amplitude, 0..1")
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--codec", choices=("vp8", "h264"), default="vp8", help="the picture's codec")
    p.add_argument(
        "--seconds", type=float, default=0.0, help="run this long once connected (0: until killed)"
    )
    p.add_argument(
        "--ice-address",
        action="append",
        default=None,
        help="a local address for ICE candidates (repeatable; default: the URL's host "
        "when it is an IP address, else 127.0.0.1)",
    )
    p.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="leave (DELETE) and exit when stdin reaches its end (the parent died)",
    )
    p.add_argument("--connect-timeout", type=float, default=15.0)
    p.add_argument("--gather-timeout", type=float, default=5.0)
    args = p.parse_args()
    if not loopback_url(args.url):
        print(f"gst-whip: error: {args.url} is not a loopback http URL", flush=True)
        return 2
    if not args.ice_address:
        host = urllib.parse.urlsplit(args.url).hostname
        try:
            args.ice_address = [str(ipaddress.ip_address(host))]
        except ValueError:
            args.ice_address = ["127.0.0.1"]
    Gst.init(None)
    return Publisher(args).run()


if __name__ == "__main__":
    sys.exit(main())
