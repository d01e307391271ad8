// Cards that load on their own: a card whose answer is 403 (the role may not read it) disappears.
import { fill, h, problemBox } from './dom.js';
import { L } from './i18n.js';

/**
 * card(title, load, show) → a <section> that fills itself with show(data) once load() answers.
 * `done` resolves to 'shown' | 'hidden' | 'failed'.
 */
export function card(title, load, show, { cls = '', id = null, extra = null } = {}) {
  const body = h('div', { class: 'card-body' }, h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
  const el = h('section', { class: `card ${cls}`.trim(), 'data-card': id }, h('h2', {}, title, extra), body);
  el.done = Promise.resolve().then(load).then(
    (data) => { fill(body, show(data, el)); return 'shown'; },
    (err) => {
      if (err.status === 403) { el.remove(); return 'hidden'; }
      if (err.status === 401) return 'failed';
      fill(body, problemBox(err));
      return 'failed';
    });
  return el;
}

/** When every card of a grid has been hidden, say why instead of showing nothing. */
export function noteWhenAllHidden(container, cards, text) {
  Promise.all(cards.map((c) => c.done)).then((states) => {
    if (states.every((s) => s === 'hidden')) container.append(h('p', { class: 'notice' }, text || L('此角色无权查看这些内容。', 'Nothing here is open to your role.')));
  });
}

export const WORKERS = ['social_worker', 'grid_worker'];
export const can = (who, ...roles) => Boolean(who && roles.includes(who.role));
