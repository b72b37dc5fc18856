// Strings come from one catalogue per language (console/i18n/*.js); a regional variant lists only what differs.

import en from '../i18n/en.js';
import esAR from '../i18n/es-AR.js';
import esCL from '../i18n/es-CL.js';

// locale → [catalogue, fallback locale]
const CATALOGUES = {
  en: [en, null],
  'es-AR': [esAR, 'en'],
  'es-CL': [esCL, 'es-AR'],
};
export const LOCALES = Object.keys(CATALOGUES);

let current = 'es-AR';
const listeners = new Set();

/** The closest locale we have: es-CL → es-CL, es-UY → es-AR, en-GB → en. */
export function supported(locale) {
  if (CATALOGUES[locale]) return locale;
  const language = String(locale || '').split('-')[0];
  if (language === 'es') return 'es-AR';
  return 'en';
}

export function setLocale(locale) {
  current = supported(locale);
  document.documentElement.lang = current;
  for (const fn of listeners) fn(current);
}

export function locale() {
  return current;
}

export function onLocale(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** t('queue_count', {n: 3}) — the key itself when no catalogue has it, so a gap shows rather than hides. */
export function t(key, values = {}) {
  let code = current;
  while (code) {
    const [catalogue, fallback] = CATALOGUES[code];
    if (key in catalogue) return format(catalogue[key], values);
    code = fallback;
  }
  return key;
}

function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Fills every [data-i18n] element of the static page. */
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}

export function formatTime(iso, withSeconds = false) {
  if (!iso) return '—';
  // a control room's clock: 24 hours in every language
  const options = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(withSeconds ? { second: '2-digit' } : {}) };
  return new Date(iso).toLocaleTimeString(current, options);
}

export function formatDateTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(current, { dateStyle: 'short', timeStyle: 'medium', hourCycle: 'h23' });
}

/** 1:05 or 1:02:03 — elapsed seconds as a clock. */
export function formatElapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}
