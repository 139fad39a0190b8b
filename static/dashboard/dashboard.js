/* Draws the dashboard's charts from the JSON the page carries (json_script "dashboard-charts").
 * No inline script (the CSP forbids it); Chart.js is served from static/vendor/chartjs.
 * Clicking a bar opens the household list behind it, as the numbers in the tables do. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var specs = JSON.parse(source.textContent);
  var palette = ["#0b4f8a", "#3b82c4", "#067647", "#b54708", "#b42318", "#6941c6", "#667085"];
  var numbers = new Intl.NumberFormat("id-ID");
  var decimals = new Intl.NumberFormat("id-ID", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  function draw(canvas) {
    var spec = specs[canvas.getAttribute("data-chart")];
    if (!spec) {
      return;
    }
    var datasets = spec.datasets.map(function (dataset, index) {
      return {
        label: dataset.label,
        data: dataset.data,
        links: dataset.links || [],
        backgroundColor: dataset.color || palette[index % palette.length],
        borderWidth: 0
      };
    });
    var format = function (value) {
      return spec.percent ? decimals.format(value) + " %" : numbers.format(value);
    };
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked } };
    scales[valueAxis].beginAtZero = true;
    scales[valueAxis].ticks = { callback: function (value) { return format(value); } };
    if (spec.percent) {
      scales[valueAxis].max = 100;
    }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = spec.horizontal ? context.parsed.x : context.parsed.y;
                return context.dataset.label + ": " + format(value);
              }
            }
          }
        },
        onHover: function (event, elements) {
          // A bar without a list behind it (the people of a desil) is not a link.
          var linked = elements.length && datasets[elements[0].datasetIndex].links[elements[0].index];
          event.native.target.style.cursor = linked ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length) {
            return;
          }
          var element = elements[0];
          var url = datasets[element.datasetIndex].links[element.index];
          if (url) {
            window.location.assign(url);
          }
        }
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
})();
