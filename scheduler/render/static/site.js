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
  function words(el) {  // an element's text without its icons (aria-hidden: not read out either)
    var copy = el.cloneNode(true);
    copy.querySelectorAll("[aria-hidden=true]").forEach(function (x) { x.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }
  function states(main) {  // what the page says, by name: the overall status, components, incidents
    var out = {}, overall = main.querySelector("#overall"), title = main.querySelector("h1");
    if (overall) { out.Status = words(overall); }
    main.querySelectorAll(".row").forEach(function (row) {
      var name = row.querySelector(".name"), state = row.querySelector(".cstate");
      if (name && state) { out[words(name)] = words(state); }
    });
    main.querySelectorAll(".incident").forEach(function (card) {
      var name = card.querySelector("h3"), state = card.querySelector(".state");
      if (name && state) { out[words(name)] = words(state); }
    });
    var latest = main.querySelector(".timeline .state");
    if (!overall && title && latest) { out[words(title)] = words(latest); }
    return out;
  }
  function changes(before, after) {  // what the live region says: only what changed
    var said = [];
    Object.keys(after).forEach(function (k) { if (before[k] !== after[k]) { said.push(k + ": " + after[k]); } });
    Object.keys(before).forEach(function (k) { if (!(k in after)) { said.push(k + ": no longer shown"); } });
    return said.length ? "Updated. " + said.join(". ") + "." : "";
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
              var before = states(main);
              main.replaceWith(fresh); localTimes(fresh); document.title = doc.title;
              var note = document.getElementById("live-note"), said = changes(before, states(fresh));
              if (note && said) { note.textContent = said; }
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
