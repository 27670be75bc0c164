/* The move-in form's unit picker follows the start date: when the date changes, the picker is
   fetched again for that day (each unit's status on the day the company moves in), keeping the
   units already ticked. Without JS the picker shows the status on the date last submitted. */
(function () {
  "use strict";
  var dateInput = document.querySelector("input[name=start_date]");
  if (!dateInput) return;
  function reload() {
    var picker = document.querySelector("[data-testid=unit-picker][data-source]");
    if (!picker || !dateInput.value) return;
    var params = new URLSearchParams({ on: dateInput.value });
    picker.querySelectorAll("input[name=units]:checked").forEach(function (box) { params.append("unit", box.value); });
    fetch(picker.getAttribute("data-source") + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("[data-testid=unit-picker]");
        var error = picker.querySelector("[data-testid=units-error]");
        if (fresh) {
          if (error) fresh.querySelector("legend").after(error);
          picker.replaceWith(fresh);
        }
      });
  }
  dateInput.addEventListener("change", reload);
})();
