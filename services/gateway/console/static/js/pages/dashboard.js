// 数据看板: an area's needs, volunteering, organizations, projects, money, whistles, the policy's targets
// and the five-actor linkage, on Apache ECharts (viz.js): a map of Hebei by city and county coloured by
// the chosen indicator (a click goes down a level), rankings of the areas and communities below, trends
// by month, quarter or year, and every chart's figures as a table to read and to export (CSV, XLSX).
import { api, maybe } from '../api.js';
import { downloadCsv, downloadXlsx } from '../export.js';
import { badge, empty, fill, h, hours, num, tile, toast, yuan } from '../dom.js';
import { L, bi, lang } from '../i18n.js';
import {
  ACTOR_COLORS, actorLabel, area, categoryLabel, loadCategories, needStatus, projectStatus, sectionStatus, gradeLabel,
} from '../labels.js';
import { FONT, PALETTE, axis, disposeAll, legend, loadECharts, loadMap, mount, tip } from '../viz.js';

const STATUS_COLORS = { raised: '#e08a00', reopened: '#f59e0b', routed: '#2563eb', matched: '#0891b2', resolved: '#16a34a', closed: '#1a7f37', disputed: '#c62828', returned: '#6b7280' };
const MAP_COLORS = ['#fdecec', '#f4a3a3', '#d9534f', '#8e1b21'];
const BELOW = { province: ['各市', 'Cities'], city: ['各县（市、区）', 'Counties'], county: ['各乡镇（街道）', 'Townships'] };

// --- periods: 月 / 季 / 年 -------------------------------------------------------------------------------

const PERIODS = { month: ['月', 'Month'], quarter: ['季', 'Quarter'], year: ['年', 'Year'] };
const SHOWN = { month: 12, quarter: 8, year: 3 }; // buckets on a trend
const MONTHS = { month: 12, quarter: 24, year: 36 }; // months of history they need

const bucketOf = (month, period) => (period === 'year' ? month.slice(0, 4)
  : period === 'quarter' ? `${month.slice(0, 4)}-Q${Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1}` : month.slice(0, 7));

function bucketName(key, period, { short = false } = {}) {
  const y = key.slice(0, 4);
  if (period === 'year') return lang === 'en' ? y : `${y}年`;
  if (period === 'quarter') {
    const q = key.slice(6);
    return lang === 'en' ? `Q${q} ${short ? y.slice(2) : y}` : short ? `${y.slice(2)}年Q${q}` : `${y}年第${q}季度`;
  }
  const m = Number(key.slice(5, 7));
  if (lang === 'en') return new Date(Date.UTC(Number(y), m - 1, 1)).toLocaleString('en-GB', { month: 'short', year: short ? '2-digit' : 'numeric', timeZone: 'UTC' });
  return short ? (m === 1 ? `${y.slice(2)}年1月` : `${m}月`) : `${y}年${m}月`;
}

const beijingMonth = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);

/** Sums fields over the months of each bucket; the last `SHOWN` buckets, oldest first. */
function buckets(rows, period, fields) {
  const out = new Map();
  for (const r of rows) {
    const key = bucketOf(r.month, period);
    const b = out.get(key) || { key, weight: 0, weighted: 0 };
    for (const f of fields) b[f] = (b[f] || 0) + (r[f] || 0);
    if (r.median_first_response_hours != null && r.raised) {
      b.weighted += r.median_first_response_hours * r.raised;
      b.weight += r.raised;
    }
    out.set(key, b);
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key)).slice(-SHOWN[period])
    .map((b) => ({ ...b, response: b.weight ? b.weighted / b.weight : null }));
}

const trendRows = (d) => (Array.isArray(d) ? d : d?.months || []).slice().sort((a, b) => a.month.localeCompare(b.month));
const hourRows = (byMonth) => Object.entries(byMonth || {}).map(([month, v]) => ({ month, hours: v })).sort((a, b) => a.month.localeCompare(b.month));

// --- what the map and the rankings can show, per area below ---------------------------------------------

const data = (sec) => (sec?.status === 'available' ? sec.data : null);
const flow = (rows, field, key, period) => (rows.length ? rows.filter((r) => bucketOf(r.month, period) === key).reduce((a, r) => a + (r[field] || 0), 0) : null);

const INDICATORS = [
  { key: 'needs_total', zh: '需求总数', en: 'Needs', get: (c) => data(c.needs)?.total },
  { key: 'raised', zh: '新登记需求', en: 'Needs raised', flow: true, get: (c, k, p) => flow(trendRows(data(c.needs_trend)), 'raised', k, p) },
  { key: 'resolved', zh: '已解决需求', en: 'Needs resolved', flow: true, get: (c, k, p) => flow(trendRows(data(c.needs_trend)), 'resolved', k, p) },
  { key: 'resolution_rate', zh: '解决率', en: 'Resolution rate', ratio: true, get: (c) => data(c.needs)?.resolution_rate },
  { key: 'satisfaction', zh: '居民满意度', en: 'Satisfaction', digits: 2, get: (c) => data(c.needs)?.mean_satisfaction },
  { key: 'overdue', zh: '超时未响应', en: 'Overdue', get: (c) => data(c.needs)?.overdue },
  { key: 'response_p50', zh: '首次响应中位数', en: 'Median first response', unit: ['小时', 'hours'], digits: 1, get: (c) => data(c.needs)?.first_response_hours?.p50 },
  { key: 'volunteers', zh: '注册志愿者', en: 'Volunteers', get: (c) => data(c.volunteers)?.registered },
  { key: 'hours', zh: '志愿服务时长', en: 'Volunteer hours', unit: ['小时', 'hours'], digits: 1, flow: true, get: (c, k, p) => flow(hourRows(data(c.volunteers)?.hours_by_month), 'hours', k, p) },
  { key: 'linkage', zh: '五社联动指数', en: 'Linkage index', digits: 2, get: (c) => data(c.linkage)?.index },
];
const indicatorOf = (key) => INDICATORS.find((i) => i.key === key) || INDICATORS[0];

/** The column head: name, the period for a flow, the unit (Chinese first). */
function indicatorLabel(ind, env) {
  const parts = [ind.flow && bucketName(env.current, env.period), ind.ratio ? '%' : ind.unit && L(...ind.unit)].filter(Boolean);
  const name = L(ind.zh, ind.en);
  return parts.length ? (lang === 'en' ? `${name} (${parts.join(', ')})` : `${name}（${parts.join('，')}）`) : name;
}

/** The figure as it is shown and exported: a ratio in per cent, rounded as displayed; null stays empty. */
function figure(ind, v) {
  if (v == null || Number.isNaN(Number(v))) return null;
  const x = ind.ratio ? Number(v) * 100 : Number(v);
  const d = ind.ratio ? 1 : ind.digits || 0;
  return Math.round(x * 10 ** d) / 10 ** d;
}
const digitsOf = (ind) => (ind.ratio ? 1 : ind.digits || 0);

// --- data ----------------------------------------------------------------------------------------------

async function section(service, promise) {
  try {
    return { service, status: 'available', data: await promise };
  } catch (err) {
    return { service, status: err.status === 403 ? 'forbidden' : err.status === 404 ? 'not_found' : 'unavailable', data: null };
  }
}

const viewMissing = (err) => err.status === 404 && /views/.test(err.problem?.detail || '');

async function dashboardOf(code) {
  try {
    return await api('/views/dashboard', { query: { area: code } });
  } catch (err) {
    if (!viewMissing(err)) throw err;
  }
  // the composed view not deployed yet: what the services' own statistics give
  const q = { query: { area: code } };
  const [needs, volunteers, organizations, whistles] = await Promise.all([
    section('needs', api('/needs/stats', q)), section('volunteers', api('/volunteers/stats', q)),
    section('projects', api('/organizations/stats', q)), section('party', api('/whistles/stats', q))]);
  const missing = (service) => ({ service, status: 'unavailable', data: null });
  const a = await area(code);
  return { area_code: code, area_name: a?.name || '', level: a?.level || '', needs, volunteers, organizations, whistles,
    needs_trend: missing('needs'), projects: missing('projects'), funds: missing('charity'), linkage: missing('needs') };
}

async function kpisOf(code) {
  try {
    return await api('/views/kpis', { query: { area: code } });
  } catch (err) {
    if (viewMissing(err)) return null;
    throw err;
  }
}

/** The figures of each area directly under a province, city or county. */
async function childrenOf(code, level) {
  if (!BELOW[level]) return null;
  return section('gateway', api('/views/dashboard/children', { query: { area: code } }));
}

/** Months of history beyond the view's twelve, for quarters and years (asked once, when chosen). */
async function longer(env, period) {
  if (period === 'month') return;
  const key = `months-${MONTHS[period]}`;
  if (env.long[key]) return;
  const q = { query: { area: env.code, months: MONTHS[period] } };
  const [needs, funds] = await Promise.all([
    env.dash.needs_trend?.status === 'available' ? section('needs', api('/needs/trend', q)) : null,
    env.dash.funds?.status === 'available' ? section('charity', api('/funds/flows', q)) : null]);
  env.long[key] = { needs, funds };
}

function historyOf(env, which) {
  const long = env.period === 'month' ? null : env.long[`months-${MONTHS[env.period]}`]?.[which];
  if (long?.status === 'available') return long.data;
  return data(env.dash[which === 'needs' ? 'needs_trend' : 'funds']);
}

let stylesheet = null;
function ensureStyles() {
  if (stylesheet?.isConnected) return Promise.resolve();
  stylesheet = h('link', { rel: 'stylesheet', href: '/console/css/dashboard.css' });
  const ready = new Promise((resolve) => { stylesheet.onload = resolve; stylesheet.onerror = resolve; });
  document.head.append(stylesheet);
  return ready;
}

// --- the page --------------------------------------------------------------------------------------------

export async function render(ctx) {
  disposeAll();
  const styled = ensureStyles();
  await loadCategories();
  const who = ctx.who;
  const code = ctx.query.get('area') || who.area;
  const here = await area(code);
  const [dash, kpis, picker, echarts, kids] = await Promise.all([
    dashboardOf(code), kpisOf(code).catch(() => null), areaPicker(ctx, code), loadECharts(), childrenOf(code, here?.level)]);
  await styled;
  const lastMonth = trendRows(data(dash.needs_trend)).at(-1)?.month
    || trendRows(data(kids?.data?.children?.[0]?.needs_trend)).at(-1)?.month || beijingMonth();
  const env = {
    ctx, code, dash, kpis, here, echarts, kids: data(kids), kidsStatus: kids?.status, lastMonth, long: {}, tables: [],
    period: PERIODS[ctx.query.get('period')] ? ctx.query.get('period') : 'month',
    indicator: indicatorOf(ctx.query.get('indicator')).key,
  };
  env.current = bucketOf(lastMonth, env.period);
  const sections = ['needs', 'needs_trend', 'volunteers', 'organizations', 'projects', 'funds', 'whistles', 'linkage'];
  const closed = sections.every((k) => dash[k]?.status === 'forbidden');
  const body = h('div', { class: 'stack', id: 'dashboard-body' });
  const switcher = h('div', { class: 'period-switch', role: 'group', 'aria-label': L('统计周期', 'Period') },
    Object.entries(PERIODS).map(([p, label]) => h('button', { type: 'button', 'data-period': p, 'aria-pressed': String(p === env.period),
      onclick: () => choose({ period: p }) }, L(...label))));
  const page = h('div', { id: 'dashboard', class: 'stack', 'data-area': dash.area_code, 'data-level': dash.level },
    h('div', { class: 'page-head' }, h('h1', {}, L('数据看板', 'Dashboard'), ' · ', dash.area_name || here?.name || ''),
      !closed && h('div', { class: 'dash-tools' }, switcher,
        h('button', { type: 'button', class: 'small', id: 'export-all', onclick: () => exportAll(env) }, L('全部导出 XLSX', 'Export all (XLSX)')))),
    picker,
    !echarts && !closed && h('p', { class: 'notice', id: 'charts-missing' },
      L('图表组件未安装（make console-vendor），各项数据以表格显示。', 'The chart library is not installed (make console-vendor): the figures are shown as tables.')),
    tilesOf(dash), body);
  if (closed) {
    body.append(h('p', { class: 'notice' }, L('此角色无权查看辖区统计。', 'Area statistics are not open to your role.')));
    return page;
  }

  async function choose(change) {
    Object.assign(env, change);
    env.current = bucketOf(env.lastMonth, env.period);
    const q = new URLSearchParams({ area: env.code, period: env.period, indicator: env.indicator });
    history.replaceState(null, '', `#/dashboard?${q}`);
    for (const b of switcher.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.period === env.period));
    await longer(env, env.period);
    if (ctx.alive()) await draw();
  }

  async function draw() {
    disposeAll();
    env.tables = [];
    env.choose = choose;
    const cards = await cardsOf(env);
    fill(body, ...cards);
    body.dataset.period = env.period;
    body.dataset.indicator = env.indicator;
  }

  await longer(env, env.period);
  await draw();
  return page;
}

async function cardsOf(env) {
  const { dash } = env;
  const level = dash.level;
  const map = ['province', 'city', 'county'].includes(level) ? await mapCard(env) : null;
  return [h('div', { class: 'grid two' }, map, childRankingCard(env), level === 'county' && childrenTableCard(env), communityRankingCard(env),
    card(env, 'needs-by-category', L('需求类别分布', 'Needs by category'), dash.needs, categoryChart),
    card(env, 'needs-by-status', L('需求办理状态', 'Needs by status'), dash.needs, statusChart),
    card(env, 'needs-trend', trendTitle(L('需求登记与解决', 'Needs raised and resolved'), env), dash.needs_trend, () => trendChart(env)),
    card(env, 'hours-by-month', trendTitle(L('志愿服务时长', 'Volunteer hours'), env), dash.volunteers, (d) => hoursChart(d, env)),
    card(env, 'money-by-month', trendTitle(L('资金收支', 'Money in and out'), env), dash.funds, (d) => moneyChart(d, env)),
    card(env, 'projects', L('服务项目', 'Service projects'), dash.projects, projectsChart),
    card(env, 'whistles', L('社区吹哨响应', 'Whistle responses'), dash.whistles, whistleChart),
    card(env, 'organizations', L('社会组织', 'Social organizations'), dash.organizations, organizationsChart),
    card(env, 'linkage', L('五社联动指数', 'Five-actor linkage index'), dash.linkage, linkageChart),
    kpiCard(env))];
}

const trendTitle = (name, env) => (lang === 'en' ? `${name} (by ${env.period})` : `${name}（${{ month: '按月', quarter: '按季', year: '按年' }[env.period]}）`);

const safeName = (s) => String(s).replace(/[\\/:*?"<>|\s]+/g, '-');
const fileName = (env, title) => safeName(`${env.dash.area_name || env.here?.name || L('辖区', 'area')}-${title}-${bucketName(env.current, env.period)}`);

async function exportAll(env) {
  try {
    await downloadXlsx(env.tables.map((t) => t.table), fileName(env, L('数据看板', 'dashboard')));
  } catch {
    toast(L('XLSX 导出组件未安装（make console-vendor）', 'The XLSX writer is not installed (make console-vendor)'));
  }
}

/** A chart's card: title and export, then the chart (when ECharts is here) and the table behind it. */
function card(env, id, title, sec, build, { wide = false } = {}) {
  const status = sec?.status || 'unavailable';
  if (status === 'forbidden') return null;
  const head = h('h2', {}, title, status !== 'available' && h('span', { class: 'count section-status muted' }, sectionStatus(status)));
  const box = h('section', { class: `card${wide ? ' wide' : ''}`, 'data-chart': id, 'data-status': status }, head);
  if (status !== 'available') { box.append(empty(sectionStatus(status))); return box; }
  let built;
  try {
    built = build(sec.data, env);
  } catch (err) {
    box.append(empty(`${L('无法绘制', 'Cannot draw')}: ${err.message}`));
    return box;
  }
  const { option, table, before, after, height, tall, onClick, tools, emptyText, drawn = false, keep = false } = built;
  if (tools) head.append(tools);
  const hasRows = table && table.rows.length > 0;
  if (hasRows) {
    const named = { ...table, title: table.title || title };
    env.tables.push({ id, table: named });
    head.append(exportButtons(env, named));
  }
  if (before) box.append(before);
  if (!hasRows && !before) { box.append(empty(emptyText)); if (after) box.append(after); return box; }
  const charted = Boolean(option && env.echarts && hasRows && (keep || !allZero(table)));
  if (charted) {
    const el = h('div', { class: `chart-box${tall ? ' tall' : ''}`, 'data-chart-box': id });
    if (height) el.style.height = `${height}px`;
    box.append(el);
    mount(env.echarts, el, option, { onClick });
  }
  if (hasRows) box.append(dataTable(table, { open: !charted && !(drawn && env.echarts) }));
  if (after) box.append(after);
  return box;
}

/** Nothing but zeros (or blanks) in a table's numbers: a chart of it would show nothing. */
const allZero = (table) => table.rows.every((r) => r.every((v, i) => !table.columns[i].num || table.columns[i].rank || !v));

function exportButtons(env, table) {
  return h('span', { class: 'chart-actions' },
    h('button', { type: 'button', class: 'small', 'data-export': 'csv', title: L('导出 CSV', 'Export CSV'),
      onclick: () => downloadCsv(table, fileName(env, table.title)) }, 'CSV'),
    h('button', { type: 'button', class: 'small', 'data-export': 'xlsx', title: L('导出 Excel', 'Export Excel'),
      onclick: () => downloadXlsx([table], fileName(env, table.title)).catch(() =>
        toast(L('XLSX 导出组件未安装（make console-vendor）', 'The XLSX writer is not installed (make console-vendor)'))) }, 'XLSX'));
}

/** The figures behind a chart, as shown (numbers with the digits the export has). */
function dataTable(table, { open = false } = {}) {
  const shown = (v, c) => (v == null || v === '' ? '—' : c.num ? num(v, c.digits ?? 2) : String(v));
  return h('details', { class: 'chart-data', open },
    h('summary', {}, L('数据表', 'Data table')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'list stack' },
      h('thead', {}, h('tr', {}, table.columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', {}, table.rows.map((r) => h('tr', rowKeys(table, r), r.map((v, i) =>
        h('td', { class: table.columns[i].num ? 'num' : null, 'data-label': table.columns[i].label }, shown(v, table.columns[i])))))))));
}

/** A row's name and first figure as attributes, for whoever reads the page by machine. */
function rowKeys(table, r) {
  const named = table.columns.findIndex((c) => !c.num);
  const figure = table.columns.findIndex((c) => c.num && !c.rank);
  return { 'data-label': named >= 0 ? r[named] : null, 'data-value': figure >= 0 && r[figure] != null ? r[figure] : null };
}

const col = (label, opts = {}) => ({ label, ...opts });
const round = (v, d = 0) => (v == null ? null : Math.round(Number(v) * 10 ** d) / 10 ** d);

// --- the map, the areas below and the rankings ------------------------------------------------------------

/** The areas below as rows of indicators (and the area shown, for a county's own place on the map). */
function rowsBelow(env) {
  return (env.kids?.children || []).map((c) => ({ code: c.area_code, name: c.area_name, figures: c }));
}

function indicatorTable(env, rows, title) {
  return {
    title,
    columns: [col(L('区域', 'Area')), ...INDICATORS.map((ind) => col(indicatorLabel(ind, env), { num: true, digits: digitsOf(ind) }))],
    rows: rows.map((r) => [r.name, ...INDICATORS.map((ind) => figure(ind, ind.get(r.figures, env.current, env.period)))]),
  };
}

function indicatorPicker(env) {
  return h('select', { class: 'count', id: 'map-indicator', 'aria-label': L('着色指标', 'Indicator'),
    onchange: (e) => env.choose({ indicator: e.target.value }) },
  INDICATORS.map((ind) => h('option', { value: ind.key, selected: ind.key === env.indicator }, L(ind.zh, ind.en))));
}

async function mapCard(env) {
  const { dash, here, echarts } = env;
  const level = dash.level;
  const ind = indicatorOf(env.indicator);
  const county = level === 'county';
  const mapCode = county ? here?.parent : dash.area_code;
  const geo = echarts && mapCode ? await loadMap(echarts, mapCode) : null;
  const names = new Map();
  const parent = county ? await area(mapCode) : null;
  for (const c of parent?.children || []) names.set(c.code, c.name);
  let rows;
  let sec;
  if (county) {
    rows = [{ code: dash.area_code, name: dash.area_name, figures: dash }];
    sec = { status: 'available', data: rows };
  } else {
    rows = rowsBelow(env);
    sec = { status: env.kidsStatus || 'unavailable', data: rows };
  }
  for (const r of rows) names.set(r.code, r.name);
  const title = county ? `${L('区位', 'Location')} · ${parent?.name || ''}` : `${L(...BELOW[level])} · ${indicatorLabel(ind, env)}`;
  return card(env, 'map', title, sec, () => {
    const values = rows.map((r) => ({ r, v: figure(ind, ind.get(r.figures, env.current, env.period)) }));
    const known = values.filter((x) => x.v != null).map((x) => x.v);
    const unshaped = geo ? rows.filter((r) => !geo.codes.has(r.code)) : [];
    const fmt = (v) => (v == null ? '—' : `${num(v, digitsOf(ind))}${ind.ratio ? '%' : ''}`);
    const label = indicatorLabel(ind, env);
    const option = geo && {
      aria: { enabled: true, label: { description: `${title}：${values.map((x) => `${x.r.name} ${fmt(x.v)}`).join('；')}` } },
      tooltip: { trigger: 'item', formatter: (p) => tip(names.get(p.name) || '', p.data?.r ? [[label, fmt(p.data.value)],
        ind.key !== 'needs_total' && [L('需求总数', 'Needs'), num(data(p.data.r.figures.needs)?.total)]] : [[L('不在本辖区', 'Outside your area'), '']]) },
      visualMap: county ? undefined : {
        type: 'continuous', min: 0, max: Math.max(1, ...known), calculable: false, orient: 'horizontal', left: 'center', bottom: 0,
        itemWidth: 12, itemHeight: 140, text: [`${L('高', 'high')} ${fmt(Math.max(1, ...known))}`, `${fmt(0)} ${L('低', 'low')}`],
        textStyle: { fontSize: FONT }, inRange: { color: MAP_COLORS },
        formatter: (v) => fmt(round(v, digitsOf(ind))),
      },
      series: [{
        type: 'map', map: geo.name, nameProperty: 'adcode', roam: false, top: 8, bottom: county ? 8 : 44, selectedMode: false,
        label: { show: !county, fontSize: FONT, color: '#1f2430', formatter: (p) => names.get(p.name) || '' },
        labelLayout: { hideOverlap: true },
        itemStyle: { areaColor: '#eef0f5', borderColor: '#ffffff', borderWidth: 1 },
        emphasis: { label: { show: true, fontSize: FONT, fontWeight: 'bold' }, itemStyle: { areaColor: '#fcd34d' } },
        data: values.map((x) => ({ name: x.r.code, value: x.v, r: x.r,
          ...(county ? { itemStyle: { areaColor: '#b4232a' } } : {}),
          ...(county ? { label: { show: true, color: '#1f2430', fontWeight: 'bold', textBorderColor: '#ffffff', textBorderWidth: 3 } }
            : x.v != null && x.v > 0.55 * Math.max(1, ...known) ? { label: { color: '#ffffff', fontWeight: 'bold' } } : {}) })),
      }],
    };
    const drill = !county && ['province', 'city'].includes(level);
    return {
      tall: true,
      keep: true, // the shapes say where, even when every figure is zero
      option,
      tools: !county ? indicatorPicker(env) : null,
      onClick: drill ? (p) => { if (p.componentType === 'series' && names.has(p.name) && rows.some((r) => r.code === p.name)) go(env, p.name); } : null,
      table: indicatorTable(env, rows, county ? L('本地数据', 'This area') : `${L(...BELOW[level])}${L('数据', ' figures')}`),
      after: h('div', {},
        !geo && echarts && h('p', { class: 'map-note' }, L('边界数据未安装，以表格显示。', 'No boundary data installed: shown as a table.')),
        unshaped.length > 0 && h('p', { class: 'map-note', id: 'map-unshaped' },
          L('以下功能区无行政区划边界，不在地图上显示，但计入排名与数据表：', 'These functional zones have no boundary of their own: not on the map, but in the rankings and tables: '),
          unshaped.map((r) => r.name).join(L('、', ', '))),
        drill && geo && h('p', { class: 'map-note' }, L('点击地图上的区域查看下一级。', 'Click an area on the map to go down a level.'))),
    };
  });
}

function go(env, code) {
  env.ctx.go('dashboard', { area: code, period: env.period, indicator: env.indicator });
}

function childrenTableCard(env) {
  const rows = rowsBelow(env);
  return card(env, 'children', `${L(...BELOW.county)}${L('数据', ' figures')}`, { status: env.kidsStatus || 'unavailable', data: rows },
    () => ({ table: indicatorTable(env, rows, `${L(...BELOW.county)}${L('数据', ' figures')}`), emptyText: L('暂无乡镇（街道）', 'No townships') }), { wide: true });
}

function rankingOption(items, fmt, color = '#b4232a') {
  const shown = items.slice().reverse(); // the first at the top
  return {
    grid: { left: 8, right: 56, top: 4, bottom: 4, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps) => tip(ps[0].name, [[L('数值', 'Value'), fmt(ps[0].value)]]) },
    xAxis: axis({ type: 'value', axisLabel: { show: false }, splitLine: { show: false } }),
    yAxis: axis({ type: 'category', data: shown.map((i) => i.name), axisTick: { show: false }, axisLabel: { width: 120, overflow: 'truncate', hideOverlap: false } }),
    series: [{ type: 'bar', data: shown.map((i) => i.value), itemStyle: { color, borderRadius: [0, 3, 3, 0] }, barMaxWidth: 18,
      label: { show: true, position: 'right', fontSize: FONT, formatter: (p) => fmt(p.value) } }],
  };
}

function childRankingCard(env) {
  const level = env.dash.level;
  if (!BELOW[level]) return null;
  const ind = indicatorOf(env.indicator);
  const rows = rowsBelow(env);
  const title = `${L(...BELOW[level])}${L('排名', ' ranked')} · ${indicatorLabel(ind, env)}`;
  return card(env, 'child-ranking', title, { status: env.kidsStatus || 'unavailable', data: rows }, () => {
    const ranked = rows.map((r) => ({ name: r.name, code: r.code, value: figure(ind, ind.get(r.figures, env.current, env.period)) }))
      .filter((r) => r.value != null).sort((a, b) => b.value - a.value).slice(0, 10);
    const fmt = (v) => `${num(v, digitsOf(ind))}${ind.ratio ? '%' : ''}`;
    return {
      option: rankingOption(ranked, fmt),
      height: Math.max(120, ranked.length * 30 + 16),
      onClick: (p) => { const r = ranked.slice().reverse()[p.dataIndex]; if (r) go(env, r.code); },
      table: { columns: [col(L('排名', 'Rank'), { num: true, digits: 0, rank: true }), col(L('区域', 'Area')), col(indicatorLabel(ind, env), { num: true, digits: digitsOf(ind) })],
        rows: ranked.map((r, i) => [i + 1, r.name, r.value]) },
      after: h('p', { class: 'map-note' }, L('前 10 名，由高到低。', 'Top 10, highest first.')),
    };
  });
}

function communityRankingCard(env) {
  if (['community', 'village'].includes(env.dash.level)) return null;
  return card(env, 'community-ranking', L('社区排名 · 五社联动指数', 'Communities ranked · linkage index'), env.dash.linkage, (d) => {
    const ranked = (d.communities || []).filter((c) => c.index != null)
      .map((c) => ({ name: c.area_name || L('未命名社区', 'Unnamed community'), value: round(c.index, 2), resolved: c.resolved }))
      .sort((a, b) => b.value - a.value || b.resolved - a.resolved).slice(0, 10);
    return {
      option: rankingOption(ranked, (v) => num(v, 2), '#7c3aed'),
      height: Math.max(120, ranked.length * 30 + 16),
      emptyText: L('尚无已解决需求的社区', 'No community has resolved needs yet'),
      table: { columns: [col(L('排名', 'Rank'), { num: true, digits: 0, rank: true }), col(L('社区', 'Community')), col(L('五社联动指数', 'Linkage index'), { num: true, digits: 2 }),
        col(L('已解决需求（件）', 'Needs resolved'), { num: true, digits: 0 })], rows: ranked.map((r, i) => [i + 1, r.name, r.value, r.resolved]) },
      after: h('p', { class: 'map-note' }, L('前 10 名，按已解决需求中各方参与的均衡程度。', 'Top 10, by how evenly the five actors took part in resolved needs.')),
    };
  });
}

// --- the charts of the area itself ------------------------------------------------------------------------

function barsOption(labels, series, { horizontal = false, fmt = (v) => num(v), yName = '' } = {}) {
  const cat = axis({ type: 'category', data: labels, axisTick: { show: false }, ...(horizontal ? { axisLabel: { width: 110, overflow: 'truncate', hideOverlap: false } } : {}) });
  const val = axis({ type: 'value', name: yName, minInterval: 1, axisLabel: { formatter: fmt } });
  return {
    grid: { left: 8, right: horizontal ? 48 : 12, top: series.length > 1 || yName ? 34 : 10, bottom: 4, containLabel: true },
    legend: series.length > 1 ? legend() : undefined,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (ps) => tip(ps[0].name, ps.map((p) => [p.seriesName, fmt(p.value), p.color])) },
    xAxis: horizontal ? { ...val, name: '' } : cat,
    yAxis: horizontal ? { ...cat, data: labels.slice().reverse() } : val,
    series: series.map((s) => ({ type: 'bar', name: s.name, data: horizontal ? s.values.slice().reverse() : s.values, barMaxWidth: 22,
      itemStyle: { color: s.color, borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] },
      label: horizontal ? { show: true, position: 'right', fontSize: FONT, formatter: (p) => fmt(p.value) } : undefined })),
  };
}

function pieOption(all, centre) {
  const items = all.filter((i) => i.value > 0);
  return {
    tooltip: { trigger: 'item', formatter: (p) => tip(p.name, [[L('数量', 'Count'), `${num(p.value)}（${num(p.percent, 1)}%）`, p.color]]) },
    legend: legend({ type: 'scroll', bottom: 0, top: undefined, pageTextStyle: { fontSize: FONT } }),
    title: { text: num(items.reduce((a, i) => a + i.value, 0)), subtext: centre, left: 'center', top: '34%',
      textStyle: { fontSize: 22, fontWeight: 700 }, subtextStyle: { fontSize: FONT, color: '#5d6577' }, itemGap: 2 },
    series: [{ type: 'pie', radius: ['48%', '70%'], center: ['50%', '44%'], avoidLabelOverlap: true, stillShowZeroSum: false,
      label: { show: false, fontSize: FONT }, labelLine: { show: false },
      data: items.map((i) => ({ name: i.label, value: i.value, itemStyle: i.color ? { color: i.color } : undefined })) }],
  };
}

function categoryChart(d) {
  const items = Object.entries(d.by_category || {}).map(([c, v]) => ({ label: categoryLabel(c), value: v })).sort((a, b) => b.value - a.value);
  return {
    option: barsOption(items.map((i) => i.label), [{ name: L('需求数', 'Needs'), values: items.map((i) => i.value), color: '#2563eb' }], { horizontal: true }),
    height: Math.max(140, items.length * 28 + 30),
    table: { columns: [col(L('需求类别', 'Category')), col(L('需求数（件）', 'Needs'), { num: true, digits: 0 })], rows: items.map((i) => [i.label, i.value]) },
  };
}

function statusChart(d) {
  const items = Object.entries(d.by_status || {}).map(([s, v]) => ({ label: needStatus(s), value: v, color: STATUS_COLORS[s] }));
  return {
    option: pieOption(items, L('需求总数', 'needs')),
    table: { columns: [col(L('办理状态', 'Status')), col(L('需求数（件）', 'Needs'), { num: true, digits: 0 })], rows: items.map((i) => [i.label, i.value]) },
  };
}

function trendChart(env) {
  const rows = buckets(trendRows(historyOf(env, 'needs')), env.period, ['raised', 'resolved']);
  const labels = rows.map((r) => bucketName(r.key, env.period, { short: true }));
  const responseName = env.period === 'month' ? L('首次响应中位数（小时）', 'Median first response (hours)')
    : L('首次响应时长（小时，各月中位数按登记量加权）', 'First response (hours; monthly medians weighted by needs raised)');
  const option = {
    grid: { left: 8, right: 8, top: 40, bottom: 4, containLabel: true },
    legend: legend(),
    tooltip: { trigger: 'axis', formatter: (ps) => tip(rows[ps[0].dataIndex] ? bucketName(rows[ps[0].dataIndex].key, env.period) : '',
      ps.map((p) => [p.seriesName, p.seriesIndex === 2 ? (p.value == null ? '—' : hours(p.value)) : num(p.value), p.color])) },
    xAxis: axis({ type: 'category', data: labels, axisTick: { show: false } }),
    yAxis: [axis({ type: 'value', name: L('件', 'needs'), minInterval: 1 }),
      axis({ type: 'value', name: L('小时', 'hours'), splitLine: { show: false } })],
    series: [
      { type: 'bar', name: L('新登记', 'Raised'), data: rows.map((r) => r.raised), itemStyle: { color: '#2563eb' }, barMaxWidth: 18 },
      { type: 'bar', name: L('已解决', 'Resolved'), data: rows.map((r) => r.resolved), itemStyle: { color: '#16a34a' }, barMaxWidth: 18 },
      { type: 'line', name: L('首次响应', 'First response'), yAxisIndex: 1, data: rows.map((r) => round(r.response, 1)), connectNulls: false,
        itemStyle: { color: '#c8102e' }, symbolSize: 6 },
    ],
  };
  return {
    option,
    table: { columns: [col(L('时期', 'Period')), col(L('新登记（件）', 'Raised'), { num: true, digits: 0 }), col(L('已解决（件）', 'Resolved'), { num: true, digits: 0 }),
      col(responseName, { num: true, digits: 1 })], rows: rows.map((r) => [bucketName(r.key, env.period), r.raised, r.resolved, round(r.response, 1)]) },
  };
}

function hoursChart(d, env) {
  const rows = buckets(hourRows(d.hours_by_month), env.period, ['hours']);
  if (!rows.some((r) => r.hours > 0)) return { emptyText: L('近 12 个月尚无已核实的时长', 'No verified hours in 12 months') };
  return {
    option: barsOption(rows.map((r) => bucketName(r.key, env.period, { short: true })),
      [{ name: L('服务时长', 'Hours'), values: rows.map((r) => round(r.hours, 1)), color: ACTOR_COLORS.volunteers }], { fmt: (v) => num(v, 1), yName: L('小时', 'hours') }),
    table: { columns: [col(L('时期', 'Period')), col(L('已核实服务时长（小时）', 'Verified hours'), { num: true, digits: 1 })],
      rows: rows.map((r) => [bucketName(r.key, env.period), round(r.hours, 1)]) },
    after: env.period !== 'month' && h('p', { class: 'map-note' }, L('服务时长只统计近 12 个月。', 'Hours are counted over the last 12 months only.')),
  };
}

function moneyChart(d, env) {
  const months = (historyOf(env, 'funds')?.by_month || d.by_month || []).map((r) => ({ month: r.month, in_fen: r.in_fen || 0, out_fen: r.out_fen || 0 }));
  const rows = buckets(months.sort((a, b) => a.month.localeCompare(b.month)), env.period, ['in_fen', 'out_fen']);
  const yuanOf = (fen) => round((fen || 0) / 100, 2);
  const compact = (v) => (lang === 'en' ? (Math.abs(v) >= 1000 ? `${num(v / 1000, 1)}k` : num(v)) : Math.abs(v) >= 10000 ? `${num(v / 10000, 1)}万` : num(v));
  const before = h('div', { class: 'tiles' },
    tile(yuan(d.received_fen), L('累计收入', 'Received'), 'charity'), tile(yuan(d.disbursed_fen), L('累计拨付', 'Paid out'), 'charity'),
    tile(yuan(d.earmarked_fen), L('定向捐赠', 'Earmarked'), 'charity'));
  const any = rows.some((r) => r.in_fen || r.out_fen);
  return {
    before,
    option: any && barsOption(rows.map((r) => bucketName(r.key, env.period, { short: true })), [
      { name: L('收入', 'In'), values: rows.map((r) => yuanOf(r.in_fen)), color: '#16a34a' },
      { name: L('支出', 'Out'), values: rows.map((r) => yuanOf(r.out_fen)), color: '#ea580c' }], { fmt: compact, yName: L('元', 'yuan') }),
    table: any ? { columns: [col(L('时期', 'Period')), col(L('收入（元）', 'In (yuan)'), { num: true, digits: 2 }), col(L('支出（元）', 'Out (yuan)'), { num: true, digits: 2 })],
      rows: rows.map((r) => [bucketName(r.key, env.period), yuanOf(r.in_fen), yuanOf(r.out_fen)]) } : null,
  };
}

function projectsChart(d) {
  const items = Object.entries(d.by_status || {}).map(([s, v], i) => ({ label: projectStatus(s), value: v, color: PALETTE[i % PALETTE.length] }));
  return {
    option: pieOption(items, L('项目', 'projects')),
    emptyText: L('暂无服务项目', 'No projects yet'),
    table: items.some((i) => i.value > 0) ? { columns: [col(L('项目状态', 'Status')), col(L('项目数（个）', 'Projects'), { num: true, digits: 0 })], rows: items.map((i) => [i.label, i.value]) } : null,
    after: h('dl', { class: 'kv' }, [
      [L('预算合计', 'Budgets'), yuan(d.budget_fen)], [L('中标金额', 'Awarded'), yuan(d.awarded_fen)],
      [L('平均评估得分', 'Mean score'), d.mean_score == null ? '—' : num(d.mean_score, 1)],
      [L('评估等级', 'Grades'), Object.entries(d.by_grade || {}).map(([g, v]) => `${gradeLabel(g)} ${v}`).join('、') || '—'],
    ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  };
}

/** A length of time in the unit a person would say it in. */
function duration(seconds) {
  if (seconds == null) return '—';
  if (seconds < 60) return L('不到 1 分钟', 'under a minute');
  if (seconds < 3600) return `${num(seconds / 60, 0)} ${L('分钟', 'min')}`;
  if (seconds < 48 * 3600) return `${num(seconds / 3600, 1)} ${L('小时', 'h')}`;
  return `${num(seconds / 86400, 1)} ${L('天', 'days')}`;
}

function gaugeOption(value, target, { max = 1, fmt = (v) => `${num(v * 100, 0)}%` } = {}) {
  const met = value != null && target != null && value >= target;
  return {
    tooltip: false,
    series: [{
      type: 'gauge', startAngle: 200, endAngle: -20, min: 0, max, radius: '92%', center: ['50%', '62%'],
      progress: { show: true, width: 14, itemStyle: { color: met ? '#1a7f37' : '#e08a00' } },
      axisLine: { lineStyle: { width: 14, color: [[1, '#eef0f5']] } },
      axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false }, pointer: { show: false }, anchor: { show: false },
      title: { show: target != null, offsetCenter: [0, '34%'], fontSize: FONT, color: '#5d6577' },
      detail: { valueAnimation: false, offsetCenter: [0, '-6%'], fontSize: 22, fontWeight: 700, color: '#1f2430', formatter: () => (value == null ? '—' : fmt(value)) },
      data: [{ value: value ?? 0, name: target == null ? '' : `${L('目标', 'target')} ${fmt(target)}` }],
    }],
  };
}

function whistleChart(d) {
  const t = d.total || {};
  const rate = t.answered ? t.answered_in_time / t.answered : null;
  const rows = [
    [L('吹哨总数（次）', 'Whistles'), t.count ?? null], [L('已接单（次）', 'Answered'), t.answered ?? null],
    [L('按时接单（次）', 'In time'), t.answered_in_time ?? null], [L('按时接单率（%）', 'Answered in time (%)'), rate == null ? null : round(rate * 100, 1)],
    [L('响应中位数（小时）', 'Median response (hours)'), t.median_response_s == null ? null : round(t.median_response_s / 3600, 2)],
    [L('超时未接单（次）', 'Overdue, open'), t.open_overdue ?? null],
  ];
  return {
    option: rate == null ? null : gaugeOption(rate, null),
    height: 180,
    table: { columns: [col(L('指标', 'Measure')), col(L('数值', 'Value'), { num: true, digits: 2 })], rows },
    after: rate != null && h('dl', { class: 'kv' }, [ // beside the gauge; without it the table says the same
      [L('吹哨总数', 'Whistles'), num(t.count)], [L('已接单', 'Answered'), num(t.answered)], [L('按时接单', 'In time'), num(t.answered_in_time)],
      [L('响应中位数', 'Median response'), duration(t.median_response_s)], [L('超时未接单', 'Overdue, open'), num(t.open_overdue)],
    ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  };
}

const orgCategory = (c) => ({ life_service: L('生活服务类', 'Life services'), charity: L('公益慈善类', 'Charity'), mutual_aid: L('居民互助类', 'Mutual aid'),
  culture_sports: L('文体活动类', 'Culture & sports'), professional: L('专业服务类', 'Professional'), other: L('其他', 'Other') }[c] || L('其他', 'Other'));

function organizationsChart(d) {
  const items = Object.entries(d.by_category || {}).map(([c, v]) => ({ label: orgCategory(c), value: v })).sort((a, b) => b.value - a.value);
  return {
    before: h('div', { class: 'tiles' }, tile(num(d.organizations), L('已登记组织', 'Registered'), 'projects'),
      tile(num(d.full_time_staff?.total), L('专职人员', 'Full-time staff'), 'projects')),
    option: items.length ? barsOption(items.map((i) => i.label), [{ name: L('组织数', 'Organizations'), values: items.map((i) => i.value), color: ACTOR_COLORS.projects }], { horizontal: true }) : null,
    height: Math.max(120, items.length * 28 + 30),
    table: items.length ? { columns: [col(L('组织类别', 'Category')), col(L('组织数（个）', 'Organizations'), { num: true, digits: 0 })], rows: items.map((i) => [i.label, i.value]) } : null,
  };
}

function linkageChart(d) {
  const shares = Object.entries(d.shares || {});
  if (!shares.length) return { emptyText: L('尚无已解决的需求', 'No resolved needs yet') };
  return {
    before: h('p', { class: 'small muted' }, L('需求闭环中各方参与的比例；指数越高，五方联动越均衡。', "Each actor's part in the needs' loops; the higher the index, the more evenly the five act together."),
      ' ', L('联动指数', 'Linkage index'), ' ', h('b', { class: 'score', id: 'linkage-index' }, d.index == null ? '—' : num(d.index, 2))),
    option: {
      tooltip: { trigger: 'item', formatter: () => tip(L('五方参与', 'The five actors'), shares.map(([a, v]) => [actorLabel(a), `${num(v * 100, 0)}%`, ACTOR_COLORS[a]])) },
      radar: { indicator: shares.map(([a]) => ({ name: actorLabel(a), max: 1 })), radius: '58%', center: ['50%', '54%'],
        axisName: { fontSize: FONT, color: '#394050', width: 84, overflow: 'break' }, // a long name wraps on a phone
        splitLine: { lineStyle: { color: '#e3e6ee' } }, splitArea: { show: false } },
      series: [{ type: 'radar', data: [{ value: shares.map(([, v]) => round(v, 3)), name: L('参与比例', 'Share') }],
        areaStyle: { color: 'rgba(180,35,42,.18)' }, lineStyle: { color: '#b4232a', width: 2 }, itemStyle: { color: '#b4232a' } }],
    },
    height: 300,
    table: { columns: [col(L('参与方', 'Actor')), col(L('参与比例（%）', 'Share (%)'), { num: true, digits: 1 })],
      rows: [...shares.map(([a, v]) => [actorLabel(a), round(v * 100, 1)]), [L('五社联动指数（×100）', 'Linkage index (×100)'), d.index == null ? null : round(d.index * 100, 1)]] },
  };
}

function kpiCard(env) {
  const { kpis: board, dash, echarts } = env;
  let kpis = board?.kpis;
  if (!kpis) {
    // the KPI board not deployed yet: the targets the services' statistics carry
    const v = data(dash.volunteers);
    const o = data(dash.organizations);
    kpis = [
      v && { code: 'volunteer_station_coverage', label_zh: '志愿服务站点覆盖率', label_en: 'Volunteer station coverage', unit: 'ratio',
        target: v.station_coverage.target, value: v.station_coverage.coverage, met: v.station_coverage.met, status: 'available' },
      o && { code: 'hub_coverage', label_zh: '枢纽型社会组织覆盖城市社区', label_en: 'Hub organizations cover urban communities', unit: 'ratio',
        target: o.hub_coverage.target, value: o.hub_coverage.share, met: o.hub_coverage.met, status: 'available' },
    ].filter(Boolean);
  }
  const shownValue = (k, v) => (v == null ? null : k.unit === 'ratio' ? round(v * 100, 1) : round(v, 1));
  const table = { title: L('政策目标完成情况', "The policy's targets"),
    columns: [col(L('指标', 'Target')), col(L('单位', 'Unit')), col(L('目标值', 'Target value'), { num: true, digits: 1 }), col(L('当前值', 'Value'), { num: true, digits: 1 }), col(L('是否达标', 'Met'))],
    rows: kpis.map((k) => [lang === 'en' ? k.label_en : k.label_zh, k.unit === 'ratio' ? '%' : L('个', 'count'), shownValue(k, k.target), shownValue(k, k.value),
      k.status !== 'available' ? sectionStatus(k.status) : k.met == null ? L('仅供参考', 'for reference') : k.met ? L('已达标', 'met') : L('未达标', 'not met')]) };
  return card(env, 'kpis', L('政策目标完成情况', "The policy's targets"), { status: 'available', data: kpis }, () => ({
    table: kpis.length ? table : null,
    drawn: true,
    before: kpis.length ? h('div', {},
      h('p', { class: 'small muted' }, L('冀民〔2021〕79号 · 2025 年目标', 'policy 79/2021 · targets for 2025')),
      h('div', { class: 'gauges' }, kpis.map((k) => {
        const label = lang === 'en' ? k.label_en : k.label_zh;
        const ratio = k.unit === 'ratio';
        const box = h('div', { class: 'chart-box small', 'data-chart-box': `kpi-${k.code}` });
        if (echarts) {
          mount(echarts, box, gaugeOption(k.value, k.target, ratio ? {} : { max: Math.max(k.target || 0, k.value || 0) || 1, fmt: (x) => num(x) }));
        }
        return h('div', { class: 'gauge-card', 'data-kpi': k.code, 'data-met': String(k.met) },
          echarts && box, h('div', { class: 'label' }, label),
          k.status !== 'available' ? h('small', {}, sectionStatus(k.status))
            : k.met == null ? badge(L('仅供参考', 'for reference')) : k.met ? badge(L('已达标', 'met'), 'ok') : badge(L('未达标', 'not met'), 'warn'),
          k.note && h('small', { class: 'muted' }, bi(k.note)));
      }))) : null,
  }), { wide: true });
}

// --- tiles and the area picker ------------------------------------------------------------------------------

function tilesOf(dash) {
  const box = h('div', { class: 'tiles six', id: 'dashboard-tiles' });
  const n = data(dash.needs);
  const v = data(dash.volunteers);
  if (n) {
    const by = n.by_status || {};
    box.append(
      tile(num(n.total), L('需求总数', 'Needs'), '', 'needs-total'),
      tile(num((by.resolved || 0) + (by.closed || 0)), L('已解决/办结', 'Resolved or closed'), 'ok', 'needs-done'),
      tile(n.resolution_rate == null ? '—' : `${num(n.resolution_rate * 100, 1)}%`, L('解决率', 'Resolution rate'), 'ok', 'resolution-rate'),
      tile(n.mean_satisfaction == null ? '—' : `${num(n.mean_satisfaction, 2)} ★`, L('居民满意度', 'Satisfaction'), 'ok', 'satisfaction'),
      tile(num(n.overdue), L('超时未响应', 'Overdue'), n.overdue ? 'bad' : 'ok', 'needs-overdue'),
      tile(n.first_response_hours?.p50 == null ? '—' : hours(n.first_response_hours.p50), L('首次响应中位数', 'Median first response'), '', 'response-p50'));
  }
  if (v) {
    const total = Object.values(v.hours_by_month || {}).reduce((a, b) => a + b, 0);
    box.append(
      tile(num(v.registered), L('注册志愿者', 'Volunteers'), 'volunteers', 'volunteers'),
      tile(num(v.active_30d), L('近 30 天活跃', 'Active in 30 days'), 'volunteers', 'active'),
      tile(hours(total), L('近 12 个月服务时长', 'Hours, 12 months'), 'volunteers', 'hours'));
  }
  return box.childElementCount ? box : h('div', {});
}

/** Breadcrumbs down from the caller's own area, and a choice among the children of the one shown:
 *  each choice goes one level down (市 → 县 → 乡镇/街道 → 社区/村). */
async function areaPicker(ctx, code) {
  const [mine, shown] = await Promise.all([area(ctx.who.area), area(code)]);
  if (!shown || !mine) return h('span', {});
  const start = shown.path.findIndex((p) => p.code === mine.code);
  const crumbs = shown.path.slice(Math.max(start, 0));
  let children = shown.children;
  if (!children.length && shown.level === 'township') {
    const registered = await maybe('/communities', { query: { area: code } }).catch(() => null);
    children = (registered || []).filter((c) => c.name).map((c) => ({ code: c.area_code, name: c.name }));
  }
  const keep = () => {
    const q = new URLSearchParams(location.hash.split('?')[1] || '');
    return { period: q.get('period'), indicator: q.get('indicator') };
  };
  const link = (c) => h('a', { href: `#/dashboard?area=${c.code}`, onclick: (e) => { e.preventDefault(); ctx.go('dashboard', { area: c.code, ...keep() }); } }, c.name);
  return h('div', { class: 'area-picker', id: 'area-picker' },
    h('nav', { class: 'crumbs', 'aria-label': L('区域', 'Area') }, crumbs.map((c, i) => [i > 0 && h('span', { class: 'muted' }, '›'),
      c.code === code ? h('b', {}, c.name) : link(c)])),
    children.length > 0 && h('select', { 'aria-label': L('下级区域', 'Area below'), id: 'area-child',
      onchange: (e) => e.target.value && ctx.go('dashboard', { area: e.target.value, ...keep() }) },
    h('option', { value: '' }, L('选择下级区域…', 'An area below…')), children.map((c) => h('option', { value: c.code }, c.name))));
}
