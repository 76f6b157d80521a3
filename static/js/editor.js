// Text being typed survives every live update of the screen.
//
// Fields marked hx-preserve (with an id) are kept by htmx when the fragment
// around them is replaced by one holding the same id. A live update may also
// move a field from one fragment to another (the secretary's summary moves
// from "on the floor" to "the record" when the question is marked answered):
// before a fragment is replaced, its preserved fields that the new fragment
// does not hold and that someone typed into are parked in a holding box,
// where the fragment arriving next finds them by id; the focus and the caret
// come back after the message. A field no fragment takes back stays visible
// in the holding box. What nobody typed into (the empty outcome fields of a
// question that left the floor, a phone's search results when the list
// closes) goes with its fragment.
//
// The secretary's summaries ([data-editor]) are saved as they are typed, one
// save in flight per question, each based on the revision of the text it
// started from (data-revision of its article, then each acknowledgement's
// revision): a save based on a revision someone else has replaced is
// refused, the text stays in the box, and the secretary chooses which to keep.
import * as link from "./link.js";
import * as outbox from "./outbox.js";

const SAVE_DELAY_MS = 800;
const editors = {};   // question id -> {base, inflight, sentText, timer}
let focus = null;     // what had the focus before a message: {id, start, end}

function stash() {
  let box = document.getElementById("preserve-stash");
  if (!box) {
    box = document.createElement("section");
    box.id = "preserve-stash";
    box.className = "card preserve-stash";
    box.setAttribute("aria-live", "polite");
    const title = document.createElement("h2");
    title.textContent = document.body.getAttribute("data-stash-title") || "";
    box.appendChild(title);
    const main = document.querySelector("main") || document.body;
    main.appendChild(box);
  }
  return box;
}

function move(el, parent) {
  if (parent.moveBefore) { parent.moveBefore(el, null); } else { parent.appendChild(el); }
}

// Whether a field holds something other than what the page gave it.
function edited(field) {
  if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
  if (field.tagName === "SELECT") {
    return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
  }
  return field.value !== field.defaultValue;
}

function typedInto(el) {
  const fields = el.matches("input, textarea, select") ? [el] : el.querySelectorAll("input, textarea, select");
  return Array.prototype.some.call(fields, function (field) { return field.type !== "hidden" && edited(field); });
}

function parkOrphans(evt) {
  const target = evt.detail.target;
  const incoming = evt.detail.fragment;
  if (!target || !incoming || !target.querySelectorAll) { return; }
  target.querySelectorAll("[hx-preserve][id]").forEach(function (el) {
    if (incoming.querySelector && incoming.querySelector("#" + CSS.escape(el.id))) { return; }
    if (typedInto(el)) { move(el, stash()); }
  });
}

function rememberFocus() {
  const el = document.activeElement;
  if (el && el.id && (el.tagName === "TEXTAREA" || el.tagName === "INPUT")) {
    let start = null;
    let end = null;
    try { start = el.selectionStart; end = el.selectionEnd; } catch (e) { /* no caret */ }
    focus = { id: el.id, start: start, end: end };
  } else {
    focus = null;
  }
}

function restoreFocus() {
  const box = document.getElementById("preserve-stash");
  if (box) {
    const parked = box.querySelectorAll("[id]").length;
    box.hidden = parked === 0;
  }
  if (!focus) { return; }
  const el = document.getElementById(focus.id);
  if (el && document.activeElement !== el) {
    el.focus({ preventScroll: true });
    if (focus.start !== null) {
      try { el.setSelectionRange(focus.start, focus.end); } catch (e) { /* no caret */ }
    }
  }
  focus = null;
}

// --- the secretary's summaries --------------------------------------------------------

function articleOf(el) { return el.closest("[data-revision]"); }

function editorState(question, el) {
  let state = editors[question];
  if (!state) {
    const article = articleOf(el);
    state = editors[question] = {
      base: article ? Number(article.getAttribute("data-revision")) : 0,
      inflight: null, sentText: null, timer: null,
    };
  }
  return state;
}

function setNote(el, text, kind) {
  const article = articleOf(el);
  const note = article && article.querySelector("[data-editor-note]");
  if (!note) { return; }
  note.textContent = text;
  note.className = "editor-note" + (kind ? " editor-note-" + kind : "");
}

function save(question) {
  const el = document.getElementById("summary-" + question);
  if (!el) { return; }
  const state = editorState(question, el);
  clearTimeout(state.timer);
  state.timer = null;
  if (state.inflight) { state.dirty = true; return; }
  state.dirty = false;
  state.sentText = el.value;
  const item = outbox.put({
    action: "record_answer_summary",
    question_id: String(question),
    summary: el.value,
    base_revision: String(state.base),
  }, "summary-" + question);
  state.inflight = item.key;
  setNote(el, el.getAttribute("data-saving") || "", "saving");
}

function onAck(item, message) {
  if (item.body.action !== "record_answer_summary") { return; }
  const question = item.body.question_id;
  const state = editors[question];
  const el = document.getElementById("summary-" + question);
  if (!state || !el || state.inflight !== item.key) { return; }
  state.inflight = null;
  if (typeof message.revision === "number") { state.base = message.revision; }
  setNote(el, el.getAttribute("data-saved") || "", "saved");
  if (state.dirty || el.value !== state.sentText) { save(question); }
}

function onRefused(item, message) {
  if (item.body.action !== "record_answer_summary" || message.retry) { return; }
  const question = item.body.question_id;
  const state = editors[question];
  const el = document.getElementById("summary-" + question);
  if (!state || !el) { return; }
  state.inflight = null;
  setNote(el, message[document.documentElement.lang === "en" ? "en" : "vi"] || "", "error");
  if (message.code === "summary.stale") { showConflict(el, question, message); }
}

// Someone else saved this summary meanwhile: show their text beside ours and
// let the secretary keep either (nothing is overwritten without a choice).
function showConflict(el, question, message) {
  const article = articleOf(el);
  const box = article && article.querySelector("[data-editor-conflict]");
  if (!box) { return; }
  const state = editors[question];
  box.hidden = false;
  box.querySelector("[data-current]").textContent = message.current || "";
  box.querySelector("[data-keep-mine]").onclick = function () {
    state.base = message.revision;
    box.hidden = true;
    save(question);
  };
  box.querySelector("[data-keep-theirs]").onclick = function () {
    state.base = message.revision;
    el.value = message.current || "";
    box.hidden = true;
    setNote(el, "", "");
  };
}

// The page is being left (a reload, a closed tab, a phone putting the
// browser away): what was typed since the last save is kept now, not after
// the pause, in the outbox (localStorage), which a reload sends again. A
// save still unanswered is replaced by the newer text, on the same base:
// the core takes it over the save it replaces when it still holds that
// text (typed on from it), and asks the secretary to choose otherwise.
function keepAll() {
  Object.keys(editors).forEach(function (question) {
    const state = editors[question];
    const el = document.getElementById("summary-" + question);
    if (!state || !el || el.value === state.sentText) { return; }
    state.inflight = null;
    save(question);
  });
}

function restoreDrafts() {
  // After a reload, what was typed and not yet acknowledged goes back into
  // its box, based on the revision it was typed from.
  outbox.load().forEach(function (item) {
    if (item.body.action !== "record_answer_summary") { return; }
    const question = item.body.question_id;
    const el = document.getElementById("summary-" + question);
    if (!el) { return; }
    el.value = item.body.summary;
    const state = editorState(question, el);
    state.base = Number(item.body.base_revision) || 0;
    state.inflight = item.key;
    state.sentText = item.body.summary;
  });
}

export function start() {
  document.addEventListener("htmx:oobBeforeSwap", parkOrphans);
  document.addEventListener("htmx:wsBeforeMessage", rememberFocus);
  document.addEventListener("htmx:wsAfterMessage", restoreFocus);
  document.addEventListener("input", function (evt) {
    const el = evt.target;
    if (!el || !el.hasAttribute || !el.hasAttribute("data-editor")) { return; }
    const question = el.getAttribute("data-question");
    const state = editorState(question, el);
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { save(question); }, SAVE_DELAY_MS);
  });
  document.addEventListener("focusout", function (evt) {
    const el = evt.target;
    if (el && el.hasAttribute && el.hasAttribute("data-editor")) {
      const question = el.getAttribute("data-question");
      const state = editors[question];
      if (state && state.timer) { save(question); }
    }
  });
  outbox.on("ack", onAck);
  outbox.on("refused", onRefused);
  window.addEventListener("pagehide", keepAll);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { keepAll(); }
  });
  restoreDrafts();
}
