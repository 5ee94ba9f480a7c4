// rooms.js - room names and room links.
//
// A room name is 1 to 64 of [A-Za-z0-9_-] (the server's rule). A new room
// gets 20 random characters of [a-z0-9] from crypto.getRandomValues (about
// 103 bits), written in groups of five with "-" so it can be read aloud.
// A room's link is "<page>#/r/<room>": the part after "#" never reaches the
// server, so the link works with a plain static file server and the room
// name stays out of any access log.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function validRoom(name) {
    return typeof name === 'string' && ROOM_RE.test(name);
}

// 20 unbiased characters of [a-z0-9] (bytes >= 252 are drawn again, since
// 252 = 7 * 36), as "xxxxx-xxxxx-xxxxx-xxxxx".
export function randomRoomName() {
    const chars = [];
    const buf = new Uint8Array(32);
    while (chars.length < 20) {
        crypto.getRandomValues(buf);
        for (const b of buf) {
            if (b < 252 && chars.length < 20) {
                chars.push(ALPHABET[b % 36]);
            }
        }
    }
    const groups = [];
    for (let i = 0; i < 20; i += 5) {
        groups.push(chars.slice(i, i + 5).join(''));
    }
    return groups.join('-');
}

// The room named in a hash such as "#/r/abc" (or "#/r/abc/"), or null.
export function roomFromHash(hash) {
    const m = /^#\/r\/([^/?#]+)\/?$/.exec(hash || '');
    if (!m) {
        return null;
    }
    let name;
    try {
        name = decodeURIComponent(m[1]);
    } catch {
        return null;
    }
    return validRoom(name) ? name : null;
}

// What a person typed in "Room name or link": a bare name, or any link that
// names a room as "#/r/<room>", "?r=<room>" or "/r/<room>". Returns the room
// name, or null when there is none or it breaks the naming rule.
export function parseRoomInput(text) {
    const s = (text || '').trim();
    if (s === '') {
        return null;
    }
    if (validRoom(s)) {
        return s;
    }
    let url;
    try {
        url = new URL(s, globalThis.location?.href ?? 'http://localhost/');
    } catch {
        return null;
    }
    const fromHash = roomFromHash(url.hash);
    if (fromHash) {
        return fromHash;
    }
    const q = url.searchParams.get('r');
    if (q !== null) {
        return validRoom(q) ? q : null;
    }
    const m = /\/r\/([^/]+)\/?$/.exec(url.pathname);
    if (m) {
        try {
            const name = decodeURIComponent(m[1]);
            return validRoom(name) ? name : null;
        } catch {
            return null;
        }
    }
    return null;
}

// The link that opens the pre-join screen of `room` on this server.
export function roomLink(room) {
    const here = new URL(globalThis.location.href);
    here.search = '';
    here.hash = `#/r/${room}`;
    return here.href;
}
