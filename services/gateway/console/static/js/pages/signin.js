// Development sign-in: pick a demo persona, get a dev token. Production uses the identity provider instead.
import { api, session } from '../api.js';
import { h, problemBox } from '../dom.js';
import { L, lang } from '../i18n.js';
import { areaName, forgetSession, roleLabel } from '../labels.js';

export async function render(ctx) {
  const slot = h('div', {});
  const page = h('div', {},
    h('h1', {}, L('登录五社联动工作台', 'Sign in to the console')),
    h('p', { class: 'muted' }, L('选择一个演示身份进入。每个身份有自己的角色和辖区，看到的内容和能做的操作各不相同。',
      'Choose a demo persona. Each has its own role and jurisdiction, and sees and may do different things.')),
    slot,
    h('p', { class: 'small', id: 'idp-note' }, L(
      '开发登录仅用于开发与演示环境（本地开发签发方 wushe-dev）。生产环境中，本页由河北省统一身份认证平台的登录页替代。',
      "Development sign-in, for development and demos only (local dev issuer wushe-dev). In production the province identity provider's login replaces this page.")),
    h('p', { class: 'small' }, h('a', { href: '#/public' }, L('无需登录：查看慈善信息公开与优秀项目 →', 'No login: charity disclosure and outstanding projects →'))));

  let personas;
  try {
    personas = await api('/dev/personas', { anonymous: true });
  } catch (err) {
    if (err.status === 404) {
      slot.append(h('p', { class: 'notice' }, L('本环境未启用开发登录，请通过统一身份认证平台登录。',
        'Development sign-in is off here: sign in through the identity provider.')));
      return page;
    }
    slot.append(problemBox(err));
    return page;
  }
  const error = h('div', {});
  const list = h('div', { class: 'personas' });
  for (const p of personas) {
    const place = h('span', {}, p.area);
    areaName(p.area).then((n) => { place.textContent = n; });
    list.append(h('button', {
      class: 'persona', type: 'button', 'data-persona': p.id,
      onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        try {
          const answer = await api('/dev/sign-in', { method: 'POST', body: { persona: p.id }, anonymous: true });
          session.start(answer.token, answer.persona);
          forgetSession();
          ctx.go('');
        } catch (err) {
          error.replaceChildren(problemBox(err));
          ev.currentTarget.disabled = false;
        }
      },
    }, h('b', {}, lang === 'en' ? p.label_en : p.label_zh),
    h('span', { class: 'small' }, roleLabel(p.role), ' · ', place),
    p.description_zh && lang !== 'en' && h('span', { class: 'small' }, p.description_zh)));
  }
  slot.append(error, list);
  if (session.token) slot.prepend(h('p', { class: 'notice' }, L('你已登录，选择其他身份将切换登录。', 'You are signed in; choosing another persona switches.')));
  return page;
}
