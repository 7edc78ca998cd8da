/* The request page follows its request without a reload: progress and step while it runs,
   then the archive's size, SHA-256, expiry and the download button when it is ready. */
(function () {
  "use strict";
  var d = document, box = d.getElementById("ss-request");
  if (!box) return;
  var bar = d.getElementById("request-progress"), pct = d.getElementById("request-percent"),
    step = d.getElementById("request-step"), status = d.getElementById("request-status"),
    open = ["received", "verified", "in_progress", "scheduled"];

  function el(tag, text, attrs) {
    var e = d.createElement(tag);
    if (text !== undefined) e.textContent = text;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }

  function ready(j) {
    var dl = el("dl", undefined, {"class": "ss-facts"}), x = j.download;
    [["Size", x.bytes.toLocaleString("en") + " bytes, " + x.records.toLocaleString("en") +
      " records"], ["SHA-256", x.sha256], ["Available until", x.expires_at.slice(0, 16)
      .replace("T", " ") + " UTC"], ["Downloads", String(x.downloads)]].forEach(function (r) {
      dl.appendChild(el("dt", r[0]));
      dl.appendChild(el("dd", r[1]));
    });
    var p = el("p");
    p.appendChild(el("a", "Download the archive",
                     {"class": "ss-button", href: x.url, id: "download-export"}));
    var slot = d.getElementById("request-download");
    slot.replaceChildren(dl, p);
    var cancel = d.getElementById("request-cancel");
    if (cancel) cancel.form.hidden = true;
  }

  function poll() {
    fetch(box.getAttribute("data-api"), {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (j) {
      if (!j) return setTimeout(poll, 5000);
      if (bar) { bar.value = j.progress; bar.textContent = j.progress + "%"; }
      if (pct) pct.textContent = j.progress + "%";
      if (step) step.textContent = j.step;
      status.textContent = j.status.replace("_", " ");
      if (open.indexOf(j.status) >= 0) return setTimeout(poll, 1000);
      if (j.status === "completed" && j.download) ready(j); else location.reload();
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
