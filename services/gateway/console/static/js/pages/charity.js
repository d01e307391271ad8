// 慈善与爱心超市: funds in figures, payments waiting for a second person, the public ledger, following a
// donation, a fund's statement, and the love supermarket's stock and monthly notice.
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { card, noteWhenAllHidden } from '../cards.js';
import { legend, vbars } from '../charts.js';
import { badge, compactYuan, empty, fill, h, kv, num, problemBox, table, tile, toast, uuidish, when, yuan } from '../dom.js';
import { L, bi } from '../i18n.js';
import { areaName, sectionStatus } from '../labels.js';
import { ledgerChart, ledgerTable, trailLookup } from './public.js';

const thisMonth = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);

export async function render(ctx) {
  const who = ctx.who;
  const place = await areaName(who.area);
  const funds = card(L('资金概况', 'Funds in figures'), async () => {
    const dash = await api('/views/dashboard', { query: { area: who.area } });
    if (dash.funds.status === 'forbidden') throw Object.assign(new Error(), { status: 403 });
    return dash.funds.status === 'available' ? dash.funds.data : { missing: dash.funds.status };
  }, (d) => {
    if (d.missing) return empty(sectionStatus(d.missing));
    const rows = (d.by_month || []).slice().sort((a, b) => a.month.localeCompare(b.month));
    return h('div', {},
      h('div', { class: 'tiles' }, tile(yuan(d.received_fen), L('累计收入', 'Received'), 'charity'), tile(yuan(d.disbursed_fen), L('累计拨付', 'Paid out'), 'charity'),
        tile(yuan(d.earmarked_fen), L('定向捐赠', 'Earmarked'), 'charity')),
      rows.some((r) => r.in_fen || r.out_fen) ? h('div', {}, vbars(rows.map((r) => r.month.slice(2)), [
        { name: L('收入', 'In'), values: rows.map((r) => r.in_fen), color: '#16a34a' }, { name: L('支出', 'Out'), values: rows.map((r) => r.out_fen), color: '#ea580c' }],
      { label: L('资金收支', 'Money in and out'), format: compactYuan, height: 170, integer: false }),
      legend([{ name: L('收入', 'In'), color: '#16a34a' }, { name: L('支出', 'Out'), color: '#ea580c' }])) : empty());
  }, { id: 'funds', reads: 'GET /funds/flows' }); // the view's funds section is charity's flows, asked as the caller
  const approvals = card(L('待复核拨付（双人复核）', 'Payments awaiting a second person'), () => api('/disbursements', { query: { status: 'requested' } }), (list) => table([
    { label: L('事项', 'For'), value: (d) => bi(d.milestone) },
    { label: L('金额', 'Amount'), value: (d) => yuan(d.amount), num: true },
    { label: L('申请人', 'Asked by'), value: (d) => d.requested_by },
    { label: L('申请时间', 'Asked at'), value: (d) => when(d.requested_at) },
    // the table says who may approve; the maker may never approve their own request (双人复核)
    { label: '', value: (d) => (may('POST /disbursements/{disbursement_id}/approval') && d.requested_by !== who.sub ? h('button', { class: 'small primary', type: 'button', onclick: async (e) => {
      e.currentTarget.disabled = true;
      try { await api(`/disbursements/${d.id}/approval`, { method: 'POST' }); toast(L('已复核拨付', 'Approved and paid')); ctx.refresh(); } catch (err) { e.target.closest('td').append(problemBox(err)); }
    } }, L('复核拨付', 'Approve')) : h('small', { class: 'muted' }, d.requested_by === who.sub ? L('须由他人复核', 'another person approves') : '')) },
  ], list), { id: 'approvals', reads: 'GET /disbursements' });
  const ledger = card(L('本辖区公开账目', 'Public ledger of my area'), () => api('/public/ledger', { anonymous: true, query: { area: who.area, page_size: 100 } }), (p) => h('div', {},
    p.items.length ? [ledgerChart(p.items), ledgerTable(p.items.slice(0, 15))] : empty(L('本辖区尚无账目', 'No entries in your area yet')),
    h('p', { class: 'small' }, h('a', { href: `#/public?area=${who.area}` }, L(`全部 ${p.total} 笔 →`, `All ${p.total} →`)))), { id: 'ledger' });
  const stock = may('GET /supermarket/stock') && supermarketCard(who);
  const grid = h('div', { class: 'grid' }, h('div', { class: 'grid two' }, funds, approvals), h('div', { class: 'grid two-one' }, ledger,
    h('div', { class: 'grid' }, h('section', { class: 'card' }, h('h2', {}, L('追踪捐赠去向', 'Follow a donation')), trailLookup()), may('GET /funds/{fund_id}') && fundLookup())), stock);
  noteWhenAllHidden(grid, [funds, approvals, ledger]);
  return h('div', {}, h('div', { class: 'page-head' }, h('h1', {}, L('慈善与爱心超市', 'Charity and the love supermarket')), h('span', { class: 'muted' }, place)), grid);
}

function fundLookup() {
  const out = h('div', {});
  const form = h('form', { class: 'actions', onsubmit: async (e) => {
    e.preventDefault();
    const id = new FormData(form).get('fund').trim();
    if (!uuidish(id)) { toast(L('请输入资金账户编号（UUID）', 'Enter a fund id (UUID)')); return; }
    try {
      const [account, open] = await Promise.all([api(`/funds/${id}`), api(`/public/ledger/funds/${id}`, { anonymous: true }).catch(() => null)]);
      fill(out, kv([
        open && [L('基金', 'Fund'), `${open.fund.name}（${bi(open.fund.kind_label)}）`],
        [L('可统筹余额', 'Free balance'), yuan(account.balance_fen)],
        open && [L('累计收到', 'Received'), yuan(open.received_fen)], open && [L('已承诺', 'Committed'), yuan(open.committed_fen)],
        open && [L('已拨付', 'Paid out'), yuan(open.disbursed_fen)],
        open?.two_percent && [L('2% 上限使用', '2 % cap used'), open.two_percent.cap_used_percent == null ? '—' : `${num(open.two_percent.cap_used_percent, 1)}%`],
        [L('流水笔数', 'Entries'), num(account.entries.length)],
      ]));
    } catch (err) {
      fill(out, problemBox(err));
    }
  } }, h('input', { name: 'fund', placeholder: L('资金账户编号', 'Fund id'), 'aria-label': L('资金账户编号', 'Fund id') }), h('button', { type: 'submit' }, L('查询', 'Look up')));
  return h('section', { class: 'card' }, h('h2', {}, L('资金账户', 'A fund')), form, out);
}

function supermarketCard(who) {
  const out = h('div', {});
  const community = who.area.length === 12 ? who.area : '';
  const load = async (code, month) => {
    fill(out, h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
    try {
      const [stock, notice] = await Promise.all([api('/supermarket/stock', { query: { area: code } }),
        may('GET /supermarket/publications') ? api('/supermarket/publications', { query: { area: code, month } }).catch(() => null) : null]);
      fill(out, h('div', { class: 'grid two' },
        h('div', {}, h('h3', {}, L('库存', 'Stock')), table([
          { label: L('物品', 'Item'), value: (i) => i.item }, { label: L('库存', 'Stock'), value: (i) => `${num(i.quantity)} ${i.unit}`, num: true },
          { label: L('兑换积分', 'Points'), value: (i) => num(i.price_points), num: true }], stock.items)),
        notice && h('div', {}, h('h3', {}, L(`${month} 月度公示`, `Notice for ${month}`)), kv([
          [L('发放积分', 'Points granted'), num(notice.totals.points_granted)], [L('兑换积分', 'Points redeemed'), num(notice.totals.points_redeemed)],
          [L('捐赠物品估值', 'Goods received'), yuan(notice.totals.goods_received_value_fen)],
          [L('入库/兑换笔数', 'Receipts / redemptions'), `${notice.totals.receipts} / ${notice.totals.redemptions}`]]),
        notice.goods_given_out.length > 0 && h('ul', { class: 'list-plain' }, notice.goods_given_out.map((g) => h('li', {}, h('span', { class: 'grow' }, g.item), badge(`${g.quantity} ${g.unit}`)))))));
    } catch (err) {
      fill(out, problemBox(err));
    }
  };
  const form = h('form', { class: 'actions', onsubmit: (e) => { e.preventDefault(); const f = new FormData(form); load(f.get('area').trim(), f.get('month')); } },
    h('input', { name: 'area', value: community, placeholder: L('村（社区）代码', 'community code'), inputmode: 'numeric', 'aria-label': L('村（社区）代码', 'Community code') }),
    h('input', { name: 'month', type: 'month', value: thisMonth(), 'aria-label': L('月份', 'Month') }),
    h('button', { type: 'submit' }, L('查看', 'Show')));
  if (community) load(community, thisMonth());
  else out.append(h('p', { class: 'muted small' }, L('输入村（社区）代码查看该社区爱心超市。', 'Enter a community code to see its love supermarket.')));
  return h('section', { class: 'card', 'data-card': 'supermarket' }, h('h2', {}, L('爱心超市', 'Love supermarket')), form, out);
}
