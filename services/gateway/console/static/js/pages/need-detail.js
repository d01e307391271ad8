// One need, every actor (Need360): its steps, its facts, the timeline, and what each service holds.
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { badge, dataView, empty, fill, h, kv, problemBox, toast, when, yuan } from '../dom.js';
import { L, bi } from '../i18n.js';
import {
  actorLabel, areaName, categoryLabel, codeKeys, codeLabel, loadCategories, loadCodeLists, projectStatus, sectionStatus,
  taskTitle,
} from '../labels.js';
import { actionsCard } from './need-actions.js';
import { statusBadge, urgencyBadge } from './need-badges.js';

async function need360(id) {
  try {
    return await api(`/views/needs/${id}`);
  } catch (err) {
    // the composed view not deployed yet: compose what the services already answer
    if (err.status === 404 && /views/.test(err.problem?.detail || '')) return composeFallback(id);
    throw err;
  }
}

async function composeFallback(id) {
  const forbidden = (operation) => (may(operation) ? null : Promise.resolve({ status: 'forbidden', t: [] }));
  const [composed, timeline, task] = await Promise.all([
    api(`/needs/${id}`),
    forbidden('GET /needs/{need_id}/timeline') || api(`/needs/${id}/timeline`).then((t) => ({ status: 'available', t }), (e) => ({ status: e.status === 403 ? 'forbidden' : 'unavailable', t: [] })),
    forbidden('GET /tasks/by-need/{need_id}') || api(`/tasks/by-need/${id}`).then((d) => ({ status: 'available', d }), (e) => ({ status: e.status === 404 ? 'not_found' : e.status === 403 ? 'forbidden' : 'unavailable' })),
  ]);
  const none = (service) => ({ service, status: 'unavailable', data: null });
  return {
    need_id: id, need: { service: 'needs', status: 'available', data: composed.need },
    timeline: timeline.t, timeline_status: timeline.status,
    volunteers: { service: 'volunteers', status: task.status, data: task.d ? { task: task.d } : null },
    projects: none('projects'), charity: none('charity'), party: none('party'),
  };
}

const STEPS = [['raised', '登记', 'Raised'], ['routed', '评估分派', 'Routed'], ['matched', '对接', 'Matched'],
  ['resolved', '解决', 'Resolved'], ['closed', '评价办结', 'Judged']];

function stepsBar(status) {
  const order = STEPS.map(([s]) => s);
  const at = { reopened: 0, disputed: 3, closed: STEPS.length }[status] ?? order.indexOf(status);
  return h('div', { class: 'steps', 'aria-label': L('办理进度', 'Progress') }, STEPS.map(([s, zh, en], i) =>
    h('span', { class: i < at ? 'done' : i === at ? 'now' : '' }, L(zh, en))));
}

export async function detail(ctx) {
  const [id] = ctx.params;
  await Promise.all([loadCategories(), loadCodeLists()]);
  let view;
  try {
    view = await need360(id);
  } catch (err) {
    if (err.status === 404) {
      return h('div', {}, h('h1', {}, L('需求', 'Need')), h('p', { class: 'notice' }, L('没有这条需求，或它不在你的辖区内。', 'No such need, or it is outside your jurisdiction.')));
    }
    throw err;
  }
  const n = view.need.data;
  if (!n) throw Object.assign(new Error('need'), { problem: { title: sectionStatus(view.need.status) } });
  const place = await areaName(n.area_code);
  const page = h('div', { 'data-need-status': n.status, id: 'need-page', class: 'stack' },
    h('div', { class: 'need-head' },
      h('h1', {}, categoryLabel(n.category), L('需求', ' need')), urgencyBadge(n.urgency), h('span', { id: 'need-status' }, statusBadge(n)),
      n.overdue && badge(L('超时未响应', 'overdue'), 'bad'),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'small', onclick: () => ctx.refresh() }, L('刷新', 'Refresh'))),
    stepsBar(n.status));

  const info = h('section', { class: 'card' }, h('h2', {}, L('需求信息', 'The need')), kv([
    [L('区域', 'Area'), place],
    [L('描述', 'Description'), n.description],
    [L('所需技能', 'Skills'), n.required_skills.join('、') || null],
    [L('服务对象', 'Target groups'), n.target_groups.map((g) => codeLabel('target_group', g)).join('、') || null],
    [L('服务时间', 'When'), n.time_window ? `${when(n.time_window.start)} – ${when(n.time_window.end)}` : null],
    [L('居民', 'Resident'), `${n.resident.name} · ${n.resident.phone} · ${n.resident.citizen_id}`],
    [L('来源渠道', 'Channel'), codeLabel('channel', n.channel)],
    [L('登记时间', 'Raised'), when(n.raised_at)],
    [L('首次响应时限', 'First response due'), n.first_response_due ? when(n.first_response_due) : null],
    [L('分派路径', 'Route'), n.route ? codeLabel('route', n.route) : null],
    [L('服务方案', 'Service plan'), n.service_plan],
    [L('解决时间', 'Resolved'), n.resolved_at ? when(n.resolved_at) : null],
    [L('回访日期', 'Revisit due'), n.revisit_due],
    [L('居民满意度', 'Satisfaction'), n.satisfaction ? `${'★'.repeat(n.satisfaction)}${'☆'.repeat(5 - n.satisfaction)}` : null],
  ]));

  const actions = actionsCard(ctx, n, view.timeline);
  const timeline = h('section', { class: 'card', id: 'timeline' }, h('h2', {}, L('全流程时间线', 'Timeline of every actor')),
    h('div', { class: 'actor-legend' }, codeKeys('linkage_actor').map((a) => badge(actorLabel(a), `a-${a}`))),
    view.timeline_status !== 'available' ? h('p', { class: 'muted' }, sectionStatus(view.timeline_status)) : timelineList(view.timeline));

  const sections = h('div', { class: 'grid two' },
    sectionCard(L('志愿服务', 'Volunteer service'), 'volunteers', view.volunteers, (d) => volunteersSection(d, ctx)),
    sectionCard(L('服务项目', 'Projects'), 'projects', view.projects, projectsSection),
    sectionCard(L('慈善资源', 'Charity'), 'charity', view.charity, charitySection),
    sectionCard(L('党建引领', 'Party'), 'party', view.party, partySection));

  page.append(h('div', { class: 'grid two-one' }, h('div', { class: 'grid' }, info, timeline), h('div', { class: 'grid' }, actions)), h('h2', {}, L('各方办理情况', 'What each actor holds')), sections);
  watchForProviders(ctx, n);
  return page;
}

/** While a routed need waits for a provider (an event from another service), look again now and then. */
function watchForProviders(ctx, n) {
  if (!['routed', 'raised'].includes(n.status) || !may('GET /needs/{need_id}')) return;
  const timer = setInterval(async () => {
    if (!ctx.alive()) { clearInterval(timer); return; }
    try {
      const now = await api(`/needs/${n.id}`);
      if (now.need.status !== n.status && ctx.alive()) { clearInterval(timer); ctx.refresh(); }
    } catch { clearInterval(timer); }
  }, 3000);
}

function timelineList(items) {
  if (!items.length) return empty();
  return h('ol', { class: 'timeline' }, items.map((e) => h('li', { class: `a-${e.actor}`, 'data-kind': e.kind },
    h('div', { class: 'when' }, when(e.at), ' · ', bi(e.actor_label)),
    h('div', { class: 'what' }, bi(e.kind_label)),
    detailLine(e.detail))));
}

const DETAIL_KEYS = {
  route: ['分派', 'route', (v) => codeLabel('route', v)], urgency: ['紧急程度', 'urgency', (v) => codeLabel('urgency', v)],
  category: ['类别', 'category', (v) => categoryLabel(v)], satisfaction: ['满意度', 'satisfaction', (v) => '★'.repeat(v)],
  comment: ['评价', 'comment'], note: ['说明', 'note'], reason: ['理由', 'reason'], outcome: ['结果', 'outcome'],
  minutes: ['时长', 'minutes', (v) => `${(v / 60).toFixed(1)} h`], amount_fen: ['金额', 'amount', (v) => yuan(v)],
  volunteer_ref: ['志愿者', 'volunteer'], service_plan: ['方案', 'plan'], on_behalf_of_resident: ['代居民确认', 'for the resident', (v) => (v ? '✓' : '✗')],
  title: ['标题', 'title'], by: ['经办', 'by'], milestone: ['里程碑', 'milestone'],
};

function detailLine(d) {
  if (!d || typeof d !== 'object') return null;
  const parts = Object.entries(d).filter(([k, v]) => DETAIL_KEYS[k] && v != null && v !== '').map(([k, v]) => {
    const [zh, en, fmt] = DETAIL_KEYS[k];
    return `${L(zh, en)}：${fmt ? fmt(v) : bi(String(v))}`;
  });
  return parts.length ? h('div', { class: 'detail' }, parts.join('；')) : null;
}

function sectionCard(title, actor, section, show) {
  const status = section?.status || 'unavailable';
  if (status === 'forbidden') return null;
  return h('section', { class: 'card', 'data-section': actor, 'data-status': status },
    h('h2', {}, badge(actorLabel(actor), `a-${actor}`), title,
      status !== 'available' && h('span', { class: 'count section-status muted' }, sectionStatus(status))),
    status === 'available' ? show(section.data) : empty(status === 'not_found' ? L('暂无', 'None yet') : sectionStatus(status)));
}

function volunteersSection(d, ctx) {
  if (!d) return empty();
  const task = d.task || (d.title && d.slots ? d : null);
  const people = Array.isArray(d.volunteers) ? d.volunteers : null;
  const known = new Set(['task', 'volunteers', 'minutes_verified', 'minutes_pending']);
  const rest = Object.fromEntries(Object.entries(d).filter(([k]) => !known.has(k)));
  return h('div', {},
    task && kv([[L('任务', 'Task'), taskTitle(task)], [L('状态', 'Status'), codeLabel('task_status', task.status)], [L('名额', 'Slots'), `${task.accepted}/${task.slots}`],
      [L('技能', 'Skills'), (task.required_skills || []).join('、') || null],
      [L('时间', 'When'), task.window_start ? `${when(task.window_start)} – ${when(task.window_end)}` : null],
      d.minutes_verified != null && [L('已核实时长', 'Hours verified'), `${(d.minutes_verified / 60).toFixed(1)} ${L('小时', 'h')}`],
      d.minutes_pending ? [L('待核实时长', 'Hours to verify'), `${(d.minutes_pending / 60).toFixed(1)} ${L('小时', 'h')}`] : null]),
    people && h('div', {}, h('h3', {}, L('服务志愿者', 'Volunteers')), people.length ? h('ul', { class: 'list-plain' }, people.map((v) => h('li', {},
      h('span', { class: 'grow' }, v.name), badge(codeLabel('assignment_status', v.status), v.status === 'accepted' ? 'ok' : '')))) : empty(L('尚未邀请志愿者', 'Nobody invited yet'))),
    Object.keys(rest).length > 0 && !task && dataView(rest),
    task && task.id && task.status === 'open' && may('GET /tasks/{task_id}/candidates') && candidatesPanel(task, ctx));
}

/** The volunteers the matching ranks for an open task (each score explained), to invite — and a
 * worker may record a volunteer's answer for them (e.g. given by phone). */
function candidatesPanel(task, ctx) {
  const out = h('div', {});
  const load = async () => {
    fill(out, h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
    try {
      const list = await api(`/tasks/${task.id}/candidates`, { query: { limit: 5 } });
      fill(out, list.length ? h('ul', { class: 'list-plain', id: 'candidates' }, list.map((c) => {
        const actions = h('span', { class: 'actions' });
        const accept = may('POST /tasks/{task_id}/invitations/{volunteer_id}/response') && h('button', { type: 'button', class: 'small', onclick: async (e) => {
          e.currentTarget.disabled = true;
          try {
            await api(`/tasks/${task.id}/invitations/${c.volunteer_id}/response`, { method: 'POST', body: { accept: true } });
            toast(L('已代为接受，需求将转为已对接', 'Accepted for the volunteer: the need becomes matched'));
            ctx.refresh();
          } catch (err) { actions.append(problemBox(err)); }
        } }, L('代为接受', 'Accept for them'));
        const invite = h('button', { type: 'button', class: 'small primary', 'data-invite': c.volunteer_id, onclick: async (e) => {
          e.currentTarget.disabled = true;
          try {
            await api(`/tasks/${task.id}/invitations`, { method: 'POST', body: { volunteer_ids: [c.volunteer_id] } });
            toast(L('已邀请', 'Invited'));
            invite.replaceWith(...[badge(L('已邀请', 'invited'), 'info'), accept].filter(Boolean));
          } catch (err) { actions.append(problemBox(err)); }
        } }, L('邀请', 'Invite'));
        if (may('POST /tasks/{task_id}/invitations')) actions.append(invite);
        return h('li', { title: c.parts.map((p) => `${bi(p.label)} ${Math.round(p.value * 100)}%：${bi(p.why)}`).join('\n') },
          h('span', { class: 'grow' }, c.name, ' ', h('small', {}, L('匹配度 ', 'match '), `${Math.round(c.score * 100)}%`)), actions);
      })) : empty(L('辖区内暂无合适的志愿者', 'No suitable volunteer in the area')));
    } catch (err) {
      fill(out, problemBox(err));
    }
  };
  return h('details', { ontoggle: (e) => { if (e.target.open && !out.firstChild) load(); } },
    h('summary', {}, L('推荐志愿者（按技能、距离、时间等评分）', 'Ranked volunteers (skills, distance, time …)')), out);
}


function charitySection(d) {
  if (!d || !Array.isArray(d.earmarks)) return dataView(d);
  const earmarked = d.earmarks.reduce((a, e) => a + e.amount_fen, 0);
  const paid = (d.disbursements || []).filter((x) => x.status === 'disbursed').reduce((a, x) => a + x.amount, 0);
  if (!d.earmarks.length) return empty(L('没有定向于此需求的捐赠', 'No donation earmarked for this need'));
  return h('div', {},
    kv([[L('定向捐赠', 'Earmarked'), yuan(earmarked)], [L('已拨付', 'Paid out'), yuan(paid)]]),
    (d.disbursements || []).length > 0 && h('ul', { class: 'list-plain' }, d.disbursements.map((x) => h('li', {},
      h('span', { class: 'grow' }, bi(x.milestone)), h('b', {}, yuan(x.amount)), badge(x.status_label ? bi(x.status_label) : codeLabel('disbursement_status', x.status), { disbursed: 'ok', rejected: 'bad' }[x.status] || 'warn'),
      x.approved_at && h('small', {}, when(x.approved_at))))));
}

function projectsSection(d) {
  const list = Array.isArray(d) ? d : d?.items || d?.projects;
  if (!Array.isArray(list)) return dataView(d);
  if (!list.length) return empty(L('没有服务此需求的项目', 'No project serves this need'));
  return h('ul', { class: 'list-plain' }, list.map((p) => h('li', {},
    h('a', { class: 'grow', href: `#/projects/${p.id}` }, p.title), badge(projectStatus(p.status)), p.budget_fen != null && h('small', {}, yuan(p.budget_fen)))));
}

function partySection(d) {
  if (!d) return empty();
  const whistles = Array.isArray(d.whistles) ? d.whistles : null;
  const actions = Array.isArray(d.actions) ? d.actions : null;
  if (!whistles && !actions) return dataView(d);
  return h('div', {},
    h('h3', {}, L('社区吹哨', 'Whistles')),
    whistles?.length ? h('ul', { class: 'list-plain' }, whistles.map((w) => h('li', {}, h('span', { class: 'grow' }, w.title), badge(codeLabel('whistle_status', w.status)),
      w.overdue && badge(L('超时', 'overdue'), 'bad')))) : empty(L('无', 'None')),
    h('h3', {}, L('联席会议督办事项', 'Joint-meeting actions')),
    actions?.length ? h('ul', { class: 'list-plain' }, actions.map((a) => h('li', {}, h('span', { class: 'grow' }, a.title), badge(codeLabel('action_status', a.status))))) : empty(L('无', 'None')));
}
