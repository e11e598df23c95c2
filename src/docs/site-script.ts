/**
 * The docs page's browser script, inlined into index.html. Plain ES2020 with no dependencies; kept
 * as a string (no backticks or `${` inside) so the site needs no bundler and works from file://.
 *
 * The lineage graph only ever draws the focused node's neighbourhood (±depth, tests left out), laid
 * out in layers by longest path, so its cost follows the neighbourhood, not the project size.
 */
export const SITE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('docs-data').textContent);
  var nodes = data.nodes;
  var byId = new Map();
  var children = nodes.map(function () { return []; });
  var testsOf = nodes.map(function () { return []; });
  nodes.forEach(function (n, i) {
    byId.set(n.id, i);
    n.parents.forEach(function (p) {
      if (n.type === 'test') testsOf[p].push(i); else children[p].push(i);
    });
  });
  var ORDER = { model: 0, source: 1, seed: 2, snapshot: 3, exposure: 4, test: 5, macro: 6, operation: 7 };
  var depthUp = 2, depthDown = 2, current = -1;
  var main = document.getElementById('main');
  var search = document.getElementById('search');
  var results = document.getElementById('results');

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function link(i, text) {
    return '<a href="#!/' + encodeURIComponent(nodes[i].id) + '">' + esc(text || nodes[i].name) + '</a>';
  }
  // Descriptions are Markdown: paragraphs, lists, code, bold, links (enough for dbt docs).
  function markdown(text) {
    if (!text) return '<p><i>No description.</i></p>';
    return text.split(/\n\s*\n/).map(function (para) {
      var inline = function (s) {
        return esc(s).replace(/\x60([^\x60]+)\x60/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
          .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2">$1</a>');
      };
      var lines = para.trim().split('\n');
      if (lines.every(function (l) { return /^\s*[-*] /.test(l); }))
        return '<ul>' + lines.map(function (l) { return '<li>' + inline(l.replace(/^\s*[-*] /, '')) + '</li>'; }).join('') + '</ul>';
      return '<p>' + inline(para.trim()).replace(/\n/g, '<br>') + '</p>';
    }).join('');
  }
  function bytes(n) {
    var units = ['B', 'KB', 'MB', 'GB', 'TB'], u = 0;
    while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
    return (u ? n.toFixed(1) : n) + ' ' + units[u];
  }

  // ---- search ----
  function renderResults() {
    var q = search.value.trim().toLowerCase();
    var hits = [];
    nodes.forEach(function (n, i) {
      if (!q) { if (n.type !== 'test' && n.type !== 'macro') hits.push([ORDER[n.type] || 9, n.name, i]); return; }
      var name = n.name.toLowerCase();
      var rank = name === q ? 0 : name.indexOf(q) === 0 ? 1 : name.indexOf(q) >= 0 ? 2 : n.id.toLowerCase().indexOf(q) >= 0 ? 3 :
        n.columns.some(function (c) { return c.name.toLowerCase().indexOf(q) >= 0; }) ? 4 : -1;
      if (rank >= 0) hits.push([rank * 10 + (ORDER[n.type] || 9), n.name, i]);
    });
    hits.sort(function (a, b) { return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0); });
    var shown = hits.slice(0, 200);
    results.innerHTML = shown.map(function (h) {
      var n = nodes[h[2]];
      return '<a href="#!/' + encodeURIComponent(n.id) + '" data-i="' + h[2] + '"' + (h[2] === current ? ' class="on"' : '') +
        '><span class="badge">' + esc(n.type) + '</span>' + esc(n.name) + '</a>';
    }).join('') + (hits.length > shown.length ? '<div class="more">' + (hits.length - shown.length) + ' more — refine the search</div>' : '');
  }
  search.addEventListener('input', renderResults);
  search.addEventListener('keydown', function (e) {
    var first = results.querySelector('a');
    if (e.key === 'Enter' && first) location.hash = first.getAttribute('href');
  });

  // ---- lineage graph: neighbourhood, longest-path layers, SVG ----
  function neighbourhood(focus) {
    var level = new Map([[focus, 0]]);
    var walk = function (next, limit, sign) {
      var frontier = [focus];
      for (var d = 1; d <= limit && frontier.length; d++) {
        var found = [];
        frontier.forEach(function (v) {
          next(v).forEach(function (w) {
            if (nodes[w].type === 'test' || nodes[w].type === 'macro' || level.has(w)) return;
            level.set(w, sign * d); found.push(w);
          });
        });
        frontier = found;
      }
    };
    walk(function (v) { return nodes[v].parents; }, depthUp, -1);
    walk(function (v) { return children[v]; }, depthDown, 1);
    return level;
  }
  function layout(focus) {
    var members = neighbourhood(focus);
    var ids = Array.from(members.keys());
    var inSet = function (v) { return members.has(v); };
    var indeg = new Map(ids.map(function (v) { return [v, nodes[v].parents.filter(inSet).length]; }));
    var queue = ids.filter(function (v) { return indeg.get(v) === 0; });
    var layer = new Map(), topo = [];
    while (queue.length) {
      var v = queue.shift(); topo.push(v);
      var l = 0;
      nodes[v].parents.forEach(function (p) { if (layer.has(p)) l = Math.max(l, layer.get(p) + 1); });
      layer.set(v, l);
      children[v].forEach(function (c) {
        if (!inSet(c)) return;
        indeg.set(c, indeg.get(c) - 1);
        if (indeg.get(c) === 0) queue.push(c);
      });
    }
    var columns = [], pos = new Map();
    topo.forEach(function (v) { (columns[layer.get(v)] = columns[layer.get(v)] || []).push(v); });
    columns.forEach(function (col) {
      // Order each layer by the mean position of its parents (one barycentre pass: fewer crossings).
      col.forEach(function (v) {
        var ps = nodes[v].parents.filter(function (p) { return pos.has(p); });
        pos.set(v, ps.length ? ps.reduce(function (s, p) { return s + pos.get(p); }, 0) / ps.length : 1e9 + v);
      });
      col.sort(function (a, b) { return pos.get(a) - pos.get(b); });
      col.forEach(function (v, k) { pos.set(v, k); });
    });
    return { columns: columns, pos: pos, layer: layer, members: members };
  }
  var W = 190, H = 30, GX = 70, GY = 12, MAX_PER_LAYER = 80;
  function drawGraph(focus) {
    var g = layout(focus), out = [], edges = [], xy = new Map(), height = 0;
    g.columns.forEach(function (col, x) {
      col.slice(0, MAX_PER_LAYER).forEach(function (v, k) { xy.set(v, [x * (W + GX) + 10, k * (H + GY) + 10]); });
      var rows = Math.min(col.length, MAX_PER_LAYER) + (col.length > MAX_PER_LAYER ? 1 : 0);
      height = Math.max(height, rows * (H + GY) + 10);
      if (col.length > MAX_PER_LAYER)
        out.push('<g class="more"><text x="' + (x * (W + GX) + 14) + '" y="' + (MAX_PER_LAYER * (H + GY) + 30) + '">+' + (col.length - MAX_PER_LAYER) + ' more</text></g>');
    });
    xy.forEach(function (a, v) {
      nodes[v].parents.forEach(function (p) {
        var b = xy.get(p);
        if (!b) return;
        var x1 = b[0] + W, y1 = b[1] + H / 2, x2 = a[0], y2 = a[1] + H / 2, mx = (x1 + x2) / 2;
        edges.push('<path class="e" d="M' + x1 + ' ' + y1 + 'C' + mx + ' ' + y1 + ' ' + mx + ' ' + y2 + ' ' + x2 + ' ' + y2 + '"/>');
      });
    });
    xy.forEach(function (a, v) {
      var n = nodes[v], label = n.name.length > 26 ? n.name.slice(0, 25) + '…' : n.name;
      out.push('<g class="n ' + esc(n.type) + (v === focus ? ' focus' : '') + '" data-i="' + v + '" transform="translate(' + a[0] + ',' + a[1] + ')">' +
        '<title>' + esc(n.id) + '</title><rect width="' + W + '" height="' + H + '"></rect><text x="8" y="19">' + esc(label) + '</text></g>');
    });
    var width = g.columns.length * (W + GX) + 10;
    return '<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="' + width + '" height="' + height + '">' + edges.join('') + out.join('') + '</svg>';
  }

  // ---- pages ----
  function columnsTable(n) {
    if (!n.columns.length) return '';
    return '<h2>Columns</h2><table class="cols"><thead><tr><th>Column</th><th>Type</th><th>Description</th><th>Tests</th><th>Lineage</th></tr></thead><tbody>' +
      n.columns.map(function (c) {
        var from = c.from.map(function (f) {
          var text = nodes[f[0]].name + '.' + f[1];
          return (f[2] ? 'from ' : 'computed from ') + '<a href="#!/' + encodeURIComponent(nodes[f[0]].id) + '">' + esc(text) + '</a>';
        }).join('<br>');
        return '<tr><td><code>' + esc(c.name) + '</code></td><td><code>' + esc(c.type) + '</code></td><td>' + esc(c.desc) + '</td><td>' +
          c.tests.map(function (t) { return '<span class="test">' + esc(t) + '</span>'; }).join('') + '</td><td class="lineage">' + from + '</td></tr>';
      }).join('') + '</tbody></table>';
  }
  function list(title, items) {
    if (!items.length) return '';
    return '<h2>' + title + ' (' + items.length + ')</h2><ul class="links">' +
      items.map(function (i) { return '<li>' + link(i) + ' <span class="badge">' + esc(nodes[i].type) + '</span></li>'; }).join('') + '</ul>';
  }
  function page(i) {
    var n = nodes[i], meta = [];
    if (n.relation) meta.push(['Relation', '<code>' + esc(n.relation) + '</code>']);
    if (n.mat) meta.push(['Materialized', esc(n.mat)]);
    if (n.path) meta.push(['File', '<code>' + esc(n.path) + '</code>']);
    if (n.tags.length) meta.push(['Tags', esc(n.tags.join(', '))]);
    if (n.stats.rows !== undefined) meta.push(['Rows', n.stats.rows.toLocaleString('en-US')]);
    if (n.stats.bytes !== undefined) meta.push(['Size', bytes(n.stats.bytes)]);
    if (n.stats.modified) meta.push(['Last modified', esc(n.stats.modified)]);
    var graph = n.type === 'test' || n.type === 'macro' ? '' :
      '<h2>Lineage</h2><div class="controls">upstream <input id="up" type="number" min="0" max="20" value="' + depthUp +
      '"> downstream <input id="down" type="number" min="0" max="20" value="' + depthDown + '"> — click a node to open it</div><div id="graphbox">' + drawGraph(i) + '</div>';
    main.innerHTML = '<h1><span class="badge">' + esc(n.type) + '</span>' + esc(n.name) + '</h1><div class="desc">' + markdown(n.desc) + '</div>' +
      '<table class="meta">' + meta.map(function (m) { return '<tr><td>' + m[0] + '</td><td>' + m[1] + '</td></tr>'; }).join('') + '</table>' +
      columnsTable(n) + graph + list('Depends on', n.parents) + list('Referenced by', children[i]) + list('Tests', testsOf[i]) +
      (n.raw ? '<h2>Source</h2><details open><summary>' + (n.type === 'macro' ? 'Macro' : 'Raw SQL') + '</summary><pre><code>' + esc(n.raw) + '</code></pre></details>' : '') +
      (n.compiled ? '<details><summary>Compiled SQL</summary><pre><code id="compiled">' + esc(n.compiled) + '</code></pre></details>' : '');
    var onDepth = function () {
      depthUp = Math.max(0, Math.min(20, Number(document.getElementById('up').value) || 0));
      depthDown = Math.max(0, Math.min(20, Number(document.getElementById('down').value) || 0));
      document.getElementById('graphbox').innerHTML = drawGraph(i);
    };
    if (graph) {
      document.getElementById('up').addEventListener('change', onDepth);
      document.getElementById('down').addEventListener('change', onDepth);
    }
  }
  function home() {
    var counts = {};
    nodes.forEach(function (n) { counts[n.type] = (counts[n.type] || 0) + 1; });
    main.innerHTML = '<h1>' + esc(data.project) + '</h1>' + markdown(data.overview || 'Documentation generated by dema.') +
      '<table class="meta">' + Object.keys(counts).sort().map(function (k) { return '<tr><td>' + esc(k) + 's</td><td>' + counts[k] + '</td></tr>'; }).join('') + '</table>';
  }
  function route() {
    var id = decodeURIComponent(location.hash.replace(/^#!\//, ''));
    current = byId.has(id) ? byId.get(id) : -1;
    if (current >= 0) page(current); else home();
    main.scrollTop = 0;
    renderResults();
  }
  main.addEventListener('click', function (e) {
    var g = e.target.closest && e.target.closest('g.n');
    if (g) location.hash = '#!/' + encodeURIComponent(nodes[Number(g.getAttribute('data-i'))].id);
  });
  window.addEventListener('hashchange', route);
  route();
  document.body.setAttribute('data-ready', '1');
})();
`;
