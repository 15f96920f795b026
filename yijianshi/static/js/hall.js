// The hall: the print button on a ticket, and the call screen's spoken announcements. Browsers speak only after
// someone has pressed a button on the page, so the screen starts silent until 开启语音播报 is pressed once.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
    var voice = event.target.closest("[data-voice]");
    if (voice && "speechSynthesis" in window) {
      voice.setAttribute("aria-pressed", "true");
      voice.textContent = "语音播报已开启";
      document.body.dataset.voice = "on";
      announce(true);
    }
  });

  var lastCall = null;

  function announce(force) {
    var call = document.querySelector(".screen-call");
    if (!call) { return; }
    var key = call.getAttribute("data-call");
    if (key === lastCall && !force) { return; }
    var fresh = lastCall !== null && key !== lastCall;
    lastCall = key;
    if (fresh) {
      call.classList.remove("screen-flash");
      void call.offsetWidth; // restart the highlight animation
      call.classList.add("screen-flash");
    }
    if (document.body.dataset.voice === "on" && (fresh || force) && "speechSynthesis" in window) {
      var words = new SpeechSynthesisUtterance(call.getAttribute("data-speech"));
      words.lang = "zh-CN";
      words.rate = 0.9;
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(words);
      var again = new SpeechSynthesisUtterance(words.text);  // said twice, as halls do
      again.lang = "zh-CN";
      again.rate = 0.9;
      window.speechSynthesis.speak(again);
    }
  }

  document.addEventListener("DOMContentLoaded", function () { announce(false); });
  document.addEventListener("htmx:afterSwap", function () { announce(false); });
})();
