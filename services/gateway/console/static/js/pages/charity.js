// 慈善与爱心超市: funds in figures, payments waiting for a second person (approved or rejected with a
// reason, each after a confirmation), the public ledger, following a donation, a fund's statement, and
// the love supermarket's stock and monthly notice.
import { areaPicker } from '../area-picker.js';
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { card, noteWhenAllHidden } from '../cards.js';
import { legend, vbars } from '../charts.js';
import { badge, clear, compactYuan, empty, field, fill, h, kv, num, problemBox, table, tile, toast, uuidish, when, yuan } from '../dom.js';
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
  const approvals = card(L('拨付复核（双人复核）', 'Payment review (two people)'), async () => {
    const [queue, all] = await Promise.all([api('/disbursements', { query: { status: 'requested' } }), api('/disbursements')]);
    const decided = all.filter((d) => d.status !== 'requested').sort((a, b) => decidedAt(b).localeCompare(decidedAt(a)));
    return { queue: queue.slice().reverse(), decided: decided.slice(0, 6) }; // the queue oldest first
  }, (d) => reviewQueue(ctx, d), { id: 'approvals', reads: 'GET /disbursements' });
  const ledger = card(L('本辖区公开账目', 'Public ledger of my area'), () => api('/public/ledger', { anonymous: true, query: { area: who.area, page_size: 100 } }), (p) => h('div', {},
    p.items.length ? [ledgerChart(p.items), ledgerTable(p.items.slice(0, 15))] : empty(L('本辖区尚无账目', 'No entries in your area yet')),
    h('p', { class: 'small' }, h('a', { href: `#/public?area=${who.area}` }, L(`全部 ${p.total} 笔 →`, `All ${p.total} →`)))), { id: 'ledger' });
  const stock = may('GET /supermarket/stock') && supermarketCard(who);
  const grid = h('div', { class: 'grid' }, h('div', { class: 'grid two' }, funds, approvals), h('div', { class: 'grid two-one' }, ledger,
    h('div', { class: 'grid' }, h('section', { class: 'card' }, h('h2', {}, L('追踪捐赠去向', 'Follow a donation')), trailLookup()), may('GET /funds/{fund_id}') && fundLookup())), stock);
  noteWhenAllHidden(grid, [funds, approvals, ledger]);
  return h('div', {}, h('div', { class: 'page-head' }, h('h1', {}, L('慈善与爱心超市', 'Charity and the love supermarket')), h('span', { class: 'muted' }, place)), grid);
}

// --- the review of disbursement requests (maker and checker) ---------------------------------------------------

const APPROVE = 'POST /disbursements/{disbursement_id}/approval';
const REJECT = 'POST /disbursements/{disbursement_id}/rejection';
const REASON = [2, 500]; // the service's bounds for a rejection's reason
const decidedAt = (d) => d.approved_at || d.rejected_at || d.requested_at;

/** What a request pays: the project whose commitment pays it, or the need the donation was earmarked for. */
function paidFor(d) {
  if (d.target_kind === 'project') {
    const name = d.project_title ? L(`项目「${d.project_title}」`, `project “${d.project_title}”`) : L('项目', 'a project');
    return may('GET /projects/{project_id}') && d.project_id ? h('a', { href: `#/projects/${d.project_id}` }, name) : name;
  }
  return L('定向需求', 'the earmarked need');
}

/** Links to the needs a request serves, where the role may open them (no ids shown). */
function needLinks(d) {
  if (!d.need_ids?.length || !may('GET /needs/{need_id}')) return null;
  if (d.need_ids.length === 1) return h('a', { href: `#/needs/${d.need_ids[0]}` }, L('查看需求', 'Open the need'));
  return d.need_ids.map((n, i) => [i ? '、' : '', h('a', { href: `#/needs/${n}` }, L(`需求${i + 1}`, `need ${i + 1}`))]);
}

function facts(d) {
  return kv([
    [L('拨付金额', 'Amount'), h('b', {}, yuan(d.amount_fen))],
    [L('资金来源', 'From'), d.fund_name || '—'],
    [L('拨付对象', 'Paid for'), paidFor(d)],
    [L('服务需求', 'Needs served'), needLinks(d)],
    [L('申请人', 'Asked by'), `${bi(d.requested_by_label)} · ${when(d.requested_at)}`],
  ]);
}

function reviewQueue(ctx, { queue, decided }) {
  return h('div', {},
    queue.length ? h('ul', { class: 'list-plain reviews' }, queue.map((d) => reviewItem(ctx, d))) : empty(L('没有待复核的拨付申请', 'No request awaits review')),
    decided.length > 0 && h('div', { class: 'decided' }, h('h3', {}, L('最近处理', 'Recently decided')),
      h('ul', { class: 'list-plain' }, decided.map(decidedItem))));
}

function decidedItem(d) {
  const by = d.rejected_by_label ? `（${bi(d.rejected_by_label)}）` : '';
  return h('li', { 'data-status': d.status },
    h('span', { class: 'grow' }, bi(d.milestone), ' ', h('small', { class: 'muted' }, d.fund_name || '')),
    h('b', {}, yuan(d.amount_fen)), badge(bi(d.status_label), d.status === 'disbursed' ? 'ok' : 'bad'), h('small', {}, when(decidedAt(d))),
    d.status === 'rejected' && h('small', { class: 'reason' }, L('驳回理由：', 'Reason: '), d.rejection_reason, by));
}

function reviewItem(ctx, d) {
  const step = h('div', { class: 'review-step' });
  const mayApprove = may(APPROVE) && !d.requested_by_you;
  const mayReject = may(REJECT) && !d.requested_by_you;
  const buttons = h('div', { class: 'actions' },
    mayApprove && h('button', { class: 'small primary', type: 'button', 'data-action': 'approve', onclick: () => confirmApproval(ctx, d, step, buttons) }, L('复核拨付', 'Approve')),
    mayReject && h('button', { class: 'small', type: 'button', 'data-action': 'reject', onclick: () => askReason(ctx, d, step, buttons) }, L('驳回', 'Reject')),
    d.requested_by_you && h('small', { class: 'muted' }, L('本人申请，须由他人复核', 'You asked for it: another person decides')));
  return h('li', { class: 'review', 'data-status': d.status }, h('div', { class: 'grow' }, h('b', {}, bi(d.milestone)), facts(d)), buttons, step);
}

/** Puts the request's buttons back (a decision was cancelled). */
function reopen(step, buttons) { clear(step); buttons.classList.remove('hidden'); }

/** The last step of either decision: what it does, a button that does it, and a way back. */
function confirmStep(ctx, step, buttons, { question, lines, label, send, done, back = () => reopen(step, buttons) }) {
  buttons.classList.add('hidden');
  const go = h('button', { class: 'small primary', type: 'button', 'data-action': 'confirm', onclick: async () => {
    go.disabled = true;
    try {
      await send();
      toast(done);
      ctx.refresh();
    } catch (err) {
      fill(step, problemBox(err), h('div', { class: 'actions' },
        h('button', { class: 'small', type: 'button', 'data-action': 'reload', onclick: () => ctx.refresh() }, L('刷新列表', 'Reload the list'))));
    }
  } }, label);
  fill(step, h('div', { class: 'notice', role: 'group' }, h('b', {}, question), kv(lines),
    h('div', { class: 'actions' }, go, h('button', { class: 'small', type: 'button', 'data-action': 'cancel', onclick: back }, L('返回', 'Back')))));
  go.focus();
}

function confirmApproval(ctx, d, step, buttons) {
  confirmStep(ctx, step, buttons, {
    question: L('确认拨付这笔资金？拨付后不可撤回。', 'Pay this out? A payment cannot be undone.'),
    lines: [[L('拨付金额', 'Amount'), h('b', {}, yuan(d.amount_fen))], [L('资金来源', 'From'), d.fund_name || '—'], [L('拨付对象', 'Paid for'), paidFor(d)], [L('事项', 'For'), bi(d.milestone)]],
    label: L('确认拨付', 'Pay it'),
    send: () => api(`/disbursements/${d.id}/approval`, { method: 'POST' }),
    done: L('已复核拨付', 'Approved and paid'),
  });
}

let hints = 0; // ids tying each reason box to its hint

function askReason(ctx, d, step, buttons, value = '') {
  buttons.classList.add('hidden');
  const hintId = `reason-hint-${++hints}`;
  const reason = h('textarea', { name: 'reason', maxlength: REASON[1], 'aria-describedby': hintId, value,
    placeholder: L('如：缺少验收材料，请补充后重新申请', 'e.g. the acceptance papers are missing: add them and ask again') });
  const hint = h('small', { id: hintId, class: 'hint' }, L(`必填，${REASON[0]}–${REASON[1]} 字；申请方将看到此理由。`, `Required, ${REASON[0]}–${REASON[1]} characters; the requester reads it.`));
  const form = h('form', { class: 'form', novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    const text = reason.value.trim();
    if (text.length < REASON[0] || text.length > REASON[1]) {
      reason.setAttribute('aria-invalid', 'true');
      hint.classList.add('bad');
      hint.textContent = text.length < REASON[0] ? L(`请写明驳回理由（至少 ${REASON[0]} 个字）`, `Say why (at least ${REASON[0]} characters)`) : L(`驳回理由不超过 ${REASON[1]} 字`, `At most ${REASON[1]} characters`);
      reason.focus();
      return;
    }
    confirmStep(ctx, step, buttons, {
      question: L('确认驳回这笔拨付申请？驳回后资金不动，申请方可按理由重新申请。', 'Reject this request? No money moves; the requester may ask again.'),
      lines: [[L('拨付金额', 'Amount'), h('b', {}, yuan(d.amount_fen))], [L('资金来源', 'From'), d.fund_name || '—'], [L('拨付对象', 'Paid for'), paidFor(d)], [L('驳回理由', 'Reason'), text]],
      label: L('确认驳回', 'Reject it'),
      send: () => api(`/disbursements/${d.id}/rejection`, { method: 'POST', body: { reason: text } }),
      done: L('已驳回', 'Rejected'),
      back: () => askReason(ctx, d, step, buttons, text),
    });
  } }, field(L('驳回理由', 'Reason'), reason, { required: true }), hint,
  h('div', { class: 'actions' }, h('button', { class: 'small primary', type: 'submit', 'data-action': 'next' }, L('下一步', 'Next')),
    h('button', { class: 'small', type: 'button', 'data-action': 'cancel', onclick: () => reopen(step, buttons) }, L('取消', 'Cancel'))));
  fill(step, form);
  reason.focus();
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
    areaPicker({ name: 'area', start: who.area, value: community, leaf: true, label: L('村（社区）', 'Village or community') }),
    h('input', { name: 'month', type: 'month', value: thisMonth(), 'aria-label': L('月份', 'Month') }),
    h('button', { type: 'submit' }, L('查看', 'Show')));
  if (community) load(community, thisMonth());
  else out.append(h('p', { class: 'muted small' }, L('选择村（社区）查看该社区爱心超市。', 'Choose a community to see its love supermarket.')));
  return h('section', { class: 'card', 'data-card': 'supermarket' }, h('h2', {}, L('爱心超市', 'Love supermarket')), form, out);
}
