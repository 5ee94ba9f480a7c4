// whip.js - a small WHIP client (RFC 9725) for conclave's browser pages.
//
// One call joins: it builds an RTCPeerConnection with one audio and one video
// transceiver, gathers every ICE candidate before it sends anything (a
// non-trickle offer, RFC 9725 section 4.1 allows the client to skip trickle),
// POSTs the SDP offer, applies the SDP answer and hands back a close() that
// leaves with DELETE on the session URL (RFC 9725 section 4.2).
//
// ICE servers: before it builds the connection it asks the room for them
// (GET /rooms/{room}/ice-servers, with the same credential as the join); the
// server lists the TURN servers of its [turn] section with a short-lived
// credential, or none. Nothing here talks to another host on its own: no STUN
// or TURN server is used unless the server names it, and the only requests go
// to the URL given by the caller and to the Location the server answers with.
// fetchWithTimeout(), the request with a deadline that the join and the
// DELETE use, serves the call's commands as well.

const DEFAULT_GATHER_TIMEOUT_MS = 3000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10000;

// Moves the codecs whose mimeType is `preferred` to the front of the list the
// browser offers for `transceiver`, keeping the others (RTX, RED, FEC) after
// them. Browsers without setCodecPreferences keep their own order.
function preferCodec(transceiver, kind, preferred) {
    if (typeof transceiver.setCodecPreferences !== 'function') {
        return;
    }
    const caps = globalThis.RTCRtpReceiver?.getCapabilities?.(kind);
    if (!caps || !Array.isArray(caps.codecs)) {
        return;
    }
    const want = preferred.toLowerCase();
    const first = caps.codecs.filter((c) => c.mimeType.toLowerCase() === want);
    const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== want);
    if (first.length === 0) {
        return;
    }
    try {
        transceiver.setCodecPreferences([...first, ...rest]);
    } catch {
        // A browser that rejects the list offers its default order instead.
    }
}

// Resolves when ICE gathering is complete or after timeoutMs, whichever comes
// first; on timeout the offer goes out with the candidates gathered so far.
function waitForGathering(pc, timeoutMs) {
    if (pc.iceGatheringState === 'complete') {
        return Promise.resolve();
    }
    return new Promise((resolve) => {
        const done = () => {
            clearTimeout(timer);
            pc.removeEventListener('icegatheringstatechange', onState);
            pc.removeEventListener('icecandidate', onCandidate);
            resolve();
        };
        const onState = () => {
            if (pc.iceGatheringState === 'complete') {
                done();
            }
        };
        const onCandidate = (ev) => {
            if (!ev.candidate) {
                done();
            }
        };
        const timer = setTimeout(done, timeoutMs);
        pc.addEventListener('icegatheringstatechange', onState);
        pc.addEventListener('icecandidate', onCandidate);
    });
}

// The server answers an error with a one-line text reason and its code in a
// Conclave-Error header: that line becomes the Error message (or the HTTP
// status when the body is empty), the code err.code, which the page says
// in its own language.
async function errorFromResponse(res) {
    let text = '';
    try {
        text = await res.text();
    } catch {
        text = '';
    }
    const line = text.split(/\r?\n/).find((l) => l.trim() !== '');
    const err = new Error(line ? line.trim() : `HTTP ${res.status} ${res.statusText}`.trim());
    err.status = res.status;
    const code = res.headers.get('Conclave-Error');
    if (code && /^[a-z][a-z0-9-]*$/.test(code)) {
        err.code = code;
    }
    return err;
}

// Sends one request (never from the cache) and gives up after timeoutMs:
// on the answer's status and headers and, when `read` is given, on
// read(response) too (reading the body), whose result it then resolves to;
// without `read` it resolves to the Response. Throws "no answer from URL
// within N ms" (code 'no-answer') or "cannot reach URL: why" (code
// 'unreachable') when no answer comes.
export async function fetchWithTimeout(url, init, timeoutMs, read = null) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
        let res;
        try {
            res = await fetch(url, { ...init, signal: ctl.signal, cache: 'no-store' });
        } catch (e) {
            const err = ctl.signal.aborted
                ? new Error(`no answer from ${url} within ${timeoutMs} ms`)
                : new Error(`cannot reach ${url}: ${e.message}`);
            err.code = ctl.signal.aborted ? 'no-answer' : 'unreachable';
            throw err;
        }
        return read ? await read(res) : res;
    } finally {
        clearTimeout(timer);
    }
}

// The ICE servers that the room of a WHIP or WHEP endpoint (.../rooms/{room}/whip
// or /whep) hands out, as RTCIceServer dictionaries; [] for another endpoint, or
// when the server has none or answers with anything but a list (the join that
// follows then reports a refusal itself).
export async function fetchIceServers(endpoint, auth, timeoutMs) {
    const u = new URL(endpoint);
    if (!/\/rooms\/[^/]+\/(whip|whep)$/.test(u.pathname)) {
        return [];
    }
    u.pathname = u.pathname.replace(/(whip|whep)$/, 'ice-servers');
    u.search = '';
    try {
        const res = await fetchWithTimeout(u.href, { headers: auth }, timeoutMs);
        if (res.status !== 200) {
            return [];
        }
        const body = await res.json();
        return Array.isArray(body?.iceServers) ? body.iceServers : [];
    } catch {
        return [];
    }
}

// Joins the WHIP endpoint at `url` (absolute or relative to the page).
//
// options:
//   stream           MediaStream whose first audio and first video track are
//                    sent (sendrecv); a kind it lacks is received only
//   token            sent as "Authorization: Bearer <token>" when given
//   ticket           sent as "Conclave-Ticket": a waiting room let this join in
//   recvOnly         receive only, even when a stream is given
//   onTrack          called as onTrack(track, stream, event) for each remote
//                    track; set before the answer is applied, so none is missed
//   gatherTimeoutMs  longest wait for ICE gathering (default 3000)
//   requestTimeoutMs longest wait for the server's answer (default 10000)
//   iceServers       RTCIceServer list to use; by default the room's
//                    (fetchIceServers)
//
// Returns { pc, location, answer, close }: the peer connection, the session
// URL, the SDP answer as the server sent it (the browser's copy in
// pc.remoteDescription may drop lines such as a=end-of-candidates), and
// close(). close() sends DELETE to the session URL (once, however often it
// is called), then closes the peer connection, and resolves to the DELETE's
// HTTP status (0 when the request failed); it never throws.
//
// Throws an Error whose message is the server's reason line when the server
// refuses (err.status holds the HTTP status), or a short description when the
// browser cannot build an offer or reach the server.
export async function whipConnect(url, options = {}) {
    const {
        stream = null,
        token = null,
        session = null,
        ticket = null,
        recvOnly = false,
        onTrack = null,
        gatherTimeoutMs = DEFAULT_GATHER_TIMEOUT_MS,
        requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
    } = options;
    const endpoint = new URL(url, globalThis.document?.baseURI ?? globalThis.location?.href).href;
    const auth = token ? { Authorization: `Bearer ${token}` } : {};
    const iceServers =
        options.iceServers ?? (await fetchIceServers(endpoint, auth, requestTimeoutMs));
    const pc = new RTCPeerConnection({
        iceServers,
        bundlePolicy: 'max-bundle',
        rtcpMuxPolicy: 'require',
    });
    try {
        if (onTrack) {
            pc.addEventListener('track', (ev) => onTrack(ev.track, ev.streams[0] || null, ev));
        }
        for (const kind of ['audio', 'video']) {
            const track =
                !recvOnly && stream ? stream.getTracks().find((t) => t.kind === kind) : null;
            const transceiver = track
                ? pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] })
                : pc.addTransceiver(kind, { direction: 'recvonly' });
            preferCodec(transceiver, kind, kind === 'video' ? 'video/VP8' : 'audio/opus');
        }

        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        await waitForGathering(pc, gatherTimeoutMs);

        const res = await fetchWithTimeout(
            endpoint,
            {
                method: 'POST',
                headers: {
                    'Content-Type': 'application/sdp',
                    ...auth,
                    ...(session ? { 'Conclave-Session': session } : {}),
                    ...(ticket ? { 'Conclave-Ticket': ticket } : {}),
                },
                body: pc.localDescription.sdp,
            },
            requestTimeoutMs,
        );
        if (res.status !== 201) {
            if (res.ok) {
                const err = new Error(`unexpected HTTP ${res.status} from ${endpoint} (want 201)`);
                err.code = 'bad-answer';
                throw err;
            }
            throw await errorFromResponse(res);
        }
        const loc = res.headers.get('Location');
        if (!loc) {
            const err = new Error('the server answered without a session Location');
            err.code = 'bad-answer';
            throw err;
        }
        const location = new URL(loc, endpoint).href;
        const answer = await res.text();
        try {
            await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        } catch (e) {
            // The server created a session we cannot use: leave it at once.
            fetch(location, { method: 'DELETE', headers: auth, keepalive: true }).catch(() => {});
            const err = new Error(`the server's answer was refused by the browser: ${e.message}`);
            err.code = 'bad-answer';
            throw err;
        }

        // DELETE first, then close: closing the connection first makes the
        // server end the session on its own (DTLS close_notify), and the
        // DELETE that follows would find nothing to end.
        let closing = null;
        const close = () => {
            if (!closing) {
                closing = fetchWithTimeout(
                    location,
                    { method: 'DELETE', headers: auth, keepalive: true },
                    requestTimeoutMs,
                )
                    .then((r) => r.status)
                    .catch(() => 0)
                    .finally(() => pc.close());
            }
            return closing;
        };
        return { pc, location, answer, close };
    } catch (e) {
        pc.close();
        throw e;
    }
}
