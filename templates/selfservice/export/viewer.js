/* Paging and search of the export viewer. The page reads without it: the first page of each
   table is plain HTML. Records come from JSON blocks and go in as text, never as markup. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var text = JSON.parse(document.getElementById("viewer-text").textContent);
  var numbers = new Intl.NumberFormat(lang);
  var plurals = new Intl.PluralRules(lang);

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function marked(parent, value, query) {
    var lower = value.toLocaleLowerCase(lang);
    if (!query || lower.length !== value.length) {
      parent.textContent = value;
      return;
    }
    var at = 0;
    var found = lower.indexOf(query);
    while (found !== -1) {
      parent.append(value.slice(at, found));
      var mark = document.createElement("mark");
      mark.textContent = value.slice(found, found + query.length);
      parent.append(mark);
      at = found + query.length;
      found = lower.indexOf(query, at);
    }
    parent.append(value.slice(at));
  }

  function Viewer(section) {
    this.section = section;
    this.size = Number(section.getAttribute("data-viewer")) || 25;
    this.long = Number(section.getAttribute("data-long")) || 80;
    this.rows = JSON.parse(section.querySelector("script.rows").textContent);
    this.labels = Array.prototype.map.call(section.querySelectorAll("thead th"),
      function (th) { return th.textContent; });
    this.tbody = section.querySelector("tbody");
    this.status = section.querySelector(".status");
    this.pageText = section.querySelector(".pager .page");
    this.buttons = section.querySelectorAll(".pager button");
    this.search = section.querySelector(".tools input");
    this.lower = null;
    this.query = "";
    this.matching = this.rows.map(function (row, index) { return index; });
    this.page = 0;
    var self = this;
    section.querySelector(".tools").hidden = false;
    section.querySelector(".pager").hidden = false;
    Array.prototype.forEach.call(this.buttons, function (button) {
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-disabled") !== "true") {
          self.show(self.page + Number(button.dataset.step));
        }
      });
    });
    var timer = 0;
    this.search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.filter(self.search.value); }, 150);
    });
    this.search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        clearTimeout(timer);
        self.filter(self.search.value);
      }
    });
    this.show(0, true);
  }

  Viewer.prototype.filter = function (value) {
    var query = value.trim().toLocaleLowerCase(lang);
    if (query === this.query) return;
    this.query = query;
    if (this.lower === null) {
      this.lower = this.rows.map(function (row) {
        return row.join("\n").toLocaleLowerCase(lang);
      });
    }
    var lower = this.lower;
    this.matching = [];
    for (var i = 0; i < lower.length; i++) {
      if (!query || lower[i].indexOf(query) !== -1) this.matching.push(i);
    }
    this.show(0);
  };

  Viewer.prototype.show = function (page, quiet) {
    var pages = Math.max(1, Math.ceil(this.matching.length / this.size));
    this.page = Math.min(Math.max(0, page), pages - 1);
    var start = this.page * this.size;
    var shown = this.matching.slice(start, start + this.size);
    var body = document.createDocumentFragment();
    var width = this.labels.length;
    for (var i = 0; i < shown.length; i++) {
      var row = this.rows[shown[i]];
      var tr = document.createElement("tr");
      for (var c = 0; c < width; c++) {
        var td = document.createElement("td");
        td.setAttribute("data-label", this.labels[c]);
        var value = String(row[c] === undefined ? "" : row[c]);
        if (value.length > this.long) td.className = "long";
        else if (value.length > 12) td.className = "mid";
        var span = document.createElement("span");
        span.dir = "auto";
        span.translate = false;  // the customer's data, as the files have it
        marked(span, value, this.query);
        td.append(span);
        tr.append(td);
      }
      body.append(tr);
    }
    this.tbody.replaceChildren(body);
    this.pageText.textContent = fill(text.page, {page: numbers.format(this.page + 1),
                                                 pages: numbers.format(pages)});
    this.buttons[0].setAttribute("aria-disabled", String(this.page === 0));
    this.buttons[1].setAttribute("aria-disabled", String(this.page >= pages - 1));
    var message;
    if (this.query && !this.matching.length) {
      message = fill(text.none, {query: this.search.value.trim()});
    } else {
      message = fill(text.status, {from: numbers.format(shown.length ? start + 1 : 0),
                                   to: numbers.format(start + shown.length),
                                   total: numbers.format(this.matching.length)});
      if (this.query) {
        var forms = text.matches;
        message = fill(forms[plurals.select(this.matching.length)] || forms.other,
                       {count: numbers.format(this.matching.length),
                        total: numbers.format(this.rows.length),
                        query: this.search.value.trim()}) + " " + message;
      }
    }
    if (!quiet) this.status.textContent = message;
    scrollable(this.section.querySelector(".table"));
  };

  /* a table's box is a tab stop only while it scrolls sideways (keyboard users can then
     scroll it); otherwise it would be an empty stop */
  function scrollable(box) {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  }

  Array.prototype.forEach.call(document.querySelectorAll("section[data-viewer]"),
    function (section) { new Viewer(section); });
  function boxes() {
    Array.prototype.forEach.call(document.querySelectorAll(".table"), scrollable);
  }
  boxes();
  var resized = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resized);
    resized = setTimeout(boxes, 200);
  });
  document.addEventListener("toggle", boxes, true);
})();
