// What several pages share: headings, status badges, problem messages, the elapsed-time ticker.

import { h } from '../dom.js';
import { formatElapsed, t } from '../i18n.js';

export function heading(titleKey, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', {}, t(titleKey)), ...extra);
}

export function statusBadge(status, prefix = 'status_') {
  return h('span', { class: `status status-${status}`, dataset: { status } }, t(prefix + status));
}

export function priorityBadge(priority) {
  return h('span', { class: `priority p${priority}`, dataset: { priority: String(priority) } }, t('priority_n', { n: priority }));
}

/** A visitor alert's mark (docs/roaming.md): text naming the partner city, never a colour alone. */
export function visitorBadge(visitor) {
  const partner = visitor.partner_name || visitor.partner;
  return h('span', { class: 'visitor-badge', dataset: { visitor: visitor.partner }, title: t('visitor_badge_title', { partner }) },
    t('visitor_badge', { partner }));
}

/** A message for an API error: the problem's own title and detail, or "cannot reach the API". */
export function describe(error) {
  if (!error || error.status === undefined) return String((error && error.message) || error);
  if (error.status === 0) return t('error_network');
  if (error.status === 403) return `${t('error_forbidden')} ${error.problem.detail || ''}`.trim();
  return t('error_problem', { title: error.problem.title || `HTTP ${error.status}`, detail: error.problem.detail || '' });
}

export function messageArea() {
  return h('p', { class: 'message', role: 'status', 'aria-live': 'polite', dataset: { message: '' } });
}

export function showError(area, error) {
  area.className = 'message error';
  area.textContent = describe(error);
}

/** A background re-fetch failed: an unreachable API is the header's "reconnecting", not the page's message. */
export function refreshFailed(area, error) {
  if (error && error.status !== 0) showError(area, error);
}

export function showOk(area, text) {
  area.className = 'message ok';
  area.textContent = text;
}

/**
 * Keeps every [data-age-s] element counting up from the age the API gave (never the browser's clock against
 * the server's); past the target it turns red and says so.
 */
export function startElapsedTicker(root, targetS) {
  const tick = () => {
    for (const el of root.querySelectorAll('[data-age-s]')) {
      const age = Number(el.dataset.ageS) + (Date.now() - Number(el.dataset.fetchedAt)) / 1000;
      const over = targetS && age > targetS;
      el.textContent = targetS ? `${formatElapsed(age)} / ${formatElapsed(targetS)}` : formatElapsed(age);
      el.classList.toggle('over-target', Boolean(over));
      el.title = over ? t('over_target') : '';
    }
  };
  tick();
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}

export function mapPanel(labelText) {
  return h('div', { class: 'map', dataset: { mapPanel: '' }, 'aria-label': labelText });
}

/** What the map's colours mean (the same colours as console/js/map.js, as CSS classes). */
export function mapLegend() {
  const keys = ['alert', 'unit_available', 'unit_busy', 'hotspot', 'siren'];
  return h('ul', { class: 'legend', 'aria-label': t('legend') }, keys.map((key) => h('li', {}, h('span', { class: `swatch swatch-${key}`, 'aria-hidden': 'true' }), t(`legend_${key}`))));
}
