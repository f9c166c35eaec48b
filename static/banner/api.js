  /* api: posts decisions with their idempotency keys; retries until the service has stored each once. */

  var RETRY_MAX_MS = 60000;
  var api = { sending: null, delay: 0, timer: 0 };

  /** The consent API's address on the service that served this script. */
  function consentsUrl() {
    return state.origin + "/api/v1/consents";
  }

  /** A random idempotency key (crypto.getRandomValues works on http pages too, in every browser we run in). */
  function newKey() {
    return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
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
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
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
    var status = error && error.status;
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  }

  /** Add a decision to the queue and try to send it. */
  function enqueue(body) {
    updateQueue(function (queue) { return queue.concat([body]); });
    sendQueue();
  }

  /** Send the queued decisions one at a time, in order; back off while the service is unreachable. */
  function sendQueue() {
    var item = state.queue[0];
    if (api.sending || !item) return;
    if (!item.consent_id && item.action === "withdraw") item.action = "reject_all";
    api.sending = item;
    postDecision(item).then(function (answer) {
      api.sending = null;
      api.delay = 0;
      onStored(item, answer);
      sendQueue();
    }, function (error) {
      api.sending = null;
      if (error.reason === "origin_not_allowed") return originRefused(error);
      if (isRefusal(error)) {
        onRefused(item);
        sendQueue();
        return;
      }
      api.delay = Math.min(api.delay ? api.delay * 2 : 1000, RETRY_MAX_MS);
      clearTimeout(api.timer);
      api.timer = setTimeout(sendQueue, api.delay);
    });
  }

  /**
   * The service stored `item`: drop it, and give the decisions after it on the same consent (or on none
   * yet) its consent id and new token, their proof of ownership. The choice in force keeps the token.
   */
  function onStored(item, answer) {
    updateQueue(function (queue) {
      return queue.filter(function (queued) {
        if ((queued.consent_id || answer.consent_id) === answer.consent_id) {
          queued.consent_id = answer.consent_id;
          queued.token = answer.token;
        }
        return queued.idempotency_key !== item.idempotency_key;
      });
    });
    var stored = state.stored || {};
    stored.id = answer.consent_id;
    if (!state.queue.length) stored.t = answer.token;
    if (stored.c) saveChoice(stored);
    emit("stored");
  }

  /** The service refused `item`; with a consent id it does not accept, send it once more as a new decision. */
  function onRefused(item) {
    updateQueue(function (queue) {
      return queue.map(function (queued) {
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
    state.queue.forEach(function (item, index) {
      var inFlight = api.sending && api.sending.idempotency_key === item.idempotency_key;
      if (inFlight || (index && !item.consent_id)) return;
      try {
        navigator.sendBeacon(consentsUrl(), new Blob([JSON.stringify(item)], { type: "text/plain" }));
      } catch (error) { /* no beacon: the next page load sends it */ }
    });
  }
