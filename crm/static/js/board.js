/* 招商看板: drag a lead card to another stage (SortableJS), posted with htmx; the server answers
   with a message and the columns the move touched re-rendered (counts, sums, flags), each
   swapped in out of band, so a refused move simply puts the card back where the server says it
   is. Moving to 退出 asks for a reason, to 搁置 for a
   resume date, back down the line (接洽 → 线索) for the reason of going back. The CSRF token travels in a header read from <meta name="csrf-token">. */
(function () {
  "use strict";

  var pending = null; // the move waiting for the modal: {card, from, oldIndex, stage, kind}
  var LINE = ["lead", "contact", "visit", "negotiation", "signed", "registered", "settled"];

  function isBackward(from, to) {
    return LINE.indexOf(from) >= 0 && LINE.indexOf(to) >= 0 && LINE.indexOf(to) < LINE.indexOf(from);
  }
  var modalNode = document.getElementById("stage-modal");
  var modal = modalNode && typeof bootstrap !== "undefined" ? new bootstrap.Modal(modalNode) : null;

  document.body.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta) event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  });

  // A refused move (400) or a conflict (409) still carries the re-rendered columns: show them.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:afterSwap", function () { initBoard(); });

  function putBack(move) {
    var list = move.from;
    list.insertBefore(move.card, list.children[move.oldIndex] || null);
  }

  function send(move, extra) {
    var board = document.getElementById("board");
    var values = {
      stage: move.stage,
      from: move.from.getAttribute("data-stage"),
      version: move.card.getAttribute("data-version"),
      owner: board.getAttribute("data-owner") || ""
    };
    Object.keys(extra || {}).forEach(function (key) { values[key] = extra[key]; });
    move.card.classList.add("saving");
    htmx.ajax("POST", move.card.getAttribute("data-url"), { target: "#board-message", swap: "outerHTML", values: values });
  }

  function askThenSend(move) {
    if (!modal) { putBack(move); return; }
    pending = move;
    modalNode.querySelectorAll("[data-for]").forEach(function (part) {
      part.hidden = part.getAttribute("data-for").split(" ").indexOf(move.kind) < 0;
    });
    var titles = { lost: "项目退出：请填写原因", paused: "项目搁置：请填写恢复跟进日期", back: "退回较早阶段：请填写退回原因" };
    document.getElementById("stage-modal-title").textContent = titles[move.kind];
    document.getElementById("m-error").textContent = "";
    modal.show();
  }

  if (modalNode) {
    document.getElementById("m-save").addEventListener("click", function () {
      if (!pending) return;
      var reason = document.getElementById("m-reason").value.trim();
      var resume = document.getElementById("m-resume").value;
      var error = document.getElementById("m-error");
      if (pending.kind === "lost" && !reason) { error.textContent = "请填写退出原因"; return; }
      if (pending.kind === "back" && !reason) { error.textContent = "请填写退回原因"; return; }
      if (pending.kind === "paused" && !resume) { error.textContent = "请选择恢复跟进日期"; return; }
      var move = pending;
      pending = null;
      modal.hide();
      send(move, move.kind === "paused" ? { resume_on: resume } : { reason: reason });
    });
    modalNode.addEventListener("hidden.bs.modal", function () {
      if (pending) { putBack(pending); pending = null; }
      document.getElementById("m-reason").value = "";
      document.getElementById("m-resume").value = "";
    });
  }

  function initBoard() {
    document.querySelectorAll(".board-cards").forEach(function (list) {
      if (list.sortable) return;
      list.sortable = Sortable.create(list, {
        group: "leads",
        animation: 120,
        filter: ".locked",
        preventOnFilter: false,
        draggable: ".board-card",
        onEnd: function (event) {
          if (event.from === event.to) return;
          var move = { card: event.item, from: event.from, oldIndex: event.oldIndex, stage: event.to.getAttribute("data-stage") };
          move.kind = isBackward(event.from.getAttribute("data-stage"), move.stage) ? "back" : move.stage;
          if (move.kind === "lost" || move.kind === "paused" || move.kind === "back") askThenSend(move);
          else send(move);
        }
      });
    });
  }

  var ownerSelect = document.querySelector("select[data-autosubmit]");
  if (ownerSelect) ownerSelect.addEventListener("change", function () { ownerSelect.form.submit(); });

  // 搁置 and 退出 start folded; the column's name opens and closes it. Delegated, so it survives
  // the board being re-rendered after a move.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".board-fold");
    if (!button) return;
    var column = button.closest(".board-column");
    var folded = column.classList.toggle("folded");
    button.setAttribute("aria-expanded", folded ? "false" : "true");
  });

  initBoard();
})();
