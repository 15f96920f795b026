// Case pages: on the delivery step, show only the inputs for the chosen way of delivery. Without JavaScript both
// stay visible and the server uses the one that matches the choice.
(function () {
  "use strict";

  function sync(form) {
    var chosen = form.querySelector('input[name="delivery_method"]:checked');
    form.querySelectorAll("[data-delivery]").forEach(function (el) {
      el.hidden = !chosen || el.getAttribute("data-delivery") !== chosen.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-delivery-form]").forEach(function (form) {
      form.addEventListener("change", function () { sync(form); });
      sync(form);
    });
  });
})();
