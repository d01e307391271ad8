// 数据看板: an area's needs, volunteering, organizations, projects, money, whistles, the policy's targets
// and the five-actor linkage — as charts, for any area within the caller's jurisdiction.
import { api, maybe } from '../api.js';
import { donut, gauge, hbars, legend, lines, PALETTE, radar, sparkline, vbars } from '../charts.js';
import { badge, compactYuan, empty, h, hours, num, pct, tile, yuan } from '../dom.js';
import { L, bi, lang } from '../i18n.js';
import {
  ACTOR_COLORS, actorLabel, area, categoryLabel, loadCategories, needStatus, projectStatus, sectionStatus, gradeLabel,
} from '../labels.js';

const STATUS_COLORS = { raised: '#e08a00', reopened: '#f59e0b', routed: '#2563eb', matched: '#0891b2', resolved: '#16a34a', closed: '#1a7f37', disputed: '#c62828', returned: '#6b7280' };

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
  return { area_code: code, area_name: a?.name || code, level: a?.level || '', needs, volunteers, organizations, whistles,
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

export async function render(ctx) {
  await loadCategories();
  const who = ctx.who;
  const code = ctx.query.get('area') || who.area;
  const [dash, kpis, picker] = await Promise.all([dashboardOf(code), kpisOf(code).catch(() => null), areaPicker(ctx, code)]);
  const page = h('div', { id: 'dashboard', class: 'stack', 'data-area': dash.area_code },
    h('div', { class: 'page-head' }, h('h1', {}, L('数据看板', 'Dashboard'), ' · ', dash.area_name), picker));
  page.append(tilesOf(dash));
  page.append(h('div', { class: 'grid two' },
    chartCard(L('需求类别分布', 'Needs by category'), dash.needs, 'needs-by-category', (d) => {
      const items = Object.entries(d.by_category || {}).map(([c, v]) => ({ label: categoryLabel(c), value: v })).sort((a, b) => b.value - a.value);
      return items.length ? hbars(items, { label: L('需求类别分布', 'Needs by category') }) : empty();
    }),
    chartCard(L('需求办理状态', 'Needs by status'), dash.needs, 'needs-by-status', (d) => {
      const items = Object.entries(d.by_status || {}).map(([s, v]) => ({ label: needStatus(s), value: v, color: STATUS_COLORS[s] }));
      if (!items.length) return empty();
      return h('div', {}, donut(items, { label: L('需求办理状态', 'Needs by status'), centerLabel: L('需求总数', 'needs') }),
        legend(items.map((i) => ({ name: `${i.label} ${num(i.value)}`, color: i.color }))));
    }),
    chartCard(L('需求与首次响应时长趋势', 'Needs and first-response trend'), dash.needs_trend, 'needs-trend', trendChart),
    chartCard(L('志愿服务时长（近 12 个月）', 'Volunteer hours (12 months)'), dash.volunteers, 'hours-by-month', (d) => {
      const months = Object.keys(d.hours_by_month || {}).sort();
      if (!months.some((m) => d.hours_by_month[m] > 0)) return empty(L('近 12 个月尚无已核实的时长', 'No verified hours in 12 months'));
      return vbars(months.map(shortMonth), [{ name: L('小时', 'hours'), values: months.map((m) => d.hours_by_month[m]), color: ACTOR_COLORS.volunteers }],
        { label: L('志愿服务时长', 'Volunteer hours'), format: (v) => num(v, 1), integer: false });
    }),
    chartCard(L('资金收支（按月）', 'Money in and out (by month)'), dash.funds, 'money-by-month', (d) => {
      const rows = (d.by_month || []).slice().sort((a, b) => a.month.localeCompare(b.month));
      return h('div', {},
        h('div', { class: 'tiles' },
          tile(yuan(d.received_fen), L('累计收入', 'Received'), 'charity'), tile(yuan(d.disbursed_fen), L('累计拨付', 'Paid out'), 'charity'),
          tile(yuan(d.earmarked_fen), L('定向捐赠', 'Earmarked'), 'charity')),
        rows.some((r) => r.in_fen || r.out_fen) ? h('div', {}, vbars(rows.map((r) => shortMonth(r.month)), [
          { name: L('收入', 'In'), values: rows.map((r) => r.in_fen), color: '#16a34a' },
          { name: L('支出', 'Out'), values: rows.map((r) => r.out_fen), color: '#ea580c' }],
        { label: L('资金收支', 'Money in and out'), format: compactYuan, integer: false }), legend([{ name: L('收入', 'In'), color: '#16a34a' }, { name: L('支出', 'Out'), color: '#ea580c' }]))
          : empty());
    }),
    chartCard(L('服务项目', 'Service projects'), dash.projects, 'projects', (d) => {
      const items = Object.entries(d.by_status || {}).map(([s, v], i) => ({ label: projectStatus(s), value: v, color: PALETTE[i % PALETTE.length] }));
      return h('div', {},
        items.length ? h('div', { class: 'grid two' }, donut(items, { label: L('项目状态', 'Projects by status'), centerLabel: L('项目', 'projects') }),
          h('div', {}, legend(items.map((i) => ({ name: `${i.label} ${num(i.value)}`, color: i.color }))),
            h('dl', { class: 'kv' }, [
              [L('预算合计', 'Budgets'), yuan(d.budget_fen)], [L('中标金额', 'Awarded'), yuan(d.awarded_fen)],
              [L('平均评估得分', 'Mean score'), d.mean_score == null ? '—' : num(d.mean_score, 1)],
              [L('评估等级', 'Grades'), Object.entries(d.by_grade || {}).map(([g, v]) => `${gradeLabel(g)} ${v}`).join('、') || '—'],
            ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])))) : empty());
    }),
    chartCard(L('社区吹哨响应', 'Whistle responses'), dash.whistles, 'whistles', (d) => {
      const t = d.total || {};
      return h('div', { class: 'grid two' },
        gauge(t.answered ? t.answered_in_time / t.answered : null, null, { label: L('按时接单率', 'Answered in time') }),
        h('dl', { class: 'kv' }, [
          [L('吹哨总数', 'Whistles'), num(t.count)], [L('已接单', 'Answered'), num(t.answered)], [L('按时接单', 'In time'), num(t.answered_in_time)],
          [L('响应中位数', 'Median response'), t.median_response_s == null ? '—' : `${num(t.median_response_s / 60, 0)} ${L('分钟', 'min')}`],
          [L('超时未接单', 'Overdue, open'), num(t.open_overdue)],
        ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    }),
    chartCard(L('社会组织', 'Social organizations'), dash.organizations, 'organizations', (d) => h('div', {},
      h('div', { class: 'tiles' }, tile(num(d.organizations), L('已登记组织', 'Registered'), 'projects'),
        tile(num(d.full_time_staff?.total), L('专职人员', 'Full-time staff'), 'projects')),
      Object.keys(d.by_category || {}).length ? hbars(Object.entries(d.by_category).map(([c, v]) => ({ label: orgCategory(c), value: v })),
        { label: L('按类别', 'By category'), colors: Object.keys(d.by_category).map(() => ACTOR_COLORS.projects) }) : empty())),
  ));
  const sections = ['needs', 'needs_trend', 'volunteers', 'organizations', 'projects', 'funds', 'whistles', 'linkage'];
  if (sections.every((k) => dash[k]?.status === 'forbidden')) {
    page.append(h('p', { class: 'notice' }, L('此角色无权查看辖区统计。', 'Area statistics are not open to your role.')));
    return page;
  }
  page.append(kpiCard(kpis, dash));
  page.append(linkageCard(dash.linkage));
  return page;
}

const shortMonth = (m) => (m && m.length >= 7 ? (lang === 'en' ? m.slice(2) : `${Number(m.slice(5, 7))}月`) : m);
const orgCategory = (c) => ({ life_service: L('生活服务类', 'Life services'), charity: L('公益慈善类', 'Charity'), mutual_aid: L('居民互助类', 'Mutual aid'),
  culture_sports: L('文体活动类', 'Culture & sports'), professional: L('专业服务类', 'Professional'), other: L('其他', 'Other') }[c] || c);

function tilesOf(dash) {
  const box = h('div', { class: 'tiles six', id: 'dashboard-tiles' });
  const n = dash.needs.status === 'available' ? dash.needs.data : null;
  const v = dash.volunteers.status === 'available' ? dash.volunteers.data : null;
  if (n) {
    const by = n.by_status || {};
    box.append(
      tile(num(n.total), L('需求总数', 'Needs'), '', 'needs-total'),
      tile(num((by.resolved || 0) + (by.closed || 0)), L('已解决/办结', 'Resolved or closed'), 'ok', 'needs-done'),
      tile(pct(n.resolution_rate), L('解决率', 'Resolution rate'), 'ok', 'resolution-rate'),
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

function chartCard(title, sec, id, draw) {
  const status = sec?.status || 'unavailable';
  if (status === 'forbidden') return null;
  let body;
  try {
    body = status === 'available' ? draw(sec.data) : empty(sectionStatus(status));
  } catch (err) {
    body = empty(`${L('无法绘制', 'Cannot draw')}: ${err.message}`);
  }
  return h('section', { class: 'card', 'data-chart': id, 'data-status': status },
    h('h2', {}, title, status !== 'available' && h('span', { class: 'count section-status muted' }, sectionStatus(status))), body);
}

function trendChart(d) {
  const rows = (Array.isArray(d) ? d : d?.months || []).slice().sort((a, b) => a.month.localeCompare(b.month));
  if (!rows.length) return empty();
  const labels = rows.map((r) => shortMonth(r.month));
  return h('div', {},
    vbars(labels, [{ name: L('新登记', 'Raised'), values: rows.map((r) => r.raised), color: '#2563eb' },
      { name: L('已解决', 'Resolved'), values: rows.map((r) => r.resolved), color: '#16a34a' }], { label: L('需求数', 'Needs'), height: 170 }),
    legend([{ name: L('新登记', 'Raised'), color: '#2563eb' }, { name: L('已解决', 'Resolved'), color: '#16a34a' }]),
    h('h3', {}, L('首次响应时长中位数（小时）', 'Median first response (hours)')),
    lines(labels, [{ name: L('中位数', 'median'), values: rows.map((r) => r.median_first_response_hours ?? null), color: '#c8102e' }],
      { label: L('首次响应时长', 'First response'), height: 150 }));
}

function kpiCard(board, dash) {
  const card = h('section', { class: 'card', 'data-chart': 'kpis' }, h('h2', {}, L('政策目标完成情况', "The policy's targets"),
    h('span', { class: 'count small muted' }, L('冀民〔2021〕79号 · 2025 年目标', 'policy 79/2021 · targets for 2025'))));
  let kpis = board?.kpis;
  if (!kpis) {
    // the KPI board not deployed yet: the targets the services' statistics carry
    const v = dash.volunteers.data;
    const o = dash.organizations.data;
    kpis = [
      v && { code: 'volunteer_station_coverage', label_zh: '志愿服务站点覆盖率', label_en: 'Volunteer station coverage', unit: 'ratio',
        target: v.station_coverage.target, value: v.station_coverage.coverage, met: v.station_coverage.met, status: 'available' },
      o && { code: 'hub_coverage', label_zh: '枢纽型社会组织覆盖城市社区', label_en: 'Hub organizations cover urban communities', unit: 'ratio',
        target: o.hub_coverage.target, value: o.hub_coverage.share, met: o.hub_coverage.met, status: 'available' },
    ].filter(Boolean);
  }
  if (!kpis.length) { card.append(empty()); return card; }
  card.append(h('div', { class: 'gauges' }, kpis.map((k) => {
    const label = lang === 'en' ? k.label_en : k.label_zh;
    const ratio = k.unit === 'ratio';
    const g = ratio ? gauge(k.value, k.target, { label })
      : gauge(k.value, k.target, { label, max: Math.max(k.target || 0, k.value || 0) || 1, format: (x) => compactCount(x) });
    return h('div', { class: 'gauge-card', 'data-kpi': k.code, 'data-met': String(k.met) },
      g, h('div', { class: 'label' }, label),
      k.status !== 'available' ? h('small', {}, sectionStatus(k.status))
        : k.met == null ? badge(L('仅供参考', 'for reference')) : k.met ? badge(L('已达标', 'met'), 'ok') : badge(L('未达标', 'not met'), 'warn'),
      k.trend?.length > 1 && sparkline(k.trend.map((t) => t.value), { label: `${label} · ${L('近 12 个月', '12 months')}` }),
      k.note && h('small', { class: 'muted' }, bi(k.note)));
  })));
  return card;
}

const compactCount = (x) => (x == null ? '—' : x >= 10000 ? (lang === 'en' ? `${(x / 1000).toFixed(0)}k` : `${(x / 10000).toFixed(1)}万`) : num(x));

function linkageCard(sec) {
  const status = sec?.status || 'unavailable';
  const card = h('section', { class: 'card', 'data-chart': 'linkage', 'data-status': status },
    h('h2', {}, L('五社联动指数', 'Five-actor linkage index'),
      status !== 'available' && h('span', { class: 'count section-status muted' }, sectionStatus(status))));
  if (status !== 'available' || !sec.data) { card.append(empty(sectionStatus(status) || undefined)); return card; }
  const d = sec.data;
  const shares = d.shares || {};
  const axes = Object.entries(shares).map(([actor, v]) => ({ label: actorLabel(actor), value: v, color: ACTOR_COLORS[actor] }));
  const communities = (d.communities || []).slice().sort((a, b) => (b.index ?? 0) - (a.index ?? 0)).slice(0, 12);
  card.append(h('p', { class: 'small muted' }, L('需求闭环中各方参与的比例；指数越高，五方联动越均衡。', "Each actor's part in the needs' loops; the higher the index, the more evenly the five act together.")),
    h('div', { class: 'grid two' },
      h('div', {}, axes.length ? radar(axes, { label: L('五方参与', 'The five actors') }) : empty(),
        h('p', {}, L('联动指数', 'Linkage index'), ' ', h('b', { class: 'score', id: 'linkage-index' }, d.index == null ? '—' : num(d.index, 2)))),
      h('div', {}, h('h3', {}, L('各社区联动指数', 'Index by community')),
        communities.length ? hbars(communities.map((c) => ({ label: c.name || c.area_name || c.area_code, value: c.index ?? 0 })),
          { label: L('各社区联动指数', 'Index by community'), format: (x) => num(x, 2), colors: communities.map(() => '#b4232a') }) : empty())));
  return card;
}

/** Breadcrumbs down from the caller's own area, and a choice among the children of the one shown. */
async function areaPicker(ctx, code) {
  const [mine, shown] = await Promise.all([area(ctx.who.area), area(code)]);
  if (!shown || !mine) return h('span', {});
  const start = shown.path.findIndex((p) => p.code === mine.code);
  const crumbs = shown.path.slice(Math.max(start, 0));
  let children = shown.children;
  if (!children.length && shown.level === 'township') {
    const registered = await maybe('/communities', { query: { area: code } }).catch(() => null);
    children = (registered || []).map((c) => ({ code: c.area_code, name: c.name }));
  }
  return h('div', { class: 'area-picker', id: 'area-picker' },
    h('nav', { class: 'crumbs', 'aria-label': L('区域', 'Area') }, crumbs.map((c, i) => [i > 0 && h('span', { class: 'muted' }, '›'),
      c.code === code ? h('b', {}, c.name) : h('a', { href: `#/dashboard?area=${c.code}` }, c.name)])),
    children.length > 0 && h('select', { 'aria-label': L('下级区域', 'Area below'), id: 'area-child', onchange: (e) => e.target.value && ctx.go('dashboard', { area: e.target.value }) },
      h('option', { value: '' }, L('选择下级区域…', 'An area below…')), children.map((c) => h('option', { value: c.code }, c.name))),
    h('form', { class: 'actions', onsubmit: (e) => { e.preventDefault(); const v = new FormData(e.target).get('code').trim(); if (v) ctx.go('dashboard', { area: v }); } },
      h('input', { name: 'code', placeholder: L('区划代码', 'area code'), inputmode: 'numeric', size: 12, 'aria-label': L('区划代码', 'Area code') }),
      h('button', { type: 'submit', class: 'small' }, L('查看', 'Show'))));
}
