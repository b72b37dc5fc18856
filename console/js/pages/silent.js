// The response team's silent alerts: the open ones, sealed, oldest first, against the team's acknowledge target;
// one opened with a reason (X-Reason, audited) shows her details until it is closed or the screen sits idle.
// Her details live only in this module's memory and the DOM while open: never storage, never the console log.

import { h, clear, replace, table } from '../dom.js';
import { formatDateTime, formatElapsed, t } from '../i18n.js';
import { createMap } from '../map.js';
import { describe, heading, messageArea, priorityBadge, refreshFailed, showError, showOk } from './common.js';

export const IDLE_MS = 3 * 60 * 1000; // her details leave the screen after 3 minutes without a key or a click
const DEFAULT_ACK_TARGET_S = 120; // the pack's default silent_ack_target_s, when config.json does not say
const OUTCOMES = ['safe', 'referred', 'unreachable', 'no_action_needed'];
const OPEN_STEPS = ['received', 'dispatched']; // not yet acknowledged: the target still runs
// fetch sends header values as bytes: anything beyond Latin-1 would fail before leaving the browser
const LATIN1 = /^[\u0020-\u007e\u00a0-\u00ff]*$/;

function field(id, labelKey, input) {
  return h('span', { class: 'field' }, h('label', { for: id }, t(labelKey)), input);
}

export async function render(ctx, container) {
  const { api, config } = ctx;
  const targetS = Number(config.silent_ack_target_s) || DEFAULT_ACK_TARGET_S;
  const message = messageArea();
  const list = h('div', { dataset: { silentList: '' } });
  const opener = h('div', { dataset: { silentOpener: '' } });
  const detail = h('div', { dataset: { silentDetail: '' } });
  replace(container, h('div', { class: 'layout-split' },
    h('section', { class: 'panel', 'aria-labelledby': 'silent-title' },
      h('div', { class: 'page-head' }, h('h1', { id: 'silent-title' }, t('silent_title'))),
      h('p', {}, t('silent_intro', { target: formatElapsed(targetS), minutes: IDLE_MS / 60000 })),
      message, list, opener),
    h('section', { class: 'panel', 'aria-label': t('silent_detail_label') }, detail)));

  let items = [];
  let fetchedAt = Date.now();
  let openId = null; // the alert whose details are on screen
  let map = null;
  let idleTimer = null;

  // ------------------------------------------------------------ the sealed list
  function elapsedCell(item) {
    const age = Math.max(0, (fetchedAt - Date.parse(item.created_at)) / 1000);
    return h('span', { class: 'elapsed', dataset: { ageS: String(age), fetchedAt: String(fetchedAt), ackPending: OPEN_STEPS.includes(item.status) ? '1' : '' } });
  }

  function tick() {
    for (const el of list.querySelectorAll('[data-age-s]')) {
      const age = Number(el.dataset.ageS) + (Date.now() - Number(el.dataset.fetchedAt)) / 1000;
      const pending = Boolean(el.dataset.ackPending);
      const over = pending && age > targetS;
      el.textContent = pending ? `${formatElapsed(age)} / ${formatElapsed(targetS)}` : formatElapsed(age);
      el.classList.toggle('over-target', over);
      el.title = over ? t('silent_over_target') : '';
    }
  }
  const ticker = setInterval(tick, 1000);

  function drawList() {
    if (!items.length) {
      replace(list, h('p', { class: 'empty', dataset: { silentEmpty: '' } }, t('silent_empty')));
      return;
    }
    replace(list, table(t('silent_caption', { n: items.length }),
      [t('silent_col_received'), t('silent_col_elapsed'), t('col_status'), t('silent_col_zone'), t('col_priority'), t('silent_col_open')],
      items.map((item) => h('tr', { dataset: { silentId: item.alert_id, status: item.status } },
        h('td', {}, formatDateTime(item.created_at)),
        h('td', {}, elapsedCell(item)),
        h('td', {}, t(`silent_status_${item.status}`)),
        h('td', {}, (item.zone && item.zone.name) || '—'),
        h('td', {}, priorityBadge(item.priority)),
        h('td', {}, h('button', { type: 'button', class: 'action', dataset: { silentOpen: item.alert_id }, 'aria-label': t('silent_open_label', { time: formatDateTime(item.created_at), zone: (item.zone && item.zone.name) || '—' }), on: { click: () => askReason(item) } }, t('silent_open'))))),
      { dataset: { silentTable: '' } }));
    tick();
  }

  // ------------------------------------------------------------ opening: the reason first
  function askReason(item) {
    const reason = h('input', { id: 'silent-reason', name: 'reason', required: true, maxlength: '300', autocomplete: 'off' });
    const error = h('p', { class: 'error', role: 'alert', dataset: { silentReasonError: '' } });
    const form = h('form', { class: 'subpanel', dataset: { silentReason: item.alert_id }, 'aria-labelledby': 'silent-reason-title' },
      h('h2', { id: 'silent-reason-title' }, t('silent_reason_title', { time: formatDateTime(item.created_at) })),
      h('p', {}, t('silent_reason_intro')),
      h('label', { for: 'silent-reason' }, t('silent_reason')), reason,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, t('silent_reason_submit')),
        h('button', { type: 'button', class: 'link', on: { click: () => clear(opener) } }, t('silent_cancel'))),
      error);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text || !LATIN1.test(text)) {
        error.textContent = t(text ? 'silent_reason_chars' : 'silent_reason_needed');
        reason.focus();
        return;
      }
      try {
        const found = await api.get(`/v1/silent-alerts/${encodeURIComponent(item.alert_id)}`, { 'X-Reason': text });
        clear(opener);
        showDetails(found);
      } catch (failure) {
        error.textContent = describe(failure);
      }
    });
    replace(opener, form);
    reason.focus();
  }

  // ------------------------------------------------------------ her details, while open
  function showDetails(alert) {
    hideDetails();
    openId = alert.alert_id;
    const sender = alert.sender || {};
    const place = alert.location || null;
    const item = (label, value, key) => [h('dt', {}, label), h('dd', { dataset: { field: key } }, value || '—')];
    const lifecycleMessage = messageArea();
    const timeline = h('ol', { class: 'timeline', dataset: { silentTimeline: '' } });
    const actions = h('div', { dataset: { silentActions: '' } });
    const mapEl = h('div', { class: 'map', dataset: { mapPanel: '' }, 'aria-label': t('silent_map_label') });
    const referrals = (alert.referral_directory || []);
    replace(detail,
      h('div', { class: 'page-head' },
        h('h2', { id: 'silent-detail-title' }, t('silent_detail_title', { type: alert.type_label || alert.type || '' })),
        h('button', { type: 'button', class: 'action', dataset: { silentHide: '' }, on: { click: () => { hideDetails(); showOk(message, t('silent_hidden')); } } }, t('silent_hide'))),
      h('p', { class: 'message warning' }, t('silent_idle_note', { minutes: IDLE_MS / 60000 })),
      alert.sender_suspended ? h('p', { class: 'message warning', dataset: { senderSuspended: '' } }, t('silent_sender_suspended')) : null,
      h('dl', { class: 'facts', dataset: { silentFacts: '' } },
        item(t('silent_name'), sender.full_name, 'name'),
        item(t('silent_phone'), sender.phone, 'phone'),
        item(t('silent_national_id'), sender.national_id, 'national_id'),
        item(t('email'), sender.email, 'email'),
        item(t('silent_address'), sender.address, 'address'),
        item(t('silent_place'), [alert.block && alert.block.name, place ? t('silent_point', { lat: place.lat.toFixed(5), lon: place.lon.toFixed(5) }) : null,
          place && place.accuracy_m != null ? t('silent_accuracy', { m: place.accuracy_m }) : null].filter(Boolean).join(' · '), 'place'),
        item(t('silent_col_zone'), alert.zone && alert.zone.name, 'zone'),
        item(t('silent_col_received'), formatDateTime(alert.created_at), 'received'),
        item(t('silent_note'), alert.note, 'note')),
      mapEl,
      h('section', { class: 'subpanel', 'aria-labelledby': 'silent-referrals-title' },
        h('h2', { id: 'silent-referrals-title' }, t('silent_referrals')),
        referrals.length
          ? table(t('silent_referrals'), [t('silent_ref_name'), t('silent_ref_kind'), t('silent_phone'), t('silent_ref_hours'), t('silent_address')],
            referrals.map((r) => [r.name || '—', r.kind || '—', r.phone || '—', r.hours || '—', r.address || '—']), { dataset: { silentReferrals: '' } })
          : h('p', { class: 'empty' }, t('silent_no_referrals'))),
      h('section', { class: 'subpanel', 'aria-labelledby': 'silent-actions-title' },
        h('h2', { id: 'silent-actions-title' }, t('actions')), lifecycleMessage, actions),
      h('section', { class: 'subpanel', 'aria-labelledby': 'silent-timeline-title' },
        h('h2', { id: 'silent-timeline-title' }, t('timeline')), timeline));

    function drawLifecycle(state) {
      replace(timeline, (state.timeline || []).map((step) => h('li', {}, `${formatDateTime(step.at)} · ${t(`silent_action_${step.action}`)}${step.outcome ? ` (${t(`silent_outcome_${step.outcome}`)})` : ''}`)));
      drawActions(state.allowed_actions || []);
    }

    async function act(action, body, headers) {
      try {
        const answer = await api.post(`/v1/alerts/${encodeURIComponent(alert.alert_id)}/actions`, { action, ...body }, headers);
        if (action === 'close') {
          hideDetails();
          showOk(message, t('silent_closed', { outcome: t(`silent_outcome_${body.outcome}`) }));
          await refresh().catch(() => {});
          return;
        }
        drawLifecycle(answer);
        showOk(lifecycleMessage, answer.notify_error ? t('silent_notify_error') : t('silent_done', { action: t(`silent_action_${action}`) }));
        await refresh().catch(() => {});
      } catch (failure) {
        if (failure.status === 409 && failure.problem.allowed_actions) drawActions(failure.problem.allowed_actions);
        showError(lifecycleMessage, failure);
      }
    }

    function drawActions(allowed) {
      const parts = [];
      const simple = allowed.filter((a) => a === 'acknowledge' || a === 'contact');
      if (simple.length) parts.push(h('div', { class: 'actions' }, simple.map((a) => h('button', { type: 'button', class: 'action', dataset: { silentAction: a }, on: { click: () => act(a, {}) } }, t(`silent_action_${a}`)))));
      if (allowed.includes('request_police')) {
        const why = h('input', { id: 'police-reason', name: 'police_reason', required: true, maxlength: '300', autocomplete: 'off' });
        const unit = h('input', { id: 'police-unit', name: 'unit_id', maxlength: '64', pattern: '[A-Za-z0-9_-]+', autocomplete: 'off' });
        const share = h('input', { id: 'police-share', name: 'share_contact', type: 'checkbox' });
        const form = h('form', { class: 'inline-form', dataset: { silentPolice: '' }, 'aria-label': t('silent_action_request_police') },
          field('police-reason', 'silent_police_reason', why), field('police-unit', 'silent_police_unit', unit),
          h('span', { class: 'field' }, share, h('label', { for: 'police-share' }, t('silent_police_share'))),
          h('button', { type: 'submit', class: 'action' }, t('silent_action_request_police')));
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          const text = why.value.trim();
          if (!text || !LATIN1.test(text)) {
            showError(lifecycleMessage, new Error(t(text ? 'silent_reason_chars' : 'silent_reason_needed')));
            why.focus();
            return;
          }
          const body = { share_contact: share.checked };
          if (unit.value.trim()) body.unit_id = unit.value.trim();
          act('request_police', body, { 'X-Reason': text });
        });
        parts.push(form);
      }
      if (allowed.includes('close')) {
        const outcome = h('select', { id: 'close-outcome', name: 'outcome', required: true },
          h('option', { value: '' }, t('silent_outcome_choose')),
          OUTCOMES.map((o) => h('option', { value: o }, t(`silent_outcome_${o}`))));
        const form = h('form', { class: 'inline-form', dataset: { silentClose: '' }, 'aria-label': t('silent_action_close') },
          field('close-outcome', 'silent_outcome', outcome),
          h('button', { type: 'submit', class: 'action' }, t('silent_action_close')));
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          if (!outcome.value) {
            showError(lifecycleMessage, new Error(t('silent_outcome_needed')));
            outcome.focus();
            return;
          }
          act('close', { outcome: outcome.value });
        });
        parts.push(form);
      }
      replace(actions, parts.length ? parts : h('p', { class: 'empty' }, t('silent_no_actions')));
    }

    drawLifecycle(alert.lifecycle || {});
    if (place) {
      createMap(mapEl, { layersUrl: config.map_layers, label: t('silent_map_label') })
        .then((m) => {
          if (openId !== alert.alert_id || !mapEl.isConnected) {
            m.remove();
            return;
          }
          map = m;
          m.focusPoint(place);
        })
        .catch(() => {});
    }
    armIdle();
    detail.querySelector('h2').setAttribute('tabindex', '-1');
    detail.querySelector('h2').focus();
  }

  /** Her details leave the DOM (and this module's memory: nothing else holds them). */
  function hideDetails() {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (map) map.remove();
    map = null;
    openId = null;
    replace(detail, h('p', { class: 'empty', dataset: { silentNothingOpen: '' } }, t('silent_nothing_open')));
  }

  function armIdle() {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = openId ? setTimeout(() => {
      hideDetails();
      showOk(message, t('silent_idle_hidden', { minutes: IDLE_MS / 60000 }));
    }, IDLE_MS) : null;
  }
  const activity = () => { if (openId) armIdle(); };
  for (const kind of ['keydown', 'pointerdown']) document.addEventListener(kind, activity, true);
  hideDetails();

  async function refresh() {
    try {
      const answer = await api.get('/v1/silent-alerts?limit=200');
      fetchedAt = Date.now();
      // oldest first: the one waiting longest is the first to answer
      items = (answer.items || []).slice().sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
      drawList();
    } catch (failure) {
      refreshFailed(message, failure);
      throw failure;
    }
  }

  return {
    refresh,
    dispose() {
      clearInterval(ticker);
      for (const kind of ['keydown', 'pointerdown']) document.removeEventListener(kind, activity, true);
      hideDetails();
    },
  };
}
