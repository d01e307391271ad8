// 我的志愿服务: a volunteer's own page, phone first — my tasks (answer, check in and out), the open
// tasks I may sign up for, my hours and whether they are verified, my time-bank credits (their
// exchange for charity points, spent in the love supermarket, and gifts to family), my certificates, my skills. One answer from the volunteers service (GET /volunteers/me) draws most of it.
import { api, download } from '../api.js';
import { may } from '../capabilities.js';
import { actionForm, badge, empty, field, h, hours, localToIso, problemBox, tile, toast, when } from '../dom.js';
import { L, bi } from '../i18n.js';
import { areaName, codeOptions, taskTitle } from '../labels.js';

const STATUS_CLASS = { invited: 'warn', accepted: 'ok', declined: '', no_show: 'bad' };
const LOG_CLASS = { open: 'info', logged: 'warn', verified: 'ok', rejected: 'bad' };

export async function render(ctx) {
  let me;
  try {
    me = await api('/volunteers/me');
  } catch (err) {
    if (err.status !== 404) throw err;
    return h('div', { id: 'mine' }, h('h1', {}, L('我的志愿服务', 'My volunteering')),
      h('p', { class: 'notice', id: 'not-registered' }, bi(err.problem?.detail) || L('尚未注册为志愿者，请联系社区登记。', 'Not registered as a volunteer yet: ask your community.')));
  }
  const bank = may('GET /timebank/volunteers/{volunteer_id}') ? await api(`/timebank/volunteers/${me.volunteer_id}`).catch(() => null) : null;
  const [points, stock] = await Promise.all([
    may('GET /supermarket/points/{kind}/{ref}') ? api(`/supermarket/points/volunteer/${encodeURIComponent(ctx.who.sub)}`).catch(() => null) : null,
    may('GET /supermarket/stock') ? api('/supermarket/stock', { query: { area: me.area_code } }).catch(() => null) : null,
  ]);
  const place = await areaName(me.area_code);
  return h('div', { class: 'stack', id: 'mine' },
    h('div', { class: 'page-head' }, h('h1', {}, L('我的志愿服务', 'My volunteering')), h('span', { class: 'muted' }, `${me.name} · ${place}`)),
    h('div', { class: 'tiles' },
      tile(hours(me.minutes_verified / 60), L('已核实时长', 'Hours verified'), 'ok', 'hours-verified'),
      tile(hours(me.minutes_pending / 60), L('待核实时长', 'Hours awaiting verification'), me.minutes_pending ? 'warn' : '', 'hours-pending'),
      bank && tile(bank.balance_credits, L('时间银行积分', 'Time-bank credits'), '', 'credits')),
    section('my-tasks', L('我的任务', 'My tasks'), me.tasks.length ? h('ul', { class: 'list-plain' }, me.tasks.map((t) => myTask(ctx, me, t)))
      : empty(L('还没有任务：可在下方报名。', 'No tasks yet: sign up for one below.'))),
    section('open-tasks', L('可报名的任务', 'Tasks you may sign up for'), me.open_tasks.length ? h('ul', { class: 'list-plain' }, me.open_tasks.map((o) => openTask(ctx, o)))
      : empty(L('本县（区）及你服务的区域暂无招募中的任务。', 'No task is recruiting in your county or the areas you serve.'))),
    section('my-hours', L('我的服务时长', 'My hours'), me.hours.length ? h('ul', { class: 'list-plain' }, me.hours.map(hourLine))
      : empty(L('还没有服务记录', 'No hours yet'))),
    bank && section('my-credits', L('时间银行与爱心超市', 'Time bank and love supermarket'), credits(ctx, me, bank, points, stock)),
    bank && section('my-family', L('转赠亲属', 'Give credits to family'), family(ctx, me, bank)),
    section('my-certificates', L('志愿服务记录证明', 'Service certificates'), certificates(ctx, me)),
    section('my-skills', L('我的技能', 'My skills'), skills(ctx, me)));
}

/** The skills a volunteer offers, kept up to date by themself: the open tasks above are matched on them. */
function skills(ctx, me) {
  const shown = h('p', { id: 'skills-shown' }, me.skills.length ? me.skills.map((s) => badge(s, 'ok')) : L('尚未填写技能', 'No skill given yet'));
  if (!may('PATCH /volunteers/me')) return shown;
  return h('div', { class: 'stack' }, shown, actionForm('skills-form', null, [
    field(L('技能（用顿号或逗号分隔）', 'Skills (separated by commas)'), h('input', { name: 'skills', value: me.skills.join('、'), maxlength: 400 })),
  ], L('保存技能', 'Save skills'), (f) => api('/volunteers/me', { method: 'PATCH',
    body: { skills: f.get('skills').split(/[、,，;；\s]+/).map((x) => x.trim()).filter(Boolean) } }),
  ctx, { done: L('技能已更新', 'Skills saved') }));
}

/** Now on a Beijing wall clock, as YYYY-MM-DDTHH:MM:SS. */
const beijingNow = () => new Date().toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).replace(' ', 'T');

const section = (id, title, body) => h('section', { class: 'card', id }, h('h2', {}, title), body);

/** A button that sends one request, says what happened, and draws the page again. */
function act(ctx, label, send, { cls = 'primary', done = L('已完成', 'Done') } = {}) {
  const slot = h('div', {});
  const button = h('button', { class: cls, type: 'button', onclick: async () => {
    button.disabled = true;
    try {
      await send();
      toast(done);
      ctx.refresh();
    } catch (err) {
      slot.replaceChildren(problemBox(err));
      button.disabled = false;
    }
  } }, label);
  return h('span', { class: 'action' }, button, slot);
}

function windowText(task) {
  if (!task.window_start) return L('时间待定', 'Time to be agreed');
  return `${when(task.window_start)} – ${task.window_end ? when(task.window_end) : '…'}`;
}

function myTask(ctx, me, t) {
  const path = `/tasks/${t.task.id}`;
  const actions = [];
  if (t.my_status === 'invited' && may('POST /tasks/{task_id}/invitations/{volunteer_id}/response')) {
    actions.push(act(ctx, L('接受', 'Accept'), () => api(`${path}/invitations/${me.volunteer_id}/response`, { method: 'POST', body: { accept: true } }), { done: L('已接受', 'Accepted') }),
      act(ctx, L('婉拒', 'Decline'), () => api(`${path}/invitations/${me.volunteer_id}/response`, { method: 'POST', body: { accept: false } }), { cls: '', done: L('已婉拒', 'Declined') }));
  }
  if (t.can_check_in && may('POST /tasks/{task_id}/volunteers/{volunteer_id}/check-in')) {
    // arrived earlier and forgot to check in: the time may be given (the service checks it against the window)
    // a date and a time: one who arrived before midnight and forgot may still say so
    const shown = beijingNow().slice(0, 16);
    const arrived = h('input', { type: 'datetime-local', name: 'arrived', value: shown, 'aria-label': L('到达时间', 'Arrived at') });
    actions.push(h('label', { class: 'small' }, L('到达时间 ', 'Arrived at '), arrived),
      act(ctx, L('签到', 'Check in'), () => api(`${path}/volunteers/${me.volunteer_id}/check-in`, { method: 'POST',
        body: arrived.value && arrived.value !== shown ? { at: localToIso(arrived.value) } : {} }),
      { done: L('已签到', 'Checked in') }));
  }
  if (t.checked_in_at && may('POST /tasks/{task_id}/volunteers/{volunteer_id}/check-out')) {
    actions.push(act(ctx, L('签退', 'Check out'), () => api(`${path}/volunteers/${me.volunteer_id}/check-out`, { method: 'POST', body: {} }),
      { done: L('已签退，时长待核实', 'Checked out: the hours await verification') }));
  }
  return h('li', { class: 'task-line', 'data-task': t.task.id },
    h('div', { class: 'grow' }, h('b', {}, taskTitle(t.task)), h('br', {}),
      h('small', {}, windowText(t.task), t.task.place ? ` · ${t.task.place}` : ''),
      t.checked_in_at && h('small', { class: 'muted' }, ` · ${L('签到于', 'in at')} ${when(t.checked_in_at)}`)),
    badge(bi(t.my_status_label), STATUS_CLASS[t.my_status] || ''), h('small', { class: 'muted' }, bi(t.task_status_label)),
    h('div', { class: 'actions' }, actions));
}

function openTask(ctx, o) {
  const t = o.task;
  return h('li', { class: 'task-line', 'data-open-task': t.id },
    h('div', { class: 'grow' }, h('b', {}, taskTitle(t)), h('br', {}),
      h('small', {}, windowText(t), t.place ? ` · ${t.place}` : '', ` · ${L('名额', 'places')} ${t.accepted}/${t.slots}`),
      o.matching_skills.length > 0 && h('div', {}, o.matching_skills.map((s) => badge(s, 'ok')))),
    may('POST /tasks/{task_id}/sign-up') && h('div', { class: 'actions' }, act(ctx, L('报名', 'Sign up'),
      () => api(`/tasks/${t.id}/sign-up`, { method: 'POST' }), { done: L('已报名', 'Signed up') })));
}

function hourLine(x) {
  return h('li', { 'data-log': x.log.id },
    h('span', { class: 'grow' }, taskTitle({ title: x.task_title }), h('br', {}), h('small', {}, when(x.log.check_in))),
    h('b', {}, x.log.minutes == null ? '—' : hours(x.log.minutes / 60)), badge(bi(x.status_label), LOG_CLASS[x.log.status] || ''),
    x.log.reason && h('small', { class: 'muted' }, bi(x.log.reason)));
}

function certificates(ctx, me) {
  // the days are Beijing's, as the service counts them (a UTC date is yesterday's before 08:00 in Beijing)
  const today = beijingNow().slice(0, 10);
  const yearAgo = `${Number(today.slice(0, 4)) - 1}${today.slice(4)}`.replace('-02-29', '-02-28');
  const issue = may('POST /certificates') && me.minutes_verified > 0 && act(ctx, L('申请近一年的证明', 'A certificate for the last year'),
    () => api('/certificates', { method: 'POST', body: { volunteer_id: me.volunteer_id, period_start: yearAgo, period_end: today } }),
    { cls: '', done: L('证明已出具', 'Certificate issued') });
  const list = me.certificates.map((c) => h('li', { 'data-certificate': c.code },
    h('span', { class: 'grow' }, `${c.period_start} – ${c.period_end}`, h('br', {}), h('small', {}, L('核验码 ', 'Code '), c.code)),
    h('button', { type: 'button', class: 'btn', onclick: () => download(`/certificates/${c.id}/print`, {}, `志愿服务记录证明-${c.code}.html`) },
      L('下载', 'Download'))));
  return h('div', {}, list.length ? h('ul', { class: 'list-plain' }, list) : empty(L('还没有证明', 'No certificate yet')), issue);
}

/** 转赠亲属: credits go only to a declared family member who is a registered volunteer, named by
 *  their name and citizen ID (the service finds them; the page never asks for an id of ours). */
function family(ctx, me, bank) {
  const relatives = me.family.map((f) => [f.relative_id, `${f.name}（${bi(f.relation_label)}）`]);
  const give = may('POST /timebank/transfers') && relatives.length > 0 && bank.balance_units > 0 && actionForm('transfer-form', null, [
    h('div', { class: 'fields two' },
      field(L('转给', 'To'), h('select', { name: 'to' }, relatives.map(([id, label]) => h('option', { value: id }, label)))),
      field(L('积分', 'Credits'), h('input', { name: 'credits', type: 'number', min: '0.01', step: '0.01', max: bank.balance_credits, required: true, inputmode: 'decimal' }))),
  ], L('转赠', 'Give'), (f) => api('/timebank/transfers', { method: 'POST',
    body: { from_volunteer: me.volunteer_id, to_volunteer: f.get('to'), units: Math.round(Number(f.get('credits')) * 100) } }),
  ctx, { done: L('已转赠', 'Given') });
  const declare = may('POST /timebank/family-links') && h('details', { id: 'declare-relative' }, h('summary', {}, L('＋ 登记亲属', '+ Add a family member')),
    actionForm('family-form', null, [
      h('p', { class: 'small muted' }, L('亲属须已注册为志愿者；请填写其本人姓名与身份证号。', 'The relative must be a registered volunteer: give their own name and citizen ID.')),
      h('div', { class: 'fields two' },
        field(L('姓名', 'Name'), h('input', { name: 'relative.name', required: true, maxlength: 50, autocomplete: 'off' }), { required: true }),
        field(L('身份证号', 'Citizen ID'), h('input', { name: 'relative.citizen_id', required: true, maxlength: 18, autocomplete: 'off' }), { required: true })),
      field(L('关系', 'Relation'), h('select', { name: 'relation' }, codeOptions('family_relation').map(([c, label]) => h('option', { value: c }, label)))),
    ], L('登记', 'Add'), (f) => api('/timebank/family-links', { method: 'POST', body: { volunteer_id: me.volunteer_id,
      relative: { name: f.get('relative.name').trim(), citizen_id: f.get('relative.citizen_id').trim().toUpperCase() }, relation: f.get('relation') } }),
    ctx, { done: L('已登记亲属', 'Family member added') }));
  return h('div', { class: 'stack' },
    relatives.length ? h('ul', { class: 'list-plain', id: 'relatives' }, me.family.map((f) => h('li', {}, h('span', { class: 'grow' }, f.name), badge(bi(f.relation_label)))))
      : empty(L('尚未登记亲属：积分只能转赠给登记的亲属。', 'No family member yet: credits go only to one you add.')),
    give, declare);
}

/** 积分互兑: credits (100 units each) exchanged for charity points, which buy goods in the love supermarket. */
function credits(ctx, me, bank, points, stock) {
  const balance = points?.balance ?? 0;
  const exchange = may('POST /timebank/exchanges') && bank.balance_units > 0 && actionForm('exchange-form', null, [
    field(L('兑换爱心积分（时间银行积分）', 'Exchange for charity points (credits)'),
      h('input', { name: 'credits', type: 'number', min: '0.01', step: '0.01', max: bank.balance_credits, value: bank.balance_credits, required: true, inputmode: 'decimal' })),
  ], L('兑换', 'Exchange'), (f) => api('/timebank/exchanges', { method: 'POST',
    body: { volunteer_id: me.volunteer_id, units: Math.round(Number(f.get('credits')) * 100) } }),
  ctx, { done: L('已兑换，爱心积分片刻后到账', 'Exchanged: the points arrive in a moment') });
  const goods = (stock?.items || []).filter((i) => i.quantity > 0);
  return h('div', { class: 'stack' },
    h('p', {}, L('爱心积分：', 'Charity points: '), h('b', { id: 'points-balance' }, String(balance))),
    exchange,
    bank.statement.length > 0 && h('ul', { class: 'list-plain small', id: 'credit-statement' }, bank.statement.slice(0, 10).map((e) =>
      h('li', {}, h('span', { class: 'muted' }, when(e.at)), ' ', e.kind_label || L('积分变动', 'Change'), ' ',
        h('b', {}, `${e.units > 0 ? '+' : ''}${(e.units / 100).toFixed(2)}`)))),
    may('POST /supermarket/redemptions') && goods.length > 0 && h('div', { id: 'supermarket' },
      h('h3', {}, L('爱心超市', 'Love supermarket')),
      h('ul', { class: 'list-plain' }, goods.map((i) => h('li', { class: 'need-line', 'data-item': i.item }, h('div', { class: 'grow' },
        h('b', {}, i.item), ' ', h('small', { class: 'muted' }, L(`${i.price_points} 积分/${i.unit} · 余 ${i.quantity}`, `${i.price_points} points/${i.unit} · ${i.quantity} left`))),
      balance >= i.price_points && act(ctx, L('兑换一件', 'Redeem one'), () => api('/supermarket/redemptions', { method: 'POST',
        body: { holder_kind: 'volunteer', holder_ref: ctx.who.sub, item_id: i.item_id, quantity: 1 } }), { done: L('已兑换，请到社区领取', 'Redeemed: collect it at the community') }))))));
}
