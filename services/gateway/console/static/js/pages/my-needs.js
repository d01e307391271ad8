// 我的诉求: a resident's own needs and their wards', phone first — raise one for myself or my ward, follow each one's progress,
// confirm it is met, rate the service (a low rating reopens it), ask for a revisit, or dispute the outcome. One answer
// from the needs service (GET /needs/mine) says what each need allows now.
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { actionForm, badge, empty, field, h, select, when } from '../dom.js';
import { L, bi, pick } from '../i18n.js';
import { areaName, cachedCategories, codeOptions, loadCategories } from '../labels.js';

const STATUS_CLASS = { raised: 'warn', reopened: 'warn', routed: 'info', matched: 'info', resolved: 'ok', closed: 'ok', disputed: 'bad', returned: '' };

export async function render(ctx) {
  await loadCategories();
  const mine = await api('/needs/mine');
  const place = await areaName(ctx.who.area);
  return h('div', { class: 'stack', id: 'my-needs' },
    h('div', { class: 'page-head' }, h('h1', {}, L('我的诉求', 'My requests')), h('span', { class: 'muted' }, place)),
    may('POST /needs') && raiseForm(ctx, mine),
    h('section', { class: 'card', id: 'my-need-list' }, h('h2', {}, L('我的诉求与进展', 'My requests and how they go')),
      mine.items.length ? h('ul', { class: 'list-plain' }, mine.items.map((x) => myNeed(ctx, x)))
        : empty(L('还没有诉求：可在上方登记。', 'No requests yet: raise one above.'))));
}

const sent = (ctx, id, title, fields, submit, send) => actionForm(id, title, fields, submit, send, ctx, { done: L('已提交', 'Sent') });

function raiseForm(ctx, mine) {
  const categories = Object.entries(cachedCategories()).filter(([, p]) => p.active !== false).map(([c, p]) => [c, pick(p)]);
  // a registered resident raises with their registration; one not registered says who they are
  // a guardian (监护人) raises for themself or a ward registered with them
  const forWhom = mine.wards.length ? [field(L('为谁登记', 'For whom'), select('resident_id',
    [[mine.resident_id, L('本人', 'Myself')], ...mine.wards.map((w) => [w.resident_id, L(`我监护的 ${w.name}`, `My ward ${w.name}`)])],
    { value: mine.resident_id }))] : [];
  const identity = mine.resident_id ? forWhom : [h('div', { class: 'fields two' },
    field(L('姓名', 'Name'), h('input', { name: 'resident.name', required: true, autocomplete: 'name' }), { required: true }),
    field(L('联系电话', 'Phone'), h('input', { name: 'resident.phone', required: true, inputmode: 'tel', autocomplete: 'tel' }), { required: true })),
  field(L('公民身份号码', 'Citizen ID'), h('input', { name: 'resident.citizen_id', required: true, autocomplete: 'off' }), { required: true,
    hint: L('仅用于核实是本人，页面与事件中不显示', 'only to check it is you; never shown or sent on') })];
  const body = h('details', { class: 'panel', id: 'raise-need' }, h('summary', {}, L('＋ 登记新诉求', '+ Raise a request')),
    sent(ctx, 'raise-form', null, [
      h('div', { class: 'fields two' },
        field(L('类别', 'Category'), select('category', categories, { required: true })),
        field(L('紧急程度', 'Urgency'), select('urgency', codeOptions('urgency'), { value: 'routine' }))),
      field(L('需要什么帮助', 'What help you need'), h('textarea', { name: 'description', required: true, maxlength: 2000,
        placeholder: L('如：腿脚不便，希望有人每周帮忙买菜', 'e.g. I cannot walk far: someone to shop for me weekly') }), { required: true }),
      ...identity,
    ], L('提交', 'Send'), (f) => api('/needs', { method: 'POST', body: {
      area_code: ctx.who.area, channel: 'self_report', category: f.get('category'), urgency: f.get('urgency'),
      description: f.get('description').trim(),
      ...(mine.resident_id ? { resident_id: f.get('resident_id') || mine.resident_id } : { resident: {
        name: f.get('resident.name').trim(), phone: f.get('resident.phone').trim(), citizen_id: f.get('resident.citizen_id').trim().toUpperCase() } }),
    } })));
  return h('section', { class: 'card' }, body);
}

function myNeed(ctx, x) {
  const n = x.need;
  const path = `/needs/${n.id}`;
  const actions = [];
  if (x.may_confirm && may('POST /needs/{need_id}/resolution')) {
    actions.push(sent(ctx, 'confirm-form', null, [h('p', { class: 'small' }, L('服务已经完成、问题已解决？', 'Has the help been given and the need met?'))],
      L('确认已解决', 'Confirm it is met'), () => api(`${path}/resolution`, { method: 'POST', body: { on_behalf_of_resident: false } })));
  }
  if (x.may_rate && may('POST /needs/{need_id}/feedback')) {
    const stars = [5, 4, 3, 2, 1].map((v) => [String(v), `${'★'.repeat(v)}${'☆'.repeat(5 - v)}`]);
    actions.push(sent(ctx, 'rate-form', L('评价这次服务', 'Rate the service'), [
      field(L('满意度', 'Satisfaction'), select('satisfaction', stars, { value: '5' }),
        { hint: L('1–2 星表示不满意，诉求将重新办理', '1–2 stars: not satisfied, the request is reopened') }),
      field(L('意见（可选）', 'Comment (optional)'), h('input', { name: 'comment', maxlength: 1000 })),
    ], L('提交评价', 'Rate'), (f) => api(`${path}/feedback`, { method: 'POST', body: { satisfaction: Number(f.get('satisfaction')), comment: f.get('comment').trim() } })));
  }
  if (x.may_dispute && may('POST /needs/{need_id}/disputes')) {
    actions.push(h('details', { class: 'panel' }, h('summary', {}, L('对结果有异议', 'Dispute the outcome')),
      sent(ctx, 'dispute-form', null, [field(L('异议理由', 'Why'), h('textarea', { name: 'reason', required: true, maxlength: 1000 }), { required: true })],
        L('提交异议', 'Dispute'), (f) => api(`${path}/disputes`, { method: 'POST', body: { reason: f.get('reason').trim() } }))));
  }
  if (x.may_ask_revisit && may('POST /needs/{need_id}/revisit-request')) {
    actions.push(sent(ctx, 'revisit-form', null, [h('p', { class: 'small' }, L('希望社区再来看看？', 'Would you like the community to come back?'))],
      L('请求回访', 'Ask for a revisit'), () => api(`${path}/revisit-request`, { method: 'POST' })));
  }
  return h('li', { class: 'need-line', 'data-need': n.id },
    h('div', { class: 'grow' },
      h('b', {}, n.category_label), ' ', badge(n.status_label, STATUS_CLASS[n.status] || ''),
      x.ward && h('small', { class: 'muted' }, ' ', L(`为 ${x.ward}`, `for ${x.ward}`)),
      h('p', {}, n.description),
      h('small', { class: 'muted' }, L('登记于 ', 'Raised '), when(n.raised_at), n.satisfaction ? ` · ${L('评价', 'rated')} ${'★'.repeat(n.satisfaction)}` : ''),
      x.timeline.length > 0 && h('ol', { class: 'timeline small' }, x.timeline.map((e) =>
        h('li', {}, h('span', { class: 'muted' }, when(e.at)), ' ', e.actor_label, ' · ', bi(e.kind_label))))),
    actions.length > 0 && h('div', { class: 'stack' }, actions));
}
