// What the observatory reads (analysts): "Comparar fuentes" — a zone's months with the stack's alerts beside
// each agency's records, side by side and never added, each source's ratio to the alerts, its change and
// trend (GET /v1/observatory/compare); "Recursos y demanda" — police units and patrol dosage against alerts
// and recorded crime per quadrant (GET /v1/observatory/resources). Small cells exactly as the API publishes
// them ("<5", "x"); a dash where it gives null. The choices live in the address (#/compare?zone=&from=&to=).

import { barChart } from '../chart.js';
import { h, replace, table } from '../dom.js';
import { t } from '../i18n.js';
import { cell, cityDate } from './indicators.js';
import { heading, messageArea, showError } from './common.js';

const MAX_MONTHS = 12;

/** YYYY-MM of the city's yesterday, `back` months before. */
function cityMonth(timeZone, back = 0) {
  const [year, month] = cityDate(timeZone, 1).split('-').map(Number);
  const index = year * 12 + month - 1 - back;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

function monthsBetween(from, to) {
  const [fy, fm] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  return (ty * 12 + tm) - (fy * 12 + fm) + 1;
}

function field(id, labelKey, input) {
  return h('span', { class: 'field' }, h('label', { for: id }, t(labelKey)), input);
}

const seriesName = (s) => `${s.source} · ${s.measure}`;
const basisText = (basis) => t(`obs_basis_${basis}`);

/** The month inputs and their checks, shared by both views. */
function monthForm(ctx, page, { from, to, extra = [] }) {
  const inputs = {
    from: h('input', { id: 'obs-from', name: 'from', type: 'month', value: from, required: true, pattern: '[0-9]{4}-[0-9]{2}' }),
    to: h('input', { id: 'obs-to', name: 'to', type: 'month', value: to, required: true, pattern: '[0-9]{4}-[0-9]{2}' }),
  };
  const message = messageArea();
  const form = h('form', { class: 'inline-form no-print', dataset: { observatoryForm: page }, 'aria-label': t('obs_filters') },
    ...extra.map(([id, key, input]) => field(id, key, input)),
    field('obs-from', 'obs_from', inputs.from), field('obs-to', 'obs_to', inputs.to),
    h('button', { type: 'submit', class: 'primary' }, t('ind_show')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (inputs.from.value > inputs.to.value) {
      showError(message, { message: t('ind_from_after_to') });
      return;
    }
    const query = new URLSearchParams({ from: inputs.from.value, to: inputs.to.value });
    for (const [, , input] of extra) query.set(input.name, input.value);
    ctx.navigate(`${page}?${query}`);
  });
  return { form, message };
}

function checkSpan(message, from, to) {
  const n = monthsBetween(from, to);
  if (!(n >= 1 && n <= MAX_MONTHS)) {
    showError(message, { message: t(n < 1 ? 'ind_from_after_to' : 'obs_too_long', { n: MAX_MONTHS }) });
    return false;
  }
  return true;
}

export async function renderCompare(ctx, container) {
  const params = ctx.params;
  const zoneTz = ctx.config.time_zone;
  const to = params.get('to') || cityMonth(zoneTz);
  const from = params.get('from') || cityMonth(zoneTz, 5);
  const zone = params.get('zone') || 'city';
  const layers = await ctx.layers.catch(() => null);
  const quadrantIds = ((layers && layers.features) || [])
    .filter((feature) => feature.properties.layer === 'quadrant').map((feature) => feature.properties.quadrant_id).sort();
  const select = h('select', { id: 'obs-zone', name: 'zone' },
    h('option', { value: 'city', selected: zone === 'city' }, t('obs_zone_city')),
    quadrantIds.map((id) => h('option', { value: id, selected: id === zone }, `${t('col_quadrant')} ${id}`)));
  const { form, message } = monthForm(ctx, 'compare', { from, to, extra: [['obs-zone', 'obs_zone', select]] });
  const basis = h('div', { dataset: { compareBasis: '' } });
  const months = h('div', {});
  const trends = h('div', {});
  replace(container, h('div', { class: 'report' },
    h('section', { class: 'panel' }, heading('obs_compare_title'), h('p', {}, t('obs_compare_intro')), form, message, basis),
    h('section', { class: 'panel', 'aria-labelledby': 'obs-months-title' }, h('h2', { id: 'obs-months-title' }, t('obs_months_title')), months),
    h('section', { class: 'panel', 'aria-labelledby': 'obs-trends-title' }, h('h2', { id: 'obs-trends-title' }, t('obs_trends_title')), trends)));
  if (!checkSpan(message, from, to)) return null;
  try {
    const query = new URLSearchParams({ zone, from, to });
    const answer = await ctx.api.get(`/v1/observatory/compare?${query}`);
    const sources = answer.series.filter((s) => s.source !== 'vigia');
    replace(basis,
      h('p', { dataset: { compareZone: answer.zone.id } }, t('obs_zone_is', { kind: t(`obs_kind_${answer.zone.kind}`), id: answer.zone.id, name: answer.zone.name })),
      h('p', { class: 'note' }, t('obs_never_added')),
      h('ul', {}, answer.series.map((s) => h('li', { dataset: { seriesBasis: `${s.source}:${s.measure}` } },
        s.source === 'vigia' ? t('obs_alerts_series') : seriesName(s), ': ', basisText(s.basis)))));
    if (!sources.length) {
      replace(months, h('p', { dataset: { compareEmpty: '' } }, t('obs_no_sources')));
      replace(trends);
      return null;
    }
    const headers = [t('obs_month'), t('obs_alerts'), t('obs_days_missing'),
      ...sources.flatMap((s) => [seriesName(s), t('obs_ratio'), t('obs_change')])];
    const rows = answer.months.map((m) => {
      const bySeries = new Map(m.sources.map((c) => [`${c.source}:${c.measure}`, c]));
      return h('tr', { dataset: { month: m.month } },
        h('th', { scope: 'row' }, m.month),
        h('td', { dataset: { col: 'alerts' } }, cell(m.alerts)),
        h('td', { dataset: { col: 'days_missing' } }, cell(m.days_missing)),
        ...sources.flatMap((s) => {
          const c = bySeries.get(`${s.source}:${s.measure}`) || {};
          const key = `${s.source}:${s.measure}`;
          return [
            h('td', { dataset: { col: 'value', series: key } }, cell(c.value)),
            h('td', { dataset: { col: 'ratio', series: key } }, cell(c.ratio)),
            h('td', { dataset: { col: 'change', series: key } }, cell(c.change)),
          ];
        }));
    });
    replace(months,
      barChart({
        title: t('obs_chart_alerts', { id: answer.zone.id }), description: t('ind_chart_desc'),
        bars: answer.months.map((m) => ({ label: m.month, value: m.alerts, text: cell(m.alerts) })),
        dataset: { chart: 'compare-alerts' },
      }),
      table(t('obs_months_caption', { id: answer.zone.id, from: answer.from, to: answer.to }), headers, rows, { dataset: { compareMonths: '' } }));
    replace(trends,
      h('p', {}, t('obs_trend_intro')),
      table(t('obs_trends_caption'), [t('obs_series'), t('obs_slope'), t('obs_months_with_ratio')],
        answer.trends.map((tr) => h('tr', { dataset: { series: `${tr.source}:${tr.measure}` } },
          h('th', { scope: 'row' }, seriesName(tr)),
          h('td', { dataset: { col: 'slope' } }, cell(tr.slope_per_month)),
          h('td', { dataset: { col: 'months_with_ratio' } }, String(tr.months_with_ratio)))),
        { dataset: { compareTrends: '' } }));
    message.textContent = '';
  } catch (error) {
    showError(message, error);
  }
  return null;
}

export async function renderResources(ctx, container) {
  const params = ctx.params;
  const zoneTz = ctx.config.time_zone;
  const to = params.get('to') || cityMonth(zoneTz);
  const from = params.get('from') || cityMonth(zoneTz);
  const { form, message } = monthForm(ctx, 'resources', { from, to });
  const chart = h('div', {});
  const body = h('div', {});
  replace(container, h('div', { class: 'report' },
    h('section', { class: 'panel' }, heading('obs_resources_title'), h('p', {}, t('obs_resources_intro')), form, message),
    h('section', { class: 'panel', 'aria-labelledby': 'obs-res-title' }, h('h2', { id: 'obs-res-title' }, t('obs_resources_table')), chart, body)));
  if (!checkSpan(message, from, to)) return null;
  try {
    const answer = await ctx.api.get(`/v1/observatory/resources?${new URLSearchParams({ from, to })}`);
    const series = answer.series;
    const headers = [t('col_quadrant'), t('obs_population'), t('obs_units'), t('obs_units_100k'), t('obs_unit_hours'),
      t('obs_patrol_done'), t('ind_dosage'), t('obs_alerts'), t('obs_alerts_100k'),
      ...series.flatMap((s) => [seriesName(s), t('obs_per_100k')])];
    const share = (v) => cell(v, 'share');
    const rows = answer.quadrants.map((q) => {
      const recorded = new Map(q.recorded.map((r) => [`${r.source}:${r.measure}`, r]));
      return h('tr', { dataset: { quadrant: q.quadrant_id } },
        h('th', { scope: 'row' }, q.name ? `${q.quadrant_id} · ${q.name}` : q.quadrant_id),
        h('td', { dataset: { col: 'population' } }, cell(q.population)),
        h('td', { dataset: { col: 'units' } }, cell(q.units)),
        h('td', { dataset: { col: 'units_per_100k' } }, cell(q.units_per_100k)),
        h('td', { dataset: { col: 'unit_hours_per_day' } }, cell(q.unit_hours_per_day)),
        h('td', { dataset: { col: 'patrol_done_min' } }, cell(q.patrol_done_min)),
        h('td', { dataset: { col: 'patrol_dosage_compliance' } }, share(q.patrol_dosage_compliance)),
        h('td', { dataset: { col: 'alerts' } }, cell(q.alerts)),
        h('td', { dataset: { col: 'alerts_per_100k' } }, cell(q.alerts_per_100k)),
        ...series.flatMap((s) => {
          const key = `${s.source}:${s.measure}`;
          const r = recorded.get(key) || {};
          return [h('td', { dataset: { col: 'recorded', series: key } }, cell(r.value)),
            h('td', { dataset: { col: 'recorded_per_100k', series: key } }, cell(r.per_100k))];
        }));
    });
    replace(chart, barChart({
      title: t('obs_chart_units_alerts'), description: t('ind_chart_desc'),
      bars: answer.quadrants.map((q) => ({ label: q.quadrant_id, value: q.alerts_per_100k, text: `${cell(q.alerts_per_100k)} · ${t('obs_units_n', { n: q.units })}` })),
      dataset: { chart: 'resources' },
    }));
    replace(body,
      answer.population_by_quadrant ? '' : h('p', { class: 'note' }, t('obs_no_population')),
      table(t('obs_resources_caption', { from: answer.from, to: answer.to }), headers, rows, { dataset: { resourcesTable: '' } }),
      h('p', { class: 'note' }, t('obs_never_added')));
    message.textContent = '';
  } catch (error) {
    showError(message, error);
  }
  return null;
}
