// The cascading area picker (市 → 县 → 街道/乡镇 → 社区/村), for every form and filter that chooses an
// area: it starts at the caller's own area (they choose within their jurisdiction), goes down one
// select per level from the public area tree (/console/data/areas), and keeps the deepest choice in a
// hidden input named as the API names the field. The tree has no village/community rows: below a
// street they come from the communities the civil-affairs office registered, else the 12-digit code
// is typed.
import { maybe, session } from './api.js';
import { h } from './dom.js';
import { L } from './i18n.js';
import { area } from './labels.js';

const LEVEL_LABELS = { city: ['市', 'City'], county: ['县（市、区）', 'County'], township: ['街道（乡镇）', 'Street or township'], community: ['村（社区）', 'Village or community'] };
const NEXT = { province: 'city', city: 'county', county: 'township', township: 'community' };

/**
 * areaPicker({ name, start, value, leaf }) → an element. `start`: the caller's area (the top of the
 * choice); `value`: a code to show chosen; `leaf: true`: only a village or community (12 digits) is a
 * complete choice (the hidden input stays empty until one is chosen).
 */
export function areaPicker({ name, start, value = '', leaf = false, label = null }) {
  const hidden = h('input', { type: 'hidden', name, value: '' });
  const chain = h('span', { class: 'area-chain' });
  const box = h('div', { class: 'area-pick', 'data-area-picker': name, role: 'group', 'aria-label': label || L('区域', 'Area') }, hidden, chain);
  const set = (code) => {
    hidden.value = !leaf || (code && code.length === 12) ? code || '' : '';
    box.dispatchEvent(new Event('change', { bubbles: true }));
  };

  async function levelBelow(code, depth, chosen) {
    const here = await area(code);
    const level = NEXT[here?.level];
    if (!here || !level) return;
    let options = here.children.map((c) => [c.code, c.name]);
    if (!options.length && here.level === 'township' && session.token) {
      const registered = await maybe('/communities', { query: { area: code } }).catch(() => null);
      options = (registered || []).filter((c) => c.name).map((c) => [c.area_code, c.name]);
    }
    for (const el of [...chain.children].slice(depth)) el.remove();
    if (!options.length) {
      if (level !== 'community') return;
      const typed = h('input', { class: 'area-typed', inputmode: 'numeric', pattern: '\\d{12}', maxlength: 12, value: chosen || '',
        placeholder: L('12 位村（社区）代码', '12-digit community code'), 'aria-label': L(...LEVEL_LABELS.community),
        oninput: () => set(/^\d{12}$/.test(typed.value) && typed.value.startsWith(code) ? typed.value : leaf ? '' : code) });
      chain.append(typed);
      if (chosen) set(chosen);
      return;
    }
    const select = h('select', { 'data-level': level, 'aria-label': L(...LEVEL_LABELS[level]), onchange: () => {
      for (const el of [...chain.children].slice(depth + 1)) el.remove();
      set(select.value || code);
      if (select.value) levelBelow(select.value, depth + 1);
    } }, h('option', { value: '' }, L(`选择${LEVEL_LABELS[level][0]}…`, `${LEVEL_LABELS[level][1]}…`)),
    options.map(([c, n]) => h('option', { value: c }, n)));
    chain.append(select);
    if (chosen && options.some(([c]) => c === chosen)) select.value = chosen;
  }

  (async () => {
    const top = await area(start);
    chain.append(h('span', { class: 'area-top' }, top ? top.name : start));
    set(start);
    // the levels between the caller's area and `value`, to show chosen (none when value is outside it)
    const target = value && value !== start ? await area(value.length === 12 ? value.slice(0, 9) : value) : null;
    const codes = target ? target.path.map((p) => p.code) : [];
    const path = codes.includes(start) ? codes.slice(codes.indexOf(start) + 1) : [];
    if (path.length && value.length === 12) path.push(value);  // a community: the tree does not list it
    let code = start;
    for (let i = 0; ; i += 1) {
      if (code.length >= 12) break;
      await levelBelow(code, i + 1, path[i]);
      if (!path[i]) break;
      set(path[i]);
      code = path[i];
    }
  })();
  return box;
}
