  /* embeds: hold, load and put back; follow the visitor's decisions from anywhere. */

  var HELD = "[data-consent-category][data-src]:not(script)";
  var items = [];
  var granted = api.get().categories;

  /** The attribute that makes `element` request its content. */
  function sourceAttribute(element) {
    return element.tagName === "OBJECT" ? "data" : "src";
  }

  /** Take charge of `element`: load it when its category is granted, else put a placeholder in its place. */
  function hold(element) {
    if (element.consentItem) return;
    var item = element.consentItem = {
      element: element, category: element.getAttribute("data-consent-category"), provider: providerOf(element)
    };
    items.push(item);
    if (granted[item.category]) load(item);
    else element.replaceWith(item.placeholder = placeholder(item));
  }

  /** Request `item`'s content and put its element back where the placeholder is; `focus` moves focus to it. */
  function load(item, focus) {
    var element = item.element;
    if (item.loaded) return;
    item.loaded = true;
    element.setAttribute(sourceAttribute(element), element.getAttribute("data-src"));
    if (item.placeholder) item.placeholder.replaceWith(element);
    if (focus) element.focus();
  }

  /** Put a placeholder back in place of `item`'s element, which stops and forgets its content. */
  function unload(item) {
    var element = item.element;
    if (!item.loaded || !element.isConnected) return;
    item.loaded = false;
    element.replaceWith(item.placeholder = placeholder(item));
    element.removeAttribute(sourceAttribute(element));
  }

  /** "Allow all": a decision for the whole category, stored like any other; then focus on this one. */
  function allow(item) {
    api.allow(item.category);
    item.element.focus();
  }

  /** A decision (banner, settings, JS API, another tab): load what it grants, put back what it refuses. */
  function follow(state) {
    var now = state.categories;
    items.forEach(function (item) {
      if (now[item.category] !== granted[item.category]) (now[item.category] ? load : unload)(item);
    });
    granted = now;
  }

  /** Hold every such element in the document, and each one added later. */
  function scan() {
    Array.prototype.forEach.call(document.querySelectorAll(HELD), hold);
  }

  api.on("change", follow);
  scan();
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
