(function () {
  "use strict";
  // Hover (or focus) a chart mark: show its value in the figure's readout and outline the mark.
  var figures = document.querySelectorAll("figure.chart-figure");
  Array.prototype.forEach.call(figures, function (fig) {
    var out = fig.querySelector("output.readout");
    var initial = out ? out.textContent : "";
    var active = null;
    function show(ev) {
      var el = ev.target.closest ? ev.target.closest("[data-tip]") : null;
      if (!el || !fig.contains(el)) { return; }
      if (active) { active.classList.remove("active"); }
      active = el;
      el.classList.add("active");
      if (out) { out.textContent = el.getAttribute("data-tip"); }
    }
    fig.addEventListener("mouseover", show);
    fig.addEventListener("focusin", show);
    fig.addEventListener("mouseleave", function () {
      if (active) { active.classList.remove("active"); active = null; }
      if (out) { out.textContent = initial; }
    });
    Array.prototype.forEach.call(fig.querySelectorAll(".mark"), function (m) {
      m.setAttribute("tabindex", "0");
    });
  });
  document.documentElement.setAttribute("data-charts-ready", String(figures.length));
})();
