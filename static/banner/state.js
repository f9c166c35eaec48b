  /* state: the site, the language and the visitor's choice in force. */

  /**
   * @typedef {{analytics: boolean, marketing: boolean}} Choice
   * @typedef {{t: ?string, id: ?string, c: Choice, v: string, ts: number}} Stored the cookie's content
   */
  var DAY_MS = 864e5;
  /*
   * The state is a set of the IIFE's variables, set by boot() (main.js), rather than an object's properties:
   * the mangler shortens variables, never properties, and every module reads the state.
   * site: ?SiteConfig; siteKey: its key; lang: the language shown; origin: the service's;
   * stored: ?Stored, the cookie's choice; gpc: Global Privacy Control on;
   * queue: decisions not yet stored by the service; listeners: {event: Function[]}.
   */
  var site, siteKey, lang, origin, stored, gpc, queue = [], listeners = {};

  /** The configuration of site `key`, or nothing when this response does not serve it. */
  function findSite(key) {
    return key && {}.hasOwnProperty.call(SITES, key) && SITES[key];
  }

  /** The first of data-lang, <html lang>, navigator.languages that the site speaks, else its default. */
  function chooseLanguage(script) {
    var wanted = [script.getAttribute("data-lang"), document.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").slice(0, 2).toLowerCase();
      if (site.t[code]) return code;
    }
    return site.l;
  }

  /** True when `saved` answers the site's current policy version and has not expired. */
  function isCurrent(saved) {
    return !!(saved && saved.c && saved.v === site.v &&
      typeof saved.ts === "number" && Date.now() - saved.ts < site.d * DAY_MS);
  }

  /** The categories in force: the current stored choice, else every optional category refused. */
  function currentChoice() {
    var chosen = isCurrent(stored) ? stored.c : {};
    return { necessary: true, analytics: chosen.analytics === true, marketing: chosen.marketing === true };
  }

  /** The site's texts in the chosen language. */
  function texts() {
    return site.t[lang];
  }

  /** Call every `event` listener with the public state; a failing listener never stops the others. */
  function emit(event) {
    (listeners[event] || []).forEach(function (listener) {
      try {
        listener(publicState());
      } catch (error) {
        setTimeout(function () { throw error; });
      }
    });
  }
