  /* gate: scripts held back as type="text/plain" until their category is granted; cookies of refused ones. */

  /** Run each held-back script whose category `choice` grants, with its attributes and CSP nonce. */
  function releaseScripts(choice) {
    var held = document.querySelectorAll('script[type="text/plain"][data-consent-category]');
    held.forEach(function (original) {
      if (choice[original.getAttribute("data-consent-category")] !== true) return;
      var script = document.createElement("script");
      [].forEach.call(original.attributes, function (attribute) {
        if (attribute.name !== "type" && attribute.name !== "nonce") {
          script.setAttribute(attribute.name, attribute.value);
        }
      });
      if (original.nonce) script.nonce = original.nonce;
      if (!original.hasAttribute("async")) script.async = false;
      if (!original.src) script.text = original.text;
      original.parentNode.replaceChild(script, original);
    });
  }

  /** True when cookie `name` is the configured cookie `info` (a name, or a prefix ending in '*'). */
  function cookieMatches(name, info) {
    return info[2] ? name.indexOf(info[0].slice(0, -1)) === 0 : name === info[0];
  }

  /** Delete this document's cookies of every category that `choice` refuses. */
  function clearRefused(choice) {
    var names = Object.keys(readCookies());
    site.c.forEach(function (category) {
      if (choice[category.k]) return;
      category.o.forEach(function (info) {
        names.forEach(function (name) {
          if (cookieMatches(name, info)) deleteCookie(name);
        });
      });
    });
  }
