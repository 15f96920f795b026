// 12345 pages. Without JavaScript every form here still works as a plain POST.
(function () {
  "use strict";

  // Clicking a suggested department selects it as the lead department of the form in the same card
  // (分拨 by the operator, 交办 by the supervisor).
  document.addEventListener("click", function (event) {
    var item = event.target.closest("[data-suggest-code]");
    if (!item) { return; }
    var card = item.closest(".action-card") || document;
    var select = card.querySelector("select[name='department_code']");
    if (select) {
      select.value = item.getAttribute("data-suggest-code");
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // The caller's-number reveal answers 400 (no purpose) or 409 (no number) with the form and its message:
  // swap those in too, so the operator sees why instead of nothing happening.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var status = event.detail.xhr.status;
    if (target && target.id === "caller-mobile" && (status === 400 || status === 409)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
