// Code lists, every one in its owner's words: the gateway serves the shared lists and each service's
// own (its GET /code-lists) at /console/data/labels; need categories come from the needs service.
// The console keeps no translation table of its own.
import { api } from './api.js';
import { pick } from './i18n.js';

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
/** The codes of a list, in the order its owner gives them. */
export const codeKeys = (list) => Object.keys(codeLists?.[list] || {});
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

export const needStatus = (s) => codeLabel('need_status', s);
export const projectStatus = (s) => codeLabel('project_status', s);
export const sectionStatus = (s) => codeLabel('section_status', s);
export const gradeLabel = (g) => codeLabel('grade', g);
export const legalType = (t) => codeLabel('legal_type', t);
export const actorLabel = (a) => codeLabel('linkage_actor', a);

// presentation, not data: the colour of each of the five actors (the needs service's linkage_actor list)
export const ACTOR_COLORS = { community: '#2563eb', volunteers: '#16a34a', projects: '#7c3aed', charity: '#ea580c', party: '#c8102e' };

/** A task's title as the volunteers service words it, with a need category's code (e.g. "需求服务：meal_aid") shown by its label. */
export const taskTitle = (t) => String(t?.title ?? '').replace(/([:：]\s*)([a-z][a-z0-9_]{1,39})$/, (_, sep, code) => `${sep}${categoryLabel(code)}`);
