/* The admin's export page: "Pilih semua" ticks or clears every column of the chosen data, and
 * follows the columns when they are ticked one by one. A static file: the content security policy
 * refuses inline handlers. */
(function () {
  "use strict";
  function boxes() {
    return Array.prototype.filter.call(
      document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]'),
      function (box) {
        return box.id !== "select-all-toggle" && box.closest(".selectable-field-export-row").style.display !== "none";
      }
    );
  }
  function start() {
    var toggle = document.getElementById("select-all-toggle");
    if (!toggle) {
      return;
    }
    toggle.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = toggle.checked; });
    });
    boxes().forEach(function (box) {
      box.addEventListener("change", function () {
        toggle.checked = boxes().every(function (other) { return other.checked; });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
