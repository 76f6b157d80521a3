// Pictures and sound over WebRTC, signaled over the page's WebSocket
// (window.SessionLink, static/app.js).
//   data-media="publish": a bridge point's camera and microphone, sent to
//     the server (the console starts it on request and remembers that; the
//     camera-only page starts at once). It answers the server's health pings.
//     While the programme does not need its picture, the server says
//     "quality standby" on the health channel: it sends a small picture
//     (a quarter of the size, 5 frames a second) and no sound, until
//     "quality full" (the floor, the queue's head or the main venue).
//   data-media="view": a hall display, showing the programme the floor picks.
// Either reconnects by itself after a drop, with a capped backoff.
(function () {
  "use strict";
  var body = document.body;
  var mode = body.getAttribute("data-media");
  var link = window.SessionLink;
  if (!mode || !link) { return; }
  var ice = [];
  try { ice = JSON.parse(body.getAttribute("data-ice") || "[]"); } catch (e) { ice = []; }
  var stateEl = document.getElementById("media-state");
  var errorEl = document.getElementById("media-error");
  var REMEMBER = "camera:" + location.pathname;
  var pc = null;            // the current peer connection
  var awaiting = null;      // the connection whose answer is awaited
  var wanted = mode === "view";
  var stream = null;        // the camera (publish)
  var retries = 0;
  var retryTimer = null;
  var answerTimer = null;
  var replaced = false;
  var quality = "full";     // what the server asked this publisher to send
  var tuning = Promise.resolve();

  function setState(key) {
    body.setAttribute("data-media-state", key);
    if (stateEl) {
      var shown = key === "live" && quality === "standby" ? "standby" : key;
      var text = stateEl.getAttribute("data-" + shown);
      stateEl.textContent = text === null ? key : text;
    }
  }

  // The encodings of this publisher's senders for the asked quality; one
  // change at a time (a browser refuses parameters read before the last change).
  function tune(conn) {
    var standby = quality === "standby";
    body.setAttribute("data-media-quality", quality);
    conn.getSenders().forEach(function (sender) {
      if (!sender.track || !sender.getParameters) { return; }
      tuning = tuning.then(function () {
        var params = sender.getParameters();
        if (!params.encodings || !params.encodings.length) { return null; }
        var enc = params.encodings[0];
        if (sender.track.kind === "video") {
          enc.active = true;
          enc.maxBitrate = standby ? 40000 : 800000;
          enc.maxFramerate = standby ? 5 : 15;
          enc.scaleResolutionDownBy = standby ? 4 : 1;
        } else {
          enc.active = !standby;
        }
        return sender.setParameters(params);
      }).catch(function () { /* not supported: the full picture is sent */ });
    });
  }
  function showError(text) {
    if (!errorEl) { return; }
    errorEl.textContent = text || "";
    errorEl.hidden = !text;
  }

  function schedule() {
    if (!wanted || replaced) { return; }
    clearTimeout(retryTimer);
    var delay = Math.min(10000, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
    retries += 1;
    retryTimer = setTimeout(connect, delay);
  }

  function gathered(conn) {
    return new Promise(function (resolve) {
      if (conn.iceGatheringState === "complete") { resolve(); return; }
      var timer = setTimeout(resolve, 3000);   // what is gathered by then will do
      conn.addEventListener("icegatheringstatechange", function () {
        if (conn.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
  }

  function openCamera() {
    if (stream) { return Promise.resolve(stream); }
    if (!window.isSecureContext || !navigator.mediaDevices) {
      showError(errorEl ? errorEl.getAttribute("data-insecure") : "");
      return Promise.reject(new Error("insecure"));
    }
    return navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 15 } },
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }
    }).then(function (s) {
      stream = s;
      var preview = document.getElementById("camera-preview");
      if (preview) { preview.srcObject = s; }
      showError("");
      return s;
    }, function (error) {
      showError((errorEl ? errorEl.getAttribute("data-denied") + " " : "") + error.name);
      throw error;
    });
  }

  function watch(conn) {
    var lostTimer = null;
    conn.addEventListener("connectionstatechange", function () {
      if (conn !== pc) { return; }
      var s = conn.connectionState;
      if (s === "connected") { retries = 0; clearTimeout(lostTimer); setState("live"); }
      else if (s === "disconnected") {
        setState("unstable");
        clearTimeout(lostTimer);
        lostTimer = setTimeout(function () {
          if (conn === pc && conn.connectionState !== "connected") { setState("lost"); schedule(); }
        }, 4000);
      } else if (s === "failed" || s === "closed") { setState("lost"); schedule(); }
    });
  }

  function prepare(conn) {
    if (mode === "publish") {
      stream.getTracks().forEach(function (track) { conn.addTrack(track, stream); });
      quality = "full";     // until the server says otherwise on this connection
      tune(conn);
      var channel = conn.createDataChannel("health");
      channel.onmessage = function (evt) {
        if (typeof evt.data !== "string") { return; }
        if (evt.data.indexOf("ping ") === 0) { channel.send("pong " + evt.data.slice(5)); }
        else if (evt.data === "replaced") { replaced = true; setState("replaced"); }
        else if (evt.data === "quality full" || evt.data === "quality standby") {
          if (conn !== pc) { return; }
          quality = evt.data.slice(8);
          tune(conn);
          if (body.getAttribute("data-media-state") === "live") { setState("live"); }
        }
      };
    } else {
      conn.addTransceiver("video", { direction: "recvonly" });
      conn.addTransceiver("audio", { direction: "recvonly" });
      var remote = new MediaStream();
      var video = document.getElementById("program");
      conn.addEventListener("track", function (evt) {
        remote.addTrack(evt.track);
        if (video && video.srcObject !== remote) { video.srcObject = remote; }
        if (video) { play(video); }
      });
    }
  }

  function play(video) {
    var sound = document.getElementById("program-sound");
    video.muted = false;
    var attempt = video.play();
    if (attempt && attempt.catch) {
      attempt.catch(function () {
        // the browser wants a gesture before sound: play muted, offer the button
        video.muted = true;
        video.play().catch(function () { /* retried on the next track */ });
        if (sound) { sound.hidden = false; }
      });
    }
  }

  function connect() {
    clearTimeout(retryTimer);
    if (!wanted || replaced || !link.isOpen()) { return; }
    var ready = mode === "publish" ? openCamera() : Promise.resolve(null);
    ready.then(function () {
      if (pc) { try { pc.close(); } catch (e) { /* already closed */ } }
      var conn = new RTCPeerConnection({ iceServers: ice });
      pc = conn;
      setState("connecting");
      watch(conn);
      prepare(conn);
      return conn.createOffer().then(function (offer) {
        return conn.setLocalDescription(offer);
      }).then(function () { return gathered(conn); }).then(function () {
        if (conn !== pc) { return; }
        awaiting = conn;
        if (!link.send({ type: "media", op: mode, sdp: conn.localDescription.sdp })) {
          setState("lost");
          return;  // sent again when the socket reopens
        }
        clearTimeout(answerTimer);
        answerTimer = setTimeout(function () {
          if (awaiting === conn) { awaiting = null; setState("error"); schedule(); }
        }, 10000);
      });
    }).catch(function () { setState("error"); schedule(); });
  }

  link.onMessage(function (data) {
    if (!data || data.type !== "media") { return; }
    var conn = awaiting;
    if (data.op === "answer" && conn && conn === pc) {
      awaiting = null;
      clearTimeout(answerTimer);
      conn.setRemoteDescription({ type: "answer", sdp: data.sdp }).catch(function () {
        setState("error");
        schedule();
      });
    } else if (data.op === "error") {
      awaiting = null;
      clearTimeout(answerTimer);
      showError([data.vi, data.en].filter(Boolean).join(" / "));
      setState("error");
      schedule();
    }
  });

  // The socket came back: a connection that is gone (or never made) is
  // made again; a live one carries on, it does not depend on the socket.
  link.onOpen(function () {
    if (!wanted) { return; }
    if (!pc || ["failed", "closed"].indexOf(pc.connectionState) >= 0 || awaiting === pc) {
      retries = 0;
      connect();
    }
  });

  function start() {
    wanted = true;
    replaced = false;
    try { localStorage.setItem(REMEMBER, "on"); } catch (e) { /* private mode */ }
    toggleButtons();
    retries = 0;
    connect();
  }
  function stop() {
    wanted = false;
    try { localStorage.setItem(REMEMBER, "off"); } catch (e) { /* private mode */ }
    if (pc) { pc.close(); pc = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    setState("idle");
    toggleButtons();
  }
  function toggleButtons() {
    var startBtn = document.getElementById("camera-start");
    var stopBtn = document.getElementById("camera-stop");
    if (startBtn) { startBtn.hidden = wanted; }
    if (stopBtn) { stopBtn.hidden = !wanted; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var startBtn = document.getElementById("camera-start");
    var stopBtn = document.getElementById("camera-stop");
    if (startBtn) { startBtn.addEventListener("click", start); }
    if (stopBtn) { stopBtn.addEventListener("click", stop); }
    var sound = document.getElementById("program-sound");
    var video = document.getElementById("program");
    if (sound && video) {
      sound.addEventListener("click", function () { video.muted = false; video.play(); sound.hidden = true; });
    }
    if (mode === "publish") {
      var remembered = null;
      try { remembered = localStorage.getItem(REMEMBER); } catch (e) { remembered = null; }
      var auto = body.classList.contains("screen-camera") ? remembered !== "off" : remembered === "on";
      if (auto) { wanted = true; }
      toggleButtons();
    }
    if (wanted && link.isOpen()) { connect(); }
  });
})();
