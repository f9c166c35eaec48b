  /* placeholder: the DOM of one placeholder, in a shadow root; restyled from outside through ::part() and :host. */

  var sheet = null;

  /** A new element with part `name` and text `text` (as text, never markup), appended to `parent`. */
  function el(tag, name, text, parent) {
    var node = document.createElement(tag);
    if (name) node.setAttribute("part", name);
    if (text != null) node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  /**
   * The rule that gives the placeholder the box `element` has now: its size, display, margins, float and
   * position, so that swapping one for the other moves nothing else on the page. An image without a source
   * is drawn as its alt text: it gets the size its width and height give it once loaded (scaled down alike).
   */
  function boxRule(element) {
    var box = element.getBoundingClientRect();
    var style = getComputedStyle(element);
    var width = +element.getAttribute("width");
    var height = +element.getAttribute("height");
    var image = element.tagName === "IMG" && width && height;
    var rule = ":host{width:" + (image ? width : box.width || width || 300) + "px;" + (image
      ? "aspect-ratio:" + width + "/" + height : "height:" + (box.height || height || 150) + "px");
    ["display", "position", "top", "left", "float", "margin", "vertical-align"].forEach(function (name) {
      var value = style.getPropertyValue(name);
      rule += ";" + name + ":" + (name === "display" && /^(inline|none)$/.test(value) ? "inline-block" : value);
    });
    return rule + "}";
  }

  /** Adopt the shared stylesheet and `rule` (CSSOM, which a strict style-src allows; else a <style>). */
  function applyStyles(root, rule) {
    try {
      var own = new CSSStyleSheet();
      own.replaceSync(rule);
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
      root.adoptedStyleSheets = [sheet, own];
    } catch (error) {
      el("style", "", CSS + rule, root);
    }
  }

  /** A button that calls `onClick`, described by the placeholder's title. */
  function button(text, name, parent, onClick) {
    var node = el("button", "button " + name, text, parent);
    node.type = "button";
    node.setAttribute("aria-describedby", "title");
    node.addEventListener("click", onClick);
  }

  /**
   * The placeholder of `item`, as big as its element is now: its title (or alt), who the provider is, what
   * loading means, its privacy policy, "load this one" and "allow the whole category".
   */
  function placeholder(item) {
    var t = TEXTS[api.get().language] || TEXTS.en;
    var provider = item.provider;
    var title = item.element.title || item.element.alt;
    var label = api.label(item.category);
    var host = document.createElement("consent-placeholder");
    host.setAttribute("data-consent-category", item.category);
    var root = host.attachShadow({ mode: "open" });
    applyStyles(root, boxRule(item.element));
    var box = el("div", "box", null, root);
    box.setAttribute("role", "group");
    box.setAttribute("aria-labelledby", "title");
    el("strong", "title", title || fill(t.from, provider.name), box).id = "title";
    el("p", "text", (title ? fill(t.from, provider.name) + ". " : "") + fill(t.about, provider.name), box);
    if (provider.privacy) {
      var link = el("a", "link", fill(t.privacy, provider.name), el("p", "", null, box));
      link.href = provider.privacy;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    var row = el("div", "buttons", null, box);
    button(t.load, "load", row, function () { load(item, true); });
    if (label) button(fill(t.allow, "", label), "allow", row, function () { allow(item); });
    return host;
  }
