// Hall display: the question on the floor in the largest font that fits its
// box ([data-fit], whose height the layout fixes), at most about 1/15 of the
// screen's height, at least MIN_PX. Refitted when the page loads, when the
// window or the box changes size and after every live update.
const MIN_PX = 12;

function fits(el) { return el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1; }

function fit(el) {
  let low = MIN_PX;
  let high = Math.max(MIN_PX, Math.round(window.innerHeight / 15));
  el.style.fontSize = high + "px";
  if (!fits(el)) {
    high -= 1;
    while (low < high) {            // the largest size that fits
      const mid = Math.ceil((low + high) / 2);
      el.style.fontSize = mid + "px";
      if (fits(el)) { low = mid; } else { high = mid - 1; }
    }
    el.style.fontSize = low + "px";
  }
  el.setAttribute("data-fitted", window.innerWidth + "x" + window.innerHeight);
}

let pending = 0;
function soon() {
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(fitAll);
}

// the box itself changes too (a countdown gets its digits, a line wraps)
const boxes = window.ResizeObserver ? new ResizeObserver(soon) : null;
const watched = new WeakSet();

function fitAll() {
  document.querySelectorAll("[data-fit]").forEach(function (el) {
    if (boxes && !watched.has(el)) { watched.add(el); boxes.observe(el); }
    fit(el);
  });
}

fitAll();
window.addEventListener("resize", soon);
document.addEventListener("htmx:wsAfterMessage", soon);
document.addEventListener("htmx:afterSwap", soon);
if (document.fonts && document.fonts.ready) { document.fonts.ready.then(soon); }
