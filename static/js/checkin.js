// A door's check-in: the device's camera reads delegates' QR codes (with
// the vendored jsQR: Chromium on Linux and many phones have no
// BarcodeDetector), and a name search narrows the list of who is expected.
// A code read is sent as a check_in_delegate message through the outbox:
// kept while the link is down, sent once it returns (the server knows a
// repeat by its command id). The same code is not sent again for a few
// seconds; after that a second reading is the server's to refuse.
import * as outbox from "./outbox.js";

const PREFIX = "dtn-checkin:";
const EVERY_MS = 150;
const SAME_CODE_MS = 4000;
const MAX_WIDTH = 640;

function fold(text) {
  return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
}

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

function search() {
  // the list is a live fragment: filter again after each update
  function apply() {
    const input = document.querySelector("[data-checkin-search]");
    const select = document.querySelector("#checkin-name-form select");
    if (!input || !select) { return; }
    const wanted = fold(input.value);
    let first = null;
    Array.prototype.forEach.call(select.options, function (option) {
      const shown = !wanted || option.dataset.name.indexOf(wanted) !== -1;
      option.hidden = !shown;
      if (shown && !first) { first = option; }
    });
    if (wanted && first && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) {
      first.selected = true;
    }
  }
  document.addEventListener("input", function (evt) {
    if (evt.target.matches && evt.target.matches("[data-checkin-search]")) { apply(); }
  });
  document.addEventListener("htmx:oobAfterSwap", apply);
  document.addEventListener("htmx:wsAfterMessage", apply);
}

export function start() {
  document.querySelectorAll("[data-checkin-camera]").forEach(camera);
  search();
}
