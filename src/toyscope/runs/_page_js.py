"""The JavaScript of the report and index pages (plain ES2017, no library but plotly.js).

``TABLE_JS``: every ``<table>`` with a ``<thead>`` sorts by a column when its header is clicked
(numerically when every non-empty cell of the column starts with a number, else as text; a second
click reverses). ``REPORT_JS``: draws each ``div.ts-plot`` from the plotly JSON in the
``<script type="application/json">`` it names, and for a figure whose ``layout.meta`` holds a
member view (``toyscope.viz.mlp_member_view``) draws the clicked member on a canvas beside it:
the MLP's output on a grid, ``h = act(h W + b)`` layer by layer, as its decision boundary (2
inputs, 1 output), else its weight matrices. ``INDEX_JS``: the runs index's study filter and its
side-by-side comparison of two selected runs. When the page is ready, ``<html data-ts-ready="1">``
(and ``data-ts-ready-ms``: milliseconds since navigation began); the plots off screen are then
drawn one by one when the browser is idle (``data-ts-all-drawn="1"`` after the last).
"""

from __future__ import annotations

TABLE_JS = r"""
(function () {
  'use strict';
  var NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/;
  function sortKey(cell) {
    var text = (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent).trim();
    var match = text.match(NUMBER);
    return {text: text, number: match ? parseFloat(match[0]) : NaN};
  }
  function sortTable(table, column, header) {
    var body = table.tBodies[0];
    if (!body) return;
    var ascending = header.dataset.order !== 'asc';
    Array.prototype.forEach.call(header.parentNode.cells, function (th) { delete th.dataset.order; });
    header.dataset.order = ascending ? 'asc' : 'desc';
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (row) { return row.cells[column] ? sortKey(row.cells[column]) : {text: '', number: NaN}; });
    var numeric = keys.every(function (k) { return k.text === '' || !isNaN(k.number); });
    var order = rows.map(function (row, i) { return i; });
    order.sort(function (a, b) {
      var ka = keys[a], kb = keys[b];
      if (ka.text === '' || kb.text === '') return (ka.text === '') - (kb.text === '') || a - b;  // empty last
      var c = numeric ? ka.number - kb.number : ka.text.localeCompare(kb.text, undefined, {numeric: true});
      return (ascending ? c : -c) || a - b;
    });
    order.forEach(function (i) { body.appendChild(rows[i]); });
  }
  function makeSortable(table) {
    if (!table.tHead || !table.tHead.rows.length || table.dataset.sortable === 'no') return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      if (th.dataset.sortable === 'no') return;
      th.classList.add('ts-sortable');
      th.title = 'sort by this column';
      th.addEventListener('click', function () { sortTable(table, column, th); });
    });
  }
  window.toyscopeTables = {makeSortable: makeSortable, sortTable: sortTable};
  function init() { Array.prototype.forEach.call(document.querySelectorAll('table'), makeSortable); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
"""

REPORT_JS = r"""
(function () {
  'use strict';
  function erf(x) {  // Abramowitz-Stegun 7.1.26, |error| < 1.5e-7
    var s = x < 0 ? -1 : 1; x = Math.abs(x);
    var t = 1 / (1 + 0.3275911 * x);
    var y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return s * y;
  }
  function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }
  var ACTIVATIONS = {
    linear: function (x) { return x; }, sigmoid: sigmoid, tanh: Math.tanh,
    relu: function (x) { return x > 0 ? x : 0; },
    softplus: function (x) { return x > 30 ? x : Math.log1p(Math.exp(x)); },
    silu: function (x) { return x * sigmoid(x); },
    gelu: function (x) { return 0.5 * x * (1 + erf(x / Math.SQRT2)); },
    gelu_tanh: function (x) { return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))); },
    erf: function (x) { return erf(x / Math.SQRT2); }
  };
  function forward(view, layers, input) {  // h = act(h W + b), W (d_in, d_out) row-major
    var h = input;
    for (var l = 0; l < layers.length; l++) {
      var w = layers[l][0], b = layers[l][1], dOut = b.length, dIn = h.length, act = ACTIVATIONS[view.activations[l]];
      var z = new Array(dOut);
      for (var j = 0; j < dOut; j++) {
        var s = b[j];
        for (var i = 0; i < dIn; i++) s += h[i] * w[i * dOut + j];
        z[j] = act(s);
      }
      h = z;
    }
    return h;
  }
  // a member's outputs at one input, for tests and the console: toyscopeForward(view, id, [x1, x2])
  window.toyscopeForward = function (view, id, input) { return forward(view, view.members[String(id)], input); };
  function mix(a, b, t) { return a.map(function (v, i) { return Math.round(v + (b[i] - v) * t); }); }
  var GREEN = [46, 158, 91], WHITE = [244, 244, 244], PINK = [231, 84, 128], BLUE = [31, 79, 209], RED = [214, 39, 40];
  function drawDecision(canvas, view, layers) {
    var size = canvas.width, ctx = canvas.getContext('2d'), res = 96, lo = view.limits[0], hi = view.limits[1];
    var pad = 0.06 * (hi - lo), a = lo - pad, span = hi - lo + 2 * pad;
    var logit = view.activations[view.activations.length - 1] === 'linear';
    var grid = new Float64Array(res * res);
    for (var r = 0; r < res; r++) for (var c = 0; c < res; c++) {
      var out = forward(view, layers, [a + span * (c + 0.5) / res, a + span * (1 - (r + 0.5) / res)])[0];
      grid[r * res + c] = logit ? sigmoid(out) : out;
    }
    var image = ctx.createImageData(res, res);
    for (var k = 0; k < res * res; k++) {
      var p = grid[k], colour = p < 0.5 ? mix(GREEN, WHITE, 2 * p) : mix(WHITE, PINK, 2 * p - 1);
      var r0 = Math.floor(k / res), c0 = k % res, edge = false;
      if (c0 + 1 < res && (grid[k] - 0.5) * (grid[k + 1] - 0.5) < 0) edge = true;
      if (r0 + 1 < res && (grid[k] - 0.5) * (grid[k + res] - 0.5) < 0) edge = true;
      if (edge) colour = [0, 0, 0];
      image.data.set([colour[0], colour[1], colour[2], 255], 4 * k);
    }
    var scratch = document.createElement('canvas'); scratch.width = scratch.height = res;
    scratch.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, size, size);
    ctx.drawImage(scratch, 0, 0, size, size);
    (view.points || []).forEach(function (pt, i) {
      var x = (pt[0] - a) / span * size, y = (1 - (pt[1] - a) / span) * size;
      ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI);
      ctx.fillStyle = view.labels && view.labels[i] > 0.5 ? '#e75480' : '#2e9e5b';
      ctx.fill(); ctx.strokeStyle = '#000'; ctx.stroke();
    });
  }
  function drawWeights(canvas, view, layers) {
    var ctx = canvas.getContext('2d'), size = canvas.width, gap = 8;
    ctx.clearRect(0, 0, size, size);
    var cell = Math.max(2, Math.floor((size - gap * layers.length) / layers.reduce(function (s, l) { return s + l[1].length; }, 0)));
    var x0 = 0;
    layers.forEach(function (layer) {
      var w = layer[0], dOut = layer[1].length, dIn = w.length / dOut;
      var scale = Math.max.apply(null, w.map(Math.abs)) || 1, h = Math.min(cell, Math.floor(size / dIn));
      for (var i = 0; i < dIn; i++) for (var j = 0; j < dOut; j++) {
        var v = w[i * dOut + j] / scale, colour = v > 0 ? mix(WHITE, BLUE, v) : mix(WHITE, RED, -v);
        ctx.fillStyle = 'rgb(' + colour.join(',') + ')';
        ctx.fillRect(x0 + j * cell, i * h, cell, h);
      }
      x0 += dOut * cell + gap;
    });
  }
  function showMember(panel, view, id) {
    var layers = view.members[String(id)];
    if (!layers) return;
    var canvas = panel.querySelector('canvas'), caption = panel.querySelector('.ts-member-caption');
    var twoD = view.widths[0] === 2 && view.widths[view.widths.length - 1] === 1;
    (twoD ? drawDecision : drawWeights)(canvas, view, layers);
    caption.textContent = 'member ' + id + (twoD ? ': decision boundary (pink = 1, green = 0, black = 0.5)'
                                              : ': weight matrices (blue > 0, red < 0, per layer scaled to its max |w|)');
    panel.hidden = false;
    panel.dataset.member = String(id);
  }
  function attachMembers(div, spec) {
    var view = spec.layout && spec.layout.meta && spec.layout.meta.toyscope_members;
    if (!view) return;
    var panel = document.createElement('div');
    panel.className = 'ts-member'; panel.hidden = true;
    panel.innerHTML = '<canvas width="260" height="260"></canvas><div class="ts-member-caption"></div>';
    div.parentNode.insertBefore(panel, div.nextSibling);
    div.on('plotly_click', function (event) {
      var point = event.points && event.points[0];
      if (point && point.customdata) showMember(panel, view, point.customdata[0]);
    });
    window.toyscopeShowMember = window.toyscopeShowMember || {};
    window.toyscopeShowMember[div.id] = function (id) { showMember(panel, view, id); };
  }
  function render(div) {
    var source = document.getElementById(div.dataset.spec);
    var spec = JSON.parse(source.textContent);
    div.innerHTML = '';
    div.classList.add('ts-drawn');
    return Plotly.newPlot(div, spec.data, spec.layout, {responsive: true, displaylogo: false})
      .then(function () { attachMembers(div, spec); });
  }
  function init() {
    var divs = Array.prototype.slice.call(document.querySelectorAll('div.ts-plot'));
    if (!divs.length || typeof Plotly === 'undefined') {  // no plotly.js: the static images stay
      document.documentElement.dataset.tsReady = '1';
      document.documentElement.dataset.tsAllDrawn = '1';
      return;
    }
    // the plots in (or near) the first screen at once: then the page is ready; the others one by
    // one in the background, or at once when they scroll into view
    var root = document.documentElement, first = true;
    function drawn(div) { return div.classList.contains('ts-drawn'); }
    function background() {
      var next = divs.filter(function (d) { return !drawn(d); })[0];
      if (!next) { root.dataset.tsAllDrawn = '1'; return; }
      observer.unobserve(next);
      render(next).then(idle);
    }
    function idle() { (window.requestIdleCallback || setTimeout)(background, {timeout: 1000}); }
    function ready() {
      root.dataset.tsReadyMs = String(Math.round(performance.now()));  // since navigation started
      root.dataset.tsReady = '1';
      setTimeout(idle, 200);
    }
    var observer = new IntersectionObserver(function (entries) {
      var batch = entries.filter(function (e) { return e.isIntersecting && !drawn(e.target); }).map(function (e) {
        observer.unobserve(e.target); return render(e.target);
      });
      if (first) { first = false; Promise.all(batch).then(ready); }
    }, {rootMargin: '300px'});
    divs.forEach(function (div) { observer.observe(div); });
    window.toyscopeRenderAll = function () {
      return Promise.all(divs.filter(function (d) { return !drawn(d); }).map(function (d) { observer.unobserve(d); return render(d); }));
    };
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
"""

INDEX_JS = r"""
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ts-index-data').textContent);
  var byId = {};
  data.entries.forEach(function (e) { byId[e.id] = e; });
  function esc(text) {
    return String(text === null || text === undefined ? '' : text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function filter() {
    var study = document.getElementById('ts-filter-study').value, text = document.getElementById('ts-filter-text').value.toLowerCase();
    Array.prototype.forEach.call(document.querySelectorAll('#ts-runs tbody tr'), function (row) {
      var entry = byId[row.dataset.id];
      var show = (!study || entry.study === study) && (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !show;
    });
  }
  function selected() {
    return Array.prototype.map.call(document.querySelectorAll('#ts-runs input.ts-pick:checked'), function (box) {
      return byId[box.value];
    });
  }
  function table(columns, rows, cls) {
    return '<table class="' + (cls || '') + '"><thead><tr>' + columns.map(function (c) { return '<th>' + esc(c) + '</th>'; }).join('') +
      '</tr></thead><tbody>' + rows.map(function (r) {
        return '<tr class="' + (r.cls || '') + '">' + r.cells.map(function (c) { return '<td>' + esc(c) + '</td>'; }).join('') + '</tr>';
      }).join('') + '</tbody></table>';
  }
  function compare() {
    var pick = selected(), out = document.getElementById('ts-compare');
    if (pick.length !== 2) {
      out.innerHTML = '<p>Select exactly two runs (the boxes in the first column) to compare them.</p>';
      out.hidden = false; return;
    }
    var a = pick[0], b = pick[1];
    var keys = Object.keys(Object.assign({}, a.config || {}, b.config || {})).sort();
    var configRows = keys.map(function (k) {
      var va = JSON.stringify((a.config || {})[k]), vb = JSON.stringify((b.config || {})[k]);
      return {cls: va === vb ? '' : 'ts-differs', cells: [k, va === undefined ? '(absent)' : va, vb === undefined ? '(absent)' : vb]};
    });
    var names = [];
    [a, b].forEach(function (e) { (e.headline || []).forEach(function (h) { if (names.indexOf(h.name) < 0) names.push(h.name); }); });
    function value(e, name) {
      var h = (e.headline || []).filter(function (x) { return x.name === name; })[0];
      return h ? h.text : '';
    }
    var headRows = names.map(function (n) { return {cells: [n, value(a, n), value(b, n)]}; });
    var figures = [];
    [a, b].forEach(function (e) { (e.figures || []).forEach(function (f) { if (figures.indexOf(f) < 0) figures.push(f); }); });
    var figureRows = figures.map(function (f) {
      function cell(e) {
        return (e.figures || []).indexOf(f) >= 0 ? '<a href="' + esc(e.href + 'figures/' + f + '.png') + '"><img loading="lazy" alt="' + esc(f) +
          '" src="' + esc(e.href + 'figures/' + f + '.png') + '"></a>' : '<em>no such figure</em>';
      }
      return '<tr><th colspan="2">' + esc(f) + '</th></tr><tr><td>' + cell(a) + '</td><td>' + cell(b) + '</td></tr>';
    }).join('');
    out.innerHTML = '<h2>Comparison</h2>' +
      '<div class="ts-pair"><div><h3>' + esc(a.name) + '</h3><p>' + esc(a.study) + ', ' + esc(a.preset) + ', ' + esc(a.date) + ', ' + esc(a.status) +
      '</p></div><div><h3>' + esc(b.name) + '</h3><p>' + esc(b.study) + ', ' + esc(b.preset) + ', ' + esc(b.date) + ', ' + esc(b.status) + '</p></div></div>' +
      '<h3>Headline numbers</h3>' + (headRows.length ? table(['quantity', a.name, b.name], headRows) : '<p>None recorded.</p>') +
      '<h3>Configuration (differences highlighted)</h3>' + table(['key', a.name, b.name], configRows, 'ts-config') +
      '<h3>Figures</h3>' + (figureRows ? '<table class="ts-figures" data-sortable="no"><tbody>' + figureRows + '</tbody></table>' : '<p>No figures.</p>');
    out.hidden = false;
    Array.prototype.forEach.call(out.querySelectorAll('table'), window.toyscopeTables.makeSortable);
    out.scrollIntoView();
  }
  document.getElementById('ts-filter-study').addEventListener('change', filter);
  document.getElementById('ts-filter-text').addEventListener('input', filter);
  document.getElementById('ts-compare-button').addEventListener('click', compare);
  document.documentElement.dataset.tsReady = '1';
})();
"""
