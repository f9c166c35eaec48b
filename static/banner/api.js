  /* api: posts decisions with their idempotency keys; retries until the service has stored each once. */

  var RETRY_MAX_MS = 6e4;
  /** The decision being posted, the wait before the next try (ms) and its timer. */
  var sending, retryDelay, retryTimer;

  /** The consent API's address on the service that served this script. */
  function consentsUrl() {
    return origin + "/api/v1/consents";
  }

  /** A random idempotency key (crypto.getRandomValues works on http pages too, in every browser we run in). */
  function newKey() {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  /**
   * POST one decision as text/plain (a CORS-simple request: no preflight, same body as a beacon).
   * @return {Promise<Object>} the stored record; else a rejection with the error's JSON body and its
   *   `status`, or with the network error (no status)
   */
  function postDecision(body) {
    return fetch(consentsUrl(), {
      method: "POST", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.status === 201) return answer;
        answer.status = response.status;
        throw answer;
      });
    });
  }

  /** True for an answer that a retry cannot change (a 4xx other than 408 and 429). */
  function isRefusal(error) {
    var status = error.status;
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  }

  /** Add a decision to the queue and try to send it. */
  function enqueue(body) {
    updateQueue(function (items) { return items.concat([body]); });
    sendQueue();
  }

  /** Send the queued decisions one at a time, in order; back off while the service is unreachable. */
  function sendQueue() {
    var item = queue[0];
    if (sending || !item) return;
    if (!item.consent_id && item.action === "withdraw") item.action = "reject_all";
    sending = item;
    postDecision(item).then(function (answer) {
      sending = null;
      retryDelay = 0;
      onStored(item, answer);
      sendQueue();
    }, function (error) {
      sending = null;
      if (error.reason === "origin_not_allowed") return originRefused(error);
      if (isRefusal(error)) {
        onRefused(item);
        sendQueue();
        return;
      }
      retryDelay = Math.min(retryDelay ? retryDelay * 2 : 1000, RETRY_MAX_MS);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(sendQueue, retryDelay);
    });
  }

  /**
   * The service stored `item`: drop it, and give the decisions after it on the same consent (or on none
   * yet) its consent id and new token, their proof of ownership. The choice in force keeps the token.
   */
  function onStored(item, answer) {
    updateQueue(function (items) {
      return items.filter(function (queued) {
        if ((queued.consent_id || answer.consent_id) === answer.consent_id) {
          queued.consent_id = answer.consent_id;
          queued.token = answer.token;
        }
        return queued.idempotency_key !== item.idempotency_key;
      });
    });
    var saved = stored || {};
    saved.id = answer.consent_id;
    if (!queue.length) saved.t = answer.token;
    if (saved.c) saveChoice(saved);
    emit("stored");
  }

  /** The service refused `item`; with a consent id it does not accept, send it once more as a new decision. */
  function onRefused(item) {
    updateQueue(function (items) {
      return items.map(function (queued) {
        if (queued.idempotency_key !== item.idempotency_key) return queued;
        if (!queued.consent_id) return null;
        delete queued.consent_id;
        delete queued.token;
        queued.idempotency_key = newKey();
        return queued;
      }).filter(Boolean);
    });
  }

  /**
   * The service does not take decisions from this page's origin (not among the site's origins): no retry can
   * change that, so the queue is dropped and the console says why. The choice still applies on this page.
   */
  function originRefused(error) {
    updateQueue(function () { return []; });
    console.warn("Consent service: " + error.error);
  }

  /** On pagehide, hand the decisions still waiting (and able to go now) to navigator.sendBeacon. */
  function beaconQueue() {
    queue.forEach(function (item, index) {
      var inFlight = sending && sending.idempotency_key === item.idempotency_key;
      if (inFlight || (index && !item.consent_id)) return;
      try {
        navigator.sendBeacon(consentsUrl(), new Blob([JSON.stringify(item)], { type: "text/plain" }));
      } catch (error) { /* no beacon: the next page load sends it */ }
    });
  }
