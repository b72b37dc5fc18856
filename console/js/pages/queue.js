// The live queue: open public alerts by priority then age, elapsed against the city's target; a map beside.

import { h, replace, table } from '../dom.js';
import { unitBases } from '../geo.js';
import { t } from '../i18n.js';
import { createMap } from '../map.js';
import { heading, mapLegend, mapPanel, messageArea, priorityBadge, refreshFailed, startElapsedTicker, statusBadge } from './common.js';

export async function render(ctx, container) {
  const { watcher } = ctx;
  const count = h('p', { class: 'count', dataset: { queueTotal: '' } });
  const list = h('div', { class: 'queue-list' });
  const message = messageArea();
  const mapEl = mapPanel(t('map_label', { city: ctx.config.city_name }));
  replace(container, h('div', { class: 'layout-split' },
    h('section', { class: 'panel', 'aria-labelledby': 'queue-title' }, heading('queue_title', count), message, list),
    h('section', { class: 'panel map-panel' }, mapEl, mapLegend())));
  container.querySelector('h1').id = 'queue-title';

  let map = null;
  let bases = new Map();
  ctx.layers.then((layers) => (bases = unitBases(layers))).catch(() => {});
  createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('map_label', { city: ctx.config.city_name }) })
    .then(async (m) => {
      map = m;
      if (!map) return;
      if (watcher.state.loaded) map.setAlerts(watcher.state.items);
      if (lastUnits) map.setUnits(lastUnits, bases);
      // hot spots change nightly, not with each alert: once per visit is enough (context, so a failure is quiet)
      const hotspots = await ctx.api.get('/v1/hotspots?limit=25').catch(() => ({ items: [] }));
      if (map) map.setHotspots((hotspots.items || []).filter((place) => place.hot_spot));
    })
    .catch(() => {});
  let stopTicker = () => {};
  let lastUnits = null;

  function draw(state, fresh = []) {
    const freshIds = new Set(fresh.map((item) => item.alert_id));
    count.textContent = t('queue_count', { n: state.more ? `${state.items.length}+` : state.items.length });
    // the list is redrawn on every fetch: keep the keyboard on the row it was on
    const focusedRow = document.activeElement && list.contains(document.activeElement) ? document.activeElement.closest('tr') : null;
    const focusedId = focusedRow ? focusedRow.dataset.alertId : null;
    stopTicker();
    if (!state.items.length) {
      replace(list, h('p', { class: 'empty', dataset: { queueEmpty: '' } }, t('queue_empty')));
    } else {
      const rows = state.items.map((item) => h('tr', { dataset: { alertId: item.alert_id, priority: String(item.priority) }, class: freshIds.has(item.alert_id) ? 'fresh' : null },
        h('td', {}, priorityBadge(item.priority)),
        h('td', {}, watcher.label(item.type)),
        h('td', {}, statusBadge(item.status)),
        h('td', {}, item.quadrant_id || '—'),
        h('td', {}, item.block_id || '—'),
        h('td', {}, h('span', { class: 'elapsed', dataset: { ageS: String(item.age_s || 0), fetchedAt: String(state.fetchedAt) } })),
        h('td', {}, h('a', { href: `#/alerts/${encodeURIComponent(item.alert_id)}`, title: item.alert_id }, t('open_alert', { id: item.alert_id.slice(-6) })))));
      replace(list, table(t('queue_caption'), [t('col_priority'), t('col_type'), t('col_status'), t('col_quadrant'), t('col_block'), t('col_elapsed'), t('col_open')], rows, { dataset: { queue: '' } }));
    }
    if (focusedId) {
      const again = list.querySelector(`tr[data-alert-id="${CSS.escape(focusedId)}"] a`);
      if (again) again.focus({ preventScroll: true });
    }
    stopTicker = startElapsedTicker(list, state.responseTargetS);
    if (map) map.setAlerts(state.items);
  }

  // j / k move between alerts, Enter opens the one in focus (it is a link)
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || ['INPUT', 'TEXTAREA', 'SELECT'].includes(event.target.tagName)) return;
    if (event.key !== 'j' && event.key !== 'k') return;
    const links = Array.from(list.querySelectorAll('tr[data-alert-id] a'));
    if (!links.length) return;
    event.preventDefault();
    const at = links.indexOf(document.activeElement);
    const next = event.key === 'j' ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
    links[at === -1 ? 0 : next].focus();
  }
  document.addEventListener('keydown', onKey);

  const unlisten = watcher.listen(draw);
  if (watcher.state.loaded) draw(watcher.state);
  return {
    async refresh() {
      try {
        const units = await ctx.api.get('/v1/units');
        message.textContent = '';
        lastUnits = units.items || [];
        if (map) map.setUnits(lastUnits, bases);
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
    },
    dispose() {
      document.removeEventListener('keydown', onKey);
      unlisten();
      stopTicker();
      if (map) map.remove();
    },
  };
}
