// 项目与社会组织: the project library by status, the demand pool, the registry of social organizations.
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { card, noteWhenAllHidden } from '../cards.js';
import { donut, gauge, legend, PALETTE } from '../charts.js';
import { actionForm, badge, empty, field, h, kv, num, select, table, tile, when, yuan } from '../dom.js';
import { L, bi } from '../i18n.js';
import {
  areaName, categoryLabel, codeLabel, codeOptions, gradeLabel, legalType, loadCategories, projectStatus, taskTitle,
} from '../labels.js';
import { profileSections } from './volunteers.js';

/** A project's or bid's organization by its registered name (the projects service gives it): a link to
 *  its profile where the role may read the registry. */
function orgLink(o) {
  if (!o.organization_uscc) return '—';
  const name = o.organization_name || L('（未登记的组织）', '(unregistered organization)');
  return may('GET /organizations/{uscc}') ? h('a', { href: `#/organizations/${o.organization_uscc}` }, name) : name;
}

const milestoneStatus = (s) => codeLabel('milestone_status', s);

/** A milestone's state and, when the charity service's checker rejected its payment, why (accepting it again asks anew). */
function milestoneState(m) {
  return [badge(milestoneStatus(m.status), m.status === 'accepted' && !m.payment_rejected_at ? 'ok' : ''),
    m.payment_rejected_at && h('div', { class: 'payment-rejected' }, badge(L('拨付被驳回', 'Payment rejected'), 'bad'), ' ',
      h('small', {}, m.payment_rejection_reason, ' · ', when(m.payment_rejected_at)))];
}

const STATUS_CLASS = { published: 'info', procured: 'info', delivered: 'ok', evaluated: 'ok', closed: '', funding_rejected: 'bad', review_pending: 'warn', funding_pending: 'warn' };

export async function render(ctx) {
  await loadCategories();
  const status = ctx.query.get('status') || '';
  const place = await areaName(ctx.who.area);
  const projects = card(L('项目库', 'Project library'), () => api('/projects', { query: { status } }), (list) => {
    const counts = {};
    for (const p of list) counts[p.status] = (counts[p.status] || 0) + 1;
    const parts = Object.entries(counts).map(([s, v], i) => ({ label: projectStatus(s), value: v, color: PALETTE[i % PALETTE.length] }));
    return h('div', {},
      list.length > 0 && !status && h('div', { class: 'grid two' },
        donut(parts, { label: L('项目状态', 'Projects by status'), centerLabel: L('项目', 'projects') }),
        h('div', {}, legend(parts.map((p) => ({ name: `${p.label} ${p.value}`, color: p.color }))),
          kv([[L('预算合计', 'Budgets'), yuan(list.reduce((a, p) => a + p.budget_fen, 0))],
            [L('中标金额合计', 'Awarded'), yuan(list.reduce((a, p) => a + (p.awarded_fen || 0), 0))]]))),
      table([
        { label: L('项目', 'Project'), value: (p) => h('a', { href: `#/projects/${p.id}` }, p.title) },
        { label: L('状态', 'Status'), value: (p) => badge(projectStatus(p.status), STATUS_CLASS[p.status] || '') },
        { label: L('预算', 'Budget'), value: (p) => yuan(p.budget_fen), num: true },
        { label: L('承接组织', 'Organization'), value: (p) => orgLink(p) },
        { label: L('年度', 'Year'), value: (p) => p.year },
      ], list, { onRow: (p) => ctx.go(`projects/${p.id}`) }));
  }, {
    id: 'projects',
    reads: 'GET /projects',
    extra: h('select', { class: 'count', 'aria-label': L('项目状态', 'Project status'), onchange: (e) => ctx.go('projects', { status: e.target.value }) },
      h('option', { value: '' }, L('全部状态', 'All')), codeOptions('project_status').map(([k, label]) => h('option', { value: k, selected: k === status }, label))),
  });
  const demands = card(L('项目需求池', 'Demand pool'), () => api('/projects/demands'), (list) => (list.length ? h('ul', { class: 'list-plain' }, list.map((d) => h('li', {},
    badge(d.kind === 'need' ? L('需求', 'need') : L('联席会议', 'joint meeting'), d.kind === 'need' ? 'a-community' : 'a-party'),
    d.need_id ? h('a', { class: 'grow', href: `#/needs/${d.need_id}` }, taskTitle(d)) : h('span', { class: 'grow' }, taskTitle(d)),
    d.category && h('small', {}, categoryLabel(d.category)), h('small', {}, when(d.received_at))))) : empty(L('没有等待立项的需求', 'Nothing waiting for a project'))),
  { id: 'demands', reads: 'GET /projects/demands' });
  const orgs = card(L('社会组织', 'Social organizations'), () => api('/organizations'), (list) => table([
    { label: L('名称', 'Name'), value: (o) => h('a', { href: `#/organizations/${o.uscc}` }, o.name) },
    { label: L('类别', 'Category'), value: (o) => codeLabel('organization_category', o.category) },
    { label: L('类型', 'Type'), value: (o) => legalType(o.legal_type) },
    { label: L('标识', 'Flags'), value: (o) => [o.hub && badge(L('枢纽型', 'hub'), 'a-projects'), o.social_work_agency && badge(L('社工机构', 'social work'), 'a-volunteers'),
      o.charity_certified && badge(L('慈善组织', 'charity'), 'a-charity')] },
    { label: L('专职人员', 'Staff'), value: (o) => num(o.full_time_staff), num: true },
  ], list), { id: 'organizations', reads: 'GET /organizations' });
  const coverage = card(L('社工站覆盖', 'Social-work stations'), () => api('/platforms/coverage'), (c) => h('div', {},
    gauge(c.stations.share, c.stations.target, { label: L('乡镇（街道）社工站覆盖率', 'Township station coverage') }),
    h('p', { class: 'small muted' }, L(`${c.stations.with_station} / ${c.stations.townships} 个乡镇（街道）已建社工站；社会工作室 ${c.rooms.rooms} 个`,
      `${c.stations.with_station} of ${c.stations.townships} townships have a station; ${c.rooms.rooms} community rooms`))), { id: 'coverage', reads: 'GET /platforms/coverage' });
  const grid = h('div', { class: 'grid' }, projects, h('div', { class: 'grid two' }, demands, coverage), orgs);
  noteWhenAllHidden(grid, [projects, demands, orgs, coverage]);
  return h('div', {}, h('div', { class: 'page-head' }, h('h1', {}, L('项目与社会组织', 'Projects and organizations')), h('span', { class: 'muted' }, place)), grid);
}

export async function detail(ctx) {
  const [id] = ctx.params;
  const p = await api(`/projects/${id}`);
  const page = h('div', {},
    h('div', { class: 'need-head' }, h('h1', {}, p.title), badge(projectStatus(p.status), STATUS_CLASS[p.status] || '')),
    h('div', { class: 'tiles' }, tile(yuan(p.budget_fen), L('预算', 'Budget'), 'projects'), tile(p.awarded_fen == null ? '—' : yuan(p.awarded_fen), L('中标金额', 'Awarded'), 'projects'),
      tile(`${p.duration_months} ${L('个月', 'months')}`, L('周期', 'Duration'), 'projects'), tile(p.evaluation ? `${num(p.evaluation.score, 1)} · ${p.evaluation.grade_zh}` : '—', L('评估', 'Evaluation'), 'ok')),
    h('div', { class: 'grid two' },
      h('section', { class: 'card' }, h('h2', {}, L('项目信息', 'The project')), kv([
        [L('区域', 'Area'), await areaName(p.area_code)], [L('服务内容', 'Service'), p.service_content],
        [L('绩效指标', 'Indicators'), p.indicators.map((i) => `${i.name}：${i.target}`).join('；')],
        [L('涉及居民切身利益', 'Vital interests'), p.vital_interests ? L('是', 'yes') : L('否', 'no')],
        [L('党组织研究', 'Party review'), p.review_reasons.length ? p.review_reasons.map(bi).join('、') : null], [L('研究意见', 'Review note'), p.review_note || null],
        [L('投标截止', 'Bids close'), p.bid_deadline ? when(p.bid_deadline) : null],
        [L('承接组织', 'Organization'), p.organization_uscc ? orgLink(p) : null],
        [L('关闭原因', 'Closed because'), p.closed_reason],
        [L('服务需求', 'Needs served'), p.need_ids.length ? p.need_ids.map((n, i) => [i ? '、' : '', h('a', { href: `#/needs/${n}` }, `#${i + 1}`)]) : null],
      ])),
      h('section', { class: 'card' }, h('h2', {}, L('资金', 'Funding')), table([
        { label: L('来源', 'Source'), value: (f) => bi(f.source_label) || f.source },
        { label: L('金额', 'Amount'), value: (f) => yuan(f.amount_fen), num: true },
        { label: L('状态', 'Status'), value: (f) => [badge(bi(f.status_label) || codeLabel('funding_status', f.status)), f.reason && h('small', {}, ` ${bi(f.reason)}`)] },
      ], p.funding, { stack: false }), h('h2', {}, L('里程碑', 'Milestones')), table([
        { label: L('里程碑', 'Milestone'), value: (m) => m.title }, { label: L('到期', 'Due'), value: (m) => m.due_on },
        { label: L('金额', 'Amount'), value: (m) => yuan(m.amount_fen), num: true }, { label: L('状态', 'Status'), value: milestoneState },
      ], p.milestones)),
      p.bids.length > 0 && h('section', { class: 'card' }, h('h2', {}, L('投标', 'Bids')), table([
        { label: L('组织', 'Organization'), value: (b) => orgLink(b) }, { label: L('报价', 'Price'), value: (b) => yuan(b.price_fen), num: true },
        { label: L('得分', 'Score'), value: (b) => (b.score == null ? '—' : num(b.score, 2)), num: true }, { label: L('状态', 'Status'), value: (b) => badge(bi(b.status_label) || codeLabel('bid_status', b.status)) },
      ], p.bids)),
      await actionsCard(ctx, p),
      p.evaluation && h('section', { class: 'card' }, h('h2', {}, L('评估', 'Evaluation')), kv([
        [L('总分', 'Score'), num(p.evaluation.score, 1)], [L('等级', 'Grade'), gradeLabel(p.evaluation.grade)],
        [L('居民满意度', "Residents' satisfaction"), num(p.evaluation.resident_satisfaction, 1)], [L('指标完成', 'Indicators'), num(p.evaluation.indicators, 1)],
        [L('第三方评估', 'Third party'), `${num(p.evaluation.third_party, 1)}（${p.evaluation.third_party_evaluator}）`]]))));
  return page;
}

export async function organization(ctx) {
  const [uscc] = ctx.params;
  let view;
  try {
    view = await api(`/views/organizations/${uscc}`);
  } catch (err) {
    if (!(err.status === 404 && /views/.test(err.problem?.detail || ''))) throw err;
    const data = may('GET /organizations/{uscc}') ? await api(`/organizations/${uscc}`) : null;
    view = { kind: 'organization', id: uscc, sections: { organization: { status: data ? 'available' : 'forbidden', data } } };
  }
  const o = view.sections.organization?.data;
  const out = h('div', {}, h('h1', {}, o ? o.name : uscc));
  if (o) {
    out.append(h('section', { class: 'card' }, kv([
      [L('统一社会信用代码', 'USCC'), o.uscc], [L('类型', 'Type'), legalType(o.legal_type)], [L('类别', 'Category'), codeLabel('organization_category', o.category)],
      [L('登记机关区域', 'Registered at'), await areaName(o.area_code)], [L('专职人员', 'Full-time staff'), num(o.full_time_staff)],
      [L('状态', 'Status'), codeLabel('organization_status', o.status)],
      [L('评估等级', 'Grades'), (o.grades || []).map((g) => `${g.year} ${gradeLabel(g.grade)}（${num(g.score, 1)}）`).join('；') || null],
    ])));
  }
  const rest = { ...view, sections: Object.fromEntries(Object.entries(view.sections).filter(([k]) => k !== 'organization')) };
  out.append(profileSections(rest));
  return out;
}

// --- what the caller may do on the project: bid, withdraw, report a milestone, accept one -----------------

const sendForm = (ctx, id, title, fields, submit, send) => actionForm(id, title, fields, submit, send, ctx, { done: L('已提交', 'Sent') });

const fen = (yuanText) => Math.round(Number(String(yuanText).trim() || 0) * 100);

/** Rows the caller adds to (team members, milestones, evidence): each row's inputs named `<key>.<n>.<field>`. */
function rows(key, make, label) {
  const list = h('div', { class: 'rows', 'data-rows': key });
  const add = () => list.append(make(list.childElementCount));
  add();
  return h('div', {}, list, h('button', { type: 'button', class: 'small', onclick: add }, label));
}

function collect(form, key, names) {
  const out = [];
  for (const row of form.querySelectorAll(`[data-rows='${key}'] > *`)) {
    const item = Object.fromEntries(names.map((n) => [n, row.querySelector(`[data-field='${n}']`)?.value?.trim() ?? '']));
    if (Object.values(item).some(Boolean)) out.push(item);
  }
  return out;
}

async function actionsCard(ctx, p) {
  const forms = [];
  const mine = may('GET /organizations') && ctx.who.role === 'org_admin' ? (await api('/organizations').catch(() => [])) : [];
  if (p.status === 'published' && may('POST /projects/{project_id}/bids') && mine.length) forms.push(bidForm(ctx, p, mine));
  if (may('POST /bids/{bid_id}/withdrawal')) {
    for (const b of p.bids.filter((x) => x.status === 'active' && mine.some((o) => o.uscc === x.organization_uscc))) {
      forms.push(sendForm(ctx, 'withdraw-form', null, [h('p', { class: 'small' }, L(`撤回 ${b.organization_name || ''} 的投标（报价 ${yuan(b.price_fen)}）`, `Withdraw the bid of ${b.organization_name || ''} (${yuan(b.price_fen)})`))],
        L('撤回投标', 'Withdraw the bid'), () => api(`/bids/${b.id}/withdrawal`, { method: 'POST' })));
    }
  }
  const delivering = ['procured', 'delivered', 'evaluated'].includes(p.status);
  if (delivering && may('POST /projects/{project_id}/milestones/{milestone_id}/report') && mine.some((o) => o.uscc === p.organization_uscc)) {
    for (const m of p.milestones.filter((x) => x.status === 'planned')) forms.push(reportForm(ctx, p, m));
  }
  if (delivering && may('POST /projects/{project_id}/milestones/{milestone_id}/acceptance')) {
    for (const m of p.milestones.filter((x) => x.status === 'reported' || (x.status === 'accepted' && x.payment_rejected_at))) {
      forms.push(sendForm(ctx, 'accept-form', null, [
        h('p', { class: 'small' }, L(`验收「${m.title}」并申请拨付 ${yuan(m.amount_fen)}`, `Accept “${m.title}” and ask for ${yuan(m.amount_fen)}`)),
        m.evidence.length > 0 && h('ul', { class: 'small' }, m.evidence.map((e) => h('li', {}, e.description)))],
      m.payment_rejected_at ? L('重新验收并申请拨付', 'Accept again and ask anew') : L('验收', 'Accept'),
      () => api(`/projects/${p.id}/milestones/${m.id}/acceptance`, { method: 'POST' })));
    }
  }
  if (!forms.length) return null;
  return h('section', { class: 'card', id: 'project-actions' }, h('h2', {}, L('办理', 'Actions')), forms);
}

function bidForm(ctx, p, mine) {
  const team = rows('team', () => h('div', { class: 'fields three' },
    field(L('岗位', 'Role'), h('input', { 'data-field': 'role', placeholder: L('如 项目社工', 'e.g. project social worker') })),
    field(L('资质', 'Qualification'), h('input', { 'data-field': 'qualification', placeholder: L('如 中级社会工作师', 'e.g. certified social worker') })),
    field(L('人数', 'Count'), h('input', { 'data-field': 'count', type: 'number', min: 1, value: 1 }))), L('＋ 团队成员', '+ Team member'));
  const milestones = rows('milestones', () => h('div', { class: 'fields three' },
    field(L('里程碑', 'Milestone'), h('input', { 'data-field': 'title' })),
    field(L('完成日期', 'Due on'), h('input', { 'data-field': 'due_on', type: 'date' })),
    field(L('拨付金额（元）', 'Payment (yuan)'), h('input', { 'data-field': 'amount', type: 'number', min: 0, step: '0.01' }))), L('＋ 里程碑', '+ Milestone'));
  return h('details', { class: 'panel', id: 'bid-panel' }, h('summary', {}, L('＋ 投标（密封，截止前他人不可见）', '+ Bid (sealed until the call closes)')),
    sendForm(ctx, 'bid-form', null, [
      h('div', { class: 'fields two' },
        field(L('投标组织', 'Organization'), select('organization_uscc', mine.map((o) => [o.uscc, o.name]), { required: true })),
        field(L('报价（元）', 'Price (yuan)'), h('input', { name: 'price_fen', type: 'number', min: '0.01', step: '0.01', required: true }), { required: true,
          hint: L('各里程碑拨付金额合计须等于报价', "the milestones' payments add up to the price") })),
      field(L('服务方案', 'Plan'), h('textarea', { name: 'plan', required: true, minlength: 10, maxlength: 8000 }), { required: true }),
      h('h4', {}, L('服务团队', 'Team')), team, h('h4', {}, L('里程碑与拨付', 'Milestones and payments')), milestones,
    ], L('提交投标', 'Submit the bid'), (f, form) => api(`/projects/${p.id}/bids`, { method: 'POST', body: {
      organization_uscc: f.get('organization_uscc'), price_fen: fen(f.get('price_fen')), plan: f.get('plan').trim(),
      team: collect(form, 'team', ['role', 'qualification', 'count']).filter((t) => t.role).map((t) => ({ ...t, count: Number(t.count || 1) })),
      milestones: collect(form, 'milestones', ['title', 'due_on', 'amount']).filter((m) => m.title).map((m) => ({ title: m.title, due_on: m.due_on, amount_fen: fen(m.amount) })),
    } })));
}

const EVIDENCE = [['photo', ['现场照片', 'Photo']], ['sign_in_sheet', ['签到表', 'Sign-in sheet']], ['report', ['服务报告', 'Report']], ['survey', ['满意度调查', 'Survey']], ['other', ['其他', 'Other']]];

function reportForm(ctx, p, m) {
  const evidence = rows(`evidence-${m.id}`, () => h('div', { class: 'fields three' },
    field(L('佐证类型', 'Evidence'), h('select', { 'data-field': 'kind' }, EVIDENCE.map(([v, label]) => h('option', { value: v }, L(...label))))),
    field(L('说明', 'Description'), h('input', { 'data-field': 'description', placeholder: L('如 第一季度上门服务签到表 36 份', 'e.g. 36 sign-in sheets of home visits') })),
    field(L('链接（可选）', 'Link (optional)'), h('input', { 'data-field': 'url', type: 'url' }))), L('＋ 佐证材料', '+ Evidence'));
  return h('details', { class: 'panel', 'data-report': m.id }, h('summary', {}, L(`报告里程碑「${m.title}」`, `Report “${m.title}”`)),
    sendForm(ctx, 'report-form', null, [
      field(L('完成情况', 'What was done'), h('textarea', { name: 'summary', required: true, minlength: 2, maxlength: 4000 }), { required: true }), evidence,
    ], L('提交报告', 'Report'), (f, form) => api(`/projects/${p.id}/milestones/${m.id}/report`, { method: 'POST', body: {
      summary: f.get('summary').trim(),
      evidence: collect(form, `evidence-${m.id}`, ['kind', 'description', 'url']).filter((e) => e.description).map((e) => ({ kind: e.kind, description: e.description, ...(e.url ? { url: e.url } : {}) })),
    } })));
}
