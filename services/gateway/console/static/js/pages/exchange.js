// 数据交换: for the civil-affairs office, the partners of its area, their webhook subscriptions and the
// portals' callbacks with how their deliveries go, and replay; for a partner, its own subscriptions.
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { card, noteWhenAllHidden } from '../cards.js';
import { badge, empty, fill, h, num, pct, problemBox, table, toast, when } from '../dom.js';
import { L } from '../i18n.js';
import { areaName } from '../labels.js';

const DELIVERY_STATUS = {
  pending: [['待投递', 'Pending'], 'warn'], failed: [['重试中', 'Retrying'], 'warn'],
  delivered: [['已送达', 'Delivered'], 'resolved'], dead: [['已放弃', 'Given up'], 'bad'],
};
const deliveryState = (status) => badge(L(...DELIVERY_STATUS[status][0]), DELIVERY_STATUS[status][1]);
const REPLAY_HOURS = 24;
// The operations behind each button: an office works on its area's endpoints, a partner on its own subscriptions.
const OPS = {
  office: {
    deliveries: 'GET /exchange/endpoints/{subscription_id}/deliveries', replay: 'POST /exchange/endpoints/{subscription_id}/replay',
    retry: 'POST /exchange/endpoints/{subscription_id}/deliveries/{delivery_id}/retry',
  },
  partner: {
    deliveries: 'GET /webhooks/{subscription_id}/deliveries', replay: 'POST /webhooks/{subscription_id}/replay',
    retry: 'POST /webhooks/{subscription_id}/deliveries/{delivery_id}/retry',
  },
};

export async function render(ctx) {
  const who = ctx.who;
  const place = await areaName(who.area);
  const cards = [ownSubscriptions(ctx), partnersCard(ctx), portalsCard(ctx)];
  const grid = h('div', { class: 'grid' }, ...cards);
  noteWhenAllHidden(grid, cards);
  return h('div', {},
    h('div', { class: 'page-head' }, h('h1', {}, L('数据交换', 'Data exchange')), h('span', { class: 'muted' }, place)),
    h('p', { class: 'muted' }, L('合作方通过 NATS 或 Webhook 接收公开事件（不含个人信息）；门户（如 12345 热线）推送工单并接收办理进展。',
      'Partners receive public events (no personal data) over NATS or webhooks; portals (e.g. 12345 hotlines) push work orders and hear of their progress.')),
    grid);
}

function partnersCard(ctx) {
  return card(L('合作方与订阅', 'Partners and their subscriptions'), () => api('/exchange/partners'), (list) => {
    if (!list.length) return empty(L('本辖区尚无合作方（wushe partner add 登记）', 'No partners in your area yet (wushe partner add)'));
    return h('div', {}, list.map((p) => h('article', { class: 'exchange-partner', 'data-partner': p.partner.name },
      h('h3', {}, p.partner.label, ' ', p.partner.revoked_at ? badge(L('已撤销', 'Revoked'), 'bad') : badge(L('有效', 'Active'), 'resolved')),
      h('p', { class: 'small muted' }, `${p.partner.area_name} · ${L('可见事件', 'Events')}：${p.event_labels.join('、')}`),
      p.subscriptions.length ? endpointsTable(ctx, p.subscriptions) : h('p', { class: 'small muted' }, L('未订阅 Webhook（可能通过 NATS 接收）', 'No webhook subscription (may read over NATS)')))));
  }, { id: 'exchange-partners', reads: 'GET /exchange/partners' });
}

function portalsCard(ctx) {
  return card(L('门户回调', 'Portal callbacks'), () => api('/exchange/portals'), (list) => (list.length
    ? endpointsTable(ctx, list.map((p) => ({ ...p.callback, owner: p.label })), { owner: true })
    : empty(L('尚无门户回调（wushe portal add --callback 登记）', 'No portal callbacks yet (wushe portal add --callback)'))), { id: 'exchange-portals', reads: 'GET /exchange/portals' });
}

function state(e) {
  if (!e.enabled) return badge(L('已停用', 'Disabled'), 'bad');
  if (e.failing_since) return badge(L('投递失败中', 'Failing'), 'warn');
  return badge(L('正常', 'Healthy'), 'resolved');
}

function endpointsTable(ctx, endpoints, { owner = false } = {}) {
  const detail = h('div', {});
  return h('div', {}, table([
    owner && { label: L('门户', 'Portal'), value: (e) => e.owner },
    { label: L('接收网址', 'Endpoint'), value: (e) => h('code', { class: 'small' }, e.url) },
    !owner && { label: L('事件', 'Events'), value: (e) => e.event_labels.join('、') },
    { label: L('状态', 'State'), value: (e) => h('span', {}, state(e), e.disabled_reason ? h('small', { class: 'muted' }, ` ${e.disabled_reason}`) : '') },
    { label: L('成功率', 'Success'), value: (e) => (e.health.success_rate == null ? '—' : pct(e.health.success_rate)), num: true },
    { label: 'P99', value: (e) => (e.health.p99_latency_ms == null ? '—' : `${num(e.health.p99_latency_ms)} ms`), num: true },
    { label: L('已送达', 'Delivered'), value: (e) => num(e.health.delivered), num: true },
    { label: L('待投递', 'Pending'), value: (e) => num(e.health.pending), num: true },
    { label: L('最近成功', 'Last success'), value: (e) => when(e.health.last_success_at) },
    { label: L('最近失败', 'Last failure'), value: (e) => (e.health.last_failure ? `${when(e.health.last_failure.at)} ${e.health.last_failure.error}` : '—') },
    { label: '', value: (e) => h('span', { class: 'actions' },
      may(OPS.office.deliveries) && h('button', { class: 'small', type: 'button', 'data-action': 'deliveries', onclick: () => showDeliveries(detail, `/exchange/endpoints/${e.id}`) }, L('投递记录', 'Deliveries')),
      may(OPS.office.replay) && replayButton(ctx, `/exchange/endpoints/${e.id}/replay`)) },
  ].filter(Boolean), endpoints), detail);
}

function replayButton(ctx, path) {
  return h('button', { class: 'small', type: 'button', 'data-action': 'replay', onclick: async (e) => {
    if (!window.confirm(L(`重新发送最近 ${REPLAY_HOURS} 小时的全部投递？接收方将按 webhook-id 去重。`,
      `Send every delivery of the last ${REPLAY_HOURS} hours again? The receiver dedupes by webhook-id.`))) return;
    e.currentTarget.disabled = true;
    const since = new Date(Date.now() - REPLAY_HOURS * 3600 * 1000).toISOString();
    try {
      const done = await api(path, { method: 'POST', body: { since } });
      toast(L(`已重新排队 ${done.queued} 条`, `${done.queued} queued again`));
      ctx.refresh();
    } catch (err) { e.target.closest('td').append(problemBox(err)); }
  } }, L(`重放 ${REPLAY_HOURS} 小时`, `Replay ${REPLAY_HOURS} h`));
}

async function showDeliveries(slot, base, { partner = false } = {}) {
  fill(slot, h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
  try {
    const answer = await api(`${base}/deliveries`, { query: { limit: 50 } });
    const rows = partner ? answer.deliveries.slice().reverse() : answer;
    fill(slot, h('h3', {}, L('最近的投递', 'Latest deliveries')), rows.length ? table([
      { label: L('事件', 'Event'), value: (d) => d.type_label },
      { label: L('状态', 'State'), value: (d) => deliveryState(d.status) },
      { label: L('尝试', 'Attempts'), value: (d) => num(d.attempts), num: true },
      { label: L('应答', 'Answer'), value: (d) => (d.last_status == null ? '—' : `HTTP ${d.last_status}`) },
      { label: L('耗时', 'Latency'), value: (d) => (d.last_latency_ms == null ? '—' : `${num(d.last_latency_ms)} ms`), num: true },
      { label: L('原因', 'Reason'), value: (d) => d.last_error || '—' },
      { label: L('时间', 'When'), value: (d) => when(d.delivered_at || d.last_attempt_at || d.created_at) },
      { label: '', value: (d) => (['failed', 'dead'].includes(d.status) && may(OPS[partner ? 'partner' : 'office'].retry) ? h('button', { class: 'small', type: 'button', 'data-action': 'retry', onclick: async (e) => {
        e.currentTarget.disabled = true;
        try { await api(`${base}/deliveries/${d.id}/retry`, { method: 'POST' }); toast(L('已重新排队', 'Queued again')); } catch (err) { e.target.closest('td').append(problemBox(err)); }
      } }, L('重发', 'Retry')) : '') },
    ], rows) : empty(L('尚无投递', 'No deliveries yet')));
  } catch (err) {
    fill(slot, problemBox(err));
  }
}

function ownSubscriptions(ctx) {
  const detail = h('div', {});
  return card(L('我的 Webhook 订阅', 'My webhook subscriptions'), () => api('/webhooks'), (list) => (list.length ? h('div', {}, table([
    { label: L('接收网址', 'Endpoint'), value: (s) => h('code', { class: 'small' }, s.url) },
    { label: L('辖区', 'Area'), value: (s) => s.area_name },
    { label: L('状态', 'State'), value: (s) => h('span', {}, state(s), s.disabled_reason ? h('small', { class: 'muted' }, ` ${s.disabled_reason}`) : '') },
    { label: L('待投递', 'Pending'), value: (s) => num(s.pending), num: true },
    { label: L('最近成功', 'Last success'), value: (s) => when(s.last_success_at) },
    { label: '', value: (s) => h('span', { class: 'actions' },
      may(OPS.partner.deliveries) && h('button', { class: 'small', type: 'button', 'data-action': 'deliveries', onclick: () => showDeliveries(detail, `/webhooks/${s.id}`, { partner: true }) }, L('投递记录', 'Deliveries')),
      may(OPS.partner.replay) && replayButton(ctx, `/webhooks/${s.id}/replay`)) },
  ], list), detail) : empty(L('尚无订阅：POST /api/v1/webhooks 订阅', 'No subscriptions yet: POST /api/v1/webhooks'))), { id: 'exchange-own', reads: 'GET /webhooks' });
}
