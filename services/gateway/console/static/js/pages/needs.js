// 需求库: search and filter, and raise a need. A need's own page (Need360) is need-detail.js.
import { areaPicker } from '../area-picker.js';
import { api, download } from '../api.js';
import { may } from '../capabilities.js';
import {
  badge, empty, field, fill, h, localToIso, problemBox, select, showProblem, table, toast, when,
} from '../dom.js';
import { L, bi, pick } from '../i18n.js';
import { categoryLabel, codeOptions, loadCategories, loadCodeLists } from '../labels.js';
import { statusBadge, urgencyBadge } from './need-badges.js';

export { detail } from './need-detail.js';

const shorten = (t, n = 48) => (t && t.length > n ? `${t.slice(0, n - 1)}…` : t || '');

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
    field(L('区域', 'Area'), areaPicker({ name: 'area', start: ctx.who.area, value: q.area || '' })),
    field(L('需求类别', 'Category'), select('category', Object.entries(cats).map(([c, p]) => [c, pick(p)]), { value: q.category, blank: L('全部', 'All') })),
    field(L('状态', 'Status'), select('status', codeOptions('need_status'), { value: q.status, blank: L('全部', 'All') })),
    field(L('紧急程度', 'Urgency'), select('urgency', Object.entries(codes.urgency || {}).map(([c, p]) => [c, pick(p)]), { value: q.urgency, blank: L('全部', 'All') })),
    field(L('服务对象', 'Target group'), select('target_group', Object.entries(codes.target_group || {}).map(([c, p]) => [c, pick(p)]), { value: q.target_group, blank: L('全部', 'All') })),
    field(L('是否超时', 'Overdue'), select('overdue', [['true', L('已超时', 'Overdue')], ['false', L('未超时', 'Not overdue')]], { value: q.overdue, blank: L('全部', 'All') }))),
  h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, L('检索', 'Search')),
    h('a', { class: 'btn', href: '#/needs' }, L('清除', 'Clear')),
    may('GET /needs/export.csv') && h('button', { type: 'button', onclick: () => download('/needs/export.csv', { ...q }, 'needs.csv').catch((err) => toast(bi(err.problem?.detail || err.message))) },
      L('导出 CSV（脱敏）', 'Export CSV (masked)'))));

  const results = h('section', { class: 'card' }, h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
  const page = h('div', {},
    h('div', { class: 'page-head' }, h('h1', {}, L('需求库', 'Need library')),
      may('POST /needs') && h('a', { class: 'btn primary', href: '#/needs/new', id: 'raise-need' }, L('＋ 登记需求', '+ Raise a need'))),
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
  if (!may('POST /needs')) {
    return h('div', {}, h('h1', {}, L('登记居民需求', "Raise a resident's need")),
      h('p', { class: 'notice' }, L('登记需求不适用于你的角色。', 'Raising needs is not part of your role.')), h('a', { class: 'btn', href: '#/needs' }, L('返回需求库', 'Back to the library')));
  }
  const [cats, codes] = await Promise.all([loadCategories(), loadCodeLists()]);
  const slot = h('div', {});
  const community = ctx.who.area.length === 12 ? ctx.who.area : '';
  const form = h('form', { class: 'form', id: 'need-form', novalidate: true, onsubmit: submit },
    h('fieldset', {}, h('legend', {}, L('需求', 'The need')),
      h('div', { class: 'fields two' },
        field(L('所在村（社区）', 'Village or community'), areaPicker({ name: 'area_code', start: ctx.who.area, leaf: true }), { required: true }),
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
