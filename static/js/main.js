// The live screens' script, as small modules: the link (link.js), what is
// kept until acknowledged (outbox.js), text that survives live updates
// (editor.js), countdowns (countdown.js) and lists (lists.js); a phone's
// upvotes (votes.js), the moderator's console (moderator.js).
// static/media.js reaches the link through window.SessionLink.
import * as link from "./link.js";
import * as outbox from "./outbox.js";
import * as editor from "./editor.js";
import * as countdown from "./countdown.js";
import * as lists from "./lists.js";

window.SessionLink = {
  isOpen: link.isOpen,
  send: function (obj) { return link.send(obj); },
  onMessage: function (fn) { link.on("*", fn); },
  onOpen: link.onOpen,
};

link.start();
outbox.start();
editor.start();
lists.start();
countdown.start();
if (document.body.classList.contains("screen-moderator")) { import("./moderator.js").then(function (m) { m.start(); }); }
if (document.body.classList.contains("screen-phone")) { import("./votes.js").then(function (m) { m.start(); }); }
if (document.querySelector("[data-checkin-camera]")) { import("./checkin.js").then(function (m) { m.start(); }); }
