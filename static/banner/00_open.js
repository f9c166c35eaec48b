/*
 * Consent banner: one IIFE, concatenated by webassets in the order of BANNER_JS
 * (consent_service/banner/assets.py). No module syntax, no eval, no inline styles.
 */
(function (window, document) {
  "use strict";

  /**
   * The compact configuration of the sites this response serves, filled in by the server.
   * @typedef {{fi: string, sv: string, en: string}} Translated
   * @typedef {[string, string, number]} CookieInfo name, provider, pattern (1 when the name ends in '*')
   * @typedef {{k: string, l: Translated, s: Translated, o: CookieInfo[]}} Category
   * @typedef {{v: string, h: Object<string, string>, d: number, l: string, t: Object<string, Object<string, string>>,
   *   c: Category[]}} SiteConfig h: each language's policy snapshot hash, posted with a decision in that language
   * @type {Object<string, SiteConfig>}
   */
  var SITES = "__CONSENT_SITES__";
  /** The banner's minified stylesheet, filled in by the server. */
  var CSS = "__CONSENT_CSS__";
  /** The script element that loaded the banner (read now: it is null once this script ends). */
  var SCRIPT = document.currentScript;
