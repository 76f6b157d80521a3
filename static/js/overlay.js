// The broadcast overlay (templates/overlay.html): the lower third slides in
// when the floor changes (a new data-key on #overlay), and the one it
// replaces slides out. An update for the same floor (who answers, a timer)
// replaces it in place, without moving.
const leaving = document.getElementById("overlay-leaving");

document.addEventListener("htmx:oobBeforeSwap", function (event) {
  const old = event.detail.target;
  if (!old || old.id !== "overlay") { return; }
  const incoming = event.detail.fragment && event.detail.fragment.querySelector
    ? event.detail.fragment.querySelector("#overlay") || event.detail.fragment.firstElementChild
    : null;
  const before = old.getAttribute("data-key") || "";
  const after = incoming ? incoming.getAttribute("data-key") || "" : "";
  const shown = old.querySelector(".lower-third");
  if (before === after) {
    const next = incoming ? incoming.querySelector(".lower-third") : null;
    if (next) { next.classList.add("steady"); }
    return;
  }
  if (shown && leaving) {
    const gone = shown.cloneNode(true);
    gone.classList.remove("steady");
    gone.addEventListener("animationend", function () { gone.remove(); });
    leaving.replaceChildren(gone);
  }
});
