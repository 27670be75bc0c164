/* 楼宇招商通 /reports: a month field that belongs to a year select (data-follows-year="<select id>")
   is emptied when another year is chosen, so the form asks for that year's latest month instead of
   a month of the year before; its picker is limited to the chosen year. */
(function () {
  "use strict";
  document.querySelectorAll("input[type=month][data-follows-year]").forEach(function (month) {
    var year = document.getElementById(month.getAttribute("data-follows-year"));
    if (!year) return;
    year.addEventListener("change", function () {
      if (month.value.slice(0, 4) !== year.value) month.value = "";
      month.min = year.value + "-01";
      month.max = year.value + "-12";
    });
  });
})();
