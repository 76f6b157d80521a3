// Live screens: countdowns, connection state, resume position, and an
// outbox that keeps what was typed while the link was down.
(function () {
  "use strict";

  var OUTBOX_KEY = "outbox:" + location.pathname;
  var socket = null;

  function randomKey() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

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
    box.hidden = items.length === 0;
    var list = box.querySelector("ul");
    if (!list) { return; }
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.body.text || item.body.action;
      list.appendChild(li);
    });
  }
  function flushOutbox() {
    if (!socket) { return; }
    loadOutbox().forEach(function (item) {
      socket.sendImmediately(JSON.stringify(item.body));
    });
  }

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

  document.addEventListener("htmx:wsConnecting", function () { setLinkState("connecting"); });
  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    var pos = position();
    socket.sendImmediately(JSON.stringify({ type: "hello", epoch: pos.epoch, seq: pos.seq }));
    setLinkState("online");
    flushOutbox();
  });
  document.addEventListener("htmx:wsClose", function () { setLinkState("offline"); });
  document.addEventListener("htmx:wsError", function () { setLinkState("offline"); });

  // Forms marked data-outbox keep their message until the server acknowledges
  // its idempotency key; each sent form gets a fresh key for the next message.
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
    var items = loadOutbox();
    items.push({ key: body.idempotency_key, body: body });
    saveOutbox(items);
    evt.detail.messageBody = JSON.stringify(body);
    var keyInput = form.querySelector("input[name=idempotency_key]");
    if (keyInput) { keyInput.value = randomKey(); }
    form.querySelectorAll("[data-clear]").forEach(function (el) { el.value = ""; });
  });

  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    var message = evt.detail.message || "";
    var match = message.match(/data-acks="([^"]*)"/);
    if (!match) { return; }
    var acked = match[1].split(" ");
    saveOutbox(loadOutbox().filter(function (item) { return acked.indexOf(item.key) < 0; }));
  });

  // Countdowns travel as deadlines; every screen counts down by itself.
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

  // Client-side filters of a long list (moderator queue): no re-render needed.
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (!el.hasAttribute || !el.hasAttribute("data-filter")) { return; }
    applyFilters();
  });
  function applyFilters() {
    var filters = {};
    document.querySelectorAll("[data-filter]").forEach(function (el) {
      if (el.value) { filters[el.getAttribute("data-filter")] = el.value; }
    });
    document.querySelectorAll("[data-filterable] [data-question]").forEach(function (row) {
      var show = Object.keys(filters).every(function (k) {
        return row.getAttribute("data-" + k) === filters[k];
      });
      row.hidden = !show;
    });
  }
  document.addEventListener("htmx:oobAfterSwap", applyFilters);

  document.addEventListener("DOMContentLoaded", function () {
    renderOutbox(loadOutbox());
    document.querySelectorAll("input[name=idempotency_key]").forEach(function (el) {
      if (!el.value) { el.value = randomKey(); }
    });
    tick();
    setInterval(tick, 250);
  });
})();
