/* A stand-in for the Google Analytics tag: sets the cookies GA would and tells the demo page it ran. */
(function () {
  "use strict";
  var now = Math.floor(Date.now() / 1000);
  var client = Math.floor(Math.random() * 1e9) + "." + now;
  var twoYears = 63072000;
  document.cookie = "_ga=GA1.1." + client + "; Max-Age=" + twoYears + "; Path=/; SameSite=Lax";
  document.cookie = "_ga_DEMO123=GS1.1." + now + ".1.0." + now + ".0.0.0; Max-Age=" + twoYears + "; Path=/; SameSite=Lax";
  document.cookie = "_gid=GA1.1." + client + "; Max-Age=86400; Path=/; SameSite=Lax";
  window.demoTrackers = window.demoTrackers || {};
  window.demoTrackers.analytics = (window.demoTrackers.analytics || 0) + 1;
  document.dispatchEvent(new CustomEvent("demo:tracker", { detail: "analytics" }));
})();
