/* The lead page's stage form: a move back down the line (接洽 → 线索) is marked, needs a reason
   and asks for confirmation before it is sent. The server enforces the reason either way. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-stage-move]").forEach(function (form) {
    var select = form.querySelector("select[name=stage]");
    var reason = form.querySelector("[name=reason]");
    var note = form.querySelector("[data-backward-note]");
    var button = form.querySelector("button[type=submit]");
    function backward() {
      var option = select.options[select.selectedIndex];
      return option && option.getAttribute("data-backward") === "true";
    }
    function update() {
      var back = backward();
      note.hidden = !back;
      reason.required = back;
      button.textContent = back ? "确认退回" : "确认推进";
      button.classList.toggle("btn-danger", back);
      button.classList.toggle("btn-primary", !back);
    }
    select.addEventListener("change", update);
    form.addEventListener("submit", function (event) {
      if (!backward()) return;
      var target = select.options[select.selectedIndex].textContent.split("（")[0].trim();
      if (!reason.value.trim()) {
        event.preventDefault();
        reason.classList.add("is-invalid");
        reason.focus();
        return;
      }
      if (!window.confirm("确定将项目从「" + form.getAttribute("data-current") + "」退回到「" + target + "」吗？")) {
        event.preventDefault();
      }
    });
    update();
  });
})();
