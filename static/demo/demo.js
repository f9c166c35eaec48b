/* The demo page's own script: shows the consent state, the trackers that ran and the cookies set. */
(function () {
  "use strict";

  /** Put `text` into the element marked data-state=`name`. */
  function show(name, text) {
    var node = document.querySelector('[data-state="' + name + '"]');
    if (node) node.textContent = text;
  }

  /** Ask the service whether the token in the consent cookie is valid (same origin: the cookie goes along). */
  function checkWithService(site) {
    fetch("/api/v1/consent-state?site=" + encodeURIComponent(site), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        show("server", answer.valid ? "valid; analytics " + answer.categories.analytics +
          ", marketing " + answer.categories.marketing : "not valid (" + answer.reason + ")");
      })
      .catch(function () { show("server", "service unreachable"); });
  }

  /** Show the banner's public state. */
  function render(state) {
    show("decided", state.decided ? "yes, " + state.decidedAt : "no");
    show("analytics", state.categories.analytics ? "granted" : "refused");
    show("marketing", state.categories.marketing ? "granted" : "refused");
    show("consent-id", state.consentId || (state.decided ? "waiting for the service" : "none"));
    show("cookies", document.cookie || "none");
    if (state.token) checkWithService(state.site);
  }

  /** Mark a stand-in tracker as loaded. */
  function trackerRan(event) {
    var node = document.querySelector('[data-tracker="' + event.detail + '"]');
    if (node) node.textContent = "loaded";
    show("cookies", document.cookie || "none");
  }

  document.addEventListener("demo:tracker", trackerRan);
  Object.keys(window.demoTrackers || {}).forEach(function (name) { trackerRan({ detail: name }); });
  var service = window.consentService;
  if (!service) {
    show("decided", "the banner did not load: trackers stay blocked");
    return;
  }
  service.on("change", render);
  service.on("stored", render);
  render(service.get());
})();
