// A door's check-in: the device's camera reads delegates' QR codes (with
// the vendored jsQR: Chromium on Linux and many phones have no
// BarcodeDetector), and a name is searched on the server as it is typed
// (a GET of the page's /people?q=…, a small bounded answer): the page is
// never sent the whole list of who is expected.
// A code read is sent as a check_in_delegate message through the outbox:
// kept while the link is down, sent once it returns (the server knows a
// repeat by its command id). The same code is not sent again for a few
// seconds; after that a second reading is the server's to refuse.
import * as outbox from "./outbox.js";

const PREFIX = "dtn-checkin:";
const EVERY_MS = 150;
const SAME_CODE_MS = 4000;
const MAX_WIDTH = 640;

function camera(box) {
  const video = box.querySelector("video");
  const result = box.querySelector(".checkin-result");
  const start = box.querySelector("[data-camera-start]");
  const stop = box.querySelector("[data-camera-stop]");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;
  let timer = null;
  let last = { code: "", at: 0 };

  function say(text) { result.textContent = text; }

  function read() {
    if (!stream || video.readyState < 2 || !window.jsQR) { return; }
    const scale = Math.min(1, MAX_WIDTH / (video.videoWidth || MAX_WIDTH));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    if (!canvas.width || !canvas.height) { return; }
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (!found || !found.data) { return; }
    const now = Date.now();
    if (found.data === last.code && now - last.at < SAME_CODE_MS) { return; }
    last = { code: found.data, at: now };
    if (found.data.indexOf(PREFIX) !== 0) { say(box.dataset.notOurs); return; }
    const id = found.data.slice(PREFIX.length, PREFIX.length + 64);
    outbox.put(
      { action: "check_in_delegate", delegate_id: id, bridge_id: box.dataset.bridge },
      null, null, box.dataset.waiting + id);
    say(box.dataset.read);
  }

  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say(box.dataset.noCamera); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        return video.play();
      })
      .then(function () { timer = setInterval(read, EVERY_MS); })
      .catch(function () { say(box.dataset.noCamera); });
  });
  stop.addEventListener("click", function () {
    clearInterval(timer);
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    video.hidden = true;
    start.hidden = false;
    stop.hidden = true;
  });
}

const TYPED_MS = 250;

// A door's name search: typed letters ask the server after a short pause;
// its answer replaces the options of the list (the first one not checked in
// chosen). A tap on "check in" while an answer is on its way waits for it.
// When the figures change (a check-in at this bridge point) a search still
// typed is asked again, so whoever came in shows as checked in; a search
// this door has just checked someone in from was emptied with its form.
function search(input) {
  const form = input.form;
  const select = form.querySelector("select[name=delegate_id]");
  const url = input.getAttribute("data-people-url");
  let timer = null;
  let asking = null;     // the request on its way, if any
  let asked = "";        // the query of the answer shown
  let waitingSubmit = null;

  function show(html) {
    const box = document.createElement("div");
    box.innerHTML = html;
    const found = box.querySelector("select");
    const note = box.querySelector("#checkin-found-note");
    const chosen = select.value;
    select.textContent = "";
    if (found) {
      Array.prototype.slice.call(found.options).forEach(function (option) { select.appendChild(option); });
    }
    const keep = Array.prototype.find.call(select.options, function (o) { return o.value === chosen && !o.disabled; });
    const first = keep || Array.prototype.find.call(select.options, function (o) { return !o.disabled; });
    select.selectedIndex = first ? first.index : -1;
    // the person chosen here was just checked in at another phone: say so in
    // words that wrap (the list cuts a long line off)
    const taken = chosen && !keep && Array.prototype.find.call(select.options, function (o) { return o.value === chosen; });
    say(note ? note.textContent : "", taken ? (input.getAttribute("data-taken") || "{who}").replace("{who}", taken.textContent) : "");
  }

  function say(text, more) {
    const own = document.getElementById("checkin-found-note");
    if (own) { own.textContent = more ? text + " " + more : text; }
  }

  // nobody to check in is chosen (the list empty, or its one person checked
  // in meanwhile): the note says so, not the browser's own bubble
  select.addEventListener("invalid", function (evt) {
    evt.preventDefault();
    say(input.getAttribute("data-pick-one") || "", "");
  });

  function ask() {
    clearTimeout(timer);
    timer = null;
    const query = input.value.trim();
    const sent = fetch(url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin", headers: { Accept: "text/html" },
    }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (html) {
      if (asking !== sent) { return; }   // a newer question is on its way
      asked = query;
      show(html);
    }).catch(function () {
      // offline or refused: an answer to an older search must not pass for
      // this one; asked again when the link returns
      if (asking !== sent) { return; }
      asked = "";
      select.textContent = "";
      say(input.getAttribute("data-search-failed") || "", "");
    })
      .then(function () {
        if (asking !== sent) { return; }
        asking = null;
        if (waitingSubmit) { const button = waitingSubmit; waitingSubmit = null; button.click(); }
      });
    asking = sent;
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, TYPED_MS);
  });
  input.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter") { evt.preventDefault(); ask(); }
  });
  window.addEventListener("online", function () {
    if (input.value.trim() && !asked && !asking) { ask(); }
  });
  // a tap before the answer came: check in whom it finds, once it is here
  form.addEventListener("click", function (evt) {
    const button = evt.target.closest ? evt.target.closest("button[type=submit]") : null;
    if (!button || !(timer || asking)) { return; }
    evt.preventDefault();
    waitingSubmit = button;
    if (timer) { ask(); }
  }, true);
  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    const target = evt.detail && evt.detail.target;
    if (!target || target.id !== "checkin-count" || !asked || timer || asking) { return; }
    if (input.value.trim()) { ask(); return; }
    // checked in from here: the form was emptied, and so is the answer
    asked = "";
    select.textContent = "";
    const note = document.getElementById("checkin-found-note");
    if (note) { note.textContent = input.getAttribute("data-type-name") || ""; }
  });
}

export function start() {
  document.querySelectorAll("[data-checkin-camera]").forEach(camera);
  document.querySelectorAll("[data-checkin-search]").forEach(search);
}
