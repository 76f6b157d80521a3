// The live player of a public page (templates/_live_player.html): the
// programme's HLS stream through hls.js where the browser has Media Source
// Extensions, else through the browser's own HLS (iPhone Safari). Only the
// playlist is read before the viewer presses play (phones on 3G). What the
// player went through is kept on the <video> (data-player, data-fragments)
// for the page's tests and for whoever debugs a hall's link.
(function () {
  "use strict";
  var video = document.getElementById("live-video");
  if (!video) { return; }
  var url = video.getAttribute("data-hls");
  var fragments = 0;

  function state(name) { video.setAttribute("data-player", name); }
  function note(which) {
    document.querySelectorAll("[data-player-note]").forEach(function (el) {
      el.hidden = el.getAttribute("data-player-note") !== which;
    });
  }
  function ended() { state("ended"); note("ended"); }

  video.addEventListener("ended", ended);
  video.addEventListener("playing", function () { state("playing"); });

  var Hls = window.Hls;
  if (Hls && Hls.isSupported()) {
    // no worker: it would be made from a blob: URL, which the CSP refuses
    var hls = new Hls({ enableWorker: false, autoStartLoad: false, lowLatencyMode: false });
    state("hls.js");
    hls.on(Hls.Events.MANIFEST_PARSED, function () { state("manifest"); });
    hls.on(Hls.Events.FRAG_LOADED, function () {
      fragments += 1;
      video.setAttribute("data-fragments", String(fragments));
    });
    hls.on(Hls.Events.ERROR, function (event, data) {
      if (!data.fatal) { return; }
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // the playlist is gone: the broadcast ended (or the link did)
        hls.destroy();
        ended();
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        hls.destroy();
        state("error");
        note("unsupported");
      }
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    var started = false;
    video.addEventListener("play", function () {
      if (!started) { started = true; hls.startLoad(-1); }
    });
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    state("native");
    video.addEventListener("error", ended);
    video.src = url;  // preload="none": fetched when the viewer presses play
  } else {
    state("unsupported");
    note("unsupported");
  }
})();
