  /* main: the one public entry, window.consentService, and the boot sequence. */

  /** The public view of the state: categories in force, consent id and token. */
  function publicState() {
    var stored = isCurrent(state.stored) ? state.stored : {};
    return {
      site: state.key,
      decided: isCurrent(state.stored),
      categories: currentChoice(),
      consentId: stored.id || null,
      token: stored.t || null,
      policyVersion: state.site.v,
      decidedAt: stored.ts ? new Date(stored.ts).toISOString() : null
    };
  }

  var publicApi = {
    /** The categories in force, the consent id and the signed token (null until stored). */
    get: publicState,
    /** True when `category` is granted now. */
    accepted: function (category) { return currentChoice()[category] === true; },
    /** Open the settings dialog. */
    open: function () { whenReady(openSettings); },
    /** Call `listener(state)` on each decision ('change') or when the service stored it ('stored'). */
    on: function (event, listener) {
      (state.listeners[event] = state.listeners[event] || []).push(listener);
    }
  };

  /** The categories and ledger action for a click on Accept all, Reject all or Save. */
  function choiceFor(kind) {
    var choice = kind === "save" ? dialogChoice()
      : { analytics: kind === "accept", marketing: kind === "accept" && !state.gpc };
    var before = currentChoice();
    var action = "custom";
    if (kind === "accept" && choice.marketing) action = "accept_all";
    if (kind === "reject") {
      var hadGranted = isCurrent(state.stored) && (before.analytics || before.marketing);
      action = hadGranted && (state.stored.id || state.queue.length) ? "withdraw" : "reject_all";
    }
    return { action: action, categories: { analytics: !!choice.analytics, marketing: !!choice.marketing } };
  }

  /** Apply a decision at once (cookie, Consent Mode, scripts, cookies), then record it with the service. */
  function decide(kind) {
    var decision = choiceFor(kind);
    var previous = state.stored;
    var id = previous && previous.id || null;
    saveChoice({ t: null, id: id, c: decision.categories, v: state.site.v, ts: Date.now() });
    apply(currentChoice());
    closeSettings();
    hideBanner();
    showReopen();
    emit("change");
    var body = {
      site: state.key, categories: decision.categories, action: decision.action,
      policy_version: state.site.v, language: state.lang,
      page_url: (location.origin + location.pathname).slice(0, 2000), idempotency_key: newKey()
    };
    if (id) body.consent_id = id;
    enqueue(body);
  }

  /** Make the page follow `choice`: Consent Mode update, held-back scripts, refused categories' cookies. */
  function apply(choice) {
    consentUpdate(choice);
    releaseScripts(choice);
    clearRefused(choice);
  }

  /** Run `callback` once the DOM is parsed. */
  function whenReady(callback) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", callback);
    else callback();
  }

  /** Run `callback` as soon as <body> exists, so that the banner shows while the page still loads. */
  function whenBody(callback) {
    if (document.body) return callback();
    var observer = new MutationObserver(function () {
      if (!document.body) return;
      observer.disconnect();
      callback();
    });
    observer.observe(document.documentElement, { childList: true });
  }

  /** Open the settings from any element with data-consent-open. */
  function onDocumentClick(event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-consent-open]")) {
      event.preventDefault();
      openSettings();
    }
  }

  /** Consent Mode default first, synchronously; a returning visitor's choice at once; the UI when parsed. */
  function boot() {
    consentDefault();
    var script = SCRIPT || document.querySelector("script[data-site]");
    var site = script && findSite(script.getAttribute("data-site"));
    if (!site) return;
    state.site = site;
    state.key = script.getAttribute("data-site");
    state.lang = chooseLanguage(script, site);
    state.origin = new URL(script.src, location.href).origin;
    state.gpc = navigator.globalPrivacyControl === true;
    state.stored = loadChoice();
    applyReturn();
    state.queue = loadQueue();
    var decided = isCurrent(state.stored);
    if (decided) consentUpdate(currentChoice());
    window.consentService = publicApi;
    document.addEventListener("click", onDocumentClick);
    whenBody(decided ? showReopen : showBanner);
    whenReady(function () {
      releaseScripts(currentChoice());
      clearRefused(currentChoice());
      window.addEventListener("pagehide", beaconQueue);
      window.addEventListener("online", sendQueue);
      sendQueue();
    });
  }
