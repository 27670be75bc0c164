/* 楼宇招商通 front end: sortable tables, charts from embedded JSON, stacking-plan details.
   No inline script anywhere, so the Content-Security-Policy can forbid it. */
(function () {
  "use strict";

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (kind === "num") { var n = parseFloat(raw); return isNaN(n) ? -Infinity : n; }
    return raw;
  }

  function sortTable(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var kind = th.getAttribute("data-sort");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      var order = kind === "num" ? x - y : String(x).localeCompare(String(y), "zh-CN");
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.addEventListener("click", function (event) {
    var th = event.target.closest("table.sortable th[data-sort]");
    if (th) sortTable(th);
    var unit = event.target.closest(".sp-unit");
    if (unit) {
      var info = document.getElementById("sp-info");
      if (info) { info.textContent = unit.getAttribute("title"); info.classList.remove("text-muted"); }
    }
  });

  var dataNode = document.getElementById("chart-data");
  if (!dataNode || typeof Chart === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;

  var builders = {
    "occupancy": function () {
      return { type: "bar", data: { labels: data.occupancy.labels, datasets: [{ label: "入驻率 %", data: data.occupancy.values, backgroundColor: "#1f77b4" }] },
        options: { indexAxis: "y", maintainAspectRatio: false, scales: { x: { min: 0, max: 100 } }, plugins: { legend: { display: false } } } };
    },
    "tax": function () {
      return { type: "line", data: { labels: data.tax.labels, datasets: [{ label: "税收（" + data.tax.unit + "）", data: data.tax.values, borderColor: "#b71c1c", tension: 0.2 }] },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false } } } };
    },
    "building-occupancy": function () {
      return { type: "line", data: { labels: data.labels, datasets: [{ label: "入驻率 %", data: data.occupancy, borderColor: "#1f77b4", tension: 0.2 }] },
        options: { maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } }, plugins: { legend: { display: false } } } };
    },
    "building-tax": function () {
      return { type: "bar", data: { labels: data.labels, datasets: [{ label: "税收（" + data.unit + "）", data: data.tax, backgroundColor: "#b71c1c" }] },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false } } } };
    }
  };
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var build = builders[canvas.getAttribute("data-chart")];
    if (build) new Chart(canvas, build());
  });
})();
