/* Live preview of a targeting rule in the admin: whenever a condition changes, ask the server how
 * many households the conditions (as typed, not yet saved) select in each kecamatan, and redraw the
 * table. Read-only GET; the table is built with DOM calls (no HTML strings). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var panel = document.getElementById("rule-preview");
    if (!panel) { return; }
    var status = panel.querySelector(".rule-preview-status");
    var numbers = new Intl.NumberFormat("id-ID");
    var timer = null;
    var sequence = 0;

    function conditionRows() {
      var total = document.querySelector("input[name='conditions-TOTAL_FORMS']");
      var count = total ? parseInt(total.value, 10) : 0;
      var rows = [];
      for (var i = 0; i < count; i += 1) {
        var prefix = "conditions-" + i + "-";
        var field = document.querySelector("[name='" + prefix + "field']");
        var operator = document.querySelector("[name='" + prefix + "operator']");
        var value = document.querySelector("[name='" + prefix + "value']");
        var remove = document.querySelector("[name='" + prefix + "DELETE']");
        if (!field || !field.value || (remove && remove.checked)) { continue; }
        rows.push([field.value, operator ? operator.value : "", value ? value.value : ""]);
      }
      return rows;
    }

    function cell(tag, text, numeric) {
      var element = document.createElement(tag);
      element.textContent = text;
      if (numeric) { element.className = "num"; }
      return element;
    }

    function render(data) {
      var old = panel.querySelector("table");
      if (old) { old.remove(); }
      if (data.errors && data.errors.length) {
        status.textContent = data.errors.join(" ");
        return;
      }
      status.textContent = "";
      var table = document.createElement("table");
      var head = table.createTHead().insertRow();
      var regency = Boolean(data.labels.kabupaten);  // several regencies loaded: kecamatan names repeat
      head.appendChild(cell("th", data.labels.kecamatan));
      if (regency) { head.appendChild(cell("th", data.labels.kabupaten)); }
      head.appendChild(cell("th", data.labels.matching, true));
      head.appendChild(cell("th", data.labels.without_aid, true));
      var body = table.createTBody();
      data.rows.forEach(function (row) {
        var tr = body.insertRow();
        tr.appendChild(cell("td", row.kecamatan));
        if (regency) { tr.appendChild(cell("td", row.kabupaten)); }
        tr.appendChild(cell("td", numbers.format(row.matching), true));
        tr.appendChild(cell("td", numbers.format(row.without_aid), true));
      });
      var foot = table.createTFoot().insertRow();
      var label = foot.appendChild(cell("th", data.labels.total));
      if (regency) { label.colSpan = 2; }
      foot.appendChild(cell("th", numbers.format(data.matching), true));
      foot.appendChild(cell("th", numbers.format(data.without_aid), true));
      panel.appendChild(table);
    }

    function refresh() {
      var params = new URLSearchParams();
      conditionRows().forEach(function (row) {
        params.append("field", row[0]);
        params.append("operator", row[1]);
        params.append("value", row[2]);
      });
      var mine = ++sequence;
      fetch(panel.getAttribute("data-url") + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) { if (mine === sequence) { render(data); } })
        .catch(function () { if (mine === sequence) { status.textContent = "⚠"; } });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    }

    var form = panel.closest("form") || document;
    form.addEventListener("input", function (event) {
      if (event.target.name && event.target.name.indexOf("conditions-") === 0) { schedule(); }
    });
    form.addEventListener("change", function (event) {
      if (event.target.name && event.target.name.indexOf("conditions-") === 0) { schedule(); }
    });
    form.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest(".inline-deletelink")) { schedule(); }
    });
    if (!panel.querySelector("table")) { schedule(); }
  });
})();
