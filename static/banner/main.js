  /* main: the one public entry, window.consentService, and the boot sequence. */

  /** The public view of the state: categories in force, consent id and token, the banner's language. */
  function publicState() {
    var decided = isCurrent(stored);
    var saved = decided ? stored : {};
    return {
      site: siteKey,
      language: lang,
      decided: decided,
      categories: currentChoice(),
      consentId: saved.id || null,
      token: saved.t || null,
      policyVersion: site.v,
      decidedAt: decided ? new Date(saved.ts).toISOString() : null
    };
  }

  var publicApi = {
    /** The categories in force, the consent id and the signed token (null until stored). */
    get: publicState,
    /** True when `category` is granted now. */
    accepted: function (category) { return currentChoice()[category] === true; },
    /** Grant optional `category` too: a decision stored like a click in the settings. */
    allow: function (category) {
      var choice = currentChoice();
      if (choice[category] !== false) return;
      choice[category] = true;
      decide(choice);
    },
    /** The name of `category` in the banner's language (undefined for a category the site does not have). */
    label: function (category) {
      var found = site.c.filter(function (c) { return c.k === category; })[0];
      return found && found.l[lang];
    },
    /** Open the settings dialog. */
    open: function () { whenReady(openSettings); },
    /** Call `listener(state)` on each decision ('change') or when the service stored it ('stored'). */
    on: function (event, listener) {
      (listeners[event] = listeners[event] || []).push(listener);
    }
  };

  /**
   * The categories and ledger action for a click on Accept all, Reject all or Save, or for `kind` given
   * as the categories themselves (the JS API).
   */
  function choiceFor(kind) {
    var choice = kind === "save" ? dialogChoice() : kind.analytics !== undefined ? kind
      : { analytics: kind === "accept", marketing: kind === "accept" && !gpc };
    var before = currentChoice();
    var action = "custom";
    if (kind === "accept" && choice.marketing) action = "accept_all";
    if (kind === "reject") {
      var hadGranted = before.analytics || before.marketing;
      action = hadGranted && (stored.id || queue.length) ? "withdraw" : "reject_all";
    }
    return { action: action, categories: { analytics: !!choice.analytics, marketing: !!choice.marketing } };
  }

  /**
   * Apply a decision at once (cookie, Consent Mode, scripts, cookies), then record it with the service.
   * A change to a stored consent carries its token: the proof that this visitor holds that consent.
   */
  function decide(kind) {
    var decision = choiceFor(kind);
    var previous = stored || {};
    saveChoice({ t: null, id: previous.id, c: decision.categories, v: site.v, ts: Date.now() });
    follow();
    var body = {
      site: siteKey, categories: decision.categories, action: decision.action,
      policy_version: site.v, policy_hash: site.h[lang], language: lang,
      page_url: (location.origin + location.pathname).slice(0, 2000), idempotency_key: newKey()
    };
    if (previous.id) {
      body.consent_id = previous.id;
      body.token = previous.t;
    }
    enqueue(body);
  }

  /** Make the page and the banner follow the choice in force, and tell the listeners. */
  function follow() {
    var choice = currentChoice();
    consentUpdate(choice);
    releaseScripts(choice);
    clearRefused(choice);
    closeSettings();
    hideBanner();
    whenBody(showReopen);
    emit("change");
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

  /**
   * Consent Mode default first, synchronously; a returning visitor's choice and the refused categories'
   * cookies at once, before any tag can read them; the UI when <body> exists; held content when parsed.
   */
  function boot() {
    consentDefault();
    var script = SCRIPT || document.querySelector("script[data-site]");
    siteKey = script && script.getAttribute("data-site");
    site = findSite(siteKey);
    if (!site) return;
    lang = chooseLanguage(script);
    origin = new URL(script.src, location.href).origin;
    gpc = navigator.globalPrivacyControl === true;
    stored = loadChoice();
    applyReturn();
    queue = loadQueue();
    var decided = isCurrent(stored);
    if (decided) consentUpdate(currentChoice());
    clearRefused(currentChoice());
    window.consentService = publicApi;
    document.addEventListener("click", onDocumentClick);
    window.addEventListener("storage", onOtherTab);
    whenBody(decided ? showReopen : showBanner);
    whenReady(function () {
      releaseScripts(currentChoice());
      loadEmbeds();
      watchLateContent();
      window.addEventListener("pagehide", beaconQueue);
      window.addEventListener("online", sendQueue);
      sendQueue();
    });
  }
