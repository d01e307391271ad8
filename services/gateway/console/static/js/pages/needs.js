// 需求库: search and filter, raise a need, and a need's whole chain (Need360) with the actions the role may take.
import { api, download } from '../api.js';
import { WORKERS, can } from '../cards.js';
import {
  badge, dataView, empty, field, fill, h, kv, localToIso, problemBox, select, showProblem, table, toast, when, yuan,
} from '../dom.js';
import { L, bi, pick } from '../i18n.js';
import {
  ACTORS, NEED_STATUS, actorLabel, areaName, cachedCategories, categoryLabel, codeLabel, codeOptions, loadCategories,
  loadCodeLists, needStatus, projectStatus, sectionStatus, statusLabel, taskTitle, timelineKind,
} from '../labels.js';

const URGENCY_CLASS = { urgent: 'urgent', major: 'major', routine: '' };
const STATUS_CLASS = { raised: 'warn', reopened: 'warn', routed: 'routed', matched: 'matched', resolved: 'resolved', closed: 'closed', disputed: 'bad' };
const shorten = (t, n = 48) => (t && t.length > n ? `${t.slice(0, n - 1)}…` : t || '');
const statusBadge = (n) => badge(needStatus(n.status), STATUS_CLASS[n.status] || '');
const urgencyBadge = (u) => badge(codeLabel('urgency', u), URGENCY_CLASS[u] || '');

/** A short list of needs (a NeedPage) for the workbench, each opening the need's page. */
export function needItems(page, ctx, filter) {
  if (!page.items.length) return empty(L('没有待办', 'Nothing waiting'));
  return h('div', {},
    h('ul', { class: 'list-plain' }, page.items.map((n) => h('li', { 'data-need': n.id },
      badge(categoryLabel(n.category)), urgencyBadge(n.urgency),
      h('a', { class: 'grow', href: `#/needs/${n.id}` }, shorten(n.description, 40)),
      n.overdue && badge(L('超时', 'overdue'), 'bad'),
      h('small', {}, when(n.raised_at))))),
    filter && page.total > page.items.length && h('p', { class: 'small' },
      h('a', { href: `#/needs?${new URLSearchParams(filter)}` }, L(`全部 ${page.total} 条 →`, `All ${page.total} →`))));
}

// --- the library ---------------------------------------------------------------------------------------

const FILTERS = ['area', 'category', 'status', 'urgency', 'target_group', 'overdue'];

export async function list(ctx) {
  const [cats, codes] = await Promise.all([loadCategories(), loadCodeLists()]);
  const q = Object.fromEntries(FILTERS.map((k) => [k, ctx.query.get(k) || '']));
  const pageNo = Number(ctx.query.get('page') || 1);
  const form = h('form', { class: 'form', id: 'need-filters', onsubmit: (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(e.currentTarget));
    ctx.go('needs', data);
  } },
  h('div', { class: 'fields three' },
    field(L('区域代码', 'Area code'), h('input', { name: 'area', value: q.area, placeholder: ctx.who.area, inputmode: 'numeric', pattern: '\\d{6}|\\d{9}|\\d{12}' })),
    field(L('需求类别', 'Category'), select('category', Object.entries(cats).map(([c, p]) => [c, pick(p)]), { value: q.category, blank: L('全部', 'All') })),
    field(L('状态', 'Status'), select('status', Object.entries(NEED_STATUS).map(([c, p]) => [c, L(...p)]), { value: q.status, blank: L('全部', 'All') })),
    field(L('紧急程度', 'Urgency'), select('urgency', Object.entries(codes.urgency || {}).map(([c, p]) => [c, pick(p)]), { value: q.urgency, blank: L('全部', 'All') })),
    field(L('服务对象', 'Target group'), select('target_group', Object.entries(codes.target_group || {}).map(([c, p]) => [c, pick(p)]), { value: q.target_group, blank: L('全部', 'All') })),
    field(L('是否超时', 'Overdue'), select('overdue', [['true', L('已超时', 'Overdue')], ['false', L('未超时', 'Not overdue')]], { value: q.overdue, blank: L('全部', 'All') }))),
  h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('检索', 'Search')),
    h('a', { class: 'btn', href: '#/needs' }, L('清除', 'Clear')),
    h('button', { type: 'button', onclick: () => download('/needs/export.csv', { ...q }, 'needs.csv').catch((err) => toast(bi(err.problem?.detail || err.message))) },
      L('导出 CSV（脱敏）', 'Export CSV (masked)'))));

  const results = h('section', { class: 'card' }, h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
  const page = h('div', {},
    h('div', { class: 'page-head' }, h('h1', {}, L('需求库', 'Need library')),
      can(ctx.who, ...WORKERS) && h('a', { class: 'btn primary', href: '#/needs/new', id: 'raise-need' }, L('＋ 登记需求', '+ Raise a need'))),
    h('details', { class: 'panel', open: window.matchMedia('(min-width: 640px)').matches || FILTERS.some((k) => q[k] && k !== 'area') },
      h('summary', {}, L('筛选条件', 'Filters')), form),
    h('div', { class: 'grid' }, results));

  try {
    const answer = await api('/needs', { query: { ...q, page: pageNo, page_size: 20 } });
    const pages = Math.max(1, Math.ceil(answer.total / answer.page_size));
    fill(results, 
      h('h2', {}, L('检索结果', 'Results'), h('span', { class: 'count muted small', id: 'need-total' }, L(`共 ${answer.total} 条`, `${answer.total} in all`))),
      table([
        { label: L('类别', 'Category'), value: (n) => badge(categoryLabel(n.category)) },
        { label: L('描述', 'Description'), value: (n) => h('a', { href: `#/needs/${n.id}` }, shorten(n.description)) },
        { label: L('紧急', 'Urgency'), value: (n) => urgencyBadge(n.urgency) },
        { label: L('状态', 'Status'), value: (n) => [statusBadge(n), n.overdue ? ' ' : '', n.overdue && badge(L('超时', 'overdue'), 'bad')] },
        { label: L('区域', 'Area'), value: (n) => n.area_name },
        { label: L('居民', 'Resident'), value: (n) => n.resident.name },
        { label: L('登记时间', 'Raised'), value: (n) => when(n.raised_at) },
      ], answer.items, { onRow: (n) => ctx.go(`needs/${n.id}`) }),
      pages > 1 && h('div', { class: 'actions' },
        h('button', { type: 'button', disabled: pageNo <= 1, onclick: () => ctx.go('needs', { ...q, page: pageNo - 1 }) }, L('上一页', 'Previous')),
        h('span', { class: 'muted small' }, `${pageNo} / ${pages}`),
        h('button', { type: 'button', disabled: pageNo >= pages, onclick: () => ctx.go('needs', { ...q, page: pageNo + 1 }) }, L('下一页', 'Next'))));
  } catch (err) {
    fill(results, err.status === 403 ? h('p', { class: 'notice' }, L('此角色无权查看需求库。', 'The need library is not open to your role.')) : problemBox(err));
  }
  return page;
}

// --- raise a need ---------------------------------------------------------------------------------------

export async function create(ctx) {
  const [cats, codes] = await Promise.all([loadCategories(), loadCodeLists()]);
  const slot = h('div', {});
  const community = ctx.who.area.length === 12 ? ctx.who.area : '';
  const form = h('form', { class: 'form', id: 'need-form', novalidate: true, onsubmit: submit },
    h('fieldset', {}, h('legend', {}, L('需求', 'The need')),
      h('div', { class: 'fields two' },
        field(L('所在村（社区）代码', 'Village or community code'), h('input', { name: 'area_code', value: community, required: true, inputmode: 'numeric', placeholder: '130102001001' }),
          { required: true, hint: L('12 位统计用区划代码', '12-digit statistical area code') }),
        field(L('需求类别', 'Category'), select('category', Object.entries(cats).filter(([, p]) => p.active !== false).map(([c, p]) => [c, pick(p)]), { required: true }), { required: true }),
        field(L('紧急程度', 'Urgency'), select('urgency', Object.entries(codes.urgency || {}).map(([c, p]) => [c, pick(p)]), { value: 'routine' })),
        field(L('来源渠道', 'Channel'), select('channel', Object.entries(codes.channel || {}).filter(([c]) => c !== 'portal_import' && c !== 'self_report').map(([c, p]) => [c, pick(p)]),
          { value: ctx.who.role === 'grid_worker' ? 'grid_survey' : 'social_worker_visit' }))),
      field(L('需求描述', 'Description'), h('textarea', { name: 'description', required: true, maxlength: 2000, placeholder: L('如：独居老人需要每日送午餐', 'e.g. lives alone, needs lunch delivered daily') }), { required: true }),
      field(L('所需技能（用逗号或顿号分隔）', 'Skills needed (comma-separated)'), h('input', { name: 'required_skills', placeholder: L('送餐、陪伴', 'meal delivery, company') })),
      h('fieldset', {}, h('legend', {}, L('服务对象', 'Target groups')),
        h('div', { class: 'checks' }, Object.entries(codes.target_group || {}).map(([c, p]) =>
          h('label', {}, h('input', { type: 'checkbox', name: 'target_groups', value: c }), pick(p))))),
      h('div', { class: 'fields two' },
        field(L('服务开始（北京时间）', 'Service from (Beijing time)'), h('input', { type: 'datetime-local', name: 'window_start' })),
        field(L('服务结束（北京时间）', 'Service until (Beijing time)'), h('input', { type: 'datetime-local', name: 'window_end' })))),
    h('fieldset', {}, h('legend', {}, L('居民（加密存储，页面仅显示脱敏信息）', 'Resident (stored encrypted, shown masked)')),
      h('div', { class: 'fields three' },
        field(L('姓名', 'Name'), h('input', { name: 'resident.name', required: true, autocomplete: 'off' }), { required: true }),
        field(L('联系电话', 'Phone'), h('input', { name: 'resident.phone', required: true, inputmode: 'tel', autocomplete: 'off' }), { required: true }),
        field(L('公民身份号码', 'Citizen ID number'), h('input', { name: 'resident.citizen_id', required: true, autocomplete: 'off', maxlength: 18 }), { required: true }))),
    slot,
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', id: 'submit-need' }, L('登记需求', 'Raise the need')),
      h('a', { class: 'btn', href: '#/needs' }, L('取消', 'Cancel'))));

  async function submit(e) {
    e.preventDefault();
    const f = new FormData(form);
    const start = localToIso(f.get('window_start'));
    const end = localToIso(f.get('window_end'));
    const body = {
      area_code: f.get('area_code').trim(), category: f.get('category'), urgency: f.get('urgency'), channel: f.get('channel'),
      description: f.get('description').trim(),
      required_skills: f.get('required_skills').split(/[,，、;；\s]+/).map((x) => x.trim()).filter(Boolean),
      target_groups: f.getAll('target_groups'),
      resident: { name: f.get('resident.name').trim(), phone: f.get('resident.phone').trim(), citizen_id: f.get('resident.citizen_id').trim().toUpperCase() },
    };
    if (start || end) body.time_window = { start, end };
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await api('/needs', { method: 'POST', body });
      toast(L('需求已登记', 'Need raised'));
      ctx.go(`needs/${created.id}`);
    } catch (err) {
      showProblem(form, slot, err);
      button.disabled = false;
    }
  }

  return h('div', {}, h('h1', {}, L('登记居民需求', "Raise a resident's need")), h('section', { class: 'card' }, form));
}

// --- one need, every actor ----------------------------------------------------------------------------------

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
  const [composed, timeline, task] = await Promise.all([
    api(`/needs/${id}`),
    api(`/needs/${id}/timeline`).then((t) => ({ status: 'available', t }), (e) => ({ status: e.status === 403 ? 'forbidden' : 'unavailable', t: [] })),
    api(`/tasks/by-need/${id}`).then((d) => ({ status: 'available', d }), (e) => ({ status: e.status === 404 ? 'not_found' : e.status === 403 ? 'forbidden' : 'unavailable' })),
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
    h('div', { class: 'actor-legend' }, Object.keys(ACTORS).map((a) => badge(actorLabel(a), `a-${a}`))),
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
  if (!['routed', 'raised'].includes(n.status)) return;
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
    h('div', { class: 'when' }, when(e.at), ' · ', actorLabel(e.actor)),
    h('div', { class: 'what' }, timelineKind(e.kind)),
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
    task && kv([[L('任务', 'Task'), taskTitle(task)], [L('状态', 'Status'), statusLabel(task.status)], [L('名额', 'Slots'), `${task.accepted}/${task.slots}`],
      [L('技能', 'Skills'), (task.required_skills || []).join('、') || null],
      [L('时间', 'When'), task.window_start ? `${when(task.window_start)} – ${when(task.window_end)}` : null],
      d.minutes_verified != null && [L('已核实时长', 'Hours verified'), `${(d.minutes_verified / 60).toFixed(1)} ${L('小时', 'h')}`],
      d.minutes_pending ? [L('待核实时长', 'Hours to verify'), `${(d.minutes_pending / 60).toFixed(1)} ${L('小时', 'h')}`] : null]),
    people && h('div', {}, h('h3', {}, L('服务志愿者', 'Volunteers')), people.length ? h('ul', { class: 'list-plain' }, people.map((v) => h('li', {},
      h('span', { class: 'grow' }, v.name), badge(VOLUNTEER_STATUS[v.status] ? L(...VOLUNTEER_STATUS[v.status]) : v.status, v.status === 'accepted' ? 'ok' : '')))) : empty(L('尚未邀请志愿者', 'Nobody invited yet'))),
    Object.keys(rest).length > 0 && !task && dataView(rest),
    task && task.id && task.status === 'open' && can(ctx.who, ...WORKERS) && candidatesPanel(task, ctx));
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
        const accept = h('button', { type: 'button', class: 'small', onclick: async (e) => {
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
            invite.replaceWith(badge(L('已邀请', 'invited'), 'info'), accept);
          } catch (err) { actions.append(problemBox(err)); }
        } }, L('邀请', 'Invite'));
        actions.append(invite);
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

const VOLUNTEER_STATUS = { invited: ['已邀请', 'invited'], accepted: ['已接受', 'accepted'], declined: ['已婉拒', 'declined'], no_show: ['未到场', 'no show'] };

function charitySection(d) {
  if (!d || !Array.isArray(d.earmarks)) return dataView(d);
  const earmarked = d.earmarks.reduce((a, e) => a + e.amount_fen, 0);
  const paid = (d.disbursements || []).filter((x) => x.status === 'disbursed').reduce((a, x) => a + x.amount, 0);
  if (!d.earmarks.length) return empty(L('没有定向于此需求的捐赠', 'No donation earmarked for this need'));
  return h('div', {},
    kv([[L('定向捐赠', 'Earmarked'), yuan(earmarked)], [L('已拨付', 'Paid out'), yuan(paid)]]),
    (d.disbursements || []).length > 0 && h('ul', { class: 'list-plain' }, d.disbursements.map((x) => h('li', {},
      h('span', { class: 'grow' }, bi(x.milestone)), h('b', {}, yuan(x.amount)), badge(statusLabel(x.status), x.status === 'disbursed' ? 'ok' : 'warn'),
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
    whistles?.length ? h('ul', { class: 'list-plain' }, whistles.map((w) => h('li', {}, h('span', { class: 'grow' }, w.title), badge(statusLabel(w.status)),
      w.overdue && badge(L('超时', 'overdue'), 'bad')))) : empty(L('无', 'None')),
    h('h3', {}, L('联席会议督办事项', 'Joint-meeting actions')),
    actions?.length ? h('ul', { class: 'list-plain' }, actions.map((a) => h('li', {}, h('span', { class: 'grow' }, a.title), badge(statusLabel(a.status))))) : empty(L('无', 'None')));
}

// --- the actions a role may take, by the need's state ----------------------------------------------------------

function actionsCard(ctx, n, timeline) {
  const who = ctx.who;
  const box = h('section', { class: 'card', id: 'need-actions' }, h('h2', {}, L('办理', 'Actions')));
  const forms = [];
  const worker = can(who, ...WORKERS);
  if (can(who, 'social_worker') && ['raised', 'reopened'].includes(n.status)) forms.push(assessForm(ctx, n));
  if (worker && ['routed', 'matched'].includes(n.status)) forms.push(resolveForm(ctx, n));
  if (worker && n.status === 'resolved') forms.push(feedbackForm(ctx, n));
  if (worker && ['resolved', 'closed'].includes(n.status)) forms.push(disputeForm(ctx, n));
  if (can(who, 'social_worker', 'party_secretary') && n.status === 'disputed') {
    const opened = [...(timeline || [])].reverse().find((e) => e.kind === 'mediation_opened');
    if (opened?.detail?.case_id) forms.push(mediationForm(ctx, n, opened.detail.case_id));
  }
  if (worker && ['resolved', 'closed'].includes(n.status)) forms.push(revisitForm(ctx, n));
  if (n.status === 'routed') {
    box.append(h('p', { class: 'notice' }, L(`已分派至「${codeLabel('route', n.route)}」，等待承接方（志愿者、项目或慈善）对接；对接后此页自动更新。`,
      `Routed to “${codeLabel('route', n.route)}”: waiting for a provider (volunteer, project or charity); this page updates when one takes it on.`)));
  }
  if (!forms.length) box.append(h('p', { class: 'muted' }, L('当前状态下，你的角色没有可执行的操作。', 'Nothing for your role to do in this state.')));
  box.append(...forms);
  return box;
}

function actionForm(id, title, fields, submitLabel, send, ctx) {
  const slot = h('div', {});
  const form = h('form', { class: 'form', id, onsubmit: async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await send(new FormData(form), form);
      toast(L('已保存', 'Saved'));
      ctx.refresh();
    } catch (err) {
      showProblem(form, slot, err);
      button.disabled = false;
    }
  } }, h('h3', {}, title), fields, slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, submitLabel)));
  return form;
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

function resolveForm(ctx, n) {
  return actionForm('resolve-form', L('确认解决', 'Confirm resolution'), [
    h('div', { class: 'checks' }, h('label', {}, h('input', { type: 'checkbox', name: 'on_behalf_of_resident', checked: true }), L('代居民确认', 'Confirm for the resident'))),
    field(L('说明', 'Note'), h('input', { name: 'note', maxlength: 1000 })),
  ], L('确认已解决', 'Mark resolved'), (f) => api(`/needs/${n.id}/resolution`, { method: 'POST', body: {
    on_behalf_of_resident: f.get('on_behalf_of_resident') === 'on', note: f.get('note').trim(),
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

function mediationForm(ctx, n, caseId) {
  return h('div', {},
    actionForm('settle-form', L('调处办结', 'Settle the mediation'), [
      field(L('调处结果', 'Outcome'), h('input', { name: 'outcome', required: true }), { required: true }),
    ], L('办结', 'Settle'), (f) => api(`/mediations/${caseId}/settlement`, { method: 'POST', body: { outcome: f.get('outcome').trim() } }), ctx),
    actionForm('escalate-form', L('提交党建联席会议', 'Escalate to the joint meeting'), [
      field(L('理由', 'Reason'), h('input', { name: 'reason', required: true }), { required: true }),
    ], L('提交', 'Escalate'), (f) => api(`/mediations/${caseId}/escalation`, { method: 'POST', body: { reason: f.get('reason').trim() } }), ctx));
}

function revisitForm(ctx, n) {
  const form = actionForm('revisit-form', L('记录回访', 'Record a revisit'), [
    field(L('回访情况', 'Notes'), h('input', { name: 'notes', maxlength: 2000 })),
  ], L('保存回访', 'Save'), (f) => api(`/needs/${n.id}/revisits`, { method: 'POST', body: { notes: f.get('notes').trim() } }), ctx);
  return h('details', {}, h('summary', {}, L('回访', 'Revisit')), form);
}

