/* Disclosures marked data-ss-open-wide (a long list of rows, each a <details>) are open on a
   wide screen, where they read as a table, and closed on a narrow one, where each row is a tap
   away. Crossing the width opens or closes them again. Without this file they stay closed, and
   every row still opens by its summary. */
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 48em)");

  function apply() {
    document.querySelectorAll("details[data-ss-open-wide]").forEach(function (row) {
      row.open = wide.matches;
    });
  }

  apply();
  wide.addEventListener("change", apply);
})();
