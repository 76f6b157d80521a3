// A phone's upvotes: each question it upvoted shows so on its button
// ("Đã ủng hộ", not to be pressed again), in the live list and in what a
// search found, across live updates and reloads (localStorage, per page);
// a search's count takes the vote at once (its answer is a snapshot). The
// server counts one vote per phone and question whatever this shows: a
// vote it refuses as already made marks the button too.
import * as link from "./link.js";

const KEY = "voted:" + location.pathname;
const pending = {};   // the vote's command id -> its question id

function voted() {
  try { return new Set(JSON.parse(localStorage.getItem(KEY) || "[]").map(String)); } catch (e) { return new Set(); }
}

function mark() {
  const list = document.getElementById("public-list");
  const words = list ? list.getAttribute("data-voted") : "";
  const done = voted();
  document.querySelectorAll("form[ws-send] input[name=action][value=vote]").forEach(function (input) {
    const form = input.form;
    const id = form && form.querySelector("input[name=question_id]");
    const button = form && form.querySelector("button");
    if (!id || !button || !done.has(id.value)) { return; }
    button.disabled = true;
    button.classList.add("voted");
    if (words) { button.textContent = words; }
  });
}

function remember(question, counted) {
  const done = voted();
  done.add(String(question));
  try { localStorage.setItem(KEY, JSON.stringify(Array.from(done))); } catch (e) { /* the button still shows it */ }
  if (counted) {
    document.querySelectorAll('#pq-found [data-question="' + CSS.escape(String(question)) + '"] .votes').forEach(function (el) {
      const n = parseInt(el.textContent.replace(/[^0-9]/g, ""), 10);
      if (!isNaN(n)) { el.textContent = "▲ " + (n + 1); }
    });
  }
  mark();
}

export function start() {
  // after outbox.js's own listener (started first), which gave the vote its
  // command id: the acknowledgement comes back under it
  document.addEventListener("htmx:wsConfigSend", function (evt) {
    let body = null;
    try { body = JSON.parse(evt.detail.messageBody || "null"); } catch (e) { body = null; }
    if (body && body.action === "vote" && body.command_id) { pending[body.command_id] = body.question_id; }
  });
  link.on("ack", function (message) {
    const question = pending[message.key];
    if (question === undefined) { return; }
    delete pending[message.key];
    remember(question, true);
  });
  link.on("refused", function (message) {
    const question = pending[message.key];
    if (question === undefined) { return; }
    delete pending[message.key];
    if (message.code === "vote.already") { remember(question, false); }
  });
  document.addEventListener("htmx:wsAfterMessage", mark);
  document.addEventListener("htmx:afterSwap", mark);
  mark();
}
