/**
 * The dashboard's browser code, inlined into the page (no CDN, works offline). It reads only the
 * app's /api endpoints, sending the token it was opened with. Charts are plain SVG; each bar and
 * point carries its exact value in `data-value` (the API's decimal string) so tests can read it.
 */
export const DASHBOARD_SCRIPT = `
'use strict';
var params = new URLSearchParams(location.search);
var token = params.get('token') || '';
var state = { merchant: params.get('merchant') || '', currency: params.get('currency') || '',
  from: params.get('from') || '', to: params.get('to') || '', category: params.get('category') || '',
  channel: params.get('channel') || '' };
var options = null;

function $(id) { return document.getElementById(id); }
function el(tag, attrs, text) {
  var ns = /^(svg|rect|text|line|polyline|circle|g|title)$/.test(tag) ? 'http://www.w3.org/2000/svg' : null;
  var node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = text;
  return node;
}
function api(path, query) {
  var headers = token ? { Authorization: 'Bearer ' + token } : {};
  var qs = new URLSearchParams();
  for (var k in query || {}) if (query[k]) qs.set(k, query[k]);
  return fetch(path + '?' + qs.toString(), { headers: headers }).then(function (r) {
    return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.statusText); return body; });
  });
}
function fmt(value) {
  var n = Number(value);
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : 2 });
}
function fill(select, values, selected, allLabel) {
  select.innerHTML = '';
  if (allLabel) select.appendChild(el('option', { value: '' }, allLabel));
  values.forEach(function (v) { var o = el('option', { value: v }, v); if (v === selected) o.selected = true; select.appendChild(o); });
}
function currenciesFor(merchant) {
  var seen = [];
  options.currencies.forEach(function (p) { if ((!merchant || p.merchant === merchant) && seen.indexOf(p.currency) < 0) seen.push(p.currency); });
  return seen.sort();
}

/** A bar chart: one <rect class="bar"> per row, data-key and data-value exact. */
function barChart(id, title, rows, key, measure, unit) {
  var box = $(id); box.innerHTML = '';
  box.appendChild(el('h3', {}, title + (unit ? ' (' + unit + ')' : '')));
  var width = 560, height = 220, left = 70, bottom = 60, top = 10;
  var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
  var max = Math.max.apply(null, rows.map(function (r) { return Number(r[measure]); }).concat([0]));
  var min = Math.min.apply(null, rows.map(function (r) { return Number(r[measure]); }).concat([0]));
  var span = (max - min) || 1, plot = height - bottom - top;
  var zeroY = top + plot * (max / span);
  svg.appendChild(el('line', { x1: left, x2: width, y1: zeroY, y2: zeroY, class: 'axis' }));
  svg.appendChild(el('text', { x: left - 6, y: top + 10, class: 'tick', 'text-anchor': 'end' }, fmt(max)));
  var step = rows.length ? (width - left) / rows.length : 0;
  rows.forEach(function (r, i) {
    var v = Number(r[measure]);
    var h = plot * Math.abs(v) / span;
    var rect = el('rect', { class: 'bar', x: left + i * step + step * 0.1, width: Math.max(step * 0.8, 1),
      y: v >= 0 ? zeroY - h : zeroY, height: Math.max(h, 0.5), 'data-key': String(r[key]), 'data-value': String(r[measure]) });
    rect.appendChild(el('title', {}, r[key] + ': ' + r[measure]));
    svg.appendChild(rect);
    var label = String(r[key]);
    svg.appendChild(el('text', { x: left + i * step + step / 2, y: height - bottom + 14, class: 'tick',
      'text-anchor': 'end', transform: 'rotate(-35 ' + (left + i * step + step / 2) + ' ' + (height - bottom + 14) + ')' },
      label.length > 14 ? label.slice(0, 13) + '…' : label));
  });
  box.appendChild(svg);
  if (!rows.length) box.appendChild(el('p', { class: 'empty' }, 'No data for these filters.'));
}

/** A line chart: one <circle class="point"> per row, data-key and data-value exact. */
function lineChart(id, title, rows, key, measure, unit) {
  var box = $(id); box.innerHTML = '';
  box.appendChild(el('h3', {}, title + (unit ? ' (' + unit + ')' : '')));
  var width = 560, height = 220, left = 70, bottom = 40, top = 10;
  var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
  var max = Math.max.apply(null, rows.map(function (r) { return Number(r[measure]); }).concat([1]));
  var plot = height - bottom - top;
  var step = rows.length > 1 ? (width - left - 40) / (rows.length - 1) : 0;
  var points = rows.map(function (r, i) { return [left + 10 + i * step, top + plot - plot * Number(r[measure]) / max]; });
  svg.appendChild(el('line', { x1: left, x2: width, y1: top + plot, y2: top + plot, class: 'axis' }));
  svg.appendChild(el('text', { x: left - 6, y: top + 10, class: 'tick', 'text-anchor': 'end' }, fmt(max)));
  svg.appendChild(el('polyline', { class: 'line', points: points.map(function (p) { return p.join(','); }).join(' ') }));
  rows.forEach(function (r, i) {
    var c = el('circle', { class: 'point', cx: points[i][0], cy: points[i][1], r: 3.5, 'data-key': String(r[key]), 'data-value': String(r[measure]) });
    c.appendChild(el('title', {}, r[key] + ': ' + r[measure]));
    svg.appendChild(c);
    svg.appendChild(el('text', { x: points[i][0], y: height - bottom + 16, class: 'tick', 'text-anchor': 'middle' }, String(r[key]).slice(0, 7)));
  });
  box.appendChild(svg);
}

function totalsTable(rows) {
  var table = $('finance-table'); table.innerHTML = '';
  var cols = ['month', 'category', 'sub_category', 'orders', 'order_lines', 'units', 'shipping', 'revenue'];
  var head = el('tr'); cols.forEach(function (c) { head.appendChild(el('th', {}, c)); });
  table.appendChild(head);
  rows.forEach(function (r) {
    var tr = el('tr', { class: 'row' });
    cols.forEach(function (c) { tr.appendChild(el('td', { 'data-col': c, 'data-value': String(r[c]) }, c === 'month' || c === 'category' || c === 'sub_category' ? r[c] : fmt(r[c]))); });
    table.appendChild(tr);
  });
}

var generation = 0;
function render() {
  // Only the latest request may draw: an earlier, slower answer must not overwrite a newer filter.
  var mine = ++generation;
  var asked = JSON.stringify(state);
  var query = { merchant: state.merchant, currency: state.currency, from: state.from, to: state.to };
  var shown = new URLSearchParams();
  for (var k in state) if (state[k]) shown.set(k, state[k]);
  if (token) shown.set('token', token);
  history.replaceState(null, '', '?' + shown.toString());
  $('status').textContent = 'Loading…';
  var finance = api('/api/finance', Object.assign({ category: state.category }, query));
  var marketing = api('/api/marketing', Object.assign({ channel: state.channel }, query));
  return Promise.all([finance, marketing]).then(function (res) {
    if (mine !== generation) return;
    var f = res[0], m = res[1], cur = state.currency;
    barChart('chart-revenue-month', 'Revenue by month', f.byMonth, 'month', 'revenue', cur);
    barChart('chart-units-month', 'Units ordered by month', f.byMonth, 'month', 'units');
    barChart('chart-shipping-month', 'Shipping by month', f.byMonth, 'month', 'shipping', cur);
    barChart('chart-revenue-category', 'Revenue by category', f.byCategory, 'category', 'revenue', cur);
    lineChart('chart-orders-month', 'Orders by month', m.byMonth, 'key', 'orders');
    barChart('chart-revenue-channel', 'Revenue by channel', m.byChannel, 'key', 'revenue', cur);
    barChart('chart-orders-channel', 'Orders by channel', m.byChannel, 'key', 'orders');
    barChart('chart-revenue-channel-group', 'Revenue by channel group', m.byChannelGroup, 'key', 'revenue', cur);
    barChart('chart-revenue-campaign', 'Revenue by campaign (top 15)', m.byCampaign, 'key', 'revenue', cur);
    totalsTable(f.table);
    $('status').textContent = 'Amounts in ' + cur + (state.merchant ? ' for ' + state.merchant : ' for all merchants') + '.';
    document.body.setAttribute('data-ready', asked);
  }).catch(function (e) { $('status').textContent = 'Error: ' + e.message; });
}

function controls() {
  fill($('merchant'), options.merchants, state.merchant, 'All merchants');
  var currencies = currenciesFor(state.merchant);
  if (currencies.indexOf(state.currency) < 0) state.currency = currencies[0] || '';
  fill($('currency'), currencies, state.currency);
  fill($('category'), options.categories, state.category, 'All categories');
  fill($('channel'), options.channels, state.channel, 'All channels');
  $('from').value = state.from || (options.months.first || '').slice(0, 7);
  $('to').value = state.to || (options.months.last || '').slice(0, 7);
}

['merchant', 'currency', 'category', 'channel', 'from', 'to'].forEach(function (id) {
  $(id).addEventListener('change', function () { state[id] = $(id).value; controls(); render(); });
});
api('/api/filters').then(function (o) { options = o; controls(); return render(); })
  .catch(function (e) { $('status').textContent = 'Error: ' + e.message; });
`;
