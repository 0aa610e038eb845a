// Herald status site: times in the reader's own zone, and live updates without a reload.
// No third-party code; the page is complete without this script.
(function () {
  "use strict";
  var fmt = new Intl.DateTimeFormat(undefined, {weekday: "short", day: "2-digit", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) { el.title = el.textContent; el.textContent = fmt.format(when); }
    });
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    document.querySelectorAll(".zone").forEach(function (el) {
      if (zone && zone !== el.dataset.zone) { el.textContent = "your time zone (" + zone + "); the brand's zone is " + el.dataset.zone; }
    });
  }
  function live() {
    var url = document.body.dataset.live, version = null;
    if (!url || !window.fetch) { return; }
    function poll() {
      fetch(url, {cache: "no-store"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) { return; }
        if (version !== null && data.version !== version) {
          return fetch(location.href, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("main"), main = document.getElementById("main");
            if (fresh && main) {
              main.replaceWith(fresh); localTimes(fresh); document.title = doc.title;
              var note = document.getElementById("live-note");
              if (note) { note.textContent = "Updated: " + (fresh.querySelector("h1") || fresh).textContent.trim(); }
            }
            version = data.version;
          });
        }
        version = data.version;
      }).catch(function () { /* offline for a moment: try again on the next tick */ })
        .then(function () { setTimeout(poll, 1000); });
    }
    poll();
  }
  function start() { localTimes(document); live(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
