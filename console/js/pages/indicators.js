// The observatory's indicators (analysts): a period's counts, rates, times, outcomes, dosage and perception
// for the city by day and by quadrant (GET /v1/indicators), the week's or month's summary
// (GET /v1/indicators/summary), as hatched SVG charts and as tables, small cells exactly as the API
// publishes them ("<5", "x"). The choices live in the address (#/indicators?from=&to=&type=).

import { barChart } from '../chart.js';
import { h, replace, table } from '../dom.js';
import { locale, t } from '../i18n.js';
import { typeLabel } from '../queue-watcher.js';
import { heading, messageArea, showError } from './common.js';

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

/** A date (YYYY-MM-DD) in the city's time zone, `daysBack` days before now. */
export function cityDate(timeZone, daysBack = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(Date.now() - daysBack * DAY_MS));
}

/** What the API published, as text: a held-back cell as the API wrote it, null as a dash. */
export function cell(value, kind = 'number') {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (kind === 'share') return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(value);
  if (kind === 'seconds') return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(value)} s`;
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(value);
}

const COLUMNS = [
  ['count', 'ind_count', 'number'],
  ['rate_per_100k', 'ind_rate', 'number'],
  ['response_time_median_s', 'ind_response_median', 'seconds'],
  ['response_time_p90_s', 'ind_response_p90', 'seconds'],
  ['within_target_share', 'ind_within_target', 'share'],
  ['false_alarm_share', 'ind_false_alarms', 'share'],
  ['cancellations', 'ind_cancellations', 'number'],
  ['patrol_dosage_compliance', 'ind_dosage', 'share'],
  ['survey_responses', 'ind_surveys', 'number'],
  ['perception_favourable_share', 'ind_perception', 'share'],
  ['raised_abroad', 'ind_raised_abroad', 'number'], // residents' alerts in a partner city: in no other column
  ['visitors', 'ind_visitors', 'number'], // of count, a partner city's residents' alerts here
];

function cells(row) {
  return COLUMNS.map(([key, , kind]) => h('td', { dataset: { col: key } }, cell(row[key], kind)));
}

async function allPages(api, path) {
  const items = [];
  let cursor = '';
  for (let page = 0; page < 20; page += 1) {
    const answer = await api.get(cursor ? `${path}&cursor=${encodeURIComponent(cursor)}` : path);
    items.push(...(answer.items || []));
    cursor = answer.next || answer.next_cursor || '';
    if (!cursor) break;
  }
  return items;
}

function field(id, labelKey, input) {
  return h('span', { class: 'field' }, h('label', { for: id }, t(labelKey)), input);
}

const EXPORT_LABELS = { 'indicators.csv': 'ind_file_csv', 'indicators.json': 'ind_file_json', 'feed.json': 'ind_file_feed' };

/** A day's published files (GET /v1/indicators/exports/{date}): links asked for when wanted, since they
 * expire within minutes; each is a presigned GET of the exports bucket that saves the file. */
function dayFiles(ctx, date) {
  const input = h('input', { id: 'ind-export-date', name: 'export_date', type: 'date', value: date, required: true });
  const links = h('div', { dataset: { exportLinks: '' }, 'aria-live': 'polite' });
  const form = h('form', { class: 'inline-form', dataset: { exportForm: '' }, 'aria-label': t('ind_files_title') },
    field('ind-export-date', 'ind_files_date', input),
    h('button', { type: 'submit' }, t('ind_files_get')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const day = input.value;
    replace(links, h('p', {}, t('loading')));
    try {
      const answer = await ctx.api.get(`/v1/indicators/exports/${encodeURIComponent(day)}`);
      const until = new Intl.DateTimeFormat(locale(), { timeZone: ctx.config.time_zone, timeStyle: 'short' }).format(new Date(answer.expires_at));
      replace(links,
        h('p', { class: 'actions' }, answer.files.map((file) => [
          h('a', { class: 'button', href: file.url, rel: 'noopener', dataset: { exportFile: file.name } }, t(EXPORT_LABELS[file.name] || file.name)), ' '])),
        h('p', { class: 'muted', dataset: { exportExpires: answer.expires_at } }, t('ind_files_expire', { date: answer.date, time: until })));
    } catch (error) {
      if (error.status === 404) replace(links, h('p', { dataset: { exportMissing: '' } }, t('ind_files_missing', { date: day })));
      else {
        replace(links);
        const message = messageArea();
        links.append(message);
        showError(message, error);
      }
    }
  });
  return h('div', { dataset: { dayFiles: '' } }, h('h3', {}, t('ind_files_title')), h('p', {}, t('ind_files_intro')), form, links);
}

export async function render(ctx, container) {
  const zone = ctx.config.time_zone;
  const params = ctx.params;
  const to = params.get('to') || cityDate(zone, 1);
  const from = params.get('from') || cityDate(zone, 7);
  const type = params.get('type') || 'all';
  const period = params.get('period') === 'month' ? 'month' : 'week';
  const types = new Map();
  try {
    for (const item of (await ctx.api.get('/v1/alert-types')).items || []) types.set(item.code, item);
  } catch {
    // the labels are a nicety: the codes stand in
  }
  const label = (code) => (code === 'all' ? t('ind_type_all') : typeLabel(types, code));

  const inputs = {
    from: h('input', { id: 'ind-from', name: 'from', type: 'date', value: from, required: true }),
    to: h('input', { id: 'ind-to', name: 'to', type: 'date', value: to, required: true }),
    type: h('select', { id: 'ind-type', name: 'type' },
      ['all', ...Array.from(types.values()).filter((item) => !item.silent).map((item) => item.code)]
        .map((code) => h('option', { value: code, selected: code === type }, label(code)))),
    period: h('select', { id: 'ind-period', name: 'period' },
      h('option', { value: 'week', selected: period === 'week' }, t('ind_period_week')),
      h('option', { value: 'month', selected: period === 'month' }, t('ind_period_month'))),
  };
  const message = messageArea();
  const form = h('form', { class: 'inline-form no-print', dataset: { indicatorsForm: '' }, 'aria-label': t('ind_filters') },
    field('ind-from', 'ind_from', inputs.from), field('ind-to', 'ind_to', inputs.to),
    field('ind-type', 'ind_type', inputs.type), field('ind-period', 'ind_summary_period', inputs.period),
    h('button', { type: 'submit', class: 'primary' }, t('ind_show')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (inputs.from.value > inputs.to.value) {
      showError(message, { message: t('ind_from_after_to') });
      return;
    }
    const query = new URLSearchParams({ from: inputs.from.value, to: inputs.to.value, type: inputs.type.value, period: inputs.period.value });
    ctx.navigate(`indicators?${query}`);
  });
  const figures = h('div', { class: 'figures', dataset: { figures: '' } });
  const days = h('div', {});
  const quadrants = h('div', {});
  const summary = h('div', {});
  const downloads = h('div', {});
  replace(container, h('div', { class: 'report' },
    h('section', { class: 'panel' }, heading('ind_title'), h('p', {}, t('ind_intro')), form, message, figures),
    h('section', { class: 'panel', 'aria-labelledby': 'ind-days-title' }, h('h2', { id: 'ind-days-title' }, t('ind_days_title')), days),
    h('section', { class: 'panel', 'aria-labelledby': 'ind-quadrants-title' }, h('h2', { id: 'ind-quadrants-title' }, t('ind_quadrants_title')), quadrants),
    h('section', { class: 'panel', 'aria-labelledby': 'ind-summary-title' }, h('h2', { id: 'ind-summary-title' }, t(period === 'month' ? 'ind_summary_month' : 'ind_summary_week')), summary),
    h('section', { class: 'panel no-print', 'aria-labelledby': 'ind-downloads-title' }, h('h2', { id: 'ind-downloads-title' }, t('ind_downloads_title')), downloads)));

  const spanDays = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (!(spanDays >= 1 && spanDays <= MAX_DAYS)) {
    showError(message, { message: t('ind_period_too_long', { n: MAX_DAYS }) });
    return null;
  }
  const range = `from=${from}&to=${to}&type=${encodeURIComponent(type)}`;
  let cityRows = [];
  try {
    const layers = await ctx.layers.catch(() => null);
    const quadrantIds = ((layers && layers.features) || [])
      .filter((feature) => feature.properties.layer === 'quadrant').map((feature) => feature.properties.quadrant_id).sort();
    const [city, perQuadrant, week] = await Promise.all([
      allPages(ctx.api, `/v1/indicators?${range}&zone=city&limit=1000`),
      Promise.all(quadrantIds.map((id) => allPages(ctx.api, `/v1/indicators?${range}&zone=${encodeURIComponent(id)}&limit=1000`).then((rows) => [id, rows]))),
      ctx.api.get(`/v1/indicators/summary?period=${period}&date=${to}&zone=city`),
    ]);
    cityRows = city.sort((a, b) => a.date.localeCompare(b.date));

    // the period at a glance: counts are exact and add up; times and shares do not, so they are per day
    const total = cityRows.reduce((sum, row) => sum + (typeof row.count === 'number' ? row.count : 0), 0);
    const rate = cityRows.reduce((sum, row) => sum + (typeof row.rate_per_100k === 'number' ? row.rate_per_100k : 0), 0);
    replace(figures,
      h('p', { class: 'figure', dataset: { figure: 'count' } }, h('strong', {}, cell(total)), ' ', t('ind_fig_count', { type: label(type), from, to })),
      h('p', { class: 'figure', dataset: { figure: 'rate' } }, h('strong', {}, cell(Math.round(rate * 100) / 100)), ' ', t('ind_fig_rate')),
      h('p', { class: 'figure', dataset: { figure: 'days' } }, h('strong', {}, String(cityRows.length)), ' ', t('ind_fig_days', { n: spanDays })));

    replace(days,
      barChart({
        title: t('ind_chart_days', { type: label(type) }), description: t('ind_chart_desc'),
        bars: cityRows.map((row) => ({ label: row.date, value: typeof row.count === 'number' ? row.count : null, text: cell(row.count) })),
        dataset: { chart: 'days' },
      }),
      table(t('ind_days_caption', { type: label(type) }), [t('ind_date'), ...COLUMNS.map(([, key]) => t(key))],
        cityRows.map((row) => h('tr', { dataset: { date: row.date, zone: row.zone, type: row.type } }, h('th', { scope: 'row' }, row.date), ...cells(row))),
        { dataset: { indicatorsDays: '' } }));

    const byQuadrant = perQuadrant.map(([id, rows]) => ({
      id,
      count: rows.reduce((sum, row) => sum + (typeof row.count === 'number' ? row.count : 0), 0),
      rate: Math.round(rows.reduce((sum, row) => sum + (typeof row.rate_per_100k === 'number' ? row.rate_per_100k : 0), 0) * 100) / 100,
      days: rows.length,
    }));
    replace(quadrants,
      barChart({
        title: t('ind_chart_quadrants', { type: label(type) }), description: t('ind_chart_desc'),
        bars: byQuadrant.map((q) => ({ label: q.id, value: q.rate, text: `${cell(q.rate)} (${cell(q.count)})` })),
        dataset: { chart: 'quadrants' },
      }),
      table(t('ind_quadrants_caption', { type: label(type), from, to }), [t('col_quadrant'), t('ind_count'), t('ind_rate'), t('ind_days_computed')],
        byQuadrant.map((q) => h('tr', { dataset: { zone: q.id } }, h('th', { scope: 'row' }, q.id),
          h('td', { dataset: { col: 'count' } }, cell(q.count)), h('td', { dataset: { col: 'rate_per_100k' } }, cell(q.rate)), h('td', {}, String(q.days)))),
        { dataset: { indicatorsQuadrants: '' } }));

    const missing = week.dates_missing || [];
    replace(summary,
      h('p', {}, t('ind_summary_span', { from: week.from, to: week.to, computed: (week.dates_computed || []).length }),
        missing.length ? ` ${t('ind_summary_missing', { dates: missing.join(', ') })}` : ''),
      table(t('ind_summary_caption', { from: week.from, to: week.to }), [t('ind_type'), ...COLUMNS.map(([, key]) => t(key))],
        (week.items || []).map((row) => h('tr', { dataset: { type: row.type } }, h('th', { scope: 'row' }, label(row.type)), ...cells(row))),
        { dataset: { indicatorsSummary: '' } }));
    message.textContent = '';
  } catch (error) {
    showError(message, error);
  }

  // What the page shows, in the files' columns, built in the browser from the API's own rows.
  const csvLink = h('a', { class: 'button', dataset: { downloadCsv: '' }, download: `indicators-${ctx.config.city}-${from}-${to}.csv`, href: '#' }, t('ind_download_csv'));
  const jsonLink = h('a', { class: 'button', dataset: { downloadJson: '' }, download: `indicators-${ctx.config.city}-${from}-${to}.json`, href: '#' }, t('ind_download_json'));
  const urls = [];
  if (cityRows.length) {
    const header = Object.keys(cityRows[0]);
    const quote = (value) => {
      const text = value === null || value === undefined ? '' : String(value);
      const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text; // never a formula in a spreadsheet
      return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
    };
    const csv = [header.join(','), ...cityRows.map((row) => header.map((key) => quote(row[key])).join(','))].join('\n') + '\n';
    urls.push(URL.createObjectURL(new Blob([csv], { type: 'text/csv' })));
    urls.push(URL.createObjectURL(new Blob([JSON.stringify({ city: ctx.config.city, from, to, items: cityRows }, null, 2)], { type: 'application/json' })));
    csvLink.href = urls[0];
    jsonLink.href = urls[1];
  }
  replace(downloads, h('p', {}, t('ind_downloads_intro')), cityRows.length ? h('p', { class: 'actions' }, csvLink, ' ', jsonLink) : h('p', {}, t('ind_nothing')),
    dayFiles(ctx, to));
  return {
    dispose() {
      for (const url of urls) URL.revokeObjectURL(url);
    },
  };
}
