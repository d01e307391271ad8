// 信息公开 (no login): the public charity ledger, following a donation by its receipt, and the showcase
// of outstanding projects. Everything here is public data, asked without a token.
import { areaPicker } from '../area-picker.js';
import { api } from '../api.js';
import { legend, vbars } from '../charts.js';
import { badge, compactYuan, day, empty, fill, h, kv, num, problemBox, table, tile, when, yuan } from '../dom.js';
import { L, bi } from '../i18n.js';

const IN_KINDS = new Set(['donation']);
const OUT_KINDS = new Set(['disbursement', 'refund']);
const moved = (line) => Math.abs(line.amounts?.world ?? 0);

/** The public ledger as a table (signed amounts per account kind, as the CSV has them). */
export function ledgerTable(items) {
  return table([
    { label: L('日期', 'Date'), value: (l) => day(l.on) },
    { label: L('类型', 'Kind'), value: (l) => badge(bi(l.kind_label), OUT_KINDS.has(l.kind) ? 'warn' : IN_KINDS.has(l.kind) ? 'ok' : '') },
    { label: L('摘要', 'Memo'), value: (l) => bi(l.memo) },
    { label: L('捐赠人', 'Donor'), value: (l) => (l.donor ? bi(l.donor) : '—') },
    { label: L('收支金额', 'Amount'), value: (l) => yuan(moved(l) || Math.max(...Object.values(l.amounts || { x: 0 }).map(Math.abs))), num: true },
    { label: L('基金', 'Fund'), value: (l) => (l.amounts?.fund ? yuan(l.amounts.fund) : '—'), num: true },
    { label: L('定向', 'Restricted'), value: (l) => (l.amounts?.restricted ? yuan(l.amounts.restricted) : '—'), num: true },
  ], items);
}

/** Money in and out by month, from ledger lines. */
export function ledgerChart(items) {
  const months = new Map();
  for (const l of items) {
    const m = String(l.on).slice(0, 7);
    const row = months.get(m) || { in: 0, out: 0 };
    if (IN_KINDS.has(l.kind)) row.in += moved(l);
    if (OUT_KINDS.has(l.kind)) row.out += moved(l);
    months.set(m, row);
  }
  const keys = [...months.keys()].sort();
  if (!keys.length) return empty();
  return h('div', {}, vbars(keys, [
    { name: L('捐赠收入', 'Donations in'), values: keys.map((k) => months.get(k).in), color: '#16a34a' },
    { name: L('拨付与退还', 'Paid out and refunded'), values: keys.map((k) => months.get(k).out), color: '#ea580c' }],
  { label: L('资金收支', 'Money in and out'), format: compactYuan, height: 180, integer: false }),
  legend([{ name: L('捐赠收入', 'Donations in'), color: '#16a34a' }, { name: L('拨付与退还', 'Paid out and refunded'), color: '#ea580c' }]));
}

/** Follow a donation by its receipt code: donation → earmark → commitment → disbursement. */
export function trailLookup() {
  const out = h('div', {});
  const form = h('form', { class: 'form', id: 'receipt-form', onsubmit: async (e) => {
    e.preventDefault();
    const code = new FormData(form).get('receipt').trim();
    if (!code) return;
    fill(out, h('p', { class: 'loading' }, L('查询中…', 'Looking…')));
    try {
      const t = await api(`/public/ledger/donations/${encodeURIComponent(code)}`, { anonymous: true });
      fill(out, kv([
        [L('收据编号', 'Receipt'), t.receipt_code], [L('捐赠金额', 'Amount'), yuan(t.amount_fen)], [L('接收日期', 'Received'), day(t.received_on)],
        [L('基金', 'Fund'), `${t.fund.name}（${bi(t.fund.kind_label)}）`], [L('捐赠人', 'Donor'), bi(t.donor.shown_as)],
        [L('已定向', 'Earmarked'), yuan(t.earmarked_fen)], [L('统筹使用', 'Left to the fund'), yuan(t.unearmarked_fen)],
        t.refunded_fen ? [L('已退还', 'Refunded'), yuan(t.refunded_fen)] : null,
      ]), t.earmarks.length ? h('div', {}, h('h3', {}, L('去向', 'Where it went')), h('ul', { class: 'list-plain' }, t.earmarks.map((e) => h('li', {},
        badge({ need: L('需求', 'need'), project: L('项目', 'project'), fund: L('基金', 'fund') }[e.target_kind] || e.target_kind),
        h('span', { class: 'grow' }, `${yuan(e.amount_fen)} · ${day(e.earmarked_on)}`),
        h('small', {}, L('已拨付 ', 'paid '), yuan([...e.payments, ...e.commitments.flatMap((c) => c.payments)].reduce((a, p) => a + p.amount_fen, 0)),
          L('，未使用 ', ', unspent '), yuan(e.unspent_fen)))))) : null);
    } catch (err) {
      fill(out, problemBox(err));
    }
  } },
  h('div', { class: 'actions' }, h('input', { name: 'receipt', placeholder: L('捐赠收据编号（12 位）', 'Receipt code (12 characters)'), 'aria-label': L('收据编号', 'Receipt code'), maxlength: 20 }),
    h('button', { type: 'submit' }, L('查询', 'Follow'))));
  return h('div', {}, form, out);
}

const HEBEI = '130000';  // the public page chooses within the whole province

export async function render(ctx) {
  const area = ctx.query.get('area') || '';
  const pageNo = Number(ctx.query.get('page') || 1);
  const ledgerCard = h('section', { class: 'card', id: 'public-ledger' }, h('h2', {}, L('公开账目', 'The public ledger')), h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
  const showcaseCard = h('section', { class: 'card', id: 'showcase' }, h('h2', {}, L('优秀项目与典型案例', 'Outstanding projects and typical cases')), h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
  const page = h('div', { id: 'public-page', class: 'stack' },
    h('div', { class: 'page-head' }, h('h1', {}, L('慈善信息公开', 'Charity disclosure')),
      h('form', { class: 'actions', onsubmit: (e) => { e.preventDefault(); ctx.go('public', { area: new FormData(e.target).get('area').trim() }); } },
        areaPicker({ name: 'area', start: HEBEI, value: area || '' }),
        h('button', { type: 'submit' }, L('筛选', 'Filter')))),
    h('p', { class: 'muted small' }, L('每一笔善款从捐赠人到受助需求或项目都可追溯；捐赠人名称仅在其同意时公开。本页无需登录。',
      'Every yuan can be followed from the donor to the need or project it served; donors are named only with their consent. No login needed.')),
    h('div', { class: 'grid two-one' }, ledgerCard, h('div', { class: 'grid' },
      h('section', { class: 'card' }, h('h2', {}, L('追踪我的捐赠', 'Follow my donation')), trailLookup()),
      h('section', { class: 'card' }, h('h2', {}, L('下载', 'Download')),
        h('a', { class: 'btn', href: `/api/v1/public/ledger.csv${area ? `?area=${encodeURIComponent(area)}` : ''}` }, L('公开账目 CSV', 'Public ledger as CSV'))))),
    showcaseCard);

  api('/public/ledger', { anonymous: true, query: { area, page: pageNo, page_size: 50 } }).then((p) => {
    const inFen = p.items.filter((l) => IN_KINDS.has(l.kind)).reduce((a, l) => a + moved(l), 0);
    const outFen = p.items.filter((l) => OUT_KINDS.has(l.kind)).reduce((a, l) => a + moved(l), 0);
    const pages = Math.max(1, Math.ceil(p.total / p.page_size));
    fill(ledgerCard, h('h2', {}, L('公开账目', 'The public ledger'), h('span', { class: 'count small muted' }, L(`共 ${p.total} 笔`, `${p.total} entries`))),
      h('div', { class: 'tiles' }, tile(yuan(inFen), L('本页捐赠收入', 'Donations (this page)'), 'ok', 'public-in'),
        tile(yuan(outFen), L('本页拨付与退还', 'Paid out (this page)'), 'charity', 'public-out')),
      ledgerChart(p.items), ledgerTable(p.items),
      pages > 1 && h('div', { class: 'actions' },
        h('button', { type: 'button', disabled: pageNo <= 1, onclick: () => ctx.go('public', { area, page: pageNo - 1 }) }, L('上一页', 'Previous')),
        h('span', { class: 'small muted' }, `${pageNo} / ${pages}`),
        h('button', { type: 'button', disabled: pageNo >= pages, onclick: () => ctx.go('public', { area, page: pageNo + 1 }) }, L('下一页', 'Next'))));
  }).catch((err) => fill(ledgerCard, h('h2', {}, L('公开账目', 'The public ledger')), problemBox(err)));

  api('/public/showcase', { anonymous: true }).then((items) => {
    fill(showcaseCard, h('h2', {}, L('优秀项目与典型案例', 'Outstanding projects and typical cases')),
      items.length ? h('div', { class: 'showcase' }, items.map((p) => h('article', { class: 'card flat', 'data-project': p.project_id },
        h('h3', {}, p.title), h('div', { class: 'need-head' }, h('span', { class: 'score' }, num(p.score, 1)), badge(p.grade_zh, 'ok'),
          p.nominations.map((n) => badge({ typical_case: L('典型案例', 'Typical case'), hebei_charity_award: L('河北慈善奖推荐', 'Hebei Charity Award') }[n] || n, 'a-party'))),
        kv([[L('地区', 'Area'), p.area_name], [L('年度', 'Year'), p.year], [L('居民满意度', 'Satisfaction'), `${num(p.resident_satisfaction, 1)} / 100`]]),
        p.citation && h('p', { class: 'small' }, p.citation))))
        : empty(L('暂无入选项目', 'No project showcased yet')));
  }).catch((err) => fill(showcaseCard, problemBox(err)));
  return page;
}

