// The page's live link: the htmx WebSocket extension's socket, watched.
// It says where the screen is when it opens (hello), shows the link's state,
// notices a link that went silent (heartbeat), reopens after a drop, and
// hands JSON messages (acknowledgements, refusals, media signaling) to
// whoever listens; HTML messages are htmx's out-of-band swaps. Each pong
// carries the server's time, so the screen knows how far its own clock is
// off (serverNow).

const timing = window.SESSION_LINK_TIMING || {};   // tests shorten these
const HEARTBEAT_MS = timing.ping || 10000;         // ping this often
const SILENCE_MS = timing.silence || 25000;        // silent this long: the link is dead
const PROBE_MS = 4000;   // the network gone: this long for the socket to answer

let socket = null;          // the ws extension's wrapper
let raw = null;             // the newest browser WebSocket, whoever opened it
let lastHeard = 0;
let policyClosed = false;   // closed by the server for good (revoked link)
let generation = 0;         // counts the sockets opened, so a message knows its socket
const handlers = {};        // JSON message type -> functions
const pings = {};           // ping number -> when it left (performance.now())
let pingCount = 0;
let clockSamples = [];      // {trip, offset, drift} of the latest pongs, newest last
const CLOCK_SAMPLES = 5;
const CLOCK_SET_MS = 1000;  // this device's clock moved this much against its steady clock: set
let remeasured = -Infinity;
const openers = [];

export function isOpen() { return raw !== null && raw.readyState === WebSocket.OPEN; }

export function socketGeneration() { return generation; }

/** The server's time now, in milliseconds since 1970. Every countdown counts
 * to a deadline the server set, and a district laptop's clock may be minutes
 * off: each pong gives the server's time when it answered, which is taken
 * to be the middle of its ping's round trip; of the latest pongs, the one
 * with the shortest trip is the best. Until a pong, the page's own time
 * (data-server-now), which is late by as long as the page took to load.
 * A device whose clock is set meanwhile (a time server's correction, a
 * person) or that slept: what was measured before no longer holds, so it
 * is measured again at once, the newest measure standing in meanwhile. */
export function serverNow() {
  const now = Date.now();
  const drift = now - performance.now();
  let best = null;
  clockSamples.forEach(function (sample) {
    if (Math.abs(sample.drift - drift) > CLOCK_SET_MS) { return; }
    if (!best || sample.trip < best.trip) { best = sample; }
  });
  if (!best && clockSamples.length) {
    best = clockSamples[clockSamples.length - 1];
    if (isOpen() && performance.now() - remeasured > 2000) { remeasured = performance.now(); ping(); }
  }
  return now + (best ? best.offset : 0);
}

function ping() {
  if (!socket) { return; }
  pingCount = (pingCount + 1) % 2147483648;
  pings[pingCount] = performance.now();
  Object.keys(pings).forEach(function (n) { if (pings[n] < pings[pingCount] - SILENCE_MS) { delete pings[n]; } });
  socket.sendImmediately(JSON.stringify({ type: "ping", n: pingCount }));
}

function measured(trip, serverTime, at) {
  clockSamples.push({ trip: trip, offset: serverTime - at, drift: Date.now() - performance.now() });
  clockSamples = clockSamples.slice(-CLOCK_SAMPLES);
}

function ponged(data) {
  const sent = pings[data.n];
  if (sent === undefined || typeof data.now !== "number") { return; }
  delete pings[data.n];
  const trip = performance.now() - sent;
  measured(trip, data.now, Date.now() - trip / 2);
}

/** Send a JSON message now; false when the link is down. */
export function send(obj) {
  if (!isOpen() || !socket) { return false; }
  socket.sendImmediately(JSON.stringify(obj));
  return true;
}

/** Call fn(message) for every JSON message of this type ("*": all). */
export function on(type, fn) { (handlers[type] = handlers[type] || []).push(fn); }

/** Call fn() each time a socket opens (after the hello). */
export function onOpen(fn) { openers.push(fn); }

function setLinkState(state) {
  if (document.body.getAttribute("data-link") === state) { return; }
  document.body.setAttribute("data-link", state);
  const el = document.getElementById("link-state");
  if (el) { el.textContent = el.getAttribute("data-" + state) || el.textContent; }
  if (state === "closed" || state === "replaced") { ended(state); }
}

// Closed for good (a revoked link, another tab): say why, in both languages,
// and take the stale page away rather than leave it looking live.
function ended(state) {
  const panel = document.getElementById("link-ended");
  if (!panel) { return; }
  panel.querySelectorAll("[data-ended]").forEach(function (part) {
    part.hidden = part.getAttribute("data-ended") !== state;
  });
  panel.hidden = false;
  document.querySelectorAll("main").forEach(function (main) { main.inert = true; main.hidden = true; });
}

// Whatever arrives (a message, a pong) proves the link works, whatever the
// browser's online flag or a socket being replaced said meanwhile.
function heard() {
  lastHeard = Date.now();
  if (!policyClosed) { setLinkState("online"); }
}

function position() {
  const pos = document.getElementById("pos");
  if (!pos) { return {}; }
  return { epoch: pos.getAttribute("data-epoch"), seq: Number(pos.getAttribute("data-seq")) };
}

// The heartbeat found the link dead: drop the socket and open another (a dead
// link may never deliver the close handshake).
function abandon() {
  if (!socket || policyClosed || !raw) { return; }
  const dead = raw;
  try { dead.close(4000); } catch (e) { /* already closing */ }
  setTimeout(function () { if (raw === dead) { socket.reconnect(); } }, 1500);
}

// Open a socket now unless one is open or opening.
function reopen() {
  if (!socket || policyClosed) { return; }
  if (raw && raw.readyState <= WebSocket.OPEN) { return; }
  socket.reconnect();
}

export function start() {
  on("pong", ponged);
  const made = Number(document.body.getAttribute("data-server-now"));
  if (made > 0) { measured(Infinity, made, Date.now()); }
  if (window.htmx) {
    // Retry soon after a drop (jittered, at most 5 s) rather than the
    // extension's default of up to a minute: a district hall's link comes
    // back quickly and nobody should wait for the screen to notice.
    window.htmx.config.wsReconnectDelay = function (retryCount) {
      return Math.min(5000, 500 * Math.pow(2, retryCount)) * (0.5 + Math.random() / 2);
    };
    // Every socket the extension opens goes through here, so `raw` is always
    // the newest one and closes of discarded sockets can be told apart.
    window.htmx.createWebSocket = function (url) {
      raw = new WebSocket(url, []);
      raw.binaryType = window.htmx.config.wsBinaryType || "blob";
      return raw;
    };
  }

  document.addEventListener("htmx:wsConnecting", function () { setLinkState("connecting"); });
  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    if (evt.detail.event && evt.detail.event.target !== raw) { return; }  // a stale socket
    generation += 1;
    lastHeard = Date.now();
    const pos = position();
    socket.sendImmediately(JSON.stringify({ type: "hello", epoch: pos.epoch, seq: pos.seq }));
    ping();   // the server's time, before the first heartbeat
    setLinkState("online");
    openers.forEach(function (fn) { fn(); });
  });
  document.addEventListener("htmx:wsClose", function (evt) {
    socket = evt.detail.socketWrapper;
    const closed = evt.detail.event && evt.detail.event.target;
    if (raw && closed && closed !== raw) { return; }   // a socket already replaced
    setLinkState("offline");
    const code = evt.detail.event && evt.detail.event.code;
    if (code === 1008) { policyClosed = true; setLinkState("closed"); return; }
    if (code === 4001) { policyClosed = true; setLinkState("replaced"); return; }  // another tab
    // the extension itself retries after 1006, 1011, 1012 and 1013
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0 && socket) {
      setTimeout(reopen, 1000 + Math.random() * 2000);
    }
  });
  document.addEventListener("htmx:wsError", function () { if (!isOpen()) { setLinkState("offline"); } });
  // The browser thinks the network went away: say so unless the socket still
  // answers (a laptop's Wi-Fi flaps while its socket survives), which it is
  // asked at once: no answer within PROBE_MS, the link is lost now rather
  // than after SILENCE_MS. Back again: reopen now rather than at the next retry.
  window.addEventListener("offline", function () {
    if (!isOpen()) { setLinkState("offline"); return; }
    const asked = Date.now();
    ping();
    setTimeout(function () {
      if (isOpen() && lastHeard < asked) { setLinkState("offline"); abandon(); }
    }, PROBE_MS);
  });
  window.addEventListener("online", function () { if (isOpen()) { setLinkState("online"); } else { reopen(); } });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    heard();
    const message = evt.detail.message;
    if (typeof message !== "string" || message.charAt(0) !== "{") { return; }
    evt.preventDefault();   // JSON is not HTML to swap
    let data;
    try { data = JSON.parse(message); } catch (e) { return; }
    (handlers[data.type] || []).concat(handlers["*"] || []).forEach(function (fn) { fn(data); });
  });

  // A link that went silent (a cable pulled, a NAT that forgot us) is noticed
  // within SILENCE_MS and reopened.
  setInterval(function () {
    if (!isOpen()) { return; }
    if (Date.now() - lastHeard > SILENCE_MS) { setLinkState("offline"); abandon(); return; }
    ping();
  }, HEARTBEAT_MS);
}
