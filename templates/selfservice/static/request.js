/* The request page follows its request without a reload: progress, step and, when it is
   done, the page itself (with the download button) once. */
(function () {
  "use strict";
  var box = document.getElementById("ss-request");
  if (!box) return;
  var bar = document.getElementById("request-progress"),
    pct = document.getElementById("request-percent"),
    step = document.getElementById("request-step"),
    status = document.getElementById("request-status");
  function poll() {
    fetch(box.getAttribute("data-api"), {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (j) {
      if (!j) return setTimeout(poll, 5000);
      if (bar) { bar.value = j.progress; bar.textContent = j.progress + "%"; }
      if (pct) pct.textContent = j.progress + "%";
      if (step) step.textContent = j.step;
      status.textContent = j.status.replace("_", " ");
      if (["received", "verified", "in_progress", "scheduled"].indexOf(j.status) < 0) {
        location.reload();
      } else {
        setTimeout(poll, 1000);
      }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
