// Chinese first, English on request; the choice is kept in localStorage.
const KEY = 'wushe.lang';

export let lang = readLang();

function readLang() {
  try { return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh'; } catch { return 'zh'; }
}

export function setLang(next) {
  lang = next === 'en' ? 'en' : 'zh';
  try { localStorage.setItem(KEY, lang); } catch { /* private mode: this page only */ }
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}

/** The label in the current language: L('需求库', 'Need library'). */
export const L = (zh, en) => (lang === 'en' ? (en ?? zh) : zh);

/** A service's bilingual text "中文 / English": the side of the current language. */
export function bi(text) {
  if (text == null) return '';
  const s = String(text);
  const i = s.indexOf(' / ');
  if (i < 0) return s;
  return lang === 'en' ? s.slice(i + 3) : s.slice(0, i);
}

/** A label pair {zh, en} (as the code lists give them). */
export const pick = (pair, fallback = '') => (pair ? (lang === 'en' ? pair.en || pair.zh : pair.zh || pair.en) : fallback);

export const locale = () => (lang === 'en' ? 'en-GB' : 'zh-CN');
