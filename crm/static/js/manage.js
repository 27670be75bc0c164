/* Building managers: a tapped unit of the stacking plan offers a link to manage it.
   app.js fills #sp-info with the unit's details; this fills #sp-actions beside it, which a
   manager's page alone carries, with one URL pattern (unit id 0) rather than a URL per unit. */
(function () {
  "use strict";
  var actions = document.getElementById("sp-actions");
  var pattern = actions && actions.getAttribute("data-manage-url");
  if (!pattern) return;
  document.addEventListener("click", function (event) {
    var unit = event.target.closest(".stacking-plan .sp-unit[data-unit-id]");
    if (!unit) return;
    actions.textContent = "";
    var link = document.createElement("a");
    link.href = pattern.replace(/\/0$/, "/" + unit.getAttribute("data-unit-id"));
    link.textContent = "管理此单元（修改、拆分、入驻、迁出）→";
    link.setAttribute("data-testid", "manage-unit-link");
    actions.appendChild(link);
  });
})();
