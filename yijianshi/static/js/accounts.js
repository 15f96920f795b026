// Mandate grant form: show only the inputs for the chosen kind of agent and scope. Without JavaScript every
// input stays visible and the server uses the ones that match the choice.
(function () {
  "use strict";

  function sync(form) {
    var kind = form.querySelector('input[name="agent_kind"]:checked');
    form.querySelectorAll("[data-agent-kind]").forEach(function (el) {
      el.hidden = !kind || el.getAttribute("data-agent-kind") !== kind.value;
    });
    var scope = form.querySelector('input[name="scope"]:checked');
    form.querySelectorAll("[data-scope]").forEach(function (el) {
      el.hidden = !scope || el.getAttribute("data-scope") !== scope.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-mandate-grant]").forEach(function (form) {
      form.addEventListener("change", function () { sync(form); });
      sync(form);
    });
  });
})();
