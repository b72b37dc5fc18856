// Watches the open queue on every live change, whatever page is open: new public alerts ring and are announced.

import { locale, t } from './i18n.js';
import { playPriority } from './sound.js';

export function typeLabel(types, code) {
  const type = types.get(code);
  if (!type) return code;
  const labels = type.labels || {};
  return labels[locale()] || labels['es-AR'] || labels[String(locale()).split('-')[0]] || labels.en || code;
}

export function createQueueWatcher({ api, live, announce, onChange }) {
  const state = { items: [], more: false, responseTargetS: null, fetchedAt: 0, types: new Map(), loaded: false };
  const seen = new Set();
  const listeners = new Set();

  async function loadTypes() {
    if (state.types.size) return;
    const answer = await api.get('/v1/alert-types');
    for (const type of answer.items || []) state.types.set(type.code, type);
  }

  async function fetchQueue() {
    await loadTypes();
    const answer = await api.get('/v1/alerts?limit=200');
    // The console is the monitoring centre's: a silent alert belongs to the response team alone and is
    // never shown, rung or announced here (the API lists it for operators with no action and handled_by).
    const items = (answer.items || []).filter((item) => !item.silent && item.handled_by !== 'response_team');
    const fresh = items.filter((item) => !seen.has(item.alert_id));
    for (const item of items) seen.add(item.alert_id);
    // more than one page open: the queue shows the most urgent 200 and says there are more
    Object.assign(state, { items, more: Boolean(answer.next_cursor), responseTargetS: answer.response_target_s, fetchedAt: Date.now() });
    if (state.loaded && fresh.length) {
      const urgent = fresh.reduce((a, b) => (a.priority <= b.priority ? a : b));
      playPriority(urgent.priority);
      const visitor = urgent.visitor ? ` · ${t('visitor_badge', { partner: urgent.visitor.partner_name || urgent.visitor.partner })}` : '';
      announce(t('new_alert', { priority: urgent.priority, type: typeLabel(state.types, urgent.type), quadrant: urgent.quadrant_id || '—' }) + visitor);
    }
    state.loaded = true;
    for (const fn of listeners) fn(state, fresh);
    onChange(state);
  }

  live.subscribe(fetchQueue);
  return {
    state,
    label: (code) => typeLabel(state.types, code),
    /** Runs `fn(state, fresh)` after every fetch of the queue. */
    listen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    find: (alertId) => state.items.find((item) => item.alert_id === alertId) || null,
  };
}
