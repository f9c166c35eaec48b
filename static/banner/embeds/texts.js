  /* texts: the placeholders' wording ({p} the provider, {c} the category's name) and the providers known by name. */

  var TEXTS = {
    fi: {
      from: "Sisältöä palvelusta {p}",
      about: "Sisällön lataaminen yhdistää selaimesi palveluun {p}, joka näkee IP-osoitteesi ja voi asettaa evästeitä.",
      privacy: "Palvelun {p} tietosuojakäytäntö",
      load: "Lataa tämä sisältö",
      allow: "Salli kaikki: {c}"
    },
    sv: {
      from: "Innehåll från {p}",
      about: "Om du laddar innehållet ansluter din webbläsare till {p}, som ser din IP-adress och kan sätta kakor.",
      privacy: "Integritetspolicy för {p}",
      load: "Ladda detta innehåll",
      allow: "Tillåt alla: {c}"
    },
    en: {
      from: "Content from {p}",
      about: "Loading it connects your browser to {p}, which sees your IP address and may set cookies.",
      privacy: "Privacy policy of {p}",
      load: "Load this content",
      allow: "Allow all: {c}"
    }
  };

  /**
   * Presets: a name for data-consent-provider, the provider's name, its privacy policy, and the
   * host and path (as "host/path") of the addresses it serves embeds from.
   */
  var PRESETS = {
    youtube: ["YouTube", "https://policies.google.com/privacy", /^([^\/]*\.)?(youtube(-nocookie)?\.com|youtu\.be)\//],
    vimeo: ["Vimeo", "https://vimeo.com/privacy", /^([^\/]*\.)?vimeo\.com\//],
    maps: ["Google Maps", "https://policies.google.com/privacy", /^([^\/]*\.)?google\.[a-z.]+\/maps|^maps\.google\./]
  };

  /** `text` with {p} and {c} filled in (as text: no replacement patterns). */
  function fill(text, provider, category) {
    return text.replace("{p}", function () { return provider; }).replace("{c}", function () { return category; });
  }

  /**
   * Who serves `element`'s content: a preset named by data-consent-provider or recognised by its address,
   * else the name in data-consent-provider (or the address's host) and the policy in data-consent-privacy.
   * @return {{name: string, privacy: ?string}}
   */
  function providerOf(element) {
    var named = element.getAttribute("data-consent-provider");
    var url = document.createElement("a");  // parses like the browser, and never throws on a bad address
    url.href = element.getAttribute("data-src");
    for (var key in PRESETS) {
      if (named ? named === key : PRESETS[key][2].test(url.host + url.pathname)) {
        return { name: PRESETS[key][0], privacy: PRESETS[key][1] };
      }
    }
    var privacy = element.getAttribute("data-consent-privacy");
    return { name: named || url.host, privacy: /^https?:\/\//.test(privacy) ? privacy : null };
  }
