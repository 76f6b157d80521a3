// Countdowns: every timer travels as a deadline and each screen counts down
// by itself (data-ends-at, an ISO time), on the server's clock (link.js).
import { serverNow } from "./link.js";

function tick() {
  const now = serverNow();
  document.querySelectorAll("[data-ends-at]").forEach(function (el) {
    const end = Date.parse(el.getAttribute("data-ends-at"));
    if (isNaN(end)) { el.textContent = ""; return; }
    const left = Math.round((end - now) / 1000);
    const sign = left < 0 ? "-" : "";
    const abs = Math.abs(left);
    const text = sign + Math.floor(abs / 60) + ":" + ("0" + (abs % 60)).slice(-2);
    if (el.textContent !== text) { el.textContent = text; }
    el.classList.toggle("overtime", left < 0);
    el.classList.toggle("last-seconds", left >= 0 && left <= 15);
  });
}

export function start() {
  tick();
  setInterval(tick, 250);
}
