  /* bridge: Google Consent Mode v2 and the dataLayer event a tag manager listens for. */

  var DENIED = "denied";
  var GRANTED = "granted";
  var WAIT_FOR_UPDATE_MS = 500;

  /** Push a gtag() command the way Google's snippet does: the arguments object onto dataLayer. */
  function gtag() {
    window.dataLayer = window.dataLayer || [];
    window.dataLayer.push(arguments);
  }

  /** Everything denied but security storage, before any tag can run. */
  function consentDefault() {
    gtag("consent", "default", {
      ad_storage: DENIED, ad_user_data: DENIED, ad_personalization: DENIED,
      analytics_storage: DENIED, functionality_storage: DENIED, personalization_storage: DENIED,
      security_storage: GRANTED, wait_for_update: WAIT_FOR_UPDATE_MS
    });
  }

  /** Tell the tags the choice in force, then push the `consent_update` event. */
  function consentUpdate(choice) {
    var analytics = choice.analytics ? GRANTED : DENIED;
    var marketing = choice.marketing ? GRANTED : DENIED;
    gtag("consent", "update", {
      analytics_storage: analytics, ad_storage: marketing, ad_user_data: marketing, ad_personalization: marketing
    });
    window.dataLayer.push({
      event: "consent_update",
      consent: { necessary: true, analytics: choice.analytics, marketing: choice.marketing }
    });
  }
