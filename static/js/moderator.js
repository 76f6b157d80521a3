// The moderator's console: picking cards for the bulk bar, the inbox's
// later pages (fetched, never pushed), shortcuts and dragging a queued
// question within its topic. Loaded by main.js on the moderator's screen.

const picked = new Set();
let pageAfter = null; // the inbox page shown (null: the live first page)
let pageTimer = null;

function cards() {
  return Array.prototype.slice.call(document.querySelectorAll(
    "#mi-list > li[data-question], #mi-more li[data-question], #mq-list > li[data-question]"
  )).filter(function (li) { return !li.hidden && li.offsetParent !== null; });
}

// --- picking and the bulk bar
function syncPicks() {
  document.querySelectorAll("[data-pick]").forEach(function (box) {
    const on = picked.has(box.getAttribute("data-pick"));
    box.checked = on;
    const li = box.closest("li");
    if (li) { li.classList.toggle("picked", on); }
  });
  const present = new Set();
  document.querySelectorAll("[data-pick]").forEach(function (box) { present.add(box.getAttribute("data-pick")); });
  picked.forEach(function (id) { if (!present.has(id)) { picked.delete(id); } });
  const ids = Array.from(picked).join(",");
  document.querySelectorAll("[data-picked-ids]").forEach(function (input) { input.value = ids; });
  document.querySelectorAll("[data-picked-count]").forEach(function (el) { el.textContent = String(picked.size); });
  document.querySelectorAll("form[data-bulk] button[type=submit]").forEach(function (button) {
    const merge = button.form.querySelector("input[name=verdict]").value === "merge";
    button.disabled = picked.size < (merge ? 2 : 1);
  });
  const all = document.querySelector("[data-pick-all]");
  if (all) { all.checked = picked.size > 0 && picked.size === visiblePicks().length; }
}

function visiblePicks() {
  return Array.prototype.slice.call(document.querySelectorAll("[data-pick]")).filter(function (box) {
    const li = box.closest("li");
    return li && !li.hidden && li.offsetParent !== null;
  });
}

function togglePick(id, on) {
  if (on) { picked.add(id); } else { picked.delete(id); }
  syncPicks();
}

// --- the inbox's later pages
function pageUrl(after) {
  return document.body.getAttribute("data-page-url") + "/inbox?after=" + after;
}

function showPage(after) {
  const more = document.getElementById("mi-more");
  const panel = document.getElementById("mod-inbox-panel");
  if (after === null) {
    pageAfter = null;
    more.hidden = true;
    more.textContent = "";
    panel.classList.remove("paged");
    syncPicks();
    return;
  }
  fetch(pageUrl(after), { credentials: "same-origin" }).then(function (response) {
    return response.ok ? response.text() : Promise.reject(response.status);
  }).then(function (html) {
    pageAfter = after;
    more.innerHTML = html;
    more.hidden = false;
    panel.classList.add("paged");
    if (window.htmx) { window.htmx.process(more); }
    syncPicks();
  }).catch(function () { /* the live page stays */ });
}

function lastShown() {
  const line = document.querySelector("#mi-more .page-line");
  if (pageAfter !== null && line) { return Number(line.getAttribute("data-last")); }
  const items = document.querySelectorAll("#mi-list > li[data-question]");
  return items.length ? Number(items[items.length - 1].getAttribute("data-question")) : 0;
}

function refreshPage() {
  if (pageAfter === null) { return; }
  clearTimeout(pageTimer);
  pageTimer = setTimeout(function () { showPage(pageAfter); }, 300);
}

// --- shortcuts
function focusedCard() {
  const el = document.activeElement;
  const li = el && el.closest ? el.closest("li[data-question]") : null;
  return li || document.querySelector("li.question.focused");
}

function focusCard(li) {
  document.querySelectorAll("li.question.focused").forEach(function (el) { el.classList.remove("focused"); });
  if (!li) { return; }
  li.classList.add("focused");
  li.setAttribute("tabindex", "-1");
  li.focus({ preventScroll: true });
  li.scrollIntoView({ block: "nearest" });
}

function press(li, selector) {
  const button = li && li.querySelector(selector);
  if (button && !button.disabled) { button.click(); return true; }
  return false;
}

function onKey(evt) {
  const target = evt.target;
  if (evt.ctrlKey || evt.metaKey || (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) && target.type !== "checkbox")) { return; }
  const li = focusedCard();
  const key = evt.key.toLowerCase();
  if ((key === "arrowdown" || key === "arrowup") && evt.altKey) {
    if (li && press(li, key === "arrowup" ? ".move-up button" : ".move-down button")) { evt.preventDefault(); }
    return;
  }
  if (evt.altKey) { return; }
  if (key === "arrowdown" || key === "arrowup" || key === "j" || key === "k") {
    const all = cards();
    const at = all.indexOf(li);
    const next = all[Math.max(0, Math.min(all.length - 1, at + (key === "arrowdown" || key === "j" ? 1 : -1)))];
    if (next) { focusCard(next); evt.preventDefault(); }
    return;
  }
  if (!li) { return; }
  let done = false;
  if (key === "a") { done = press(li, 'form:has(input[value="approve_question"]) button'); }
  else if (key === "r") {
    const select = li.querySelector('form:has(input[value="reject_question"]) select');
    if (select) { select.focus(); done = true; } else { done = press(li, 'form:has(input[value="reject_question"]) button'); }
  }
  else if (key === "m") { done = press(li, ".merge-alike button"); }
  else if (key === "f") { done = press(li, ".to-floor button"); }
  else if (key === "x") {
    const box = li.querySelector("[data-pick]");
    if (box) { togglePick(box.getAttribute("data-pick"), !box.checked); done = true; }
  }
  if (done) { evt.preventDefault(); }
}

// --- dragging a queued question within its topic (pointer: touch and mouse)
let drag = null;

function topicCards(topic) {
  return Array.prototype.slice.call(document.querySelectorAll("#mq-list > li[data-question]")).filter(function (li) {
    const actions = li.querySelector(".actions[data-topic]");
    return actions && actions.getAttribute("data-topic") === topic;
  });
}

function clearMarks() {
  document.querySelectorAll(".drop-before, .drop-after").forEach(function (el) { el.classList.remove("drop-before", "drop-after"); });
}

function onPointerDown(evt) {
  const handle = evt.target.closest ? evt.target.closest("#mq-list .drag") : null;
  if (!handle) { return; }
  const li = handle.closest("li[data-question]");
  const actions = li.querySelector(".actions[data-topic]");
  drag = { li: li, topic: actions.getAttribute("data-topic"), from: Number(actions.getAttribute("data-index")), to: null };
  li.classList.add("dragging");
  handle.setPointerCapture(evt.pointerId);
  evt.preventDefault();
}

function onPointerMove(evt) {
  if (!drag) { return; }
  clearMarks();
  drag.to = null;
  const group = topicCards(drag.topic);
  for (let i = 0; i < group.length; i++) {
    const box = group[i].getBoundingClientRect();
    if (evt.clientY >= box.top && evt.clientY <= box.bottom) {
      const after = evt.clientY > box.top + box.height / 2;
      group[i].classList.add(after ? "drop-after" : "drop-before");
      let to = i + (after ? 1 : 0);
      if (to > drag.from) { to -= 1; }
      drag.to = to;
      break;
    }
  }
}

function onPointerUp() {
  if (!drag) { return; }
  const d = drag;
  drag = null;
  clearMarks();
  d.li.classList.remove("dragging");
  if (d.to === null || d.to === d.from) { return; }
  moveInTopic(d.li.getAttribute("data-question"), d.to);
}

function moveInTopic(questionId, index) {
  // the card's own ↓ form, told another place: one command, as by hand
  const source = document.querySelector("#mq-" + questionId + " form.move-down") ||
    document.querySelector("#mq-" + questionId + " form.move-up");
  if (!source) { return; }
  source.querySelector("input[name=index]").value = String(index);
  const button = source.querySelector("button");
  button.disabled = false;
  button.click();
}

export function start() {
  document.addEventListener("change", function (evt) {
    const el = evt.target;
    if (el.hasAttribute("data-pick")) { togglePick(el.getAttribute("data-pick"), el.checked); }
    else if (el.hasAttribute("data-pick-all")) {
      visiblePicks().forEach(function (box) { if (el.checked) { picked.add(box.getAttribute("data-pick")); } else { picked.delete(box.getAttribute("data-pick")); } });
      syncPicks();
    } else if (el.hasAttribute("data-filter")) { syncPicks(); }
  });
  document.addEventListener("click", function (evt) {
    const el = evt.target;
    if (el.closest && el.closest("[data-inbox-next]")) { showPage(lastShown()); }
    else if (el.closest && el.closest("[data-inbox-first]")) { showPage(null); }
    const li = el.closest ? el.closest("li.question[data-question]") : null;
    if (li && (li.closest("#mod-inbox-panel") || li.closest("#mq-list"))) { focusCard(li); }
  });
  document.addEventListener("htmx:wsAfterMessage", function () { syncPicks(); refreshPage(); });
  document.addEventListener("htmx:wsAfterSend", function (evt) {
    const form = evt.target;
    if (form && form.hasAttribute && form.hasAttribute("data-bulk")) {
      picked.clear();
      const reason = form.querySelector("[data-other-reason]");
      if (reason) { reason.value = ""; }
      syncPicks();
    }
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", onPointerDown);
  document.addEventListener("pointermove", onPointerMove);
  document.addEventListener("pointerup", onPointerUp);
  document.addEventListener("pointercancel", onPointerUp);
  syncPicks();
}
