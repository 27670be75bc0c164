/* 楼宇招商通 tax pages: charts drawn from the JSON embedded in the page (no inline script). */
(function () {
  "use strict";
  var node = document.getElementById("tax-chart-data");
  if (!node || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  var wan = { y: { ticks: { callback: function (v) { return v.toLocaleString("zh-CN"); } } } };

  var builders = {
    "building-monthly": function () {
      return { type: "bar", data: { labels: data.labels, datasets: [
        { label: "全口径", data: data.total, backgroundColor: "#b71c1c" },
        { label: "区级", data: data.district, backgroundColor: "#ef9a9a" },
        { type: "line", label: "上年同月（全口径）", data: data.total_prev, borderColor: "#6c757d", borderDash: [4, 3], pointRadius: 0 }
      ] }, options: { maintainAspectRatio: false, scales: wan } };
    },
    "district-tiers": function () {
      return { type: "bar", data: { labels: data.years, datasets: [
        { label: "亿元楼", data: data.tiers.yi, backgroundColor: "#b71c1c" },
        { label: "五千万楼", data: data.tiers.wuqianwan, backgroundColor: "#e65100" },
        { label: "千万楼", data: data.tiers.qianwan, backgroundColor: "#f9a825" }
      ] }, options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } } } };
    },
    "district-industries": function () {
      return { type: "bar", data: { labels: data.industries.labels, datasets: [{ label: "税收（" + data.industries.unit + "）", data: data.industries.values, backgroundColor: "#1f4e8c" }] },
        options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } } } };
    },
    "district-streets": function () {
      return { type: "bar", data: { labels: data.streets.labels, datasets: [{ label: "税收（" + data.streets.unit + "）", data: data.streets.values, backgroundColor: "#1f77b4" }] },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: wan } };
    },
    "candidates": function () {
      return { type: "bar", data: { labels: data.labels, datasets: [
        { label: "本年累计", data: data.ytd, backgroundColor: "#90a4ae" },
        { label: "预计全年", data: data.projection, backgroundColor: "#1f4e8c" },
        { type: "line", label: "亿元楼门槛", data: data.labels.map(function () { return data.threshold; }), borderColor: "#b71c1c", borderDash: [5, 4], pointRadius: 0 }
      ] }, options: { maintainAspectRatio: false, scales: wan } };
    }
  };
  document.querySelectorAll("canvas[data-tax-chart]").forEach(function (canvas) {
    var build = builders[canvas.getAttribute("data-tax-chart")];
    if (build) new Chart(canvas, build());
  });
})();
