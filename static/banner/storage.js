  /* storage: the first-party consent cookie and the localStorage queue; never throws. */

  /** The names and raw values of this document's cookies, or none when they cannot be read. */
  function readCookies() {
    var found = {};
    try {
      document.cookie.split(";").forEach(function (pair) {
        var at = pair.indexOf("=");
        if (at > 0) found[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
      });
    } catch (error) { /* cookies disabled: nothing stored */ }
    return found;
  }

  /** Write one cookie string; a browser that refuses cookies is ignored. */
  function writeCookie(text) {
    try {
      document.cookie = text;
    } catch (error) { /* cookies disabled */ }
  }

  /** The stored choice from the consent cookie, or null when absent or unreadable. */
  function loadChoice() {
    try {
      var saved = JSON.parse(decodeURIComponent(readCookies()["consent_" + siteKey] || ""));
      return saved && saved.c ? saved : null;
    } catch (error) {
      return null;
    }
  }

  /** Keep `stored` in the first-party cookie for the consent lifetime (SameSite=Lax, Secure on https). */
  function saveChoice(saved) {
    stored = saved;
    writeCookie("consent_" + siteKey + "=" + encodeURIComponent(JSON.stringify(saved)) +
      "; Max-Age=" + site.d * 86400 + "; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : ""));
  }

  /** Delete cookie `name` on this host and on each parent domain. */
  function deleteCookie(name) {
    var expired = name + "=; Max-Age=0; Path=/";
    var labels = location.hostname.split(".");
    writeCookie(expired);
    for (var i = 0; i < labels.length - 1; i++) {
      writeCookie(expired + "; Domain=." + labels.slice(i).join("."));
    }
  }

  /** The queue's localStorage key. */
  function queueKey() {
    return "consent_queue_" + siteKey;
  }

  /** The queued decisions from localStorage, or the in-memory queue when storage is unavailable. */
  function loadQueue() {
    try {
      var items = JSON.parse(localStorage.getItem(queueKey()) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (error) {
      return queue;
    }
  }

  /** Change the queue through `change(queue)`, re-reading storage first so that other tabs' items stay. */
  function updateQueue(change) {
    queue = change(loadQueue());
    try {
      if (queue.length) localStorage.setItem(queueKey(), JSON.stringify(queue));
      else localStorage.removeItem(queueKey());
    } catch (error) { /* storage full or blocked: the queue lives in memory */ }
  }

  /**
   * A withdrawal (`#consent-withdrawn=<id>`) or erasure (`#consent-erased=<id>`) made on "Your consent"
   * comes back in the fragment. It is applied to the stored choice of that consent id only, and only ever
   * as a refusal of every optional category. No token from a link is trusted, and a stored token that
   * grants something is dropped: a crafted link can never grant anything, here or to a server that checks it.
   */
  function applyReturn() {
    var found = /consent-(withdrawn|erased)=([^&]+)/.exec(location.hash);
    if (!found) return;
    try {
      history.replaceState(null, "", location.pathname + location.search);
    } catch (error) { /* the fragment stays; nothing else depends on it */ }
    if (!stored || stored.id !== found[2]) return;
    if (found[1] === "erased") {
      stored = null;
      deleteCookie("consent_" + siteKey);
    } else {
      var granted = stored.c.analytics || stored.c.marketing;
      saveChoice({
        t: granted ? null : stored.t, id: stored.id, c: { analytics: false, marketing: false }, v: stored.v, ts: Date.now()
      });
    }
  }
