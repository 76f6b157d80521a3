// What a person sends is kept until the server acknowledges it.
//
// Forms marked data-outbox travel through here: their message is stored in
// the browser (localStorage, per page) under a key that is also its command
// id, sent when the link is open, sent again when the link returns, and
// forgotten only on the server's acknowledgement ({"type": "ack", "key"}).
// A refusal that may pass later (the event log unavailable, a rate limit)
// is sent again by itself after a capped, growing pause; a refusal that will
// not (bad input) gives the text back to its form, so nothing typed is lost.
// A form with data-outbox-slot keeps only its latest message (an answer
// summary being typed). Every form is reset to its defaults once its
// message is kept (consent boxes off), with a fresh idempotency key.
// What is typed into such a form before it is sent is kept too, as a draft
// (localStorage, per page and form) that a reload puts back into the
// fields nobody has touched since; sending the form forgets it.
import * as link from "./link.js";

const KEY = "outbox:" + location.pathname;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;
let retryTimer = null;
const listeners = { ack: [], refused: [] };

export function randomKey() {
  const bytes = new Uint8Array(12);
  window.crypto.getRandomValues(bytes);
  return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
}

export function load() {
  try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
}

function save(items) {
  try { localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { /* full: kept in memory below */ }
  memory = items;
  render(items);
}
let memory = null;
function items() { return memory || load(); }

function render(list) {
  const box = document.getElementById("outbox");
  if (!box) { return; }
  // questions, and what was given a label (a check-in: who, or the code read)
  const shown = list.filter(function (item) { return item.body.action === "submit_question" || item.label; });
  box.hidden = shown.length === 0;
  const ul = box.querySelector("ul");
  if (!ul) { return; }
  ul.textContent = "";
  shown.forEach(function (item) {
    const li = document.createElement("li");
    li.textContent = item.label || item.body.text;
    ul.appendChild(li);
  });
}

/** Listen to acknowledgements or refusals of kept messages: fn(item, message). */
export function on(kind, fn) { listeners[kind].push(fn); }

/** Keep `body` (under `slot`, replacing that slot's older message) and send it
 * when the link allows; `label` shows it in the waiting list. Returns the kept item. */
export function put(body, slot, formId, label) {
  const key = body.command_id || randomKey();
  body.command_id = key;
  if (body.action === "submit_question") { body.idempotency_key = key; }
  const kept = items().filter(function (item) { return !slot || item.slot !== slot; });
  const item = { key: key, slot: slot || null, form: formId || null, body: body, sentOn: 0, attempts: 0, due: 0, label: label || "" };
  kept.push(item);
  save(kept);
  flush();
  return item;
}

/** Send whatever is due and not yet sent on the socket open now. */
export function flush() {
  if (!link.isOpen()) { return; }
  const now = Date.now();
  const generation = link.socketGeneration();
  let changed = false;
  let next = Infinity;
  const list = items();
  list.forEach(function (item) {
    if (item.sentOn === generation) { return; }
    if (item.due > now) { next = Math.min(next, item.due); return; }
    if (link.send(item.body)) { item.sentOn = generation; changed = true; }
  });
  if (changed) { save(list); }
  if (next < Infinity) { schedule(next - now); }
}

function schedule(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(flush, Math.max(50, ms));
}

function acknowledged(message) {
  const list = items();
  const item = list.find(function (i) { return i.key === message.key; });
  if (!item) { return; }
  save(list.filter(function (i) { return i !== item; }));
  listeners.ack.forEach(function (fn) { fn(item, message); });
}

function refused(message) {
  const list = items();
  const item = list.find(function (i) { return i.key === message.key; });
  if (!item) { return; }
  if (message.retry) {
    item.attempts += 1;
    const pause = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * Math.pow(2, item.attempts - 1));
    const wait = Math.max(pause * (0.5 + Math.random() / 2), (message.seconds || 0) * 1000);
    item.due = Date.now() + wait;
    item.sentOn = 0;
    save(list);
    schedule(wait);
  } else {
    save(list.filter(function (i) { return i !== item; }));
    giveBack(item);
  }
  listeners.refused.forEach(function (fn) { fn(item, message); });
}

// A message the server will not take as it is: its text goes back into its
// form (unless the person has started something new there) to be corrected.
function giveBack(item) {
  if (item.slot || !item.form) { return; }
  const form = document.getElementById(item.form);
  if (!form) { return; }
  const fields = Array.prototype.filter.call(form.elements, function (el) {
    return el.name && item.body[el.name] !== undefined && el.type !== "hidden";
  });
  const untouched = fields.every(function (el) {
    return el.type === "checkbox" ? !el.checked : !el.value || el.tagName === "SELECT";
  });
  if (!untouched) { return; }
  fields.forEach(function (el) {
    if (el.type === "checkbox") { el.checked = item.body[el.name] === el.value; }
    else { el.value = item.body[el.name]; }
  });
}

// A form marked data-outbox-label shows in the waiting list as that text
// followed by its chosen option (a check-in by name: who) or its number.
function label(form) {
  const prefix = form.getAttribute("data-outbox-label");
  if (prefix === null) { return ""; }
  const select = form.querySelector("select");
  if (select) {
    const option = select.selectedIndex >= 0 ? select.options[select.selectedIndex] : null;
    return prefix + (option ? option.textContent : "");
  }
  const number = form.querySelector("input[type=number]");
  return prefix + (number ? number.value : "");
}

// --- drafts: a form's fields as typed, until it is sent

function draftKey(form) { return "draft:" + location.pathname + "#" + form.id; }

function draftFields(form) {
  return Array.prototype.filter.call(form.elements, function (el) {
    return el.name && el.type !== "hidden" && el.type !== "submit" && el.type !== "button" && el.type !== "file";
  });
}

function keepDraft(form) {
  const values = {};
  let any = false;
  draftFields(form).forEach(function (el) {
    const value = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
    const given = el.type === "checkbox" || el.type === "radio" ? el.defaultChecked : el.defaultValue;
    if (el.tagName === "SELECT" ? el.selectedIndex > 0 : value !== given) { any = true; }
    values[el.name + (el.type === "radio" ? "=" + el.value : "")] = value;
  });
  try {
    if (any) { localStorage.setItem(draftKey(form), JSON.stringify(values)); }
    else { localStorage.removeItem(draftKey(form)); }
  } catch (e) { /* storage full or refused: the fields still hold it */ }
}

function forgetDraft(form) {
  try { localStorage.removeItem(draftKey(form)); } catch (e) { /* nothing kept */ }
}

function restoreDraft(form) {
  let values = null;
  try { values = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { values = null; }
  if (!values || typeof values !== "object") { return; }
  draftFields(form).forEach(function (el) {
    const name = el.name + (el.type === "radio" ? "=" + el.value : "");
    if (!(name in values)) { return; }
    if (el.type === "checkbox" || el.type === "radio") { el.checked = values[name] === true; }
    else if (typeof values[name] === "string" && (!el.value || el.tagName === "SELECT")) { el.value = values[name]; }
  });
}

function resetForm(form) {
  forgetDraft(form);
  form.reset();   // every field back to its default: consent boxes off
  form.querySelectorAll("input[name=idempotency_key], input[name=command_id]").forEach(function (el) {
    el.value = randomKey();
  });
}

export function start() {
  link.on("ack", acknowledged);
  link.on("refused", refused);
  link.onOpen(function () {
    // a new socket: everything kept goes again (the server knows repeats)
    const list = items();
    list.forEach(function (item) { item.sentOn = 0; });
    save(list);
    flush();
  });
  window.addEventListener("online", flush);

  // htmx is about to send a form over the socket.
  document.addEventListener("htmx:wsConfigSend", function (evt) {
    const form = evt.target.closest ? evt.target.closest("form") : null;
    if (!form) { return; }
    const body = Object.assign({}, evt.detail.parameters);
    delete body.csrf;
    if (!form.hasAttribute("data-outbox")) {
      // a fresh id for each send (a page's own id is for posts without JavaScript)
      body.command_id = randomKey();
      evt.detail.messageBody = JSON.stringify(body);
      if (evt.detail.triggeringEvent && evt.detail.triggeringEvent.type === "submit") {
        setTimeout(function () {
          form.querySelectorAll("[data-clear]").forEach(function (el) { el.value = ""; });
        }, 0);
      }
      return;
    }
    evt.preventDefault();   // the outbox sends it (now, or when the link returns)
    body.command_id = body.idempotency_key || randomKey();
    if (!form.id) { form.id = "form-" + randomKey().slice(0, 8); }
    put(body, form.getAttribute("data-outbox-slot"), form.id, label(form));
    if (!form.hasAttribute("data-outbox-slot")) { resetForm(form); }
  });

  // drafts: kept as typed, put back after a reload
  document.querySelectorAll("form[data-outbox][id]:not([data-outbox-slot])").forEach(restoreDraft);
  function typed(evt) {
    const form = evt.target && evt.target.form;
    if (form && form.id && form.hasAttribute("data-outbox") && !form.hasAttribute("data-outbox-slot")) { keepDraft(form); }
  }
  document.addEventListener("input", typed);
  document.addEventListener("change", typed);   // a box ticked, an option chosen

  render(items());
  document.querySelectorAll("input[name=idempotency_key], input[name=command_id]").forEach(function (el) {
    if (!el.value) { el.value = randomKey(); }
  });
}
