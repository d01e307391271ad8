// The console's shell: top bar, navigation, hash routing, language switch.
import { session, whenUnauthenticated } from './api.js';
import { loadCapabilities, openSections, opens } from './capabilities.js';
import { clear, fill, h, problemBox } from './dom.js';
import { L, lang, setLang } from './i18n.js';
import { areaName, forgetSession, loadCodeLists, roleLabel } from './labels.js';
import * as charity from './pages/charity.js';
import * as dashboard from './pages/dashboard.js';
import * as exchange from './pages/exchange.js';
import * as home from './pages/home.js';
import * as mine from './pages/mine.js';
import * as myNeeds from './pages/my-needs.js';
import * as needs from './pages/needs.js';
import * as party from './pages/party.js';
import * as projects from './pages/projects.js';
import * as pub from './pages/public.js';
import * as signin from './pages/signin.js';
import * as volunteers from './pages/volunteers.js';
import { statusIndicator } from './status.js';

const UUID = '([0-9a-fA-F-]{36})';
const ROUTES = [
  { path: /^$/, page: home.render, nav: 'home' },
  { path: /^sign-in$/, page: signin.render, open: true },
  { path: /^mine$/, page: mine.render, nav: 'mine' },
  { path: /^my-needs$/, page: myNeeds.render, nav: 'my-needs' },
  { path: /^needs$/, page: needs.list, nav: 'needs' },
  { path: /^needs\/new$/, page: needs.create, nav: 'needs' },
  { path: new RegExp(`^needs/${UUID}$`), page: needs.detail, nav: 'needs' },
  { path: /^volunteers$/, page: volunteers.render, nav: 'volunteers' },
  { path: new RegExp(`^volunteers/${UUID}$`), page: volunteers.profile, nav: 'volunteers' },
  { path: /^projects$/, page: projects.render, nav: 'projects' },
  { path: new RegExp(`^projects/${UUID}$`), page: projects.detail, nav: 'projects' },
  { path: /^organizations\/([0-9A-Z]{18})$/, page: projects.organization, nav: 'projects' },
  { path: /^charity$/, page: charity.render, nav: 'charity' },
  { path: /^party$/, page: party.render, nav: 'party' },
  { path: /^dashboard$/, page: dashboard.render, nav: 'dashboard' },
  { path: /^exchange$/, page: exchange.render, nav: 'exchange' },
  { path: /^public$/, page: pub.render, open: true, nav: 'public' },
];

// Signed in, the navigation is the role's sections from the gateway's table (capabilities.js);
// signed out, only the public page is open.
const SIGNED_OUT_NAV = [{ key: 'public', label_zh: '信息公开', label_en: 'Public disclosure' }];
const ALWAYS_OPEN = new Set(['home', 'public']);
const hrefOf = (key) => (key === 'home' ? '#/' : `#/${key}`);

let renderSeq = 0;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?');
  return { path: decodeURIComponent(path).replace(/\/$/, ''), query: new URLSearchParams(qs) };
}

export function go(path, query = {}) {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v != null && v !== '')).toString();
  const next = `#/${path}${qs ? `?${qs}` : ''}`;
  if (location.hash === next) route();
  else location.hash = next;
}

async function topbar(current) {
  const bar = clear(document.getElementById('topbar'));
  const who = session.persona;
  const signedIn = Boolean(session.token && who);
  const row = h('div', { class: 'row' },
    h('a', { class: 'brand', href: signedIn ? '#/' : '#/public' }, h('img', { src: '/console/icon.svg', alt: '' }),
      h('span', {}, L('五社联动工作台', 'Five-Social Linkage'), ' ', h('small', {}, 'wushe'))),
    h('span', { class: 'spacer' }),
    signedIn && statusIndicator(),
    h('button', { class: 'btn-top', id: 'lang-switch', type: 'button', lang: lang === 'en' ? 'zh-CN' : 'en',
      title: L('Switch to English', '切换到中文'), onclick: () => { setLang(lang === 'en' ? 'zh' : 'en'); route(); } },
    lang === 'en' ? '中文' : 'EN'));
  if (signedIn) {
    const place = h('span', {}, who.area);
    areaName(who.area).then((n) => { place.textContent = n; });
    row.append(h('span', { class: 'who', id: 'who' }, h('b', {}, lang === 'en' ? who.label_en : who.label_zh),
      roleLabel(who.role), ' · ', place));
    row.append(h('button', { class: 'btn-top', type: 'button', id: 'sign-out',
      onclick: () => { session.end(); forgetSession(); go('sign-in'); } }, L('退出', 'Sign out')));
  } else if (current !== 'sign-in') {
    row.append(h('a', { class: 'btn-top', href: '#/sign-in' }, L('登录', 'Sign in')));
  }
  bar.append(row);
  if (signedIn || current === 'public') {
    const items = signedIn ? openSections() : SIGNED_OUT_NAV;
    bar.append(h('nav', { class: 'nav', 'aria-label': L('主导航', 'Main') }, h('ul', {}, items.map((s) =>
      h('li', {}, h('a', { href: hrefOf(s.key), 'aria-current': s.key === current ? 'page' : null, 'data-nav': s.key },
        L(s.label_zh, s.label_en)))))));
  }
}

/** What a role sees on a page that is not for it: no error, a way home. */
function notForRole() {
  return h('div', { id: 'not-for-role' },
    h('div', { class: 'page-head' }, h('h1', {}, L('该页面不适用于你的角色', 'This page is not for your role'))),
    h('p', { class: 'notice' }, L('你的角色用不到这里的内容。可从工作台进入适合你的功能。', 'Nothing here is meant for your role. The workbench leads to what is.'),
      ' ', h('a', { href: '#/', id: 'back-home' }, L('返回工作台', 'Back to the workbench'))));
}

function footer() {
  clear(document.getElementById('foot')).append(
    h('p', {}, L('五社联动平台 · 依据冀民〔2021〕79号 · 时间均为北京时间 · 金额单位：元',
      'Five-Social Linkage platform · policy 冀民〔2021〕79号 · times in Beijing time · amounts in yuan')));
}

/** The role's table, or the error that kept it away; null when signed out. */
async function capabilitiesNow() {
  if (!session.token) return null;
  try {
    return await loadCapabilities();
  } catch (err) {
    return err;
  }
}

async function route() {
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => [r, path.match(r.path)]).find(([, m]) => m);
  const root = document.getElementById('view');
  if (!match) {
    go(session.token ? '' : 'sign-in');
    return;
  }
  const [r, m] = match;
  if (!r.open && !session.token) {
    go('sign-in');
    return;
  }
  fill(root, h('p', { class: 'loading' }, L('加载中…', 'Loading…')));
  const capabilities = await capabilitiesNow();
  if (seq !== renderSeq) return;
  await topbar(r.nav || (r.open ? path : ''));
  footer();
  if (!r.open && capabilities instanceof Error) {
    if (capabilities.status !== 401) fill(root, problemBox(capabilities));
    return;
  }
  if (!r.open && !ALWAYS_OPEN.has(r.nav) && !opens(r.nav)) {
    fill(root, notForRole());
    document.title = `${L('该页面不适用于你的角色', 'Not for your role')} · ${L('五社联动', 'wushe')}`;
    return;
  }
  const ctx = {
    root, query, params: m.slice(1), who: session.persona, go,
    alive: () => seq === renderSeq, refresh: () => route(),
  };
  try {
    const node = await r.page(ctx);
    if (!ctx.alive()) return;
    if (node) fill(root, node);
    document.title = `${root.querySelector('h1')?.textContent || L('工作台', 'Console')} · ${L('五社联动', 'wushe')}`;
  } catch (err) {
    if (!ctx.alive() || err.status === 401) return;
    fill(root, err.status === 403 ? notForRole() : problemBox(err));
  }
}

whenUnauthenticated(() => {
  forgetSession();
  if (!location.hash.startsWith('#/sign-in') && !location.hash.startsWith('#/public')) go('sign-in');
});

setLang(lang);
window.addEventListener('hashchange', route);
loadCodeLists().finally(route);
