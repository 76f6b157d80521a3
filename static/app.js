// Live screens: countdowns, connection state and resume position, a
// heartbeat that notices silent drops, and an outbox that keeps what was
// typed while the link was down until the server acknowledges it.
(function () {
  "use strict";

  var OUTBOX_KEY = "outbox:" + location.pathname;
  var timing = window.SESSION_LINK_TIMING || {};   // tests shorten these
  var HEARTBEAT_MS = timing.ping || 10000;         // ping this often
  var SILENCE_MS = timing.silence || 25000;        // silent this long: the link is dead
  var socket = null;          // the ws extension's wrapper
  var raw = null;             // the newest browser WebSocket, whoever opened it
  var lastHeard = 0;
  var sentHere = {};          // outbox keys already sent on the current socket
  var policyClosed = false;   // closed by the server for good (revoked link)

  function randomKey() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // --- outbox -------------------------------------------------------------
  function loadOutbox() {
    try { return JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]"); }
    catch (e) { return []; }
  }
  function saveOutbox(items) {
    try { localStorage.setItem(OUTBOX_KEY, JSON.stringify(items)); } catch (e) { /* full */ }
    renderOutbox(items);
  }
  function renderOutbox(items) {
    var box = document.getElementById("outbox");
    if (!box) { return; }
    var questions = items.filter(function (item) { return item.body.action === "submit_question"; });
    box.hidden = questions.length === 0;
    var list = box.querySelector("ul");
    if (!list) { return; }
    list.textContent = "";
    questions.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.body.text;
      list.appendChild(li);
    });
  }
  function isOpen() { return raw !== null && raw.readyState === WebSocket.OPEN; }
  function flushOutbox() {
    if (!isOpen()) { return; }
    loadOutbox().forEach(function (item) {
      if (sentHere[item.key]) { return; }
      sentHere[item.key] = true;
      socket.sendImmediately(JSON.stringify(item.body));
    });
  }

  // Forms marked data-outbox keep their message until the server acknowledges
  // its idempotency key. A form with data-outbox-slot keeps only its latest
  // message (an answer summary being typed). While the link is down the
  // message waits in the outbox only, so it is sent once when the link returns.
  document.addEventListener("htmx:wsConfigSend", function (evt) {
    var form = evt.target.closest ? evt.target.closest("form") : null;
    if (!form) { return; }
    if (!form.hasAttribute("data-outbox")) {
      if (evt.detail.triggeringEvent && evt.detail.triggeringEvent.type === "submit") {
        setTimeout(function () {
          form.querySelectorAll("[data-clear]").forEach(function (el) { el.value = ""; });
        }, 0);
      }
      return;
    }
    var body = Object.assign({}, evt.detail.parameters);
    if (!body.idempotency_key) { body.idempotency_key = randomKey(); }
    var slot = form.getAttribute("data-outbox-slot");
    var items = loadOutbox().filter(function (item) { return !slot || item.slot !== slot; });
    items.push({ key: body.idempotency_key, slot: slot, body: body });
    saveOutbox(items);
    var keyInput = form.querySelector("input[name=idempotency_key]");
    if (keyInput && !slot) { keyInput.value = randomKey(); }
    form.querySelectorAll("[data-clear]").forEach(function (el) { el.value = ""; });
    if (!isOpen()) {
      evt.preventDefault();   // kept in the outbox; sent when the link returns
      return;
    }
    sentHere[body.idempotency_key] = true;
    evt.detail.messageBody = JSON.stringify(body);
  });

  // --- the link -------------------------------------------------------------
  function setLinkState(state) {
    document.body.setAttribute("data-link", state);
    var el = document.getElementById("link-state");
    if (el) { el.textContent = el.getAttribute("data-" + state) || state; }
  }

  function position() {
    var pos = document.getElementById("pos");
    if (!pos) { return {}; }
    return { epoch: pos.getAttribute("data-epoch"), seq: Number(pos.getAttribute("data-seq")) };
  }

  // Every socket the extension opens goes through here, so `raw` is always
  // the newest one and closes of discarded sockets can be told apart.
  if (window.htmx) {
    // Retry soon after a drop (jittered, at most 5 s) rather than the
    // extension's default of up to a minute: a district hall's link comes
    // back quickly and nobody should wait for the screen to notice.
    window.htmx.config.wsReconnectDelay = function (retryCount) {
      return Math.min(5000, 500 * Math.pow(2, retryCount)) * (0.5 + Math.random() / 2);
    };
    window.htmx.createWebSocket = function (url) {
      raw = new WebSocket(url, []);
      raw.binaryType = window.htmx.config.wsBinaryType || "blob";
      return raw;
    };
  }

  // The heartbeat found the link dead: drop the socket and open another
  // (a dead link may never deliver the close handshake).
  function abandon() {
    if (!socket || policyClosed || !raw) { return; }
    var dead = raw;
    try { dead.close(4000); } catch (e) { /* already closing */ }
    setTimeout(function () { if (raw === dead) { socket.reconnect(); } }, 1500);
  }
  // The network is back: open a socket now unless one is open or opening.
  function reopen() {
    if (!socket || policyClosed) { return; }
    if (raw && raw.readyState <= WebSocket.OPEN) { return; }
    socket.reconnect();
  }

  document.addEventListener("htmx:wsConnecting", function () { setLinkState("connecting"); });
  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    if (evt.detail.event && evt.detail.event.target !== raw) { return; }  // a stale socket
    sentHere = {};
    lastHeard = Date.now();
    var pos = position();
    socket.sendImmediately(JSON.stringify({ type: "hello", epoch: pos.epoch, seq: pos.seq }));
    setLinkState("online");
    flushOutbox();
    link.openers.forEach(function (fn) { fn(); });
  });
  document.addEventListener("htmx:wsClose", function (evt) {
    socket = evt.detail.socketWrapper;
    var closed = evt.detail.event && evt.detail.event.target;
    if (raw && closed && closed !== raw) { return; }   // a socket already replaced
    setLinkState("offline");
    var code = evt.detail.event && evt.detail.event.code;
    if (code === 1008) { policyClosed = true; setLinkState("closed"); return; }
    // the extension itself retries after 1006, 1011, 1012 and 1013
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0 && socket) {
      setTimeout(reopen, 1000 + Math.random() * 2000);
    }
  });
  document.addEventListener("htmx:wsError", function () { setLinkState("offline"); });

  window.addEventListener("offline", function () { setLinkState("offline"); });

  // JSON messages (media signaling) are not HTML to swap: they go to whoever
  // listens (static/media.js).
  var link = {
    listeners: [],
    openers: [],
    isOpen: isOpen,
    send: function (obj) {
      if (!isOpen()) { return false; }
      socket.sendImmediately(JSON.stringify(obj));
      return true;
    },
    onMessage: function (fn) { this.listeners.push(fn); },
    onOpen: function (fn) { this.openers.push(fn); }
  };
  window.SessionLink = link;
  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var message = evt.detail.message;
    if (typeof message !== "string" || message.charAt(0) !== "{") { return; }
    evt.preventDefault();
    lastHeard = Date.now();
    var data;
    try { data = JSON.parse(message); } catch (e) { return; }
    link.listeners.forEach(function (fn) { fn(data); });
  });

  // Recordings are fetched through this screen's own link.
  function linkRecordings() {
    var base = document.body.getAttribute("data-page-url");
    if (!base) { return; }
    document.querySelectorAll("[data-src]").forEach(function (el) {
      if (!el.getAttribute("src")) { el.setAttribute("src", base + "/" + el.getAttribute("data-src")); }
    });
    document.querySelectorAll("a[data-href]").forEach(function (el) {
      if (!el.getAttribute("href")) { el.setAttribute("href", base + "/" + el.getAttribute("data-href")); }
    });
  }
  document.addEventListener("htmx:oobAfterSwap", linkRecordings);
  document.addEventListener("DOMContentLoaded", linkRecordings);

  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    lastHeard = Date.now();
    var message = evt.detail.message || "";
    var match = message.match(/data-acks="([^"]*)"/);
    if (!match) { return; }
    var acked = match[1].split(" ");
    saveOutbox(loadOutbox().filter(function (item) { return acked.indexOf(item.key) < 0; }));
  });

  // A heartbeat: a link that went silent (a cable pulled, a NAT that forgot
  // us) is noticed within SILENCE_MS and reopened.
  setInterval(function () {
    if (!isOpen()) { return; }
    if (Date.now() - lastHeard > SILENCE_MS) { setLinkState("offline"); abandon(); return; }
    socket.sendImmediately(JSON.stringify({ type: "ping" }));
  }, HEARTBEAT_MS);

  // --- countdowns: deadlines, counted down by each screen ----------------------
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-ends-at]").forEach(function (el) {
      var end = Date.parse(el.getAttribute("data-ends-at"));
      if (isNaN(end)) { el.textContent = ""; return; }
      var left = Math.round((end - now) / 1000);
      var sign = left < 0 ? "-" : "";
      var abs = Math.abs(left);
      var text = sign + Math.floor(abs / 60) + ":" + ("0" + (abs % 60)).slice(-2);
      if (el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("overtime", left < 0);
      el.classList.toggle("last-seconds", left >= 0 && left <= 15);
    });
  }

  // --- client-side filters of a long list (moderator queue) ------------------
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el.hasAttribute && el.hasAttribute("data-filter")) { applyFilters(); }
  });
  function applyFilters() {
    var filters = {};
    document.querySelectorAll("[data-filter]").forEach(function (el) {
      if (el.value) { filters[el.getAttribute("data-filter")] = el.value; }
    });
    document.querySelectorAll("[data-filterable] [data-question]").forEach(function (row) {
      row.hidden = !Object.keys(filters).every(function (k) {
        return row.getAttribute("data-" + k) === filters[k];
      });
    });
  }
  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    applyFilters();
    var flash = evt.detail && evt.detail.target;
    if (flash && flash.id === "flash" && flash.classList.contains("flash-ok")) {
      clearTimeout(flash._timer);
      flash._timer = setTimeout(function () {
        if (flash.classList.contains("flash-ok")) { flash.textContent = ""; }
      }, 6000);
    }
  });

  // After a reload, what was typed into a slot form and not yet acknowledged
  // goes back into its fields (the page shows the server's older text).
  function restoreDrafts() {
    loadOutbox().forEach(function (item) {
      if (!item.slot) { return; }
      var form = document.querySelector('form[data-outbox-slot="' + item.slot + '"]');
      if (!form) { return; }
      Object.keys(item.body).forEach(function (name) {
        var field = form.querySelector('textarea[name="' + name + '"], input[type=text][name="' + name + '"]');
        if (field) { field.value = item.body[name]; }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderOutbox(loadOutbox());
    restoreDrafts();
    document.querySelectorAll("input[name=idempotency_key]").forEach(function (el) {
      if (!el.value) { el.value = randomKey(); }
    });
    tick();
    setInterval(tick, 250);
  });
})();
