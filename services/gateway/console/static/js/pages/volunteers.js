// 志愿服务: the area's volunteering in figures, tasks and stations, registering a volunteer, a volunteer's profile.
import { areaPicker } from '../area-picker.js';
import { api } from '../api.js';
import { may } from '../capabilities.js';
import { card, noteWhenAllHidden } from '../cards.js';
import { gauge, hbars, vbars } from '../charts.js';
import { badge, dataView, empty, field, h, hours, kv, num, pct, problemBox, select, showProblem, table, tile, toast, uuidish, when } from '../dom.js';
import { L, bi, lang } from '../i18n.js';
import { ACTOR_COLORS, areaName, codeLabel, codeOptions, loadCategories, taskTitle } from '../labels.js';

const shortMonth = (m) => (lang === 'en' ? m.slice(2) : `${Number(m.slice(5, 7))}月`);

export async function render(ctx) {
  const status = ctx.query.get('status') || '';
  const [place] = await Promise.all([areaName(ctx.who.area), loadCategories()]);
  const cards = [
    card(L('待核实的服务时长', 'Hours to verify'), () => api('/hours', { query: { status: 'logged', limit: 50 } }),
      (page) => hoursQueue(ctx, page), { id: 'hours-queue', reads: 'GET /hours' }),
    card(L('志愿服务概况', 'Volunteering in figures'), () => api('/volunteers/stats'), (st) => {
      const months = Object.keys(st.hours_by_month || {}).sort();
      const cov = st.station_coverage;
      return h('div', {},
        h('div', { class: 'tiles' },
          tile(num(st.registered), L('注册志愿者', 'Registered'), 'volunteers', 'registered'),
          tile(num(st.active_30d), L('近 30 天活跃', 'Active in 30 days'), 'volunteers'),
          tile(num(st.party_members), L('党员志愿者', 'Party members'), 'party'),
          tile(pct(st.verified_ratio), L('时长核实率', 'Hours verified'), 'ok')),
        h('div', { class: 'grid two' },
          h('div', {}, h('h3', {}, L('服务时长（小时，近 12 个月）', 'Hours served (12 months)')),
            months.length ? vbars(months.map(shortMonth), [{ name: L('小时', 'hours'), values: months.map((m) => st.hours_by_month[m]), color: ACTOR_COLORS.volunteers }],
              { label: L('服务时长', 'Hours served'), format: (v) => num(v, 1), height: 170, integer: false }) : empty()),
          h('div', {}, h('h3', {}, L('志愿服务站点覆盖率', 'Volunteer station coverage')),
            gauge(cov.coverage, cov.target, { label: L('站点覆盖率', 'Station coverage') }),
            h('p', { class: 'small muted' }, L(`${cov.with_station} / ${cov.facilities} 个社区综合服务设施设有站点`, `${cov.with_station} of ${cov.facilities} facilities have a station`)),
            Object.keys(st.social_workers_by_level || {}).length > 0 && h('div', {}, h('h3', {}, L('社工（按职级）', 'Social workers by level')),
              hbars(Object.entries(st.social_workers_by_level).map(([k, v]) => ({ label: codeLabel('social_worker_level', k), value: v })),
                { label: L('社工', 'Social workers'), colors: Object.keys(st.social_workers_by_level).map(() => ACTOR_COLORS.volunteers) })))));
    }, { id: 'volunteer-stats', reads: 'GET /volunteers/stats' }),
    card(L('志愿服务任务', 'Volunteer tasks'), () => api('/tasks', { query: { status } }), (tasks) => table([
      { label: L('任务', 'Task'), value: (t) => (t.need_id ? h('a', { href: `#/needs/${t.need_id}` }, taskTitle(t)) : taskTitle(t)) },
      { label: L('状态', 'Status'), value: (t) => badge(bi(t.status_label) || codeLabel('task_status', t.status)) },
      { label: L('已接受/名额', 'Accepted'), value: (t) => `${t.accepted}/${t.slots}`, num: true },
      { label: L('技能', 'Skills'), value: (t) => t.required_skills.join('、') || '—' },
      { label: L('时间', 'When'), value: (t) => (t.window_start ? when(t.window_start) : '—') },
      { label: L('来源', 'Source'), value: (t) => bi(t.source_label) || t.source },
    ], tasks.slice(0, 50)), {
      id: 'tasks',
      reads: 'GET /tasks',
      extra: h('select', { class: 'count', 'aria-label': L('任务状态', 'Task status'), onchange: (e) => ctx.go('volunteers', { status: e.target.value }) },
        [['', L('全部', 'All')], ['open', L('待接单', 'Open')], ['filled', L('已满员', 'Filled')], ['closed', L('已结束', 'Closed')]].map(([v, t]) =>
          h('option', { value: v, selected: v === status }, t))),
    }),
    card(L('志愿服务站点', 'Volunteer stations'), () => api('/stations'), (list) => (list.length ? h('ul', { class: 'list-plain' }, list.map((st) =>
      h('li', {}, h('span', { class: 'grow' }, st.name), h('small', {}, st.facility_name)))) : empty()), { id: 'stations', reads: 'GET /stations' }),
  ];
  const grid = h('div', { class: 'grid' }, cards[0], cards[1], h('div', { class: 'grid two-one' }, cards[2], cards[3]));
  noteWhenAllHidden(grid, cards);
  const lookup = may('GET /volunteers/{volunteer_id}') && h('form', { class: 'actions', onsubmit: (e) => {
    e.preventDefault();
    const id = new FormData(e.target).get('id').trim();
    if (uuidish(id)) ctx.go(`volunteers/${id}`); else toast(L('请输入志愿者编号（UUID）', 'Enter a volunteer id (UUID)'));
  } }, h('input', { name: 'id', placeholder: L('志愿者编号', 'Volunteer id'), 'aria-label': L('志愿者编号', 'Volunteer id') }),
  h('button', { type: 'submit' }, L('查看档案', 'Profile')));
  return h('div', {},
    h('div', { class: 'page-head' }, h('h1', {}, L('志愿服务', 'Volunteering')), h('span', { class: 'muted' }, place), lookup),
    may('POST /volunteers') && registerPanel(ctx), grid);
}

function registerPanel(ctx) {
  const slot = h('div', {});
  const form = h('form', { class: 'form', id: 'volunteer-form', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = {
      name: f.get('name').trim(), citizen_id: f.get('citizen_id').trim().toUpperCase(), phone: f.get('phone').trim(),
      area_code: f.get('area_code').trim(), party_member: f.get('party_member') === 'on',
      skills: f.get('skills').split(/[,，、;；\s]+/).map((x) => x.trim()).filter(Boolean),
    };
    if (f.get('sw_level')) body.social_worker = { level: f.get('sw_level'), certificate_no: f.get('certificate_no').trim() };
    try {
      const created = await api('/volunteers', { method: 'POST', body });
      toast(L('志愿者已注册', 'Volunteer registered'));
      ctx.go(`volunteers/${created.id}`);
    } catch (err) {
      showProblem(form, slot, err);
    }
  } },
  h('div', { class: 'fields three' },
    field(L('姓名', 'Name'), h('input', { name: 'name', required: true, autocomplete: 'off' }), { required: true }),
    field(L('公民身份号码', 'Citizen ID number'), h('input', { name: 'citizen_id', required: true, maxlength: 18, autocomplete: 'off' }), { required: true }),
    field(L('联系电话', 'Phone'), h('input', { name: 'phone', required: true, inputmode: 'tel' }), { required: true }),
    field(L('常住村（社区）', 'Home village or community'), areaPicker({ name: 'area_code', start: ctx.who.area, leaf: true }), { required: true }),
    field(L('技能', 'Skills'), h('input', { name: 'skills', placeholder: L('送餐、陪伴', 'meals, company') })),
    field(L('社工职级（如为社工）', 'Social-work level (if any)'), select('sw_level', codeOptions('social_worker_level'), { blank: L('非社工', 'not a social worker') })),
    field(L('社工证书编号', 'Certificate no.'), h('input', { name: 'certificate_no' }))),
  h('div', { class: 'checks' }, h('label', {}, h('input', { type: 'checkbox', name: 'party_member' }), L('中共党员', 'Party member'))),
  slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('实名注册', 'Register'))));
  return h('details', { class: 'panel' }, h('summary', {}, L('＋ 志愿者实名注册', '+ Register a volunteer')), form);
}

const PROFILE_SECTIONS = { volunteer: ['基本信息', 'Record'], hours: ['服务时长', 'Hours'], timebank: ['时间银行', 'Time bank'], certificates: ['服务记录证明', 'Certificates'],
  organization: ['登记信息', 'Registration'], projects: ['承接项目', 'Projects'] };

/** A profile (the gateway's Profile view): each service's section, drawn generically. */
export function profileSections(profile) {
  return h('div', { class: 'grid two' }, Object.entries(profile.sections).map(([name, sec]) => sec.status === 'forbidden' ? null : h('section', { class: 'card', 'data-section': name },
    h('h2', {}, PROFILE_SECTIONS[name] ? L(...PROFILE_SECTIONS[name]) : name,
      sec.status !== 'available' && h('span', { class: 'count small muted' }, sec.status)),
    sec.status === 'available' ? dataView(sec.data) : empty())));
}

export async function profile(ctx) {
  const [id] = ctx.params;
  let view;
  try {
    view = await api(`/views/volunteers/${id}`);
  } catch (err) {
    if (!(err.status === 404 && /views/.test(err.problem?.detail || ''))) {
      if (err.status === 404) return h('div', {}, h('h1', {}, L('志愿者档案', 'Volunteer')), h('p', { class: 'notice' }, L('没有这位志愿者，或不在你的辖区内。', 'No such volunteer in your jurisdiction.')));
      throw err;
    }
    const [v, bank] = await Promise.all([api(`/volunteers/${id}`),
      may('GET /timebank/volunteers/{volunteer_id}') ? api(`/timebank/volunteers/${id}`).catch(() => null) : null]);
    view = { kind: 'volunteer', id, sections: { volunteer: { status: 'available', data: v }, timebank: { status: bank ? 'available' : 'unavailable', data: bank } } };
  }
  const v = view.sections.volunteer?.data;
  const out = h('div', {}, h('h1', {}, L('志愿者档案', 'Volunteer'), v ? ` · ${v.name}` : ''));
  if (v) {
    out.append(h('section', { class: 'card' }, kv([
      [L('志愿者编号', 'Volunteer ref'), v.volunteer_ref], [L('区域', 'Area'), await areaName(v.area_code)], [L('电话', 'Phone'), v.phone],
      [L('技能', 'Skills'), v.skills.join('、') || '—'], [L('党员', 'Party member'), v.party_member ? L('是', 'yes') : L('否', 'no')],
      [L('社工职级', 'Social-work level'), v.social_worker_level ? codeLabel('social_worker_level', v.social_worker_level) : null],
      [L('注册时间', 'Registered'), when(v.registered_at)],
    ])));
  }
  const rest = { ...view, sections: Object.fromEntries(Object.entries(view.sections).filter(([k]) => k !== 'volunteer')) };
  out.append(h('div', { class: 'grid' }, profileSections(rest)));
  return out;
}


/** The verifier's queue: each record waiting, with what deciding needs, to verify or reject (with a
 *  reason); a record over the single-record limit is approved only with an explicit override. */
function hoursQueue(ctx, page) {
  if (!page.items.length) return empty(L('没有待核实的时长', 'No hours waiting'));
  return h('div', {}, h('p', { class: 'small muted' }, L(`共 ${page.total} 条待核实`, `${page.total} waiting`)),
    h('ul', { class: 'list-plain', id: 'hours-to-verify' }, page.items.map((x) => hoursLine(ctx, x))));
}

function hoursLine(ctx, x) {
  const slot = h('div', {});
  const reason = h('input', { name: 'reason', maxlength: 500, placeholder: L('驳回或超长确认须说明理由', 'a reason: needed to reject or to override'),
    'aria-label': L('理由', 'Reason') });
  const decide = (approve) => async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    try {
      await api(`/hours/${x.log_id}/verification`, { method: 'POST', body: { approve, reason: reason.value.trim(), override: approve && x.needs_override } });
      toast(approve ? L('已核实，积分已记入时间银行', 'Verified: the credits are in the time bank') : L('已驳回', 'Rejected'));
      ctx.refresh();
    } catch (err) {
      slot.replaceChildren(problemBox(err));
      button.disabled = false;
    }
  };
  return h('li', { 'data-log': x.log_id },
    h('div', { class: 'grow' }, h('b', {}, x.volunteer_name), ' · ', taskTitle({ title: x.task_title }), h('br', {}),
      h('small', {}, when(x.check_in), ' – ', x.check_out ? when(x.check_out) : '…', ' · ', bi(x.provenance_label),
        x.code_checked ? ` · ${L('现场扫码签到', 'QR code on site')}` : '')),
    h('b', {}, x.minutes == null ? '—' : hours(x.minutes / 60)),
    x.flagged && badge(L('当日超过 12 小时', 'over 12 h that day'), 'warn'),
    x.needs_override && badge(L('超过单次上限，须确认', 'over the limit: confirm'), 'bad'),
    h('div', { class: 'actions' }, reason,
      h('button', { type: 'button', class: 'primary', onclick: decide(true) }, x.needs_override ? L('确认并核实', 'Override and verify') : L('核实', 'Verify')),
      h('button', { type: 'button', onclick: decide(false) }, L('驳回', 'Reject'))),
    slot);
}
