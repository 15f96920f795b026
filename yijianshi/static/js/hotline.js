// 12345 console: clicking a suggested department on the dispatch form selects it as the lead department.
// Without JavaScript the select (preselected with the top suggestion) works alone.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var item = event.target.closest("[data-suggest-code]");
    if (!item) { return; }
    var select = document.getElementById("dispatch-department_code");
    if (select) {
      select.value = item.getAttribute("data-suggest-code");
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
