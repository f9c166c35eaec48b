  /* ui: the DOM only, inside a shadow root; every text from configuration goes in as textContent. */

  /** The shadow root, and the first layer, the reopen button and the settings dialog while shown. */
  var uiRoot, uiBanner, uiReopen, uiDialog;

  /** A new element with class `name` and text `text` (as text, never markup), appended to `parent`. */
  function el(tag, name, text, parent) {
    var node = document.createElement(tag);
    if (name) node.className = name;
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  /** A button of the banner's one style. */
  function button(text, parent, onClick) {
    var node = el("button", "btn", text, parent);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  /** Adopt the stylesheet through CSSOM, which a strict style-src allows (a <style> is the old-browser path). */
  function applyStyles(root) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (error) {
      el("style", "", CSS, root);
    }
  }

  /** The shadow root that keeps host CSS out and ours in; first in <body> for keyboard order, out of flow. */
  function mountRoot() {
    if (uiRoot) return uiRoot;
    var host = document.createElement("consent-banner");
    uiRoot = host.attachShadow({ mode: "open" });
    applyStyles(uiRoot);
    document.body.insertBefore(host, document.body.firstChild);
    return uiRoot;
  }

  /** The buttons Accept all, Reject all (and Settings) with the same look, size and order everywhere. */
  function choiceButtons(parent, withSettings) {
    var t = texts();
    var row = el("div", "row", null, parent);
    button(t.accept_all, row, function () { decide("accept"); });
    button(t.reject_all, row, function () { decide("reject"); });
    if (withSettings) button(t.settings, row, openSettings);
    else button(t.save, row, function () { decide("save"); });
  }

  /** The first layer: title, text, the GPC note, three equal buttons, then the privacy notice and cookies. */
  function showBanner() {
    var t = texts();
    var box = uiBanner = el("section", "banner", null, mountRoot());
    box.setAttribute("aria-labelledby", "cs-title");
    box.setAttribute("data-cs", "banner");
    el("h2", "title", t.title, box).id = "cs-title";
    el("p", "", t.body, box);
    if (gpc) el("p", "note", t.gpc_honoured, box);
    choiceButtons(box, true);
    privacyLink(el("p", "links", null, box));
  }

  /** The small floating button that reopens the settings. */
  function showReopen() {
    if (uiReopen) return;
    var aside = uiReopen = el("aside", "reopen", null, mountRoot());
    aside.setAttribute("aria-label", texts().reopen);
    button(texts().reopen, aside, openSettings).setAttribute("data-cs", "reopen");
  }

  /** Remove the first layer, once the visitor has decided. */
  function hideBanner() {
    if (uiBanner) uiBanner.remove();
    uiBanner = null;
  }

  /** One category: its switch (necessary on and locked), description and cookies. */
  function categoryBlock(category, choice, parent) {
    var t = texts();
    var block = el("div", "cat", null, parent);
    var label = el("label", "cat-head", null, block);
    el("span", "cat-name", category.l[lang], label);
    var input = el("input", "switch", null, label);
    input.type = "checkbox";
    input.name = category.k;
    input.setAttribute("role", "switch");
    input.checked = choice[category.k] === true;
    if (category.k === "necessary") {
      input.disabled = true;
      el("span", "always", t.always_on, label);
    }
    el("p", "", category.s[lang], block);
    if (!category.o.length) return;
    var details = el("details", "", null, block);
    el("summary", "", t.cookies + " (" + category.o.length + ")", details);
    var list = el("ul", "", null, details);
    category.o.forEach(function (info) {
      var item = el("li", "", null, list);
      el("code", "", info[0], item);
      item.appendChild(document.createTextNode(" " + info[1]));
    });
  }

  /**
   * A link to the service's page `path` (ending in ? or &) in the banner's language, then `tail`;
   * `name` marks it (data-cs-link) for tests and for the visitor's own privacy tools.
   */
  function serviceLink(parent, text, path, name, tail) {
    var link = el("a", "", text, parent);
    link.href = origin + path + "lang=" + lang + (tail || "");
    link.setAttribute("data-cs-link", name);
  }

  /** The privacy notice with the cookie declaration: each cookie's purpose and lifetime. */
  function privacyLink(parent) {
    serviceLink(parent, texts().privacy_link, "/privacy/" + encodeURIComponent(siteKey) + "?", "privacy");
  }

  /**
   * Links to the privacy notice and to the visitor's own consent page on the service: that page's link
   * says where to come back to, and carries the token in its fragment (never sent to a server or in Referer).
   */
  function links(parent) {
    var nav = el("p", "links", null, parent);
    var token = stored && stored.t;
    privacyLink(nav);
    serviceLink(nav, texts().my_consent_link, "/my-consent?site=" + encodeURIComponent(siteKey) + "&back=" +
      encodeURIComponent(location.origin + location.pathname) + "&", "my-consent",
      token ? "#token=" + encodeURIComponent(token) : "");
  }

  /** The visitor's consent id and date, once given. */
  function receipt(parent) {
    if (!isCurrent(stored) || !stored.id) return;
    var t = texts();
    var box = el("dl", "receipt", null, parent);
    el("dt", "", t.consent_id, box);
    el("dd", "", stored.id, box).setAttribute("data-cs", "consent-id");
    el("dt", "", t.consent_date, box);
    el("dd", "", new Date(stored.ts).toLocaleDateString(lang), box);
  }

  /** The modal settings dialog: focus moves in and stays, Esc closes, focus returns to the opener. */
  function openSettings() {
    if (uiDialog) return;
    var t = texts();
    var opener = mountRoot().activeElement || document.activeElement;
    var choice = currentChoice();
    var dialog = uiDialog = el("dialog", "dialog", null, mountRoot());
    dialog.setAttribute("aria-labelledby", "cs-settings-title");
    dialog.setAttribute("data-cs", "settings");
    var head = el("div", "dialog-head", null, dialog);
    el("h2", "title", t.settings_title, head).id = "cs-settings-title";
    button(t.close, head, function () { dialog.close(); }).className = "btn close";
    if (gpc) el("p", "note", t.gpc_honoured, dialog);
    site.c.forEach(function (category) { categoryBlock(category, choice, dialog); });
    links(dialog);
    receipt(dialog);
    choiceButtons(dialog, false);
    dialog.addEventListener("keydown", trapFocus);
    dialog.addEventListener("close", function () {
      dialog.remove();
      uiDialog = null;
      var back = opener && opener.isConnected && opener !== document.body ? opener : uiReopen && uiReopen.firstChild;
      if (back && back.focus) back.focus();
    });
    dialog.showModal();
  }

  /** Keep Tab and Shift+Tab inside the dialog: from its last control to its first, and back. */
  function trapFocus(event) {
    if (event.key !== "Tab") return;
    var controls = uiDialog.querySelectorAll("button,a,summary,input:not([disabled])");
    var first = controls[0];
    var last = controls[controls.length - 1];
    var active = uiRoot.activeElement;
    if (event.shiftKey ? active === first : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  /** The switches' current positions in the open dialog. */
  function dialogChoice() {
    var choice = {};
    uiDialog.querySelectorAll("input").forEach(function (input) { choice[input.name] = input.checked; });
    return choice;
  }

  /** Close the dialog if open. */
  function closeSettings() {
    if (uiDialog) uiDialog.close();
  }
