  /* watch: what changes after the page loaded: content added later, embeds, other tabs' decisions. */

  var EMBEDS = "[data-consent-category][data-src]";
  var embedsRequested = false;

  /**
   * Load the embeds module (placeholders for iframes, images, video...) once, and only on a page that has
   * an element held by data-src: a page without one requests nothing but banner.js.
   */
  function loadEmbeds() {
    if (embedsRequested || !document.querySelector(EMBEDS)) return;
    embedsRequested = true;
    var script = document.createElement("script");
    script.src = origin + "/banner-embeds.js";
    if (SCRIPT && SCRIPT.nonce) script.nonce = SCRIPT.nonce;
    document.head.appendChild(script);
  }

  /**
   * Content added after the page was parsed (a single-page app's route, a tag manager's custom HTML, a lazy
   * loader) is held like the rest: its held-back scripts run once their category is granted, its embeds get
   * placeholders. A route that replaces the whole body keeps the banner's own element.
   */
  function watchLateContent() {
    new MutationObserver(function () {
      releaseScripts(currentChoice());
      loadEmbeds();
      var host = uiRoot && uiRoot.host;
      if (host && !host.isConnected && document.body) document.body.insertBefore(host, document.body.firstChild);
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  /** Another tab of the site changed the queue, so it decided or its decision was stored: follow the cookie. */
  function onOtherTab(event) {
    if (event.key !== queueKey()) return;
    var before = JSON.stringify(currentChoice());
    stored = loadChoice();
    if (JSON.stringify(currentChoice()) !== before) follow();
  }
