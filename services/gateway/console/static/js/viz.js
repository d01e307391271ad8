// Apache ECharts for the dashboard, loaded from the gateway's own origin (/console/vendor/, installed
// from npm by `make console-vendor`). Without it the page still works: loadECharts() answers null and
// the callers show their figures as tables. Charts draw as SVG, so their text can be measured.
import { h } from './dom.js';

const VENDOR = '/console/vendor';
/** No chart text below this many CSS pixels: legible on a phone. */
export const FONT = 12;
export const FONT_FAMILY = "system-ui, -apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif";
export const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#7c3aed', '#c8102e', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

let loading = null;
export function loadECharts() {
  loading ||= import(`${VENDOR}/echarts.esm.min.js`).catch(() => null);
  return loading;
}

const maps = new Map();
/** Registers the boundaries of the areas under `code` (Hebei or one of its cities) as map `hebei-<code>`,
 *  with each region named by its area code (adcode), so figures are matched by code, never by name. */
export function loadMap(echarts, code) {
  if (!maps.has(code)) {
    maps.set(code, fetch(`${VENDOR}/maps/${code}.json`).then((r) => (r.ok ? r.json() : null)).then((geo) => {
      if (!geo?.features) return null;
      const features = geo.features.filter((f) => f.properties?.adcode != null)
        .map((f) => ({ ...f, properties: { ...f.properties, adcode: String(f.properties.adcode) } }));
      const name = `hebei-${code}`;
      echarts.registerMap(name, { type: 'FeatureCollection', features });
      return { name, codes: new Set(features.map((f) => f.properties.adcode)) };
    }).catch(() => null));
  }
  return maps.get(code);
}

const live = new Set();

/** Draws `option` into `el` once it is on the page and has a size, and follows its size afterwards. */
export function mount(echarts, el, option, { onClick = null } = {}) {
  let chart = null;
  const observer = new ResizeObserver(() => {
    if (!el.isConnected) { dispose(); return; }
    if (!el.clientWidth || !el.clientHeight) return;
    if (chart) { chart.resize(); return; }
    chart = echarts.init(el, null, { renderer: 'svg', locale: document.documentElement.lang === 'en' ? 'EN' : 'ZH' });
    chart.on('finished', () => { el.dataset.rendered = 'true'; });
    if (onClick) chart.on('click', onClick);
    chart.setOption(withBase(option));
  });
  function dispose() {
    observer.disconnect();
    chart?.dispose();
    chart = null;
    live.delete(dispose);
  }
  live.add(dispose);
  observer.observe(el);
  return dispose;
}

/** Disposes every chart drawn so far (before the page draws again). */
export function disposeAll() { for (const dispose of [...live]) dispose(); }

function withBase(option) {
  return {
    animation: false, // drawn at once: no half-drawn chart on a slow phone or in a screenshot
    color: PALETTE,
    textStyle: { fontFamily: FONT_FAMILY, fontSize: FONT, color: '#1f2430' },
    aria: { enabled: true },
    ...option,
    tooltip: option.tooltip === false ? { show: false }
      : { confine: true, textStyle: { fontSize: 13 }, borderWidth: 1, ...(option.tooltip || {}) },
  };
}

/** An axis with legible labels. */
export const axis = ({ axisLabel = {}, ...extra } = {}) => ({
  nameTextStyle: { fontSize: FONT, color: '#5d6577' },
  splitLine: { lineStyle: { color: '#eef0f5' } },
  ...extra,
  axisLabel: { fontSize: FONT, color: '#394050', hideOverlap: true, ...axisLabel },
});

export const legend = (extra = {}) => ({ top: 0, itemWidth: 14, itemHeight: 10, textStyle: { fontSize: FONT }, ...extra });

/** A tooltip's content as elements (no HTML strings: the page's CSP allows no inline style attributes;
 *  a colour set through the CSSOM is allowed). */
export function tip(title, rows) {
  return h('div', { class: 'chart-tip' }, h('b', {}, title),
    rows.filter(Boolean).map(([k, v, color]) => {
      const dot = color ? h('span', { class: 'chart-tip-dot' }) : null;
      if (dot) dot.style.backgroundColor = color;
      return h('div', {}, dot, h('span', {}, k), ' ', h('b', {}, v));
    }));
}
