/* The request page follows its request without a reload: the progress bar and the step while
   it runs; when its status changes, the parts of the page that show it are fetched again from
   the server (the server's words, not this file's) and put in place. */
(function () {
  "use strict";
  var d = document, box = d.getElementById("ss-request");
  if (!box) return;
  var api = box.getAttribute("data-api"), status = box.getAttribute("data-status"),
    open = ["received", "verified", "in_progress", "scheduled"],
    /* what a new status changes: replaced by the server's new version of each */
    parts = ["ss-request", "request-timeline", "request-decision"];

  function later(f, ms) { setTimeout(f, ms); }

  function refresh() {
    fetch(location.href, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return later(refresh, 5000);
      var fresh = new DOMParser().parseFromString(html, "text/html");
      parts.forEach(function (id) {
        var now = d.getElementById(id), next = fresh.getElementById(id);
        if (now && next) now.replaceWith(d.importNode(next, true));
      });
      box = d.getElementById("ss-request");
      status = box.getAttribute("data-status");
      d.dispatchEvent(new Event("ss:updated"));
      if (open.indexOf(status) >= 0) later(poll, 1000);
    }).catch(function () { later(refresh, 5000); });
  }

  function poll() {
    fetch(api, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (j) {
      if (!j) return later(poll, 5000);
      if (j.status !== status) return refresh();
      var bar = d.getElementById("request-progress"), pct = d.getElementById("request-percent"),
        step = d.getElementById("request-step");
      if (bar) { bar.value = j.progress; bar.textContent = j.progress + "%"; }
      if (pct) pct.textContent = j.progress + "%";
      if (step && j.step && status === "in_progress") step.textContent = j.step;
      later(poll, 1000);
    }).catch(function () { later(poll, 5000); });
  }
  later(poll, 1000);
})();
