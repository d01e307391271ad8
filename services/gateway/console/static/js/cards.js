// Cards that load on their own: a card whose answer is 403 (the role may not read it) disappears.
// A card that names the operation it reads (`reads: 'GET /tasks'`) is not even asked for when the
// role's table says the role may not call it.
import { may } from './capabilities.js';
import { fill, h, problemBox } from './dom.js';
import { L } from './i18n.js';

/**
 * card(title, load, show) → a <section> that fills itself with show(data) once load() answers.
 * `done` resolves to 'shown' | 'hidden' | 'failed'.
 */
export function card(title, load, show, { cls = '', id = null, extra = null, reads = null } = {}) {
  if (reads && !may(reads)) return unasked();
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

/** A card the role may not read: never shown, never asked for. */
function unasked() {
  const el = h('section', { hidden: true });
  el.done = Promise.resolve('hidden');
  return el;
}

/** When every card of a grid has been hidden, say so instead of showing nothing. */
export function noteWhenAllHidden(container, cards, text) {
  Promise.all(cards.map((c) => c.done)).then((states) => {
    if (states.every((s) => s === 'hidden')) container.append(h('p', { class: 'notice' }, text || L('这里暂时没有适用于你的角色的内容。', 'Nothing here applies to your role yet.')));
  });
}

export const WORKERS = ['social_worker', 'grid_worker'];
export const can = (who, ...roles) => Boolean(who && roles.includes(who.role));
