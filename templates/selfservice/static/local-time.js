/* Dates in the reader's own time zone. The server writes every date in UTC, naming the zone,
   in a <time data-ss-time> element; this rewrites each in the browser's zone and language
   (the full UTC time stays in its title). Without this file the UTC dates stay. A page part
   that is replaced later sends "ss:updated" on the document to have its dates rewritten. */
(function () {
  "use strict";
  var d = document, page = (d.documentElement.lang || "en").toLowerCase(),
    mine = navigator.language || page,
    /* the browser's own way of writing dates, when it speaks the page's language */
    lang = mine.toLowerCase().split("-")[0] === page.split("-")[0] ? mine : page,
    kinds = {
      date: {day: "numeric", month: "short", year: "numeric"},
      datetime: {day: "numeric", month: "short", year: "numeric", hour: "2-digit",
                 minute: "2-digit", timeZoneName: "short"}
    };

  function rewrite() {
    d.querySelectorAll("time[data-ss-time]").forEach(function (t) {
      var at = new Date(t.getAttribute("datetime")), kind = kinds[t.getAttribute("data-ss-time")];
      if (!kind || isNaN(at.getTime())) return;
      try {
        if (!t.title) t.title = t.textContent.trim();
        t.textContent = new Intl.DateTimeFormat(lang, kind).format(at);
      } catch (e) { /* an unknown language tag: the UTC text stays */ }
    });
  }

  rewrite();
  d.addEventListener("ss:updated", rewrite);
})();
