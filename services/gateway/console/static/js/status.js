// 系统状态: a small indicator in the top bar (正常 / 部分服务重启中 / 部分服务不可用) from GET /status;
// its tooltip names the services that are not well. Refreshed every half minute while it is shown.
import { api } from './api.js';
import { fill, h } from './dom.js';
import { L } from './i18n.js';

const SERVICES = {
  gateway: ['网关', 'Gateway'], needs: ['社区需求', 'Community needs'], volunteers: ['志愿服务', 'Volunteering'],
  projects: ['社会组织与项目', 'Organizations & projects'], charity: ['慈善资源', 'Charity'], party: ['党建', 'Party building'], exchange: ['数据交换', 'Data exchange'],
};
const STATES = {
  ok: ['正常', 'Normal', 'ok'],
  restarting: ['部分服务重启中', 'Some services restarting', 'warn'],
  degraded: ['部分服务不可用', 'Some services unavailable', 'bad'],
};
const UNKNOWN = ['状态未知', 'Status unknown', 'unknown'];
const REFRESH_MS = 30_000;
const FRESH_MS = 10_000; // a page change within this reuses the last answer

let last = { at: 0, status: null };
let timer = null;

/** The indicator element; it fills itself in (the top bar is rebuilt on every page). */
export function statusIndicator() {
  const el = h('span', { class: 'sys-status unknown', id: 'sys-status', role: 'status' });
  show(el, last.status);
  refresh(el, Date.now() - last.at > FRESH_MS);
  clearInterval(timer);
  timer = setInterval(() => (el.isConnected ? refresh(el, true) : clearInterval(timer)), REFRESH_MS);
  return el;
}

async function refresh(el, ask) {
  if (ask) {
    try {
      last = { at: Date.now(), status: await api('/status') };
    } catch {
      last = { at: Date.now(), status: null }; // the gateway itself is unreachable, or the session ended
    }
  }
  show(el, last.status);
}

function show(el, st) {
  const [zh, en, tone] = st ? STATES[st.status] || UNKNOWN : UNKNOWN;
  const label = `${L('系统状态', 'System status')}${L('：', ': ')}${L(zh, en)}`;
  el.className = `sys-status ${tone}`;
  el.dataset.status = st ? st.status : 'unknown';
  el.title = [label, ...troubles(st)].join('\n');
  el.setAttribute('aria-label', el.title);
  fill(el, h('i', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'txt' }, L(zh, en)));
}

/** One line per service that is not ready, is being restarted, or was restarted. */
function troubles(st) {
  return (st?.services || []).filter((s) => !s.ready || s.restarting || s.restarts).map((s) => {
    const [zh, en] = SERVICES[s.service] || [s.service, s.service];
    const state = s.restarting ? L('重启中', 'restarting') : s.ready ? L('正常', 'normal') : L('不可用', 'unavailable');
    const count = s.restarts ? L(`，已重启 ${s.restarts} 次`, `, restarted ${s.restarts}×`) : '';
    return `${L(zh, en)}${L('：', ': ')}${state}${count}`;
  });
}
