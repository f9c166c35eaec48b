/* A stand-in for the Google Ads tag: sets its conversion cookie and tells the demo page it ran. */
(function () {
  "use strict";
  document.cookie = "_gcl_au=1.1." + Math.floor(Math.random() * 1e9) + "." + Math.floor(Date.now() / 1000) +
    "; Max-Age=7776000; Path=/; SameSite=Lax";
  window.demoTrackers = window.demoTrackers || {};
  window.demoTrackers.marketing = (window.demoTrackers.marketing || 0) + 1;
  document.dispatchEvent(new CustomEvent("demo:tracker", { detail: "marketing" }));
})();
