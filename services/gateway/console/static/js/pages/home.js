// 工作台: what waits for me in my area — needs, whistles, matters, tasks, payments, follow-ups.
import { api, maybe } from '../api.js';
import { may, opens, openSections } from '../capabilities.js';
import { card, noteWhenAllHidden } from '../cards.js';
import { badge, empty, h, num, tile, when, yuan } from '../dom.js';
import { L, bi } from '../i18n.js';
import { areaName, codeLabel, loadCategories, taskTitle } from '../labels.js';
import { needItems } from './needs.js';

export async function render(ctx) {
  await loadCategories();
  const who = ctx.who;
  const place = await areaName(who.area);
  const tiles = h('div', { class: 'tiles' });
  const grid = h('div', { class: 'grid three' });
  const page = h('div', { class: 'stack' },
    h('div', { class: 'page-head' }, h('h1', {}, L('工作台', 'Workbench')), h('span', { class: 'muted' }, place)),
    shortcuts(), tiles, grid);

  (may('GET /needs/stats') ? api('/needs/stats') : Promise.reject()).then((st) => {
    const by = st.by_status || {};
    tiles.append(
      tile(num((by.raised || 0) + (by.reopened || 0)), L('待评估需求', 'Awaiting assessment'), 'warn', 'open-raised'),
      tile(num((by.routed || 0) + (by.matched || 0) + (by.disputed || 0)), L('办理中', 'In progress'), '', 'in-progress'),
      tile(num(st.overdue), L('超时未响应', 'Overdue'), st.overdue ? 'bad' : 'ok', 'overdue'),
      tile(num((by.resolved || 0) + (by.closed || 0)), L('已解决/办结', 'Resolved or closed'), 'ok', 'done'));
  }).catch(() => tiles.remove());

  const cards = [
    card(L('我的任务', 'My tasks'), () => maybe('/volunteers/me'), (me) => (!me
      ? h('p', { class: 'notice' }, L('尚未注册为志愿者，请联系社区登记。', 'Not registered as a volunteer yet: ask your community.'))
      : items(me.tasks.filter((t) => t.my_status === 'invited' || t.my_status === 'accepted').slice(0, 8),
        (t) => [taskTitle(t.task), badge(bi(t.my_status_label)), t.task.window_start && h('small', {}, when(t.task.window_start))], '#/mine')),
    { id: 'my-tasks', reads: 'GET /volunteers/me' }),
    card(L('待评估需求', 'Needs awaiting assessment'), () => api('/needs', { query: { status: 'raised', page_size: 6 } }),
      (page) => needItems(page, ctx, { status: 'raised' }), { id: 'raised', reads: 'GET /needs' }),
    card(L('超时未响应', 'Overdue needs'), () => api('/needs', { query: { overdue: true, page_size: 6 } }),
      (page) => needItems(page, ctx, { overdue: 'true' }), { id: 'overdue', reads: 'GET /needs' }),
    card(L('待确认解决', 'Matched, to be confirmed'), () => api('/needs', { query: { status: 'matched', page_size: 6 } }),
      (page) => needItems(page, ctx, { status: 'matched' }), { id: 'matched', reads: 'GET /needs' }),
    card(L('吹哨待接单', 'Whistles waiting'), () => api('/whistles', { query: { status: 'open' } }), (list) => items(list.slice(0, 8), (w) => [
      w.title, w.overdue ? badge(L('超时', 'overdue'), 'bad') : badge(codeLabel('whistle_status', w.status)),
      h('small', {}, L('时限 ', 'by '), when(w.respond_by))], (w) => (w.need_id ? `#/needs/${w.need_id}` : '#/party')), { id: 'whistles', reads: 'GET /whistles' }),
    card(L('待决重大事项', 'Matters pending'), () => api('/matters', { query: { status: 'pending' } }), (list) => items(list.slice(0, 8), (m) => [
      m.title, m.amount_fen != null && h('small', {}, yuan(m.amount_fen)),
      m.overdue ? badge(L('逾期', 'overdue'), 'bad') : h('small', {}, L('期限 ', 'due '), when(m.due_at, { date: true }))], (m) => (m.project_id ? `#/projects/${m.project_id}` : '#/party')),
    { id: 'matters', reads: 'GET /matters' }),
    card(L('志愿服务任务（待核实时长）', 'Volunteer tasks (hours to verify)'), () => api('/tasks', { query: { status: 'filled' } }),
      (list) => items(list.slice(0, 8), (t) => [taskTitle(t), badge(`${t.accepted}/${t.slots}`),
        t.window_end && h('small', {}, when(t.window_end))], (t) => (t.need_id ? `#/needs/${t.need_id}` : '#/volunteers')), { id: 'tasks', reads: 'GET /tasks' }),
    card(L('待复核拨付', 'Payments to approve'), () => api('/disbursements', { query: { status: 'requested' } }), (list) => items(list.slice(0, 8), (d) => [
      bi(d.milestone), h('b', {}, yuan(d.amount)), h('small', {}, when(d.requested_at))], '#/charity'),
    { id: 'disbursements', reads: 'GET /disbursements' }),
    card(L('逾期督办事项', 'Overdue meeting actions'), () => api('/meeting-actions', { query: { status: 'overdue' } }), (list) => items(list.slice(0, 8), (a) => [
      a.title, h('small', {}, a.owner), badge(L('逾期', 'overdue'), 'bad')], (a) => (a.need_id ? `#/needs/${a.need_id}` : '#/party')),
    { id: 'actions', reads: 'GET /meeting-actions' }),
    card(L('待回访', 'Revisits due'), () => api('/revisits/due'), (list) => needItems({ items: list.slice(0, 6), total: list.length }, ctx, null),
      { id: 'revisits', reads: 'GET /revisits/due' }),
  ];
  grid.append(...cards);
  noteWhenAllHidden(grid, cards, L('你的角色在工作台暂无待办事项，可从上方入口开始。', 'Nothing waits for your role here; start from the links above.'));
  return page;
}

/** Links to the sections the role may open (the navigation's, from the role's table). */
function shortcuts() {
  const sections = openSections().filter((s) => s.key !== 'home');
  return h('nav', { class: 'actions', id: 'shortcuts', 'aria-label': L('快捷入口', 'Shortcuts') },
    sections.map((s) => h('a', { class: 'btn', href: `#/${s.key}`, 'data-shortcut': s.key }, L(s.label_zh, s.label_en))));
}

/** A short list: each row's first part links to where the item is handled, if the role may open it. */
function items(list, row, href) {
  if (!list.length) return empty(L('没有待办', 'Nothing waiting'));
  return h('ul', { class: 'list-plain' }, list.map((x) => {
    const [first, ...rest] = row(x);
    const target = typeof href === 'function' ? href(x) : href;
    return h('li', {}, opensPage(target) ? h('a', { class: 'grow', href: target }, first) : h('span', { class: 'grow' }, first), rest);
  }));
}

/** '#/party' → whether the role may open the party section (the workbench is always open). */
const opensPage = (hash) => {
  const key = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return !key || opens(key);
};
