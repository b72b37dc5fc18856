// The units board: every community-police car, its crew and status, live; their bases on the map.

import { h, replace, table } from '../dom.js';
import { unitBases } from '../geo.js';
import { formatTime, t } from '../i18n.js';
import { createMap } from '../map.js';
import { heading, mapLegend, mapPanel, messageArea, refreshFailed, statusBadge } from './common.js';

export async function render(ctx, container) {
  const list = h('div', {});
  const message = messageArea();
  const mapEl = mapPanel(t('map_label', { city: ctx.config.city_name }));
  replace(container, h('div', { class: 'layout-split wide-list' },
    h('section', { class: 'panel' }, heading('units_title'), message, list),
    h('section', { class: 'panel map-panel' }, mapEl, mapLegend())));
  let map = null;
  let bases = new Map();
  const ready = Promise.all([
    ctx.layers.then((layers) => (bases = unitBases(layers))).catch(() => {}),
    createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('map_label', { city: ctx.config.city_name }) }).then((m) => (map = m)).catch(() => {}),
  ]);
  return {
    async refresh() {
      let answer;
      try {
        answer = await ctx.api.get('/v1/units');
        message.textContent = '';
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
      const units = answer.items || [];
      replace(list, table(t('units_caption'),
        [t('col_unit'), t('col_name'), t('col_quadrant'), t('col_status'), t('col_alert'), t('col_on_duty'), t('col_crew'), t('col_updated')],
        units.map((unit) => h('tr', { dataset: { unitId: unit.unit_id, status: unit.status } },
          h('th', { scope: 'row' }, unit.unit_id),
          h('td', {}, unit.name),
          h('td', {}, unit.quadrant_id),
          h('td', {}, statusBadge(unit.status, 'unit_')),
          h('td', {}, unit.alert_id ? h('a', { href: `#/alerts/${encodeURIComponent(unit.alert_id)}` }, unit.alert_id.slice(-6)) : '—'),
          h('td', {}, t(unit.on_duty ? 'yes' : 'no')),
          h('td', {}, String(unit.crew_size ?? '—')),
          h('td', {}, unit.updated_at ? formatTime(unit.updated_at, true) : '—'))),
        { dataset: { units: '' } }));
      await ready;
      if (map) map.setUnits(units, bases);
    },
    dispose() {
      if (map) map.remove();
    },
  };
}
