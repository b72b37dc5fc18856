// The police view's "my car now": the assignment of the officer's car, its place, time since received against
// the city's target, and the one next step the lifecycle has (en route, on scene, resolve with a note).
// A new assignment rings (when sound is on), vibrates where the phone can, and is announced.

import { h, replace } from '../dom.js';
import { unitBases } from '../geo.js';
import { formatElapsed, t } from '../i18n.js';
import { createMap } from '../map.js';
import { playPriority, tonesPlayed } from '../sound.js';
import { typeLabel } from '../queue-watcher.js';
import { mapPanel, messageArea, refreshFailed, showError, showOk, startElapsedTicker, statusBadge } from './common.js';

// The crew's step from each status (docs/incidents.md); a 409 says what the API allows instead.
const NEXT = { assigned: ['en_route'], en_route: ['on_scene'], on_scene: ['resolve'] };
// The car the officer picked when they crew none or several (this tab only; nothing personal).
export const UNIT_KEY = 'vigia.police.unit';
const userIds = new Map(); // sign-in (the token's sub) → GET /v1/me's user id: asked once

/** The signed-in officer's user id, as the API knows it (null when it cannot say now). */
export function myUserId(ctx) {
  const key = ctx.session.claims.sub || '';
  if (!userIds.has(key)) {
    const asked = ctx.api.get('/v1/me').then((me) => me.user_id);
    asked.catch(() => userIds.delete(key)); // asked again on the next refresh
    userIds.set(key, asked);
  }
  return userIds.get(key).catch(() => null);
}

/**
 * "Which car is mine": the car whose crew (GET /v1/units' `crew`) holds the officer, shown as a fact; a picker
 * only when they crew several (those) or none (every car: the API refuses a step on a car not theirs anyway).
 */
export function carChooser(id, onChange) {
  const select = h('select', { id, dataset: { myUnit: '' } });
  const picker = h('div', { class: 'car-picker' }, h('label', { for: id }, t('mycar_unit')), select);
  const fixed = h('p', { class: 'my-car', dataset: { myCar: '' }, hidden: true });
  let value = '';
  let offered = null;
  select.addEventListener('change', () => {
    value = select.value;
    sessionStorage.setItem(UNIT_KEY, value);
    onChange();
  });
  return {
    element: h('div', {}, picker, fixed),
    get value() {
      return value;
    },
    fill(units, userId) {
      const mine = userId ? units.filter((u) => (u.crew || []).includes(userId)) : [];
      if (mine.length === 1) {
        value = mine[0].unit_id;
        picker.hidden = true;
        fixed.hidden = false;
        fixed.dataset.myCar = value;
        fixed.textContent = t('mycar_crewed', { unit: `${value} · ${mine[0].name}` });
        offered = null;
        return;
      }
      picker.hidden = false;
      fixed.hidden = true;
      const options = mine.length ? mine : units;
      const key = options.map((u) => u.unit_id).join(',');
      const chosen = value || sessionStorage.getItem(UNIT_KEY) || '';
      if (key !== offered) { // the same list is left alone: an open picker or its focus is not disturbed
        replace(select, h('option', { value: '' }, t('mycar_pick')),
          options.map((unit) => h('option', { value: unit.unit_id }, `${unit.unit_id} · ${unit.name}`)));
        offered = key;
      }
      value = options.some((u) => u.unit_id === chosen) ? chosen : '';
      select.value = value;
    },
  };
}

export async function render(ctx, container) {
  const { api } = ctx;
  const message = messageArea();
  const car = carChooser('my-unit', () => {
    lastAlertId = undefined;
    view.refresh().catch(() => {});
  });
  const card = h('div', { class: 'assignment', dataset: { assignment: '' } });
  const actionsEl = h('div', { class: 'actions big', dataset: { actions: '' } });
  const note = h('textarea', { id: 'resolve-note', rows: '2', maxlength: '500' });
  const mapEl = mapPanel(t('map_label', { city: ctx.config.city_name }));
  replace(container, h('div', { class: 'layout-split police' },
    h('section', { class: 'panel', 'aria-labelledby': 'mycar-title' },
      h('div', { class: 'page-head' }, h('h1', { id: 'mycar-title' }, t('mycar_title'))),
      car.element,
      card, message, actionsEl,
      h('label', { for: 'resolve-note' }, t('mycar_note')), note),
    h('section', { class: 'panel map-panel' }, mapEl)));

  const types = new Map();
  let bases = new Map();
  let map = null;
  let alert = null;
  let lastAlertId; // undefined until the first fetch: what was already assigned then does not ring
  let focusedOn = null;
  let latest = 0;
  const target = Number(ctx.config.response_target_s) || 0;
  const stopTicker = startElapsedTicker(card, target);
  const ready = Promise.all([
    ctx.layers.then((layers) => (bases = unitBases(layers))).catch(() => {}),
    createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('map_label', { city: ctx.config.city_name }) }).then((m) => (map = m)).catch(() => {}),
    api.get('/v1/alert-types').then((answer) => { for (const type of answer.items || []) types.set(type.code, type); }).catch(() => {}),
  ]);

  function drawAssignment(unit) {
    if (!unit) {
      replace(card, h('p', { class: 'empty', dataset: { noUnit: '' } }, t('mycar_pick_hint')));
      replace(actionsEl);
      delete actionsEl.dataset.drawn;
      return;
    }
    if (!alert) {
      replace(card, h('p', { class: 'empty', dataset: { noAssignment: '' } }, t('mycar_none', { unit: unit.unit_id })));
      replace(actionsEl);
      delete actionsEl.dataset.drawn;
      return;
    }
    const ageS = Math.max(0, (Date.now() - Date.parse(alert.created_at)) / 1000);
    const item = (label, value, key) => [h('dt', {}, label), h('dd', { dataset: { field: key } }, value)];
    replace(card, h('dl', { class: 'facts' },
      item(t('field_type'), typeLabel(types, alert.type), 'type'),
      item(t('field_status'), statusBadge(alert.status), 'status'),
      item(t('field_place'), t('place', { block: alert.block_id || '—', quadrant: alert.quadrant_id || '—' }), 'place'),
      item(t('mycar_since'), h('span', { class: 'elapsed', dataset: { ageS: String(ageS), fetchedAt: String(Date.now()) } }, target ? `${formatElapsed(ageS)} / ${formatElapsed(target)}` : formatElapsed(ageS)), 'elapsed'),
      alert.note ? item(t('field_note'), alert.note, 'note') : null));
    drawActions(NEXT[alert.status] || []);
  }

  function drawActions(list) {
    // the same buttons stay in place across refreshes: focus and a thumb on the way to them are kept
    const key = list.join(',') || '-';
    if (actionsEl.dataset.drawn === key) return;
    actionsEl.dataset.drawn = key;
    if (!list.length) {
      replace(actionsEl, h('p', { class: 'empty', dataset: { noActions: '' } }, t('actions_none')));
      return;
    }
    replace(actionsEl, list.map((action) => h('button', { type: 'button', class: 'action', dataset: { action }, on: { click: () => act(action) } }, t(`action_${action}`))));
  }

  async function act(action) {
    const body = { action };
    if (note.value.trim()) body.note = note.value.trim();
    try {
      const answer = await api.post(`/v1/alerts/${encodeURIComponent(alert.alert_id)}/actions`, body);
      note.value = '';
      showOk(message, t('action_done', { action: t(`action_${action}`), status: t(`status_${answer.status}`) }));
      ctx.announce(message.textContent);
      await ctx.live.refresh();
    } catch (error) {
      if (error.status === 409 && Array.isArray(error.problem.allowed_actions)) {
        message.className = 'message warning';
        message.textContent = t('conflict', { status: t(`status_${error.problem.alert_status || alert.status}`) });
        drawActions(error.problem.allowed_actions.filter((a) => ['en_route', 'on_scene', 'resolve'].includes(a)));
      } else {
        showError(message, error);
      }
    }
  }

  function ring(fresh) {
    playPriority(fresh.priority);
    const audio = document.querySelector('[data-audio]'); // the header's count of tones, as the queue keeps it
    if (audio) audio.dataset.tones = String(tonesPlayed());
    if (typeof navigator.vibrate === 'function') navigator.vibrate([400, 150, 400, 150, 400]);
    card.dataset.rang = String(Number(card.dataset.rang || 0) + 1);
    ctx.announce(t('mycar_new', { type: typeLabel(types, fresh.type), quadrant: fresh.quadrant_id || '—' }));
  }

  const view = {
    async refresh() {
      const mine = ++latest; // an answer overtaken by a later refresh (a step just taken) is stale: dropped
      try {
        const [answer, userId] = await Promise.all([api.get('/v1/units'), myUserId(ctx)]);
        if (mine !== latest) return;
        const units = answer.items || [];
        car.fill(units, userId);
        const unit = units.find((u) => u.unit_id === car.value) || null;
        await ready;
        const fetched = unit && unit.alert_id ? await api.get(`/v1/alerts/${encodeURIComponent(unit.alert_id)}`) : null;
        if (mine !== latest) return;
        alert = fetched;
        const current = alert ? alert.alert_id : null;
        if (unit && lastAlertId !== undefined && current && current !== lastAlertId) ring(alert);
        if (unit) lastAlertId = current;
        drawAssignment(unit);
        if (map) {
          map.setUnits(unit ? [unit] : [], bases);
          map.setAlerts(alert ? [alert] : []);
          if (alert && alert.location && focusedOn !== alert.alert_id) {
            map.focusPoint(alert.location, bases.get(unit.unit_id) || null);
            focusedOn = alert.alert_id;
          }
        }
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
    },
    dispose() {
      stopTicker();
      if (map) map.remove();
    },
  };
  return view;
}
