/* The support console's reveal: the reason goes to the reveal endpoint of the JSON API, and the
   full e-mail address and name replace the masked ones on the page. Without this script the
   form posts to the page, which does the same. What it says, it reads from the form's data-*
   attributes, in the page's language. */
(function () {
  "use strict";
  var d = document, form = d.getElementById("reveal-form");
  if (!form || !window.fetch) return;
  var reason = d.getElementById("reveal-reason"), error = d.getElementById("reveal-error");
  function said(name) { return form.getAttribute("data-" + name) || ""; }

  function fail(text) {
    error.textContent = text;
    error.hidden = false;
    reason.setAttribute("aria-invalid", "true");
    reason.setAttribute("aria-describedby", "reveal-hint reveal-error");
    reason.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = form.querySelector("input[name=csrf_token]").value;
    fetch(form.getAttribute("data-api"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
      body: JSON.stringify({reason: reason.value})
    }).then(function (response) {
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    }).then(function (answer) {
      if (answer.status === 200) {
        d.getElementById("support-email").textContent = answer.body.email;
        d.getElementById("support-name").textContent = answer.body.name || "—";
        var done = d.createElement("p");
        done.id = "reveal-done";
        done.setAttribute("role", "status");
        done.setAttribute("tabindex", "-1");
        done.textContent = said("done");
        form.replaceWith(done);
        done.focus();
      } else if (answer.status === 422) {
        var first = (answer.body.errors || [])[0];
        fail(first ? said("reason-problem").replace("{problem}", first.message)
                   : said("reason-missing"));
      } else {
        fail(said("failed"));
      }
    }).catch(function () { fail(said("offline")); });
  });
}());
