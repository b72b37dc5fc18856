// The audit trail (admins): an alert's whole trail, or the trail filtered by who, what, on what and when
// (GET /v1/audit); the filters live in the address, so a filtered view can be shared and reloaded.

import { h, replace, table } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { heading, messageArea, refreshFailed, showError } from './common.js';

const FILTERS = ['actor_id', 'action', 'target_id'];
const DEFAULT_DAYS = 7; // no filter at all: the last week

/** A datetime-local value (the user's local time) as an ISO instant, or '' */
function instant(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** An ISO instant as a datetime-local value in the user's time, or '' */
function local(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function field(id, labelKey, input) {
  return h('span', { class: 'field' }, h('label', { for: id }, t(labelKey)), input);
}

export async function render(ctx, container) {
  const params = ctx.params;
  const alertId = params.get('alert_id') || '';
  const inputs = {
    alert_id: h('input', { id: 'audit-alert', name: 'alert_id', value: alertId, maxlength: '64', pattern: '[A-Za-z0-9_-]+' }),
    actor_id: h('input', { id: 'audit-actor', name: 'actor_id', value: params.get('actor_id') || '', maxlength: '128', pattern: '[A-Za-z0-9_.:@+-]+' }),
    action: h('input', { id: 'audit-filter', name: 'action', value: params.get('action') || '', maxlength: '128', pattern: '[A-Za-z0-9_.:@+-]+' }),
    target_id: h('input', { id: 'audit-target', name: 'target_id', value: params.get('target_id') || '', maxlength: '128', pattern: '[A-Za-z0-9_.:@+-]+' }),
    from: h('input', { id: 'audit-from', name: 'from', type: 'datetime-local', value: local(params.get('from')) }),
    to: h('input', { id: 'audit-to', name: 'to', type: 'datetime-local', value: local(params.get('to')) }),
  };
  const form = h('form', { class: 'inline-form audit-filters', dataset: { auditForm: '' }, 'aria-label': t('audit_filters') },
    field('audit-alert', 'audit_alert', inputs.alert_id),
    field('audit-actor', 'audit_filter_actor', inputs.actor_id),
    field('audit-filter', 'audit_filter_action', inputs.action),
    field('audit-target', 'audit_filter_target', inputs.target_id),
    field('audit-from', 'audit_filter_from', inputs.from),
    field('audit-to', 'audit_filter_to', inputs.to),
    h('button', { type: 'submit', class: 'primary' }, t('audit_search')),
    h('button', { type: 'button', class: 'link', dataset: { auditClear: '' }, on: { click: () => ctx.navigate('audit') } }, t('audit_clear')));
  const list = h('div', {});
  const more = h('div', {});
  const message = messageArea();
  replace(container, h('section', { class: 'panel wide' }, heading('audit_title'), h('p', {}, t('audit_intro')), form, message, list, more));

  // What the API is asked: the alert's whole trail, or the filters (none: the last week)
  const query = new URLSearchParams();
  if (alertId) query.set('alert_id', alertId);
  else {
    for (const name of FILTERS) if (params.get(name)) query.set(name, params.get(name));
    for (const name of ['from', 'to']) if (params.get(name)) query.set(name, params.get(name));
    if (![...query.keys()].length) query.set('from', new Date(Date.now() - DEFAULT_DAYS * 86_400_000).toISOString());
  }
  const caption = alertId ? t('audit_caption', { id: alertId }) : t('audit_caption_filtered');
  let items = [];
  let cursor = null;
  let paged = false;

  function draw() {
    if (!items.length) {
      replace(list, h('p', { class: 'empty' }, alertId ? t('audit_empty') : t('audit_empty_filtered')));
      replace(more);
      return;
    }
    replace(list, table(caption,
      [t('col_at'), t('col_actor'), t('col_role'), t('col_action'), t('col_target_ref'), t('col_reason')],
      items.map((e) => h('tr', { dataset: { auditAction: e.action, auditActor: e.actor_id } },
        [formatDateTime(e.at), e.actor_id, e.actor_role, e.action, `${e.target_type || ''} ${e.target_id || ''}`.trim(), e.reason || '—'].map((v) => h('td', {}, v || '—')))),
      { dataset: { audit: '' } }));
    replace(more, cursor ? h('button', { type: 'button', class: 'action', dataset: { auditMore: '' }, on: { click: loadMore } }, t('audit_more')) : null);
  }

  async function fetchPage(after) {
    const q = new URLSearchParams(query);
    if (after) q.set('cursor', after);
    return ctx.api.get(`/v1/audit?${q}`);
  }

  async function loadMore() {
    try {
      const answer = await fetchPage(cursor);
      items = items.concat(answer.items || []);
      cursor = answer.next_cursor || null;
      paged = true;
      draw();
      const button = more.querySelector('button');
      if (button) button.focus();
    } catch (error) {
      showError(message, error);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (inputs.alert_id.value.trim()) next.set('alert_id', inputs.alert_id.value.trim());
    else {
      for (const name of FILTERS) if (inputs[name].value.trim()) next.set(name, inputs[name].value.trim());
      for (const name of ['from', 'to']) if (instant(inputs[name].value)) next.set(name, instant(inputs[name].value));
    }
    ctx.navigate(`audit${[...next.keys()].length ? `?${next}` : ''}`);
  });
  inputs.alert_id.focus();
  return {
    async refresh() {
      if (paged) return; // keep the pages the admin has opened; a new search starts again
      try {
        const answer = await fetchPage(null);
        items = answer.items || [];
        cursor = answer.next_cursor || null;
        message.textContent = '';
        if (!list.contains(document.activeElement) && !more.contains(document.activeElement)) draw();
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
    },
  };
}
