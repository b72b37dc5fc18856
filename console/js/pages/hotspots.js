// The hot spot map (analysts): the places ranked by score with their Gi* confidence for a chosen date
// (GET /v1/hotspots; the API counts no silent alert, no false alarm and no cancelled one), on the map and
// in a table, with that day's patrol dosage beside each place (GET /v1/patrols/dosage), the week's dosage
// (?from=&to=, the 7 days ending on the date) and, on request, the alerts behind a place
// (GET /v1/hotspots/{place_id}/alerts: the ones counted into its score, never a silent one).

import { barChart } from '../chart.js';
import { h, replace, table } from '../dom.js';
import { locale, t } from '../i18n.js';
import { createMap } from '../map.js';
import { typeLabel } from '../queue-watcher.js';
import { heading, mapPanel, messageArea, showError } from './common.js';
import { cell, cityDate } from './indicators.js';

const DAY_MS = 86_400_000;

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
  const week = h('div', { dataset: { weekDosage: '' } });
  const behind = h('section', { class: 'panel', dataset: { placeAlerts: '' }, 'aria-live': 'polite', hidden: true });
  const mapEl = mapPanel(t('hs_map_label', { date }));
  replace(container, h('div', { class: 'layout-split wide-list' },
    h('section', { class: 'panel' }, heading('hs_title'), h('p', {}, t('hs_intro')), form, message, about, dosageNote, week, behind, list),
    h('section', { class: 'panel map-panel' }, mapEl,
      h('ul', { class: 'legend', 'aria-label': t('legend') }, h('li', {}, h('span', { class: 'swatch swatch-hotspot', 'aria-hidden': 'true' }), t('legend_hotspot'))))));
  let map = null;
  const ready = createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('hs_map_label', { date }) }).then((m) => (map = m)).catch(() => {});

  const start = Date.parse(date) - 6 * DAY_MS; // a date typed into the address may be no date: the API says why
  const weekFrom = Number.isNaN(start) ? date : new Date(start).toISOString().slice(0, 10);
  const types = new Map();
  ctx.api.get('/v1/alert-types').then((answer) => {
    for (const item of answer.items || []) types.set(item.code, item);
  }).catch(() => {}); // the labels are a nicety: the codes stand in
  const when = new Intl.DateTimeFormat(locale(), { timeZone: ctx.config.time_zone, dateStyle: 'short', timeStyle: 'short' });

  async function openAlerts(place) {
    behind.hidden = false;
    replace(behind, h('h2', { id: 'hs-alerts-title', tabindex: '-1' }, t('hs_alerts_title', { rank: place.rank, place: place.place_id })), h('p', {}, t('loading')));
    behind.querySelector('h2').focus();
    try {
      const answer = await ctx.api.get(`/v1/hotspots/${encodeURIComponent(place.place_id)}/alerts?date=${encodeURIComponent(date)}`);
      const items = answer.items || [];
      replace(behind, h('h2', { id: 'hs-alerts-title', tabindex: '-1' }, t('hs_alerts_title', { rank: place.rank, place: place.place_id })),
        h('p', {}, t('hs_alerts_intro', { n: items.length, quadrant: answer.quadrant_id })),
        table(t('hs_alerts_caption', { place: place.place_id, date }), [t('hs_alert_when'), t('ind_type'), t('hs_alert_weight'), t('hs_alert_id')],
          items.map((item) => h('tr', { dataset: { alertId: item.alert_id || '' } },
            h('th', { scope: 'row' }, when.format(new Date(item.created_at))),
            h('td', { dataset: { col: 'type' } }, typeLabel(types, item.type)),
            h('td', {}, cell(item.weight)),
            h('td', {}, item.alert_id || '—'))),
          { dataset: { placeAlertsTable: place.place_id } }));
    } catch (error) {
      const area = messageArea();
      behind.append(area);
      showError(area, error);
    }
  }

  let places = [];
  try {
    const [ranked, dosage] = await Promise.all([
      ctx.api.get(`/v1/hotspots?date=${encodeURIComponent(date)}&limit=100`),
      ctx.api.get(`/v1/patrols/dosage?date=${encodeURIComponent(date)}`).catch((error) => {
        if (error.status === 404) return null; // no schedule that day
        throw error;
      }),
      ctx.api.get(`/v1/patrols/dosage?from=${weekFrom}&to=${encodeURIComponent(date)}`).then((range) => {
        const totals = range.totals || {};
        replace(week,
          h('p', { dataset: { weekDosageTotal: '' } }, t('hs_week_dosage_total', { from: range.from, to: range.to, done: cell(totals.done_min), planned: cell(totals.planned_min), share: cell(totals.compliance, 'share'), days: totals.days_scheduled })),
          table(t('hs_week_caption', { from: range.from, to: range.to }), [t('ind_date'), t('hs_dosage_planned'), t('hs_dosage_done'), t('ind_dosage')],
            (range.days || []).map((day) => h('tr', { dataset: { date: day.date, scheduled: String(day.scheduled) } },
              h('th', { scope: 'row' }, day.date),
              h('td', {}, day.scheduled ? `${cell(day.planned_min)} min` : t('hs_week_no_schedule')),
              h('td', {}, day.scheduled ? `${cell(day.done_min)} min` : '—'),
              h('td', { dataset: { col: 'dosage' } }, cell(day.compliance, 'share')))),
            { dataset: { weekDosageTable: '' } }));
      }).catch((error) => {
        replace(week);
        const area = messageArea();
        week.append(area);
        showError(area, error);
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
        [t('hs_rank'), t('hs_place'), t('col_quadrant'), t('hs_score'), t('hs_z'), t('hs_confidence'), t('hs_alerts'), t('hs_dosage_planned'), t('hs_dosage_done'), t('ind_dosage'), t('hs_behind')],
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
            h('td', { dataset: { col: 'dosage' } }, d ? cell(d.compliance, 'share') : '—'),
            h('td', {}, h('button', { type: 'button', dataset: { openAlerts: place.place_id }, 'aria-label': t('hs_open_alerts_of', { rank: place.rank }), on: { click: () => openAlerts(place) } }, t('hs_open_alerts'))));
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
