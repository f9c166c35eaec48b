/*
 * Embeds: click-to-load placeholders for iframes, images, video, audio and objects held by
 * data-consent-category + data-src. Loaded on demand by banner.js (watch.js) on pages that have such an
 * element; one IIFE concatenated by webassets in the order of EMBEDS_JS (consent_service/banner/assets.py).
 * It talks to the banner only through its public API, window.consentService.
 */
(function (window, document) {
  "use strict";

  /** The placeholders' minified stylesheet, filled in by the server. */
  var CSS = "__CONSENT_CSS__";
  var api = window.consentService;
  if (!api) return;
