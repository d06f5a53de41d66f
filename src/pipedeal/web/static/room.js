// pipedeal deal room: small enhancements over pages that work without JavaScript.
// 1. Countdowns: <time data-deadline="ISO instant"> shows the time left, every second.
// 2. Conversion preview: typing an amount in the convert form shows the shares and cash in
//    lieu the server computes (same origin; the form's Preview button does the same without JS).
(function () {
  "use strict";

  function left(ms) {
    if (ms <= 0) { return "the deadline has passed"; }
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    var parts = [];
    if (d) { parts.push(d + (d === 1 ? " day" : " days")); }
    parts.push(h + " h", m + " min", sec + " s");
    return parts.join(" ") + " left";
  }

  // the server's clock at render time (data-now on <body>): countdowns follow the deal room's
  // clock, not a browser clock that may be off
  var skew = 0;

  function tick() {
    var now = Date.now() + skew;
    var els = document.querySelectorAll("time[data-deadline]");
    for (var i = 0; i < els.length; i++) {
      var end = Date.parse(els[i].getAttribute("data-deadline"));
      if (!isNaN(end)) { els[i].textContent = left(end - now); }
    }
  }

  function preview() {
    var form = document.getElementById("convert-form");
    if (!form || !window.fetch) { return; }
    var out = document.getElementById("cv-live");
    var timer = null;
    function run() {
      var principal = form.elements.principal.value.trim();
      if (!principal) { out.textContent = ""; return; }
      var q = new URLSearchParams();
      q.set("principal", principal);
      if (form.elements.interest.checked) { q.set("interest", "all"); }
      q.set("date", form.elements.date.value);
      fetch(form.getAttribute("data-preview") + "?" + q.toString(), {credentials: "same-origin"})
        .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          var b = res[1];
          out.textContent = res[0]
            ? "Preview: " + b.shares_text + " shares and " + b.cash_text + " cash in lieu (" +
              b.principal_text + " principal, " + b.interest_text + " interest)." +
              (b.problem ? " The ledger would refuse this: " + b.problem : "")
            : b.detail;
        })
        .catch(function () { out.textContent = ""; });
    }
    function later() { clearTimeout(timer); timer = setTimeout(run, 250); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    run();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var served = Date.parse(document.body.getAttribute("data-now") || "");
    if (!isNaN(served)) { skew = served - Date.now(); }
    tick();
    if (document.querySelector("time[data-deadline]")) { setInterval(tick, 1000); }
    preview();
  });
})();
