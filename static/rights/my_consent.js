/*
 * "Your consent": the banner's link brings the visitor's token in the URL fragment (#token=...), which no
 * server and no Referer ever sees. When the page shows no valid consent, the token goes into the
 * paste-the-token form (with its CSRF token) and the form is sent; the fragment is cleared either way.
 */
(function () {
  "use strict";

  /** The token in this page's fragment, or null. */
  function fragmentToken() {
    var found = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!found) return null;
    try {
      return decodeURIComponent(found[1]);
    } catch (error) {
      return null;
    }
  }

  /** Remove the fragment from the address bar and the history entry, keeping the page. */
  function clearFragment() {
    try {
      history.replaceState(history.state, "", location.pathname + location.search);
    } catch (error) { /* the fragment stays visible; nothing else depends on it */ }
  }

  /** Send the token through the paste-the-token form, unless the page already shows a valid consent. */
  function showConsentOf(token) {
    var field = document.querySelector("#no-token textarea[name=token]");
    if (!field || document.querySelector("[data-consent-id]")) return;
    field.value = token;
    field.form.submit();
  }

  var token = fragmentToken();
  if (!token) return;
  clearFragment();
  showConsentOf(token);
})();
