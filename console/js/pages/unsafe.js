// "Dónde se sienten inseguros" (analysts): residents' unsafe-place reports per quadrant and time of day
// (GET /v1/reports/unsafe-places: small cells already held back by the API, shown as it sends them), with
// women's reports where they declared it, beside the quadrant's alerts of the same days (GET /v1/indicators,
// type all, the published daily counts), on the map and in a table: Peñalolén's lighting analysis.

import { h, replace, table } from '../dom.js';
import { t } from '../i18n.js';
import { createMap } from '../map.js';
import { heading, mapPanel, messageArea, showError } from './common.js';
import { cityDate } from './indicators.js';

const TIMES = ['morning', 'afternoon', 'evening', 'night'];

/** A count as the API sent it: a number, or its held-back mark ("<5", "x"). */
const shown = (value) => (value === undefined || value === null ? '—' : String(value));
/** The map's weight of a held-back count: present but small. */
const weight = (value) => (typeof value === 'number' ? value : 1);

export async function render(ctx, container) {
  const to = ctx.params.get('to') || cityDate(ctx.config.time_zone, 0);
  const from = ctx.params.get('from') || cityDate(ctx.config.time_zone, 89);
  const fromInput = h('input', { id: 'up-from', name: 'from', type: 'date', value: from, required: true });
  const toInput = h('input', { id: 'up-to', name: 'to', type: 'date', value: to, required: true });
  const form = h('form', { class: 'inline-form no-print', dataset: { unsafeForm: '' }, 'aria-label': t('up_filters') },
    h('span', { class: 'field' }, h('label', { for: 'up-from' }, t('up_from')), fromInput),
    h('span', { class: 'field' }, h('label', { for: 'up-to' }, t('up_to')), toInput),
    h('button', { type: 'submit', class: 'primary' }, t('ind_show')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(`unsafe-places?from=${encodeURIComponent(fromInput.value)}&to=${encodeURIComponent(toInput.value)}`);
  });
  const message = messageArea();
  const list = h('div', {});
  const mapEl = mapPanel(t('up_map_label', { from, to }));
  replace(container, h('div', { class: 'layout-split wide-list' },
    h('section', { class: 'panel' }, heading('up_title'), h('p', {}, t('up_intro')), form, message, list),
    h('section', { class: 'panel map-panel' }, mapEl,
      h('ul', { class: 'legend', 'aria-label': t('legend') }, h('li', {}, h('span', { class: 'swatch swatch-hotspot', 'aria-hidden': 'true' }), t('up_legend'))))));
  let map = null;
  const ready = createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('up_map_label', { from, to }) }).then((m) => (map = m)).catch(() => {});

  let rows = [];
  try {
    const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const [places, alerts] = await Promise.all([
      ctx.api.get(`/v1/reports/unsafe-places?${query}`),
      ctx.api.get(`/v1/indicators?${query}&type=all`).catch(() => null), // the alerts are beside, not needed
    ]);
    const alertsBy = new Map();
    for (const item of (alerts && alerts.items) || []) {
      if (item.zone_level === 'quadrant' && typeof item.count === 'number') alertsBy.set(item.zone, (alertsBy.get(item.zone) || 0) + item.count);
    }
    rows = places.quadrants || [];
    replace(list,
      h('p', { dataset: { unsafeAbout: '' } }, t('up_about', { threshold: places.threshold, most: places.threshold - 1 })),
      table(t('up_caption', { from, to }),
        [t('col_quadrant'), ...TIMES.map((time) => t(`up_time_${time}`)), t('up_women'), t('up_total'), t('up_alerts')],
        rows.map((row) => h('tr', { dataset: { quadrantId: row.quadrant_id } },
          h('th', { scope: 'row' }, row.name || row.quadrant_id),
          ...TIMES.map((time) => h('td', { dataset: { col: time } }, shown(row.by_time_of_day[time]))),
          h('td', { dataset: { col: 'women' } }, shown(row.women)),
          h('td', { dataset: { col: 'total' } }, shown(row.total)),
          h('td', { dataset: { col: 'alerts' } }, alerts ? String(alertsBy.get(row.quadrant_id) || 0) : '—'))),
        { dataset: { unsafePlaces: '' } }));
    message.textContent = '';
  } catch (error) {
    showError(message, error);
  }
  await ready;
  if (map) map.setHotspots(rows.filter((row) => row.total !== 0).map((row) => ({ centroid: row.centroid, score: weight(row.total) })));
  return {
    dispose() {
      if (map) map.remove();
    },
  };
}
