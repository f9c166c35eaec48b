  /* state: the site, the language and the visitor's choice in force. */

  /**
   * @typedef {{analytics: boolean, marketing: boolean}} Choice
   * @typedef {{t: ?string, id: ?string, c: Choice, v: string, ts: number}} Stored the cookie's content
   */
  var DAY_MS = 864e5;
  var state = {
    /** @type {?SiteConfig} */ site: null,
    key: "",
    lang: "en",
    origin: "",
    /** @type {?Stored} */ stored: null,
    gpc: false,
    /** @type {Object[]} decisions not yet stored by the service */ queue: [],
    /** @type {Object<string, Function[]>} */ listeners: {}
  };

  /** The configuration of site `key`, or null when this response does not serve it. */
  function findSite(key) {
    return key && Object.prototype.hasOwnProperty.call(SITES, key) ? SITES[key] : null;
  }

  /** The first of data-lang, <html lang>, navigator.languages that the site speaks, else its default. */
  function chooseLanguage(script, site) {
    var wanted = [script.getAttribute("data-lang"), document.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").slice(0, 2).toLowerCase();
      if (site.t[code]) return code;
    }
    return site.l;
  }

  /** True when `stored` answers the site's current policy version and has not expired. */
  function isCurrent(stored) {
    return !!stored && !!stored.c && stored.v === state.site.v &&
      typeof stored.ts === "number" && Date.now() - stored.ts < state.site.d * DAY_MS;
  }

  /** The categories in force: the current stored choice, else every optional category refused. */
  function currentChoice() {
    var chosen = isCurrent(state.stored) ? state.stored.c : {};
    return { necessary: true, analytics: chosen.analytics === true, marketing: chosen.marketing === true };
  }

  /** The site's texts in the chosen language. */
  function texts() {
    return state.site.t[state.lang];
  }

  /** Call every `event` listener with the public state; a failing listener never stops the others. */
  function emit(event) {
    (state.listeners[event] || []).forEach(function (listener) {
      try {
        listener(publicState());
      } catch (error) {
        setTimeout(function () { throw error; });
      }
    });
  }
