/*
 * The scanner's init script, run in every frame before the page's own scripts: it reports each
 * cookie write (document.cookie, cookieStore.set) and Web Storage write to the scanner, with the
 * script element running at that moment and the JavaScript stack, so that the report can name the
 * element or script behind it. It never changes what the page does and never throws into it.
 */
(function () {
  "use strict";
  var BINDING = "__consentScanRecord";
  if (window.__consentScanHooked) return;
  Object.defineProperty(window, "__consentScanHooked", { value: true });
  var binding = window[BINDING];

  /** The running <script> element (null in callbacks) as its start tag and the start of its text. */
  function currentScript() {
    var script = document.currentScript;
    if (!script) return null;
    return {
      src: script.src || null,
      text: script.src ? null : String(script.textContent || "").slice(0, 200),
      type: script.getAttribute("type"),
      category: script.getAttribute("data-consent-category")
    };
  }

  /** Send one event; a missing binding or a failure is ignored. */
  function send(kind, detail) {
    try {
      var report = binding || window[BINDING];
      if (typeof report !== "function") return;
      detail.kind = kind;
      detail.frame = String(location.href).slice(0, 2000);
      detail.stack = String(new Error().stack || "").split("\n").slice(2, 12).join("\n");
      detail.script = currentScript();
      var sent = report(detail);
      if (sent && sent.catch) sent.catch(function () {});
    } catch (error) { /* the page goes on as if nothing were watching */ }
  }

  function hookCookie() {
    var original = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
    if (!original || !original.set) return;
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true,
      enumerable: original.enumerable,
      get: function () { return original.get.call(this); },
      set: function (value) {
        send("cookie", { text: String(value).slice(0, 4096) });
        original.set.call(this, value);
      }
    });
  }

  function hookCookieStore() {
    if (typeof CookieStore === "undefined" || !CookieStore.prototype.set) return;
    var original = CookieStore.prototype.set;
    CookieStore.prototype.set = function (name, value) {
      var options = typeof name === "object" && name ? name : { name: name, value: value };
      send("cookieStore", { name: String(options.name), domain: options.domain || null,
        expires: options.expires || null, path: options.path || null });
      return original.apply(this, arguments);
    };
  }

  /** Which storage area `storage` is, without throwing in frames where storage is blocked. */
  function areaOf(storage) {
    try {
      if (storage === window.localStorage) return "localStorage";
    } catch (error) { /* blocked */ }
    return "sessionStorage";
  }

  function hookStorage() {
    if (typeof Storage === "undefined") return;
    var original = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key) {
      send("storage", { area: areaOf(this), key: String(key).slice(0, 200) });
      return original.apply(this, arguments);
    };
  }

  hookCookie();
  hookCookieStore();
  hookStorage();
})();
