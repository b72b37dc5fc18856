// The hot spot map (analysts): the places ranked by score with their Gi* confidence for a chosen date
// (GET /v1/hotspots; the API counts no silent alert, no false alarm and no cancelled one), on the map and
// in a table, with that day's patrol dosage beside each place (GET /v1/patrols/dosage).

import { barChart } from '../chart.js';
import { h, replace, table } from '../dom.js';
import { t } from '../i18n.js';
import { createMap } from '../map.js';
import { heading, mapPanel, messageArea, showError } from './common.js';
import { cell, cityDate } from './indicators.js';

export async function render(ctx, container) {
  const date = ctx.params.get('date') || cityDate(ctx.config.time_zone, 0);
  const input = h('input', { id: 'hs-date', name: 'date', type: 'date', value: date, required: true });
  const form = h('form', { class: 'inline-form no-print', dataset: { hotspotsForm: '' }, 'aria-label': t('hs_filters') },
    h('span', { class: 'field' }, h('label', { for: 'hs-date' }, t('hs_date')), input),
    h('button', { type: 'submit', class: 'primary' }, t('ind_show')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(`hotspots?date=${encodeURIComponent(input.value)}`);
  });
  const message = messageArea();
  const about = h('p', { dataset: { hotspotsAbout: '' } });
  const list = h('div', {});
  const dosageNote = h('p', { dataset: { dosageNote: '' } });
  const mapEl = mapPanel(t('hs_map_label', { date }));
  replace(container, h('div', { class: 'layout-split wide-list' },
    h('section', { class: 'panel' }, heading('hs_title'), h('p', {}, t('hs_intro')), form, message, about, dosageNote, list),
    h('section', { class: 'panel map-panel' }, mapEl,
      h('ul', { class: 'legend', 'aria-label': t('legend') }, h('li', {}, h('span', { class: 'swatch swatch-hotspot', 'aria-hidden': 'true' }), t('legend_hotspot'))))));
  let map = null;
  const ready = createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('hs_map_label', { date }) }).then((m) => (map = m)).catch(() => {});

  let places = [];
  try {
    const [ranked, dosage] = await Promise.all([
      ctx.api.get(`/v1/hotspots?date=${encodeURIComponent(date)}&limit=100`),
      ctx.api.get(`/v1/patrols/dosage?date=${encodeURIComponent(date)}`).catch((error) => {
        if (error.status === 404) return null; // no schedule that day
        throw error;
      }),
    ]);
    places = ranked.items || [];
    const dose = new Map(((dosage && dosage.places) || []).map((place) => [place.place_id, place]));
    about.textContent = t('hs_about', { places: ranked.places_scored, hot: ranked.hot_spots, days: ranked.lookback_days, counted: ranked.alerts_counted });
    dosageNote.textContent = dosage
      ? t('hs_dosage_total', { done: cell(dosage.totals && dosage.totals.done_min), planned: cell(dosage.totals && dosage.totals.planned_min), share: cell(dosage.totals && dosage.totals.compliance, 'share') })
      : t('hs_no_schedule', { date });
    const shown = places.slice(0, 15);
    replace(list,
      shown.length ? barChart({
        title: t('hs_chart', { date }), description: t('ind_chart_desc'),
        bars: shown.map((place) => ({ label: `${place.rank}. ${place.quadrant_id}`, value: place.score, text: `${cell(place.score)}${place.hot_spot ? ` · ${t('hs_hot')}` : ''}` })),
        dataset: { chart: 'hotspots' },
      }) : null,
      table(t('hs_caption', { date }),
        [t('hs_rank'), t('hs_place'), t('col_quadrant'), t('hs_score'), t('hs_z'), t('hs_confidence'), t('hs_alerts'), t('hs_dosage_planned'), t('hs_dosage_done'), t('ind_dosage')],
        places.map((place) => {
          const d = dose.get(place.place_id);
          return h('tr', { dataset: { placeId: place.place_id, hotSpot: String(place.hot_spot) } },
            h('th', { scope: 'row' }, String(place.rank)),
            h('td', {}, place.place_id),
            h('td', {}, place.quadrant_id),
            h('td', { dataset: { col: 'score' } }, cell(place.score)),
            h('td', {}, cell(place.z)),
            h('td', { dataset: { col: 'confidence' } }, place.confidence === null ? t('hs_not_significant') : `${place.confidence} %`),
            h('td', {}, String(place.alerts)),
            h('td', {}, d ? `${cell(d.planned_min)} min` : '—'),
            h('td', {}, d ? `${cell(d.done_min)} min` : '—'),
            h('td', { dataset: { col: 'dosage' } }, d ? cell(d.compliance, 'share') : '—'));
        }),
        { dataset: { hotspots: '' } }));
    if (!places.length) list.append(h('p', {}, t('hs_none')));
    message.textContent = '';
  } catch (error) {
    showError(message, error);
  }
  await ready;
  if (map) map.setHotspots(places.filter((place) => place.hot_spot)); // the legend's hot spots, as on the queue's map
  return {
    dispose() {
      if (map) map.remove();
    },
  };
}
