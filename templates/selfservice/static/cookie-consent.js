/* Cookie banner: choose without a reload, then run the scripts the choice allows. Without
   this file the banner is a plain form that posts. */
(function () {
  "use strict";
  var d = document, b = d.getElementById("ss-cookies"),
    N = d.currentScript && d.currentScript.nonce;
  if (!b) return;
  var f = b.querySelector("form"), ch = d.getElementById("ss-cb-choices"),
    cf = d.getElementById("ss-cb-confirm"), st = d.getElementById("ss-cb-status"),
    cu = f.querySelector("[value=customise]"), opt = ["functional", "analytics", "marketing"],
    pending = null, gpc = b.getAttribute("data-gpc") === "1" || navigator.globalPrivacyControl === true,
    /* the host's SELFSERVICE_CSRF_HEADER */
    csrf = b.getAttribute("data-csrf-header") || "X-CSRF-Token";

  if (gpc) d.getElementById("ss-cb-gpc-notice").hidden = false;

  function activate(cats) {
    d.querySelectorAll('script[type="text/plain"][data-ss-category]').forEach(function (s) {
      /* only the server's own inert scripts: they carry this page's nonce */
      if (!cats[s.getAttribute("data-ss-category")] || !N || s.nonce !== N) return;
      var n = d.createElement("script");
      n.nonce = s.nonce;
      n.src = s.getAttribute("data-src");
      s.parentNode.replaceChild(n, s);
    });
  }

  function show(layer) {
    ch.hidden = layer !== ch;
    cf.hidden = layer !== cf;
    cu.setAttribute("aria-expanded", String(layer === ch));
    if (layer) layer.querySelector("input:not([disabled]),button").focus();
  }

  function send(cats, confirm) {
    var h = {"Content-Type": "application/json"};
    h[csrf] = f.csrf_token.value;
    fetch(b.getAttribute("data-api"), {
      method: "PUT", credentials: "same-origin", headers: h,
      body: JSON.stringify({policy_version: f.policy_version.value, categories: cats,
        confirm_gpc_override: !!confirm, method: "banner", language: f.lang.value, gpc: gpc})
    }).then(function (r) {
      /* read the unused answer too: an unread (no-store) body keeps its connection busy */
      if (r.status === 409) { r.text(); pending = cats; show(cf); return; }
      if (r.status === 422) { location.reload(); return; } /* the policy changed: show it */
      if (!r.ok) throw new Error(r.status);
      return r.json().then(function (j) {
        b.hidden = true;
        st.textContent = b.getAttribute("data-saved");
        activate(j.categories);
        var m = d.getElementById("main") || d.body;
        if (m.tabIndex < 0 && m !== d.body) m.tabIndex = -1;
        m.focus();
      });
    }).catch(function () { plain(cats); });
  }

  function plain(cats) { /* the API failed: the same choice as a form post */
    opt.forEach(function (c) { f.elements[c].checked = cats[c]; });
    var i = d.createElement("input");
    i.type = "hidden"; i.name = "choice"; i.value = "save";
    f.appendChild(i);
    f.submit();
  }

  f.addEventListener("submit", function (e) {
    var v = e.submitter && e.submitter.value, cats = {}, a = d.activeElement;
    /* Enter in a checkbox submits with the form's first button ("Accept all"): it means Save */
    if (a && a.type === "checkbox") v = "save";
    if (!v) return;
    e.preventDefault();
    if (v === "customise") { show(ch.hidden ? ch : null); return; }
    opt.forEach(function (c) {
      cats[c] = v === "accept_all" || (v === "save" && f.elements[c].checked);
    });
    send(cats, false);
  });

  b.addEventListener("click", function (e) {
    var t = e.target;
    if (t.hasAttribute("data-ss-back")) { show(null); cu.focus(); }
    var g = t.getAttribute("data-ss-gpc");
    if (g && pending) {
      if (g === "no") pending.marketing = false;
      send(pending, g === "yes");
    }
  });

  b.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || (ch.hidden && cf.hidden)) return;
    show(null);
    cu.focus();
  });

  b.querySelector("h2").focus();
})();
