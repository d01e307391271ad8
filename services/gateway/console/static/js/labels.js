// Code lists: the services' own labels where they serve them (need categories from the needs service,
// the shared code lists of contracts.taxonomy from the gateway), and the console's words for the rest.
import { api } from './api.js';
import { L, bi, pick } from './i18n.js';

let codeLists = null;
let categories = null;
const areas = new Map();

export async function loadCodeLists() {
  if (!codeLists) {
    const res = await fetch('/console/data/labels');
    codeLists = res.ok ? await res.json() : {};
  }
  return codeLists;
}

/** Need categories as the needs service holds them (configurable), else the standard list. */
export async function loadCategories() {
  if (categories) return categories;
  try {
    const list = await api('/taxonomy/categories');
    categories = Object.fromEntries(list.map((c) => [c.code, { zh: c.zh, en: c.en, active: c.active }]));
  } catch {
    categories = { ...(await loadCodeLists()).need_category };
  }
  return categories;
}

export function forgetSession() { categories = null; }

export const cachedCategories = () => categories || codeLists?.need_category || {};
export const codeOptions = (list) => Object.entries(codeLists?.[list] || {}).map(([c, p]) => [c, pick(p)]);
export const codeLabel = (list, code) => pick(codeLists?.[list]?.[code], code ?? '—');
export const categoryLabel = (code) => pick(categories?.[code] || codeLists?.need_category?.[code], code ?? '—');

/** An area's name and place in the tree (public reference data, cached). */
export async function area(code) {
  if (!code) return null;
  if (!areas.has(code)) {
    areas.set(code, fetch(`/console/data/areas/${encodeURIComponent(code)}`).then((r) => (r.ok ? r.json() : null)));
  }
  return areas.get(code);
}

export async function areaName(code) {
  const a = await area(code);
  return a ? a.name : code;
}

export const roleLabel = (role) => codeLabel('role', role);

export const NEED_STATUS = {
  raised: ['已登记', 'Raised'], routed: ['已评估分派', 'Assessed and routed'], matched: ['已对接', 'Matched'],
  resolved: ['已解决', 'Resolved'], closed: ['已办结', 'Closed'], reopened: ['已重新打开', 'Reopened'],
  disputed: ['调处中', 'In mediation'], returned: ['已退回', 'Returned'],
};
export const needStatus = (s) => (NEED_STATUS[s] ? L(...NEED_STATUS[s]) : s);

export const ACTORS = {
  community: ['社区', 'Community'], volunteers: ['志愿者与社工', 'Volunteers & social workers'],
  projects: ['社会组织', 'Social organizations'], charity: ['慈善资源', 'Charity'], party: ['党组织', 'Party organization'],
};
export const actorLabel = (a) => (ACTORS[a] ? L(...ACTORS[a]) : a);
export const ACTOR_COLORS = { community: '#2563eb', volunteers: '#16a34a', projects: '#7c3aed', charity: '#ea580c', party: '#c8102e' };

export const PROJECT_STATUS = {
  draft: ['草稿', 'Draft'], review_pending: ['待党组织研究', 'Party review'], funding_pending: ['待资金承诺', 'Awaiting funds'],
  funding_rejected: ['资金被拒', 'Funding refused'], funded: ['资金已落实', 'Funded'], published: ['招标中', 'Open for bids'],
  procured: ['实施中', 'In delivery'], delivered: ['已交付', 'Delivered'], evaluated: ['已评估', 'Evaluated'], closed: ['已关闭', 'Closed'],
};
export const projectStatus = (s) => (PROJECT_STATUS[s] ? L(...PROJECT_STATUS[s]) : s);

export const SECTION_STATUS = {
  available: ['', ''], unavailable: ['服务暂不可用', 'Service unavailable'], not_found: ['暂无', 'None yet'],
  forbidden: ['无权查看', 'Not for your role'],
};
export const sectionStatus = (s) => (SECTION_STATUS[s] ? L(...SECTION_STATUS[s]) : s);

export const GENERIC_STATUS = {
  open: ['待处理', 'Open'], responded: ['已接单', 'Responded'], closed: ['已办结', 'Closed'], pending: ['待研究', 'Pending'],
  decided: ['已决定', 'Decided'], approved: ['通过', 'Approved'], rejected: ['否决', 'Rejected'], revise: ['修改后再议', 'Revise'],
  dispatched: ['已派发', 'Dispatched'], in_progress: ['办理中', 'In progress'], done: ['已办结', 'Done'], overdue: ['逾期', 'Overdue'],
  requested: ['待复核', 'Awaiting approval'], disbursed: ['已拨付', 'Disbursed'], filled: ['已满员', 'Filled'],
  awaiting_match: ['待匹配', 'Awaiting match'], scheduled: ['待召开', 'Scheduled'], held: ['已召开', 'Held'],
  claimed: ['已认领', 'Claimed'], fulfilled: ['已实现', 'Fulfilled'], registered: ['已登记', 'Registered'],
  deregistered: ['已注销', 'Deregistered'],
};
export const statusLabel = (s) => (GENERIC_STATUS[s] ? L(...GENERIC_STATUS[s]) : bi(s ?? '—'));

export const GRADES = { excellent: ['优秀', 'Excellent'], good: ['良好', 'Good'], basic: ['基本合格', 'Basic'], unqualified: ['不合格', 'Unqualified'] };
export const gradeLabel = (g) => (GRADES[g] ? L(...GRADES[g]) : g);

export const LEGAL_TYPES = { social_group: ['社会团体', 'Social group'], social_service_agency: ['社会服务机构', 'Social service agency'], foundation: ['基金会', 'Foundation'] };
export const legalType = (t) => (LEGAL_TYPES[t] ? L(...LEGAL_TYPES[t]) : t);

/** A task's title as the volunteers service words it, with a need category's code (e.g. "需求服务：meal_aid") shown by its label. */
export const taskTitle = (t) => String(t?.title ?? '').replace(/([:：]\s*)([a-z][a-z0-9_]{1,39})$/, (_, sep, code) => `${sep}${categoryLabel(code)}`);
