  /* api: posts decisions with their idempotency keys; retries until the service has stored each once. */

  var RETRY_MAX_MS = 60000;
  var api = { sending: null, delay: 0, timer: 0 };

  /** The consent API's address on the service that served this script. */
  function consentsUrl() {
    return state.origin + "/api/v1/consents";
  }

  /** A random idempotency key (crypto.getRandomValues works on http pages too). */
  function newKey() {
    var bytes = new Uint8Array(16);
    try {
      crypto.getRandomValues(bytes);
    } catch (error) {
      for (var i = 0; i < 16; i++) bytes[i] = Math.random() * 256;
    }
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /**
   * POST one decision as text/plain (a CORS-simple request: no preflight, same body as a beacon).
   * @return {Promise<Object>} the stored record, or a rejection with the Response or network error
   */
  function postDecision(body) {
    return fetch(consentsUrl(), {
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 201) return response.json();
      throw response;
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

  /** The service stored `item`: drop it, give its consent id to the decisions after it, keep the token. */
  function onStored(item, answer) {
    updateQueue(function (queue) {
      return queue.filter(function (queued) {
        if (!queued.consent_id) queued.consent_id = answer.consent_id;
        return queued.idempotency_key !== item.idempotency_key;
      });
    });
    var stored = state.stored || {};
    stored.id = answer.consent_id;
    if (!state.queue.length) stored.t = answer.token;
    if (stored.c) saveChoice(stored);
    emit("stored");
  }

  /** The service refused `item`; with a consent id it does not know, send it once more as a new decision. */
  function onRefused(item) {
    updateQueue(function (queue) {
      return queue.map(function (queued) {
        if (queued.idempotency_key !== item.idempotency_key) return queued;
        if (!queued.consent_id) return null;
        delete queued.consent_id;
        queued.idempotency_key = newKey();
        return queued;
      }).filter(Boolean);
    });
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
