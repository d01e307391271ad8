// Small DOM helpers: elements are built with textContent, never from HTML strings.
import { L, bi, lang, locale } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el && el.tagName !== 'BUTTON') el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** h('div', {class: 'card'}, 'text', child, [more]) */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
/** The same for SVG elements. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG, tag), attrs, children);

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

/** Replaces an element's children (null and false are left out, unlike Element.append). */
export function fill(el, ...children) { return append(clear(el), children); }

// --- formatting ---------------------------------------------------------------------------------------

/** Integer fen as 元 with two decimals, by integer arithmetic: 123456 → "1,234.56 元". */
export function yuan(fen, { unit = true } = {}) {
  if (fen == null || Number.isNaN(Number(fen))) return '—';
  const n = Math.round(Number(fen));
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  const whole = Math.floor(abs / 100).toLocaleString('en-US');
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}${whole}.${cents}${unit ? (lang === 'en' ? ' yuan' : ' 元') : ''}`;
}

/** A compact amount for chart axes: 12.3万 / 12.3k. */
export function compactYuan(fen) {
  const y = Number(fen || 0) / 100;
  if (lang === 'en') return Math.abs(y) >= 1000 ? `${(y / 1000).toFixed(1)}k` : y.toFixed(0);
  return Math.abs(y) >= 10000 ? `${(y / 10000).toFixed(1)}万` : y.toFixed(0);
}

const TZ = 'Asia/Shanghai';

/** A moment in Beijing time. */
export function when(iso, { date = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const opts = { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' };
  if (!date) Object.assign(opts, { hour: '2-digit', minute: '2-digit', hour12: false });
  return new Intl.DateTimeFormat(locale(), opts).format(d);
}

/** A plain date (YYYY-MM-DD) shown as it is. */
export const day = (text) => (text ? String(text).slice(0, 10) : '—');

export function pct(x, digits = 1) {
  if (x == null || Number.isNaN(Number(x))) return '—';
  return `${(Number(x) * 100).toFixed(digits)}%`;
}

export function num(x, digits = 0) {
  if (x == null || Number.isNaN(Number(x))) return '—';
  return Number(x).toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function hours(x) {
  if (x == null) return '—';
  if (x > 0 && x < 1) return `${num(x * 60, 0)} ${L('分钟', 'min')}`;
  return `${num(x, 1)} ${L('小时', 'h')}`;
}

/** A datetime-local value (Beijing wall time) as an ISO string with +08:00. */
export function localToIso(value) {
  return value ? `${value.length === 16 ? `${value}:00` : value}+08:00` : null;
}

// --- feedback -----------------------------------------------------------------------------------------

/** A problem+json error: its detail, and the fields it names. */
export function problemBox(err) {
  const p = err?.problem || {};
  const errors = Array.isArray(p.errors) ? p.errors : [];
  const title = bi(p.title) || (err?.status ? `HTTP ${err.status}` : L('出错了', 'Something went wrong'));
  const detail = bi(p.detail) || (err?.status ? '' : String(err?.message || err));
  return h('div', { class: 'problem', role: 'alert' },
    h('b', {}, title),
    detail && h('span', { class: 'detail' }, detail),
    errors.length > 0 && h('ul', {}, errors.map((e) =>
      h('li', {}, h('code', { class: 'field' }, e.field || 'body'), ' ', bi(e.message || ''))),
    ));
}

/** Marks the inputs a problem names (by their name attribute) and returns the box. */
export function showProblem(form, slot, err) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const e of err?.problem?.errors || []) {
    const el = form.querySelector(`[name="${CSS.escape(e.field || '')}"]`);
    if (el) el.setAttribute('aria-invalid', 'true');
  }
  clear(slot).append(problemBox(err));
}

/** A form that sends one request (send(FormData, form)), says it worked, and draws the page again
 *  (ctx.refresh); a problem is shown on the form, its fields marked. `title` may be null. */
export function actionForm(id, title, fields, submitLabel, send, ctx, { done = L('已保存', 'Saved') } = {}) {
  const slot = h('div', {});
  const form = h('form', { class: 'form', id, onsubmit: async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await send(new FormData(form), form);
      toast(done);
      ctx.refresh();
    } catch (err) {
      showProblem(form, slot, err);
      button.disabled = false;
    }
  } }, title && h('h3', {}, title), fields, slot, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, submitLabel)));
  return form;
}

export function toast(text) {
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 2600);
}

export const empty = (text = L('暂无数据', 'Nothing yet')) => h('p', { class: 'empty' }, text);

export function badge(text, cls = '') { return h('span', { class: `badge ${cls}`.trim() }, text); }

export function tile(value, label, cls = '', testid = null) {
  return h('div', { class: `tile ${cls}`.trim(), 'data-kpi': testid },
    h('div', { class: 'v' }, value), h('div', { class: 'k' }, label));
}

/** A table; each column: {label, value: row → node|text, num?: bool}. Rows stack on a phone. */
export function table(columns, rows, { onRow = null, stack = true } = {}) {
  if (!rows || rows.length === 0) return empty();
  return h('div', { class: 'table-wrap' }, h('table', { class: `list ${stack ? 'stack' : ''}` },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {
      class: onRow ? 'clickable' : null,
      onclick: onRow ? () => onRow(r) : null,
    }, columns.map((c) => h('td', { class: c.num ? 'num' : null, 'data-label': c.label }, c.value(r))))))));
}

/** Definition list of [label, value] pairs (pairs whose value is null are left out). */
export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter((p) => p && p[1] != null && p[1] !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** A field: <label><span>label</span><input …></label>. */
export function field(label, control, { required = false, hint = null } = {}) {
  return h('label', { class: 'field' }, h('span', {}, label, required && h('span', { class: 'req' }, ' *')), control,
    hint && h('small', {}, hint));
}

export function select(name, options, { value = '', blank = null, required = false } = {}) {
  return h('select', { name, required },
    blank != null && h('option', { value: '' }, blank),
    options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value) }, label)));
}

/** Generic view of data whose shape the console does not know in advance (a new service answer). */
export function dataView(value, depth = 0) {
  if (value == null) return h('span', { class: 'muted' }, '—');
  if (Array.isArray(value)) {
    if (value.length === 0) return empty(L('无', 'None'));
    if (value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))].filter((k) => !/(^|_)id$|hash/.test(k) || k === 'id').slice(0, 6);
      return table(keys.map((k) => ({ label: keyLabel(k), value: (r) => scalar(k, r[k]), num: /_fen$|count|minutes|hours/.test(k) })), value);
    }
    return h('span', {}, value.map((v) => scalar('', v)).join('、'));
  }
  if (typeof value === 'object') {
    if (depth > 2) return h('code', {}, JSON.stringify(value).slice(0, 200));
    return kv(Object.entries(value).map(([k, v]) => [keyLabel(k), v && typeof v === 'object' ? dataView(v, depth + 1) : scalar(k, v)]));
  }
  return scalar('', value);
}

const KEY_LABELS = {
  status: ['状态', 'Status'], title: ['标题', 'Title'], name: ['名称', 'Name'], amount_fen: ['金额', 'Amount'],
  minutes: ['分钟', 'Minutes'], area_code: ['区划', 'Area'], created_at: ['创建时间', 'Created'], kind: ['类型', 'Kind'],
  volunteer_ref: ['志愿者编号', 'Volunteer ref'], verified_minutes: ['已核实分钟', 'Verified minutes'],
  accepted: ['已接受', 'Accepted'], slots: ['名额', 'Slots'], budget_fen: ['预算', 'Budget'], awarded_fen: ['中标金额', 'Awarded'],
  organization_uscc: ['承接组织', 'Organization'], due_at: ['期限', 'Due'], owner: ['责任方', 'Owner'], urgency: ['紧急程度', 'Urgency'],
  blown_at: ['吹哨时间', 'Blown at'], respond_by: ['接单时限', 'Respond by'], target_kind: ['定向对象', 'Target'],
  earmarked_on: ['定向日期', 'Earmarked on'], unspent_fen: ['未使用', 'Unspent'], disbursed_fen: ['已拨付', 'Disbursed'],
  balance: ['余额', 'Balance'], hours: ['时长', 'Hours'], year: ['年度', 'Year'], grade: ['等级', 'Grade'], score: ['得分', 'Score'],
};
export const keyLabel = (k) => (KEY_LABELS[k] ? L(...KEY_LABELS[k]) : k);

function scalar(key, v) {
  if (v == null) return '—';
  if (typeof v === 'boolean') return v ? L('是', 'yes') : L('否', 'no');
  if (/_fen$/.test(key) && typeof v === 'number') return yuan(v);
  if (/(_at|^at)$/.test(key) && typeof v === 'string') return when(v);
  if (typeof v === 'object') return JSON.stringify(v).slice(0, 120);
  return bi(String(v));
}

export function uuidish(text) { return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text || ''); }
