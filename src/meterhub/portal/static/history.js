// The History page: when the chart is zoomed (plotly's zoom or its range slider), offer the zoomed range again
// from the server at a finer resolution (the link reloads /history with from, to and an automatic resolution).
(function () {
  "use strict";
  var order = ["15min", "hour", "day", "month", "year"];
  function finer(days, interval) {
    var res = days <= 2 ? "15min" : days <= 10 ? "hour" : days <= 400 ? "day" : "month";
    if (res === "15min" && interval !== 900) { res = "hour"; }
    return res;
  }
  function day(text) { return String(text).slice(0, 10); }
  function wire() {
    var box = document.querySelector("section.chart[data-base]");
    var plot = document.getElementById("history-chart");
    var link = document.getElementById("zoom-finer");
    if (!box || !plot || !link || typeof plot.on !== "function") { return; }
    var current = box.getAttribute("data-resolution");
    var interval = parseInt(box.getAttribute("data-interval"), 10);
    plot.on("plotly_relayout", function (ev) {
      var a = ev["xaxis.range[0]"], b = ev["xaxis.range[1]"];
      if (a === undefined && ev["xaxis.range"]) { a = ev["xaxis.range"][0]; b = ev["xaxis.range"][1]; }
      if (a === undefined || ev["xaxis.autorange"]) { link.hidden = true; return; }
      var from = day(a), to = day(b);
      var days = Math.round((Date.parse(to) - Date.parse(from)) / 86400000) + 1;
      var res = finer(days, interval);
      if (order.indexOf(res) >= order.indexOf(current)) { link.hidden = true; return; }
      var today = new Date().toISOString().slice(0, 10);
      if (to > today) { to = today; }
      link.querySelector("a").href = box.getAttribute("data-base") + "&from=" + from + "&to=" + to + "&res=" + res;
      link.hidden = false;
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", wire); } else { wire(); }
})();
