// The actions a role may take on a need, by the need's state (shown on its page, need-detail.js).
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { actionForm, field, h, select } from '../dom.js';
import { L, pick } from '../i18n.js';
import { cachedCategories, codeLabel, codeOptions } from '../labels.js';

export function actionsCard(ctx, n, timeline) {
  const who = ctx.who;
  const box = h('section', { class: 'card', id: 'need-actions' }, h('h2', {}, L('办理', 'Actions')));
  const forms = [];
  // each form only where the role's table lists the operation it sends
  if (['raised', 'reopened'].includes(n.status)) {
    if (may('POST /needs/{need_id}/assessment')) forms.push(assessForm(ctx, n));
    if (may('POST /needs/{need_id}/return')) forms.push(returnForm(ctx, n));
  }
  if (may('POST /needs/{need_id}/resolution') && ['routed', 'matched'].includes(n.status)) forms.push(resolveForm(ctx, n, who));
  if (may('POST /needs/{need_id}/feedback') && n.status === 'resolved') forms.push(feedbackForm(ctx, n));
  if (may('POST /needs/{need_id}/disputes') && ['resolved', 'closed'].includes(n.status)) forms.push(disputeForm(ctx, n));
  if (n.status === 'disputed') {
    const opened = [...(timeline || [])].reverse().find((e) => e.kind === 'mediation_opened');
    const mediation = opened?.detail?.case_id && mediationForm(ctx, n, opened.detail.case_id);
    if (mediation) forms.push(mediation);
  }
  if (may('POST /needs/{need_id}/revisits') && ['resolved', 'closed'].includes(n.status)) forms.push(revisitForm(ctx, n));
  if (n.status === 'routed') {
    box.append(h('p', { class: 'notice' }, L(`已分派至「${codeLabel('route', n.route)}」，等待承接方（志愿者、项目或慈善）对接；对接后此页自动更新。`,
      `Routed to “${codeLabel('route', n.route)}”: waiting for a provider (volunteer, project or charity); this page updates when one takes it on.`)));
  }
  if (!forms.length) box.append(h('p', { class: 'muted' }, L('当前状态下，你的角色没有可执行的操作。', 'Nothing for your role to do in this state.')));
  box.append(...forms);
  return box;
}

function assessForm(ctx, n) {
  const cats = Object.entries(cachedCategories()).filter(([, p]) => p.active !== false);
  return actionForm('assess-form', L('评估并分派', 'Assess and route'), [
    h('div', { class: 'fields two' },
      field(L('类别', 'Category'), select('category', cats.map(([c, p]) => [c, pick(p)]), { value: n.category })),
      field(L('紧急程度', 'Urgency'), select('urgency', codeOptions('urgency'), { value: n.urgency }))),
    field(L('服务方案', 'Service plan'), h('textarea', { name: 'service_plan', required: true, placeholder: L('如：每日午餐送餐上门，持续一个月', 'e.g. lunch delivered daily for a month') }), { required: true }),
    h('fieldset', {}, h('legend', {}, L('分派路径', 'Route')), h('div', { class: 'checks' }, codeOptions('route').map(([c, label], i) =>
      h('label', {}, h('input', { type: 'radio', name: 'route', value: c, checked: i === 0 }), label)))),
  ], L('提交评估', 'Assess'), (f) => api(`/needs/${n.id}/assessment`, { method: 'POST', body: {
    category: f.get('category'), urgency: f.get('urgency'), service_plan: f.get('service_plan').trim(), route: f.get('route'),
  } }), ctx);
}

// 退单: a need the community will not take on goes back (to the portal it came from, if any)
function returnForm(ctx, n) {
  return actionForm('return-form', L('退回（退单）', 'Return'), [
    field(L('退回原因', 'Reason'), h('input', { name: 'reason', required: true, minlength: 2, maxlength: 500, placeholder: L('如：不属于本社区职责范围', 'e.g. not within the community\'s remit') }), { required: true }),
  ], L('确认退回', 'Return it'), (f) => api(`/needs/${n.id}/return`, { method: 'POST', body: { reason: f.get('reason').trim() } }), ctx);
}

function resolveForm(ctx, n, who) {
  // not a permission: the resident confirms for themself, anyone else does so on their behalf
  const resident = who?.role === 'resident';
  return actionForm('resolve-form', L('确认解决', 'Confirm resolution'), [
    !resident && h('div', { class: 'checks' }, h('label', {}, h('input', { type: 'checkbox', name: 'on_behalf_of_resident', checked: true }), L('代居民确认', 'Confirm for the resident'))),
    field(L('说明', 'Note'), h('input', { name: 'note', maxlength: 1000 })),
  ], L('确认已解决', 'Mark resolved'), (f) => api(`/needs/${n.id}/resolution`, { method: 'POST', body: {
    on_behalf_of_resident: !resident && f.get('on_behalf_of_resident') === 'on', note: f.get('note').trim(),
  } }), ctx);
}

function feedbackForm(ctx, n) {
  const value = h('input', { type: 'hidden', name: 'satisfaction', value: '5' });
  const stars = h('div', { class: 'stars', role: 'radiogroup', 'aria-label': L('满意度', 'Satisfaction') });
  const paint = (v) => [...stars.children].forEach((b, i) => { b.classList.toggle('on', i < v); b.setAttribute('aria-checked', String(i + 1 === v)); });
  for (let i = 1; i <= 5; i += 1) {
    stars.append(h('button', { type: 'button', role: 'radio', 'data-star': i, title: `${i}`, onclick: () => { value.value = String(i); paint(i); } }, '★'));
  }
  paint(5);
  return actionForm('feedback-form', L('居民评价（群众评判）', "The resident's judgement"), [
    value, stars, h('small', {}, L('1–2 星表示不满意，需求将重新打开', '1–2 stars: not met, the need reopens')),
    field(L('评价内容', 'Comment'), h('input', { name: 'comment', maxlength: 1000 })),
  ], L('提交评价', 'Submit feedback'), (f) => api(`/needs/${n.id}/feedback`, { method: 'POST', body: {
    satisfaction: Number(f.get('satisfaction')), comment: f.get('comment').trim(),
  } }), ctx);
}

function disputeForm(ctx, n) {
  const form = actionForm('dispute-form', L('提出异议（进入调处）', 'Dispute (mediation)'), [
    field(L('异议理由', 'Reason'), h('input', { name: 'reason', required: true, maxlength: 1000 }), { required: true }),
  ], L('提出异议', 'Open a dispute'), (f) => api(`/needs/${n.id}/disputes`, { method: 'POST', body: { reason: f.get('reason').trim() } }), ctx);
  return h('details', {}, h('summary', {}, L('居民有异议？', 'The resident disagrees?')), form);
}

/** Settling and escalating a mediation, each where the table lists it; null when neither is. */
function mediationForm(ctx, n, caseId) {
  const parts = [
    may('POST /mediations/{case_id}/settlement') && actionForm('settle-form', L('调处办结', 'Settle the mediation'), [
      field(L('调处结果', 'Outcome'), h('input', { name: 'outcome', required: true }), { required: true }),
    ], L('办结', 'Settle'), (f) => api(`/mediations/${caseId}/settlement`, { method: 'POST', body: { outcome: f.get('outcome').trim() } }), ctx),
    may('POST /mediations/{case_id}/escalation') && actionForm('escalate-form', L('提交党建联席会议', 'Escalate to the joint meeting'), [
      field(L('理由', 'Reason'), h('input', { name: 'reason', required: true }), { required: true }),
    ], L('提交', 'Escalate'), (f) => api(`/mediations/${caseId}/escalation`, { method: 'POST', body: { reason: f.get('reason').trim() } }), ctx),
  ].filter(Boolean);
  return parts.length ? h('div', {}, parts) : null;
}

function revisitForm(ctx, n) {
  const form = actionForm('revisit-form', L('记录回访', 'Record a revisit'), [
    field(L('回访情况', 'Notes'), h('input', { name: 'notes', maxlength: 2000 })),
  ], L('保存回访', 'Save'), (f) => api(`/needs/${n.id}/revisits`, { method: 'POST', body: { notes: f.get('notes').trim() } }), ctx);
  return h('details', {}, h('summary', {}, L('回访', 'Revisit')), form);
}
