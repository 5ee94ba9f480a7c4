#!/usr/bin/env python3
"""tcpflood.py - hostile TCP clients for tests/integration/tcpflood.sh.

Usage: tcpflood.py SECONDS HOST PORT [PORT...]

For SECONDS, against each PORT (the daemon's ICE-TCP listeners) it keeps open
connections that send nothing (half-open from the application's view), that
send random bytes, that announce a 65535-byte RFC 4571 frame and send only
part of it, and that send well-framed STUN Binding requests with a wrong
MESSAGE-INTEGRITY; and it opens and closes connections in a loop. Then it
prints one line "tcpflood: key=value ..." with what it did and how many of
its connections the daemon closed (read end of file or reset) while it ran.
Every connection goes to HOST (a loopback address in the test's namespace).
"""

import os
import random
import socket
import struct
import sys
import time

HALF_OPEN = 16  # per port, kept open, silent
GARBAGE = 8  # per port, random bytes every 100 ms
PARTIAL = 4  # per port, one cut-short frame
FAKE_STUN = 4  # per port, framed Binding requests with bad integrity


def fake_stun():
    tid = os.urandom(12)
    user = b"abcd:efgh"
    attrs = struct.pack("!HH", 0x0006, len(user)) + user + b"\0" * ((4 - len(user) % 4) % 4)
    attrs += struct.pack("!HH", 0x0008, 20) + os.urandom(20)  # MESSAGE-INTEGRITY, wrong
    msg = struct.pack("!HHI", 0x0001, len(attrs), 0x2112A442) + tid + attrs
    return struct.pack("!H", len(msg)) + msg  # RFC 4571 framing


def connect(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect((host, port))
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s


def closed_by_peer(s):
    try:
        data = s.recv(65536)
        return data == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def main():
    seconds = float(sys.argv[1])
    host = sys.argv[2]
    ports = [int(p) for p in sys.argv[3:]]
    conns = []  # (kind, socket)
    refused = 0
    for port in ports:
        for kind, n in (("half", HALF_OPEN), ("garbage", GARBAGE), ("partial", PARTIAL),
                        ("stun", FAKE_STUN)):
            for _ in range(n):
                s = connect(host, port)
                if s is None:
                    refused += 1
                    continue
                conns.append((kind, s))
    for kind, s in conns:
        try:
            if kind == "partial":
                s.send(struct.pack("!H", 65535) + os.urandom(200))
        except OSError:
            pass
    sent = 0
    churn = 0
    churn_failed = 0
    closed = {}
    close_at = {}  # kind: seconds from the start to each close by the daemon
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        for kind, s in conns:
            if s.fileno() < 0:
                continue
            try:
                if kind == "garbage":
                    sent += s.send(os.urandom(random.randint(1, 1500)))
                elif kind == "stun":
                    sent += s.send(fake_stun())
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                pass
            if closed_by_peer(s):
                closed[kind] = closed.get(kind, 0) + 1
                close_at.setdefault(kind, []).append(time.monotonic() - start)
                s.close()
        for port in ports:  # connect and close at once
            s = connect(host, port)
            if s is not None:
                churn += 1
                s.close()
            else:
                churn_failed += 1
        time.sleep(0.1)
    still = sum(1 for _, s in conns if s.fileno() >= 0)
    for _, s in conns:
        if s.fileno() >= 0:
            s.close()
    kinds = ("half", "garbage", "partial", "stun")
    print("tcpflood: ports=%d connections=%d refused=%d churned=%d churn_failed=%d bytes=%d "
          "still_open=%d %s %s" % (
              len(ports), len(conns), refused, churn, churn_failed, sent, still,
              " ".join("closed_%s=%d" % (k, closed.get(k, 0)) for k in kinds),
              " ".join("last_close_%s=%.1f" % (k, max(close_at.get(k, [-1]))) for k in kinds)))


if __name__ == "__main__":
    main()
