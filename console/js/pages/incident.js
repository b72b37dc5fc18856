// One incident: its place on the map, its facts, the timeline as it happens, deliveries, and the actions the
// API allows now, each with a key. A 409 shows what is allowed instead of an error.

import { h, replace, table } from '../dom.js';
import { nearestAvailable, unitBases } from '../geo.js';
import { formatDateTime, formatTime, t } from '../i18n.js';
import { createMap } from '../map.js';
import { describe, mapLegend, mapPanel, messageArea, priorityBadge, showError, showOk, statusBadge, refreshFailed, visitorBadge } from './common.js';

// action → key; the assign list's units take the digits 1-5
export const SHORTCUTS = {
  acknowledge: 'a',
  assign: 's',
  en_route: 'w',
  on_scene: 'o',
  resolve: 'r',
  false_alarm: 'f',
  escalate: 'e',
  cancel: 'x',
};

const typing = (target) => target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

export async function render(ctx, container, alertId) {
  const { api, watcher } = ctx;
  const title = h('h1', { id: 'incident-title' }, t('incident_title', { id: alertId }));
  const facts = h('dl', { class: 'facts', dataset: { facts: '' } });
  const message = messageArea();
  const actionsEl = h('div', { class: 'actions', dataset: { actions: '' } });
  const assignEl = h('div', { class: 'assign', dataset: { assign: '' } });
  const note = h('textarea', { id: 'action-note', rows: '2', maxlength: '500' });
  const timelineEl = h('ol', { class: 'timeline', dataset: { timeline: '' } });
  const deliveriesEl = h('div', { dataset: { deliveries: '' } });
  const mapEl = mapPanel(t('map_label', { city: ctx.config.city_name }));
  replace(container, h('div', { class: 'layout-split' },
    h('section', { class: 'panel', 'aria-labelledby': 'incident-title' },
      h('div', { class: 'page-head' }, title, h('a', { href: '#/queue', class: 'back' }, t('back_to_queue'))),
      facts,
      h('section', { class: 'subpanel', 'aria-labelledby': 'actions-title' },
        h('h2', { id: 'actions-title' }, t('actions')), message, actionsEl, assignEl,
        h('label', { for: 'action-note' }, t('note_optional')), note),
      h('section', { class: 'subpanel', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, t('timeline')), timelineEl),
      h('section', { class: 'subpanel', 'aria-labelledby': 'deliveries-title' }, h('h2', { id: 'deliveries-title' }, t('deliveries')), deliveriesEl)),
    h('section', { class: 'panel map-panel' }, mapEl, mapLegend())));

  let alert = null;
  let units = [];
  let bases = new Map();
  let allowed = [];
  let suggestions = [];
  let map = null;
  let focused = false;
  const layersReady = ctx.layers.then((layers) => (bases = unitBases(layers))).catch(() => {});
  const mapReady = createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('map_label', { city: ctx.config.city_name }) })
    .then((m) => (map = m))
    .catch(() => null);

  function drawFacts() {
    const item = (label, value, key) => [h('dt', {}, label), h('dd', { dataset: { field: key } }, value)];
    const seconds = (n) => (n === null || n === undefined ? '—' : t('seconds', { n: Math.round(n) }));
    // a visitor has no account here: the console names her city and, for operators, the number to call back
    const visitor = alert.visitor;
    replace(facts,
      item(t('field_type'), watcher.label(alert.type), 'type'),
      item(t('field_status'), statusBadge(alert.status), 'status'),
      item(t('field_priority'), priorityBadge(alert.priority), 'priority'),
      item(t('field_place'), t('place', { block: alert.block_id || '—', quadrant: alert.quadrant_id || '—' }), 'place'),
      visitor ? item(t('field_visitor'), visitorBadge(visitor), 'visitor') : item(t('field_sender'), alert.sender_id || '—', 'sender'),
      visitor && visitor.caller_name ? item(t('field_caller'), visitor.caller_name, 'caller') : null,
      visitor && visitor.callback_phone ? item(t('field_callback'), callBack(visitor), 'callback') : null,
      item(t('field_received'), formatDateTime(alert.created_at), 'received'),
      item(t('field_unit'), alert.unit_id || '—', 'unit'),
      item(t('field_dispatch_time'), seconds(alert.dispatch_time_s), 'dispatch_time'),
      item(t('field_response_time'), seconds(alert.response_time_s), 'response_time'),
      item(t('field_met_target'), alert.met_target === undefined || alert.met_target === null ? '—' : t(alert.met_target ? 'yes' : 'no'), 'met_target'),
      alert.note ? item(t('field_note'), alert.note, 'note') : null);
  }

  // tel: opens the desk phone's or softphone's dialler; the label says whom it calls for a screen reader
  function callBack(visitor) {
    const partner = visitor.partner_name || visitor.partner;
    return [h('a', { href: `tel:${visitor.callback_phone}`, class: 'call-back', dataset: { callBack: '' }, 'aria-label': t('visitor_call', { name: visitor.caller_name || '', phone: visitor.callback_phone }) }, visitor.callback_phone),
      h('span', { class: 'small hint' }, t('visitor_call_hint', { partner }))];
  }

  function drawTimeline() {
    const entries = alert.timeline || [];
    if (!entries.length) {
      replace(timelineEl, h('li', { class: 'empty' }, t('timeline_empty')));
      return;
    }
    replace(timelineEl, entries.map((entry) => h('li', { dataset: { step: entry.action } },
      h('time', { datetime: entry.at }, formatTime(entry.at, true)), ' ',
      h('strong', {}, t(`action_${entry.action}`)), ` · ${entry.actor_role || '—'}`,
      entry.status ? [' → ', statusBadge(entry.status)] : '',
      entry.unit_id ? ` · ${entry.unit_id}` : '', entry.note ? h('q', {}, entry.note) : '')));
  }

  function drawDeliveries(answer) {
    const items = (answer && answer.items) || [];
    if (!items.length) {
      replace(deliveriesEl, h('p', { class: 'empty' }, t('deliveries_empty')));
      return;
    }
    replace(deliveriesEl, table(t('deliveries_caption'),
      [t('col_kind'), t('col_channel'), t('col_target'), t('col_recipient'), t('col_status'), t('col_attempts'), t('col_last_error')],
      items.map((d) => h('tr', { dataset: { delivery: `${d.channel}:${d.recipient}` } },
        [d.kind, d.channel, d.target, d.recipient, d.status, d.attempts, d.last_error || ''].map((v) => h('td', {}, v === undefined || v === null ? '—' : String(v)))))));
  }

  function actionButton(action) {
    const key = SHORTCUTS[action];
    return h('button', { type: 'button', class: action === 'false_alarm' || action === 'cancel' ? 'danger' : 'action', dataset: { action }, 'aria-keyshortcuts': key, on: { click: () => (action === 'assign' ? showAssign() : act(action)) } },
      t(`action_${action}`), key ? h('kbd', { 'aria-hidden': 'true' }, key.toUpperCase()) : null);
  }

  function drawActions(list) {
    allowed = list;
    if (!list.length) {
      replace(actionsEl, h('p', { class: 'empty', dataset: { noActions: '' } }, t('actions_none')));
      return;
    }
    replace(actionsEl, list.map(actionButton));
  }

  function showAssign() {
    const place = alert.location;
    suggestions = place ? nearestAvailable(units, bases, place) : [];
    if (!suggestions.length) {
      replace(assignEl, h('p', { class: 'empty' }, t('assign_none')));
      return;
    }
    replace(assignEl, h('h3', { id: 'assign-title' }, t('assign_title')),
      h('ol', { 'aria-labelledby': 'assign-title' }, suggestions.map(({ unit, distance_m }, i) => h('li', {},
        h('button', { type: 'button', class: 'action', dataset: { assignUnit: unit.unit_id }, 'aria-keyshortcuts': String(i + 1), on: { click: () => act('assign', unit.unit_id) } },
          t('assign_unit', { unit: `${unit.unit_id} · ${unit.name}`, distance: (distance_m / 1000).toFixed(1) }), h('kbd', { 'aria-hidden': 'true' }, String(i + 1)))))));
    assignEl.querySelector('button').focus();
  }

  async function act(action, unitId) {
    const body = { action };
    if (unitId) body.unit_id = unitId;
    if (note.value.trim()) body.note = note.value.trim();
    try {
      const answer = await api.post(`/v1/alerts/${encodeURIComponent(alertId)}/actions`, body);
      note.value = '';
      delete message.dataset.conflict;
      replace(assignEl);
      showOk(message, t('action_done', { action: t(`action_${action}`), status: t(`status_${answer.status}`) }));
      ctx.announce(message.textContent);
      await ctx.live.refresh();
    } catch (error) {
      if (error.status === 409 && Array.isArray(error.problem.allowed_actions)) {
        // someone else moved the alert first: say where it is and offer what is possible from there
        message.className = 'message warning';
        message.dataset.conflict = error.problem.alert_status || '';
        message.textContent = t('conflict', { status: t(`status_${error.problem.alert_status || alert.status}`) });
        drawActions(error.problem.allowed_actions);
        await ctx.live.refresh();
      } else {
        showError(message, error);
      }
    }
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key.toLowerCase();
    if (/^[1-5]$/.test(key) && suggestions[Number(key) - 1] && assignEl.firstChild) {
      event.preventDefault();
      act('assign', suggestions[Number(key) - 1].unit.unit_id);
      return;
    }
    const action = Object.keys(SHORTCUTS).find((name) => SHORTCUTS[name] === key);
    if (action && allowed.includes(action)) {
      event.preventDefault();
      if (action === 'assign') showAssign();
      else act(action);
    }
  }
  document.addEventListener('keydown', onKey);

  return {
    async refresh() {
      try {
        const [detail, deliveries, unitList] = await Promise.all([
          api.get(`/v1/alerts/${encodeURIComponent(alertId)}`),
          api.get(`/v1/alerts/${encodeURIComponent(alertId)}/deliveries`).catch((error) => ({ error })),
          api.get('/v1/units'),
        ]);
        // a silent alert belongs to the response team: the monitoring centre's console shows nothing of it
        if (detail.silent) throw Object.assign(new Error('silent'), { status: 404, problem: {} });
        alert = detail;
        units = unitList.items || [];
        drawFacts();
        drawTimeline();
        if (deliveries.error) replace(deliveriesEl, h('p', { class: 'error' }, describe(deliveries.error)));
        else drawDeliveries(deliveries);
        // the actions the API allows now are the queue's; an alert that left the open queue has none
        const queued = watcher.find(alertId);
        drawActions(queued ? queued.actions || [] : []);
        await Promise.all([layersReady, mapReady]);
        if (map) {
          map.setUnits(units, bases);
          map.setAlerts([alert]);
          if (!focused && alert.location) {
            map.focusPoint(alert.location, alert.unit_id ? bases.get(alert.unit_id) : null);
            focused = true;
          }
        }
      } catch (error) {
        if (error.status === 404) replace(container, h('p', { class: 'error', role: 'alert', dataset: { notFound: '' } }, t('not_found')));
        else refreshFailed(message, error);
        throw error;
      }
    },
    dispose() {
      document.removeEventListener('keydown', onKey);
      if (map) map.remove();
    },
  };
}
