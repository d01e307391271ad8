// What the signed-in role may open and call: the gateway's table (GET /me/capabilities), read from the
// services' own route rules. Asked once per sign-in and kept with the session; a table missing a
// service that did not answer is used for this page only and asked again on the next one.
import { api, session } from './api.js';

let known = null; // { token, table, operations: Set, complete }

function keep(table) {
  known = { token: session.token, table, operations: new Set(table.operations), complete: !table.unavailable.length };
  return known;
}

function current() {
  if (known && known.token === session.token) return known;
  const stored = session.token && session.capabilities;
  return stored ? keep(stored) : null;
}

/** The table for this session (asked of the gateway the first time). */
export async function loadCapabilities() {
  const had = current();
  if (had?.complete) return had.table;
  const next = keep(await api('/me/capabilities'));
  if (next.complete) session.capabilities = next.table;
  return next.table;
}

/** may('GET /needs/{need_id}') → whether the role may call that operation (a path template, as the API documents it). */
export function may(operation) {
  return Boolean(current()?.operations.has(operation));
}

/** The sections of the console this role may open, in navigation order. */
export function openSections() {
  return (current()?.table.sections || []).filter((s) => s.open);
}

/** Whether the role may open a section ('needs', 'dashboard', …). */
export function opens(key) {
  return openSections().some((s) => s.key === key);
}
