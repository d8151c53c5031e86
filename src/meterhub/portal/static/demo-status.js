// The demo's history status line (#demo-status): fetched again every 5 s until the fill is complete.
(function () {
  var line = document.getElementById("demo-status");
  if (!line) return;
  function refresh() {
    fetch(line.dataset.src, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        line.textContent = text;
        if (text.indexOf("(complete)") < 0 && text.indexOf("stopped") < 0) setTimeout(refresh, 5000);
      })
      .catch(function () { setTimeout(refresh, 15000); });
  }
  if (line.textContent.indexOf("(complete)") < 0) setTimeout(refresh, 5000);
})();
