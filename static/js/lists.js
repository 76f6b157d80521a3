// Lists on live screens: keyed lists put in the order the server says, the
// moderator's filters, recordings fetched through the screen's own link, and
// confirmations that fade.

// A keyed list changes item by item; the server then sends the order
// (web/fanout.py): <div id="LIST-order" data-order-for="LIST" data-order="id id …">.
function applyOrder() {
  document.querySelectorAll("[data-order-for][data-order]").forEach(function (holder) {
    const list = document.getElementById(holder.getAttribute("data-order-for"));
    const ids = holder.getAttribute("data-order").split(" ").filter(Boolean);
    holder.removeAttribute("data-order");
    if (!list) { return; }
    ids.forEach(function (id) {
      const el = document.getElementById(id);
      if (el && el.parentNode === list) { list.appendChild(el); }
    });
  });
}

function applyFilters() {
  const filters = {};
  document.querySelectorAll("[data-filter]").forEach(function (el) {
    if (el.value) { filters[el.getAttribute("data-filter")] = el.value; }
  });
  document.querySelectorAll("[data-filterable] [data-question]").forEach(function (row) {
    row.hidden = !Object.keys(filters).every(function (k) {
      return row.getAttribute("data-" + k) === filters[k];
    });
  });
}

function linkRecordings() {
  const base = document.body.getAttribute("data-page-url");
  if (!base) { return; }
  document.querySelectorAll("[data-src]").forEach(function (el) {
    if (!el.getAttribute("src")) { el.setAttribute("src", base + "/" + el.getAttribute("data-src")); }
  });
  document.querySelectorAll("a[data-href]").forEach(function (el) {
    if (!el.getAttribute("href")) { el.setAttribute("href", base + "/" + el.getAttribute("data-href")); }
  });
}

function fadeConfirmation(evt) {
  const flash = evt.detail && evt.detail.target;
  if (flash && flash.id === "flash" && flash.classList.contains("flash-ok")) {
    clearTimeout(flash._timer);
    flash._timer = setTimeout(function () {
      if (flash.classList.contains("flash-ok")) { flash.textContent = ""; }
    }, 6000);
  }
}

export function start() {
  document.addEventListener("change", function (evt) {
    const el = evt.target;
    if (el.hasAttribute && el.hasAttribute("data-filter")) { applyFilters(); }
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    applyOrder();
    applyFilters();
    linkRecordings();
  });
  document.addEventListener("htmx:oobAfterSwap", fadeConfirmation);
  document.addEventListener("htmx:afterSwap", linkRecordings);
  linkRecordings();
}

// Fragments pushed to a whole audience hold no per-link address: requests
// marked data-page-relative go under this screen's own link.
document.addEventListener("htmx:configRequest", function (evt) {
  const elt = evt.detail.elt;
  const base = document.body.getAttribute("data-page-url");
  if (base && elt && elt.closest && elt.closest("[data-page-relative]")) {
    evt.detail.path = base + "/" + evt.detail.path.replace(/^\/+/, "");
  }
});

// A print button (the content security policy allows no inline handler);
// a tap on a refusal's or a confirmation's words (not its button) puts it away.
document.addEventListener("click", function (evt) {
  const el = evt.target;
  const button = el.closest ? el.closest("[data-print]") : null;
  if (button) { window.print(); }
  const flash = el.closest ? el.closest("#flash") : null;
  if (flash && !el.closest("form, button, a")) { flash.textContent = ""; flash.className = "flash"; }
});
