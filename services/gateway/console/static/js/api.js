// The gateway's API, with the signed-in user's bearer token (kept in sessionStorage: it goes with the tab).
const TOKEN = 'wushe.token';
const PERSONA = 'wushe.persona';
const CAPABILITIES = 'wushe.capabilities'; // the role's table (GET /me/capabilities): once per sign-in

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  get persona() {
    try { return JSON.parse(sessionStorage.getItem(PERSONA) || 'null'); } catch { return null; }
  },
  get capabilities() {
    try { return JSON.parse(sessionStorage.getItem(CAPABILITIES) || 'null'); } catch { return null; }
  },
  set capabilities(table) { sessionStorage.setItem(CAPABILITIES, JSON.stringify(table)); },
  start(token, persona) {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(PERSONA, JSON.stringify(persona));
    sessionStorage.removeItem(CAPABILITIES);
  },
  end() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(PERSONA);
    sessionStorage.removeItem(CAPABILITIES);
  },
};

/** Where a 401 sends the user (set by the app). */
let onUnauthenticated = () => {};
export function whenUnauthenticated(fn) { onUnauthenticated = fn; }

function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * api('/needs', {query: {status: 'raised'}}) → parsed JSON; throws ApiError with the problem+json.
 * Paths are under /api/v1. `anonymous` calls send no token and a 401 does not sign the user out.
 */
export async function api(path, { method = 'GET', body, query, anonymous = false, raw = false, key } = {}) {
  const url = new URL(`/api/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v == null || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one);
  }
  const headers = { Accept: 'application/json, application/problem+json' };
  const token = session.token;
  if (token && !anonymous) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['Idempotency-Key'] = key || idempotencyKey();
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (exc) {
    throw new ApiError(0, { title: '网络错误 / Network error', detail: String(exc.message || exc) });
  }
  if (res.status === 401 && !anonymous) {
    session.end();
    onUnauthenticated();
    throw new ApiError(401, await problemOf(res));
  }
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  if (raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  return type.includes('json') ? res.json() : res.text();
}

async function problemOf(res) {
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) {
    try { return await res.json(); } catch { /* fall through */ }
  }
  return { title: `HTTP ${res.status}`, detail: res.statusText };
}

/** A GET that answers null instead of throwing for 403 (the role may not read it) and 404. */
export async function maybe(path, opts) {
  try {
    return await api(path, opts);
  } catch (err) {
    if (err.status === 403 || err.status === 404) return null;
    throw err;
  }
}

/** Downloads a file the API serves (e.g. a CSV), with the token. */
export async function download(path, query, filename) {
  const res = await api(path, { query, raw: true });
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
