// 党建: major matters and the committee's decisions, whistles and party members' reports, joint meetings
// and their actions, small wishes.
import { areaPicker } from '../area-picker.js';
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { card, noteWhenAllHidden } from '../cards.js';
import { gauge } from '../charts.js';
import { badge, empty, field, fill, h, localToIso, num, problemBox, select, showProblem, table, tile, toast, when, yuan } from '../dom.js';
import { L, bi, pick } from '../i18n.js';
import { areaName, cachedCategories, codeLabel, codeOptions, loadCategories } from '../labels.js';

function votes(d) {
  if (!d) return '—';
  const total = d.votes_for + d.votes_against + d.votes_abstain;
  const bar = h('div', { class: 'actions' }, badge(codeLabel('decision_outcome', d.outcome), d.outcome === 'approved' ? 'ok' : d.outcome === 'rejected' ? 'bad' : 'warn'),
    h('small', {}, L(`赞成 ${d.votes_for} · 反对 ${d.votes_against} · 弃权 ${d.votes_abstain}（应到 ${d.committee_size}，实到 ${total}）`,
      `for ${d.votes_for} · against ${d.votes_against} · abstain ${d.votes_abstain} (of ${d.committee_size}, ${total} present)`)));
  return d.reasons ? [bar, h('small', { class: 'muted' }, d.reasons)] : bar;
}

/** The list leaves a decision out: its votes load on request. */
function decisionLoader(m) {
  const slot = h('span', {});
  slot.append(h('button', { type: 'button', class: 'small', onclick: async () => {
    try {
      const full = await api(`/matters/${m.id}`);
      fill(slot, full.decision ? votes(full.decision) : badge(codeLabel('matter_status', full.status)));
    } catch (err) {
      fill(slot, badge(codeLabel('matter_status', m.status)));
    }
  } }, codeLabel('matter_status', m.status), ' · ', L('查看表决', 'votes')));
  return slot;
}

export async function render(ctx) {
  await loadCategories();
  const place = await areaName(ctx.who.area);
  const matters = card(L('重大事项（先议后决）', 'Major matters (studied before decided)'), () => api('/matters'), (list) => table([
    { label: L('事项', 'Matter'), value: (m) => [m.title, m.vital_interests && [' ', badge(L('切身利益', 'vital interests'), 'warn')]] },
    { label: L('类型', 'Kind'), value: (m) => codeLabel('matter_kind', m.kind) },
    { label: L('金额', 'Amount'), value: (m) => (m.amount_fen == null ? '—' : yuan(m.amount_fen)), num: true },
    { label: L('期限', 'Due'), value: (m) => [when(m.due_at, { date: true }), m.overdue && [' ', badge(L('逾期', 'overdue'), 'bad')]] },
    { label: L('决定', 'Decision'), value: (m) => (m.decision ? votes(m.decision)
      : m.status === 'decided' && may('GET /matters/{matter_id}') ? decisionLoader(m)
        : m.status === 'pending' && may('POST /matters/{matter_id}/decision') ? decideButton(ctx, m)
          : badge(codeLabel('matter_status', m.status), m.status === 'decided' ? '' : 'warn')) },
  ], list), { id: 'matters', reads: 'GET /matters' });
  const whistleStats = card(L('吹哨响应时效', 'Whistle response times'), () => api('/whistles/stats'), (st) => {
    const t = st.total;
    return h('div', {}, h('div', { class: 'tiles' }, tile(num(t.count), L('吹哨', 'Whistles'), 'party'), tile(num(t.answered), L('已接单', 'Answered'), 'party'),
      tile(t.median_response_s == null ? '—' : `${num(t.median_response_s / 60)} ${L('分钟', 'min')}`, L('响应中位数', 'Median response'), 'party'),
      tile(num(t.open_overdue), L('超时未接单', 'Overdue, open'), t.open_overdue ? 'bad' : 'ok')),
    gauge(t.answered ? t.answered_in_time / t.answered : null, null, { label: L('按时接单率', 'Answered in time') }));
  }, { id: 'whistle-stats', reads: 'GET /whistles/stats' });
  const whistles = card(L('社区吹哨、党员报到', 'Whistles and members reporting'), () => api('/whistles'), (list) => table([
    { label: L('吹哨', 'Whistle'), value: (w) => (w.need_id ? h('a', { href: `#/needs/${w.need_id}` }, w.title) : w.title) },
    { label: L('紧急', 'Urgency'), value: (w) => badge(codeLabel('urgency', w.urgency), w.urgency === 'urgent' ? 'urgent' : '') },
    { label: L('状态', 'Status'), value: (w) => [badge(codeLabel('whistle_status', w.status)), w.overdue && [' ', badge(L('超时', 'overdue'), 'bad')]] },
    { label: L('吹哨时间', 'Blown'), value: (w) => when(w.blown_at) },
    { label: L('首次响应', 'First response'), value: (w) => (w.first_response_at ? when(w.first_response_at) : '—') },
    { label: L('评价', 'Rating'), value: (w) => (w.satisfaction ? '★'.repeat(w.satisfaction) : '—') },
  ], list.slice(0, 30)), { id: 'whistles', reads: 'GET /whistles' });
  const meetings = card(L('党建联席会议', 'Joint meetings'), () => api('/joint-meetings'), (list) => (list.length ? h('ul', { class: 'list-plain' }, list.map((m) => h('li', { 'data-meeting': m.id },
    h('details', { class: 'grow', ontoggle: (e) => { if (e.target.open) meetingDetail(ctx, m, e.target.querySelector('.meeting-body')); } },
      h('summary', {}, m.title, ' ', badge(codeLabel('meeting_status', m.status)), ' ', h('small', {}, when(m.scheduled_at), ' · ', m.place)),
      h('div', { class: 'meeting-body' }))))) : empty()), { id: 'meetings', reads: 'GET /joint-meetings', extra: may('POST /joint-meetings') && conveneButton(ctx) });
  const actions = card(L('决议事项督办', 'Actions to follow up'), () => api('/meeting-actions'), (list) => table([
    { label: L('事项', 'Action'), value: (a) => a.title }, { label: L('责任方', 'Owner'), value: (a) => a.owner },
    { label: L('期限', 'Due'), value: (a) => when(a.due_at, { date: true }) },
    { label: L('状态', 'Status'), value: (a) => [badge(codeLabel('action_status', a.status), a.status === 'done' ? 'ok' : ''), a.overdue && [' ', badge(L('逾期', 'overdue'), 'bad')]] },
  ], list), { id: 'actions', reads: 'GET /meeting-actions' });
  const wishes = card(L('微心愿', 'Small wishes'), () => api('/wishes'), (list) => (list.length ? h('ul', { class: 'list-plain' }, list.map((w) => h('li', {},
    h('span', { class: 'grow' }, w.title, ' · ', h('small', {}, w.beneficiary)), badge(codeLabel('wish_status', w.status), w.status === 'fulfilled' ? 'ok' : ''),
    w.claimer && h('small', {}, w.claimer)))) : empty()), { id: 'wishes', reads: 'GET /wishes' });
  const grid = h('div', { class: 'grid' }, matters, h('div', { class: 'grid two' }, whistleStats, whistles), h('div', { class: 'grid two' }, meetings, actions), wishes);
  noteWhenAllHidden(grid, [matters, whistleStats, whistles, meetings, actions, wishes]);
  return h('div', {}, h('div', { class: 'page-head' }, h('h1', {}, L('党建引领', 'Party building')), h('span', { class: 'muted' }, place)),
    may('POST /matters') && matterForm(ctx), may('POST /whistles') && whistleForm(ctx), grid);
}

/** 提交重大事项: a matter the community brings to its party organization (先议后决). */
function matterForm(ctx) {
  const slot = h('div', {});
  const form = h('form', { class: 'form', id: 'matter-form', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const amount = f.get('amount_fen').trim();  // in yuan; named as the API names it, so a problem marks it
    const body = { kind: f.get('kind'), area_code: ctx.who.area, title: f.get('title').trim(), summary: f.get('summary').trim(),
      vital_interests: f.get('vital_interests') === 'on', ...(amount ? { amount_fen: Math.round(Number(amount) * 100) } : {}) };
    try {
      await api('/matters', { method: 'POST', body });
      toast(L('已提交党组织研究', 'Submitted to the party organization'));
      ctx.refresh();
    } catch (err) {
      showProblem(form, slot, err);
    }
  } },
  h('div', { class: 'fields three' },
    field(L('类型', 'Kind'), select('kind', codeOptions('submitted_matter_kind'), { value: 'other' })),
    field(L('事项', 'Matter'), h('input', { name: 'title', required: true, minlength: 2, maxlength: 200 }), { required: true }),
    field(L('金额（元）', 'Amount (yuan)'), h('input', { name: 'amount_fen', type: 'number', min: '0.01', step: '0.01', inputmode: 'decimal' }),
      { hint: L('使用社区基金须填写', 'required for a community-foundation use') })),
  field(L('情况说明', 'Summary'), h('textarea', { name: 'summary', maxlength: 4000 })),
  h('label', {}, h('input', { type: 'checkbox', name: 'vital_interests' }), ' ', L('涉及居民切身利益', "Touches residents' vital interests")),
  slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('提交研究', 'Submit'))));
  return h('details', { class: 'panel' }, h('summary', {}, L('＋ 提交重大事项', '+ Submit a major matter')), form);
}

/** 记录决定: the deciding committee, each member present or not and their vote, the quorum and the
 *  majority it needs (from the party service) shown as the votes are entered, then the outcome. */
function decideButton(ctx, m) {
  const slot = h('div', {});
  const open = h('button', { type: 'button', class: 'small primary', 'data-decide': m.id, onclick: async () => {
    open.disabled = true;
    try {
      slot.replaceChildren(decisionForm(ctx, m, await api(`/matters/${m.id}/committee`)));
      open.remove();
    } catch (err) {
      slot.replaceChildren(problemBox(err));
      open.disabled = false;
    }
  } }, L('记录表决', 'Record the vote'));
  return h('div', {}, badge(codeLabel('matter_status', m.status), 'warn'), ' ', open, slot);
}

const VOTES = [['absent', ['未到会', 'Absent']], ['for', ['赞成', 'For']], ['against', ['反对', 'Against']], ['abstain', ['弃权', 'Abstain']]];

function decisionForm(ctx, m, committee) {
  if (!committee.org_id) return h('p', { class: 'notice' }, bi(committee.note));
  const slot = h('div', {});
  const tally = h('p', { class: 'small', id: 'tally', 'aria-live': 'polite' });
  const rows = committee.seats.map((seat) => h('fieldset', { class: 'vote', 'data-seat': seat.id }, h('legend', {}, seat.name),
    h('div', { class: 'checks' }, VOTES.map(([v, label]) => h('label', {}, h('input', { type: 'radio', name: `vote-${seat.id}`, value: v, checked: v === 'absent' }), L(...label))))));
  const count = () => {
    const f = new FormData(form);
    const votes = committee.seats.map((seat) => [seat.id, f.get(`vote-${seat.id}`)]).filter(([, v]) => v !== 'absent');
    const forVotes = votes.filter(([, v]) => v === 'for').length;
    return { votes, present: votes.length, forVotes };
  };
  const show = () => {
    const { present, forVotes } = count();
    const quorum = present >= committee.quorum;
    const passes = forVotes >= committee.majority;
    tally.replaceChildren(
      badge(L(`到会 ${present} / 应到 ${committee.committee_size}（需至少 ${committee.quorum}）`, `present ${present} of ${committee.committee_size} (at least ${committee.quorum})`), quorum ? 'ok' : 'bad'), ' ',
      badge(L(`赞成 ${forVotes}（通过需至少 ${committee.majority}）`, `for ${forVotes} (${committee.majority} to pass)`), passes ? 'ok' : 'warn'));
    // a vote that passes is an approval; one that does not is a rejection or a revision (the secretary's choice)
    const outcome = form.querySelector('[name=outcome]');
    if (passes) outcome.value = 'approved';
    else if (outcome.value === 'approved') outcome.value = 'revise';
  };
  const now = new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 16);
  const form = h('form', { class: 'form', id: 'decision-form', onchange: show, onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = { meeting_held_at: localToIso(f.get('meeting_held_at')), outcome: f.get('outcome'), reasons: f.get('reasons').trim(),
      votes: count().votes.map(([seat_id, vote]) => ({ seat_id, vote })) };
    if (!window.confirm(L('表决结果记录后不可更改，确认提交？', 'A recorded decision is final. Record it?'))) return;
    try {
      await api(`/matters/${m.id}/decision`, { method: 'POST', body });
      toast(L('已记录党组织决定', 'Decision recorded'));
      ctx.refresh();
    } catch (err) {
      showProblem(form, slot, err);
    }
  } },
  h('p', { class: 'small muted' }, committee.org_name, L('委员会表决（应到会委员半数以上到会，赞成票超过应到会委员半数为通过）',
    ' committee (a quorum is more than half the committee; a proposal passes with more than half of it for)')),
  rows, tally,
  h('div', { class: 'fields three' },
    field(L('会议时间', 'Held at'), h('input', { type: 'datetime-local', name: 'meeting_held_at', required: true, value: now }), { required: true }),
    field(L('决定', 'Outcome'), select('outcome', [['approved', L('同意', 'Approved')], ['rejected', L('不同意', 'Rejected')], ['revise', L('退回修改', 'Revise')]], { value: 'revise' })),
    field(L('理由', 'Reasons'), h('input', { name: 'reasons', maxlength: 2000, placeholder: L('不同意或退回修改须写明', 'needed to reject or send back') }))),
  slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('记录决定', 'Record the decision'))));
  queueMicrotask(show);
  return form;
}

function whistleForm(ctx) {
  const slot = h('div', {});
  const cats = Object.entries(cachedCategories());
  const form = h('form', { class: 'form', id: 'whistle-form', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = { area_code: f.get('area_code').trim(), title: f.get('title').trim(), description: f.get('description').trim(), urgency: f.get('urgency'),
      required_skills: f.get('required_skills').split(/[,，、;；\s]+/).map((x) => x.trim()).filter(Boolean) };
    if (f.get('category')) body.category = f.get('category');
    try {
      const created = await api('/whistles', { method: 'POST', body });
      toast(L(`已吹哨，派给 ${created.dispatched_members} 名党员、${created.dispatched_units} 个责任单位`, `Whistle blown: ${created.dispatched_members} members, ${created.dispatched_units} units`));
      ctx.refresh();
    } catch (err) {
      showProblem(form, slot, err);
    }
  } },
  h('div', { class: 'fields three' },
    field(L('村（社区）', 'Village or community'), areaPicker({ name: 'area_code', start: ctx.who.area, leaf: true }), { required: true }),
    field(L('标题', 'Title'), h('input', { name: 'title', required: true, maxlength: 100 }), { required: true }),
    field(L('紧急程度', 'Urgency'), select('urgency', codeOptions('urgency'), { value: 'routine' })),
    field(L('类别（派给责任单位）', 'Category (for units)'), select('category', cats.map(([c, p]) => [c, pick(p)]), { blank: L('不限', 'any') })),
    field(L('所需技能', 'Skills'), h('input', { name: 'required_skills' })),
    field(L('说明', 'Description'), h('input', { name: 'description', maxlength: 2000 }))),
  slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('吹哨', 'Blow the whistle'))));
  return h('details', { class: 'panel' }, h('summary', {}, L('＋ 社区吹哨', '+ Blow the whistle')), form);
}


// --- 党建联席会议: convene one with its agenda, adopt resolutions that dispatch actions ------------------

const beijing = (ms) => new Date(ms + 8 * 3600000).toISOString().slice(0, 16);

function conveneButton(ctx) {
  const open = h('button', { type: 'button', class: 'small', id: 'convene', onclick: () => {
    open.replaceWith(conveneForm(ctx));
  } }, L('＋ 召开联席会议', '+ Convene'));
  return open;
}

/** The four other actors must each be represented (the party service checks it); the open agenda
 *  items of the area are put on the agenda by the service. */
function conveneForm(ctx) {
  const slot = h('div', {});
  const form = h('form', { class: 'form', id: 'convene-form', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const participants = codeOptions('meeting_actor').map(([actor]) => ({ actor, name: f.get(`${actor}.name`).trim(), unit: f.get(`${actor}.unit`).trim() })).filter((x) => x.name);
    try {
      await api('/joint-meetings', { method: 'POST', body: { area_code: ctx.who.area, title: f.get('title').trim(), place: f.get('place').trim(),
        scheduled_at: localToIso(f.get('scheduled_at')), participants } });
      toast(L('已召开，待上会议题已列入议程', 'Convened: the open agenda items are on its agenda'));
      ctx.refresh();
    } catch (err) {
      showProblem(form, slot, err);
    }
  } },
  h('div', { class: 'fields three' },
    field(L('会议名称', 'Title'), h('input', { name: 'title', required: true, maxlength: 200 }), { required: true }),
    field(L('时间', 'When'), h('input', { name: 'scheduled_at', type: 'datetime-local', required: true, value: beijing(Date.now() + 86400000) }), { required: true }),
    field(L('地点', 'Place'), h('input', { name: 'place', required: true, maxlength: 200 }), { required: true })),
  h('p', { class: 'small muted' }, L('社会组织、社会工作者、志愿者、慈善资源四方须各有代表：', 'Each of the four other actors sends someone:')),
  codeOptions('meeting_actor').map(([actor, label]) => h('div', { class: 'fields two', 'data-actor': actor },
    field(`${label} · ${L('姓名', 'name')}`, h('input', { name: `${actor}.name`, maxlength: 50 })),
    field(L('单位', 'Unit'), h('input', { name: `${actor}.unit`, maxlength: 100 })))),
  slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('召开', 'Convene'))));
  return form;
}

async function meetingDetail(ctx, summary, box) {
  if (box.dataset.loaded) return;
  box.dataset.loaded = '1';
  try {
    const m = await api(`/joint-meetings/${summary.id}`);
    box.replaceChildren(
      h('p', { class: 'small' }, L('参会：', 'Present: '), m.participants.map((x) => `${x.name}${x.unit ? `（${x.unit}）` : ''}`).join('、')),
      h('h4', {}, L('议程', 'Agenda')), m.agenda.length ? h('ol', { class: 'small' }, m.agenda.map((a) => h('li', {}, a.summary))) : empty(L('无议题', 'No items')),
      h('h4', {}, L('决议与督办事项', 'Resolutions and actions')),
      m.resolutions.length ? h('ul', { class: 'small', id: 'resolutions' }, m.resolutions.map((r) => h('li', {}, r.text,
        h('ul', {}, m.actions.filter((a) => a.resolution_id === r.id).map((a) => h('li', {}, a.title, ' · ', a.owner, ' · ', L('期限 ', 'due '), when(a.due_at, { date: true }), ' ', badge(codeLabel('action_status', a.status)))))))) : empty(L('尚无决议', 'No resolution yet')),
      may('POST /joint-meetings/{meeting_id}/resolutions') && resolutionForm(ctx, m));
  } catch (err) {
    box.replaceChildren(problemBox(err));
  }
}

function resolutionForm(ctx, m) {
  const slot = h('div', {});
  const form = h('form', { class: 'form', id: 'resolution-form', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const action = f.get('action.title').trim() && {
      kind: f.get('action.kind'), title: f.get('action.title').trim(), owner: f.get('action.owner').trim(), details: f.get('action.details').trim(),
      due_at: localToIso(`${f.get('action.due_on')}T18:00`),
      ...(f.get('action.kind') === 'earmark_funds' ? { amount_fen: Math.round(Number(f.get('action.amount') || 0) * 100) } : {}),
    };
    try {
      await api(`/joint-meetings/${m.id}/resolutions`, { method: 'POST', body: { text: f.get('text').trim(),
        ...(f.get('agenda_item_id') ? { agenda_item_id: f.get('agenda_item_id') } : {}), actions: action ? [action] : [] } });
      toast(L('决议已形成，事项已派发', 'Resolved: the action is dispatched'));
      ctx.refresh();
    } catch (err) {
      showProblem(form, slot, err);
    }
  } },
  h('h4', {}, L('形成决议', 'Adopt a resolution')),
  m.agenda.length > 0 && field(L('议题', 'Agenda item'), select('agenda_item_id', m.agenda.map((a) => [a.id, a.summary]), { blank: L('（不对应议题）', '(none)') })),
  field(L('决议内容', 'Resolved'), h('textarea', { name: 'text', required: true, maxlength: 4000 }), { required: true }),
  h('p', { class: 'small muted' }, L('派发督办事项（可选）', 'Dispatch an action (optional)')),
  h('div', { class: 'fields three' },
    field(L('类型', 'Kind'), select('action.kind', codeOptions('action_kind'), { value: 'other' })),
    field(L('事项', 'Action'), h('input', { name: 'action.title', maxlength: 200 })),
    field(L('责任方', 'Owner'), h('input', { name: 'action.owner', maxlength: 100, placeholder: L('如 长安区志愿者协会', 'e.g. the volunteers association') })),
    field(L('完成期限', 'Due on'), h('input', { name: 'action.due_on', type: 'date', value: beijing(Date.now() + 14 * 86400000).slice(0, 10) })),
    field(L('金额（元，定向拨付时）', 'Amount (yuan, to earmark)'), h('input', { name: 'action.amount', type: 'number', min: '0.01', step: '0.01' })),
    field(L('说明', 'Details'), h('input', { name: 'action.details', maxlength: 4000 }))),
  slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('形成决议并派发', 'Resolve and dispatch'))));
  return form;
}
