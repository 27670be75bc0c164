/* Searchable selects: Tom Select on every select marked data-searchable (a multi-select, or a
   select with many options). Progressive enhancement: without this script the plain select
   works; the chosen values are posted by the same select either way. */
(function () {
  "use strict";
  function enhance(root) {
    if (typeof TomSelect === "undefined") return;
    root.querySelectorAll("select[data-searchable]:not(.tomselected)").forEach(function (select) {
      var multiple = select.multiple;
      new TomSelect(select, {
        plugins: multiple ? ["remove_button"] : [],
        maxOptions: null,  // every building, not the first 50
        hidePlaceholder: true,
        // Closed after each pick, so the list never covers the buttons below it; typing opens it again.
        closeAfterSelect: true,
        openOnFocus: false,  // tabbing through the form does not drop the list over the fields below
        placeholder: multiple ? "输入名称或编号搜索…" : undefined,
        render: {
          no_results: function () { return '<div class="no-results">没有匹配的选项</div>'; }
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
})();
