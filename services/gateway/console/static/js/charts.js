// Hand-written SVG charts: bars, grouped bars, lines, donuts, gauges and a five-actor radar.
// Each draws into a viewBox and scales to its card; <title> elements give the exact values on hover.
import { h, s, num } from './dom.js';
import { L } from './i18n.js';

export const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#7c3aed', '#c8102e', '#0891b2', '#ca8a04', '#db2777', '#4b5563',
  '#65a30d', '#9333ea', '#0f766e'];
const color = (i) => PALETTE[i % PALETTE.length];

function svg(width, height, label, ...children) {
  return chart('', width, height, label, ...children);
}

function chart(kind, width, height, label, ...children) {
  return s('svg', { class: `chart ${kind}`.trim(), 'data-kind': kind || null, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label,
    preserveAspectRatio: 'xMidYMid meet' }, s('title', {}, label), ...children);
}

/** A legend: [{name, color}] (or plain names, coloured by the palette in order). */
export function legend(items) {
  return h('div', { class: 'legend' }, items.map((it, i) => {
    const name = typeof it === 'string' ? it : it.name;
    const fill = (typeof it === 'string' ? null : it.color) || color(i);
    return h('span', {}, s('svg', { width: 10, height: 10, class: 'swatch', 'aria-hidden': 'true' }, s('rect', { width: 10, height: 10, rx: 2, fill })), ' ', name);
  }));
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const shorten = (text, n) => (String(text).length > n ? `${String(text).slice(0, n - 1)}…` : String(text));

/** Horizontal bars: [{label, value}] sorted by the caller; value text at the end of each bar. */
export function hbars(items, { label = '', format = (v) => num(v), colors = null } = {}) {
  const rowH = 26;
  const W = 420;
  const wide = (t) => [...String(t)].reduce((a, ch) => a + (ch.charCodeAt(0) > 0x2e80 ? 12.5 : 6.6), 0);
  const labelW = Math.max(60, Math.min(170, Math.max(...items.map((i) => wide(i.label)), 0) + 10));
  const room = Math.floor((labelW - 8) / 6.6);
  const H = Math.max(rowH * items.length + 6, 30);
  const max = niceMax(Math.max(...items.map((i) => i.value), 0));
  const barW = W - labelW - 64;
  return svg(W, H, label, items.map((it, i) => {
    const y = i * rowH + 4;
    const w = Math.max((it.value / max) * barW, it.value > 0 ? 2 : 0);
    return s('g', { class: 'bar', 'data-label': it.label, 'data-value': it.value },
      s('title', {}, `${it.label}: ${format(it.value)}`),
      s('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', 'font-size': 12 }, wide(it.label) > labelW - 8 ? shorten(it.label, /[\u2e80-\uffff]/.test(it.label) ? Math.floor(room / 2) : room) : it.label),
      s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 10, rx: 3, fill: colors ? colors[i] : color(0) }),
      s('text', { x: labelW + w + 5, y: y + 15, 'font-size': 12 }, format(it.value)));
  }));
}

/** Vertical bars over categories (e.g. months), one or more series side by side. */
export function vbars(labels, series, { label = '', format = (v) => num(v), height = 210, integer = true } = {}) {
  const W = 440;
  const H = height;
  const left = 44;
  const bottom = 26;
  const top = 10;
  const plotH = H - bottom - top;
  const plotW = W - left - 6;
  const top0 = Math.max(0, ...series.flatMap((sr) => sr.values.map((v) => v || 0)));
  const max = integer && top0 <= 4 ? 4 : niceMax(top0);
  const band = plotW / Math.max(labels.length, 1);
  const inner = Math.min(band * 0.78, 46);
  const barW = inner / series.length;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return svg(W, H, label,
    ticks.map((t) => {
      const y = top + plotH - t * plotH;
      return s('g', {}, s('line', { class: 'grid-line', x1: left, x2: W - 4, y1: y, y2: y }),
        s('text', { x: left - 5, y: y + 4, 'text-anchor': 'end', 'font-size': 10 }, format(max * t)));
    }),
    s('line', { class: 'axis', x1: left, x2: W - 4, y1: top + plotH, y2: top + plotH }),
    labels.map((lab, i) => {
      const x0 = left + i * band + (band - inner) / 2;
      const every = Math.ceil(labels.length / 12);
      return s('g', {},
        series.map((sr, j) => {
          const v = sr.values[i] || 0;
          const hgt = (v / max) * plotH;
          return s('rect', { x: x0 + j * barW, y: top + plotH - hgt, width: Math.max(barW - 2, 1), height: hgt, rx: 2,
            fill: sr.color || color(j), 'data-series': sr.name, 'data-value': v }, s('title', {}, `${lab} ${sr.name}: ${format(v)}`));
        }),
        i % every === 0 && s('text', { x: left + i * band + band / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 10 }, lab));
    }));
}

/** Lines over categories; a null value leaves a gap. */
export function lines(labels, series, { label = '', format = (v) => num(v, 1), height = 200 } = {}) {
  const W = 440;
  const H = height;
  const left = 44;
  const bottom = 26;
  const top = 12;
  const plotH = H - bottom - top;
  const plotW = W - left - 14;
  const max = niceMax(Math.max(0, ...series.flatMap((sr) => sr.values.filter((v) => v != null))));
  const step = labels.length > 1 ? plotW / (labels.length - 1) : 0;
  const x = (i) => left + (labels.length > 1 ? i * step : plotW / 2);
  const y = (v) => top + plotH - (v / max) * plotH;
  const every = Math.ceil(labels.length / 12);
  return svg(W, H, label,
    [0, 0.5, 1].map((t) => s('g', {},
      s('line', { class: 'grid-line', x1: left, x2: W - 6, y1: top + plotH - t * plotH, y2: top + plotH - t * plotH }),
      s('text', { x: left - 5, y: top + plotH - t * plotH + 4, 'text-anchor': 'end', 'font-size': 10 }, format(max * t)))),
    s('line', { class: 'axis', x1: left, x2: W - 6, y1: top + plotH, y2: top + plotH }),
    labels.map((lab, i) => i % every === 0 && s('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', 'font-size': 10 }, lab)),
    series.map((sr, j) => {
      const c = sr.color || color(j);
      let d = '';
      let pen = false;
      sr.values.forEach((v, i) => {
        if (v == null) { pen = false; return; }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      });
      return s('g', { 'data-series': sr.name },
        s('path', { d, fill: 'none', stroke: c, 'stroke-width': 2.5, 'stroke-linejoin': 'round' }),
        sr.values.map((v, i) => v != null && s('circle', { cx: x(i), cy: y(v), r: 3.5, fill: '#fff', stroke: c, 'stroke-width': 2 },
          s('title', {}, `${labels[i]} ${sr.name}: ${format(v)}`))));
    }));
}

function polar(cx, cy, r, angle) {
  return [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
}

function arc(cx, cy, r, a0, a1) {
  const [x0, y0] = polar(cx, cy, r, a0);
  const [x1, y1] = polar(cx, cy, r, a1);
  const large = a1 - a0 > Math.PI ? 1 : 0;
  return `M${x0.toFixed(2)},${y0.toFixed(2)}A${r},${r} 0 ${large} 1 ${x1.toFixed(2)},${y1.toFixed(2)}`;
}

/** A donut of parts [{label, value, color?}] with a figure in the middle. */
export function donut(items, { label = '', center = null, centerLabel = '' } = {}) {
  const total = items.reduce((a, i) => a + (i.value || 0), 0);
  const W = 200;
  const cx = 100;
  const cy = 100;
  const r = 72;
  let a = -Math.PI / 2;
  const parts = total > 0 ? items.filter((i) => i.value > 0).map((it) => {
    const share = it.value / total;
    const a0 = a;
    const a1 = a + share * Math.PI * 2;
    a = a1;
    const c = it.color || color(items.indexOf(it));
    const shape = share >= 0.9999
      ? s('circle', { cx, cy, r, fill: 'none', stroke: c, 'stroke-width': 26 })
      : s('path', { d: arc(cx, cy, r, a0, a1 - 0.004), fill: 'none', stroke: c, 'stroke-width': 26 });
    shape.append(s('title', {}, `${it.label}: ${num(it.value)} (${(share * 100).toFixed(1)}%)`));
    shape.setAttribute('data-label', it.label);
    shape.setAttribute('data-value', it.value);
    return shape;
  }) : [s('circle', { cx, cy, r, fill: 'none', stroke: '#eef0f5', 'stroke-width': 26 })];
  return chart('donut', W, W, label, parts,
    s('text', { x: cx, y: cy + 4, 'text-anchor': 'middle', 'font-size': 26, 'font-weight': 700 }, center ?? num(total)),
    s('text', { x: cx, y: cy + 24, 'text-anchor': 'middle', 'font-size': 11, fill: '#5d6577' }, centerLabel));
}

/** A small line without axes, for a trend beside a figure. */
export function sparkline(values, { label = '', color: stroke = '#b4232a' } = {}) {
  const W = 160;
  const H = 36;
  const known = values.filter((v) => v != null);
  if (known.length < 2) return null;
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  const y = (v) => H - 4 - ((v - lo) / (hi - lo || 1)) * (H - 8);
  const step = (W - 8) / (values.length - 1);
  let d = '';
  values.forEach((v, i) => { if (v != null) d += `${d ? 'L' : 'M'}${(4 + i * step).toFixed(1)},${y(v).toFixed(1)}`; });
  return chart('spark', W, H, label, s('path', { d, fill: 'none', stroke, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
}

/** A half-circle gauge of a value against its target (ratios 0–1 by default). */
export function gauge(value, target, { label = '', max = 1, format = (v) => `${(v * 100).toFixed(0)}%` } = {}) {
  const W = 200;
  const H = 124;
  const cx = 100;
  const cy = 104;
  const r = 78;
  const clamp = (v) => Math.max(0, Math.min(v / max, 1));
  const met = value != null && target != null && value >= target;
  const a0 = Math.PI;
  const children = [s('path', { d: arc(cx, cy, r, a0, 2 * Math.PI - 0.0001), fill: 'none', stroke: '#eef0f5', 'stroke-width': 18, 'stroke-linecap': 'round' })];
  if (value != null && value > 0) {
    children.push(s('path', { d: arc(cx, cy, r, a0, a0 + Math.max(clamp(value), 0.005) * Math.PI), fill: 'none',
      stroke: met ? '#1a7f37' : '#e08a00', 'stroke-width': 18, 'stroke-linecap': 'round' }));
  }
  if (target != null) {
    const at = a0 + clamp(target) * Math.PI;
    const [x0, y0] = polar(cx, cy, r - 14, at);
    const [x1, y1] = polar(cx, cy, r + 14, at);
    children.push(s('line', { x1: x0, y1: y0, x2: x1, y2: y1, stroke: '#1f2430', 'stroke-width': 2.5 },
      s('title', {}, `${L('目标', 'target')} ${format(target)}`)));
  }
  children.push(s('text', { x: cx, y: cy - 12, 'text-anchor': 'middle', 'font-size': 26, 'font-weight': 700 }, value == null ? '—' : format(value)));
  children.push(s('text', { x: cx, y: cy + 14, 'text-anchor': 'middle', 'font-size': 11, fill: '#5d6577' },
    target == null ? '' : `${L('目标', 'target')} ${format(target)}`));
  const el = chart('gauge', W, H, label, children);
  el.setAttribute('data-met', String(met));
  return el;
}

/** The five actors' shares on a pentagon (values 0–1). */
export function radar(axes, { label = '' } = {}) {
  const W = 260;
  const cx = 130;
  const cy = 128;
  const r = 88;
  const n = axes.length;
  const angle = (i) => -Math.PI / 2 + (i * 2 * Math.PI) / n;
  const ring = (f) => axes.map((_, i) => polar(cx, cy, r * f, angle(i)).map((v) => v.toFixed(1)).join(',')).join(' ');
  const shape = axes.map((a, i) => polar(cx, cy, r * Math.max(0, Math.min(a.value ?? 0, 1)), angle(i)).map((v) => v.toFixed(1)).join(',')).join(' ');
  return chart('radar', W, 256, label,
    [0.25, 0.5, 0.75, 1].map((f) => s('polygon', { points: ring(f), fill: 'none', stroke: '#e3e6ee' })),
    axes.map((_, i) => {
      const [x, y] = polar(cx, cy, r, angle(i));
      return s('line', { x1: cx, y1: cy, x2: x, y2: y, stroke: '#e3e6ee' });
    }),
    s('polygon', { points: shape, fill: 'rgba(180,35,42,.18)', stroke: '#b4232a', 'stroke-width': 2 }),
    axes.map((a, i) => {
      const [x, y] = polar(cx, cy, r + 22, angle(i));
      const [px, py] = polar(cx, cy, r * Math.max(0, Math.min(a.value ?? 0, 1)), angle(i));
      return s('g', {},
        s('circle', { cx: px, cy: py, r: 4, fill: a.color || '#b4232a' }, s('title', {}, `${a.label}: ${((a.value ?? 0) * 100).toFixed(0)}%`)),
        s('text', { x, y: y + 4, 'text-anchor': 'middle', 'font-size': 11, fill: a.color || '#394050' }, a.label));
    }));
}
