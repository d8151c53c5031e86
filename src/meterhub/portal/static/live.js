// meterhub live page: every few seconds, ask the portal for the newest telegram of each live card and update it.
(function () {
  "use strict";
  function update(card, reading) {
    if (!reading) { return; }
    card.querySelectorAll(".now [data-field], p [data-field]").forEach(function (el) {
      var key = el.getAttribute("data-field");
      if (!(key in reading)) { return; }
      if (key === "stale_text") { el.textContent = reading.stale_text; el.hidden = !reading.stale; return; }
      el.textContent = reading[key];
      if (key === "time") { el.setAttribute("datetime", reading.read_at); }
    });
    card.querySelectorAll("tr[data-phase]").forEach(function (row) {
      var ph = reading.phases[Number(row.getAttribute("data-phase"))];
      if (!ph) { return; }
      row.querySelectorAll("[data-field]").forEach(function (el) { el.textContent = ph[el.getAttribute("data-field")]; });
    });
    card.setAttribute("data-updated", reading.read_at);
  }
  function poll(card) {
    var point = card.getAttribute("data-live-point");
    fetch("/live/latest.json?point=" + encodeURIComponent(point), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { update(card, body.reading); } })
      .catch(function () { /* the next poll tries again */ });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-point]").forEach(function (card) {
      var every = Number(card.getAttribute("data-poll-s")) || 10;
      setInterval(function () { poll(card); }, every * 1000);
    });
  });
})();
