/* Dates in the reader's own time zone. The server writes every date in UTC, naming the zone,
   in a <time data-ss-time> element; this rewrites each in the browser's zone, in the page's
   language (the element's own lang, else the nearest one, else the document's: a host's layout
   in another language keeps the plugin's dates in the plugin's), with Intl.DateTimeFormat. The
   full UTC time stays in its title. Without this file the UTC dates stay. A page part that is
   replaced later sends "ss:updated" on the document to have its dates rewritten. */
(function () {
  "use strict";
  var d = document, mine = navigator.language || "",
    kinds = {
      date: {day: "numeric", month: "short", year: "numeric"},
      datetime: {day: "numeric", month: "short", year: "numeric", hour: "2-digit",
                 minute: "2-digit", timeZoneName: "short"}
    };

  /* the page's language; the browser's own way of writing it when it speaks that language
     (en-GB for an English page read in Britain) */
  function languageOf(t) {
    var marked = t.closest("[lang]"),
      page = ((marked && marked.getAttribute("lang")) || d.documentElement.lang || "en");
    return mine.toLowerCase().split("-")[0] === page.toLowerCase().split("-")[0] ? mine : page;
  }

  function rewrite() {
    d.querySelectorAll("time[data-ss-time]").forEach(function (t) {
      var at = new Date(t.getAttribute("datetime")), kind = kinds[t.getAttribute("data-ss-time")];
      if (!kind || isNaN(at.getTime())) return;
      try {
        if (!t.title) t.title = t.textContent.trim();
        t.textContent = new Intl.DateTimeFormat(languageOf(t), kind).format(at);
      } catch (e) { /* an unknown language tag: the UTC text stays */ }
    });
  }

  rewrite();
  d.addEventListener("ss:updated", rewrite);
})();
