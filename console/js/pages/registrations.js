// Registrations: residents by status with their home block on the map; approve or reject the pending ones,
// suspend and reinstate the others. Each decision's reason goes to the resident by SMS.

import { h, replace, table } from '../dom.js';
import { blockFeature } from '../geo.js';
import { formatDateTime, t } from '../i18n.js';
import { createMap } from '../map.js';
import { heading, mapLegend, mapPanel, messageArea, showError, showOk, refreshFailed } from './common.js';

const STATUSES = ['pending', 'approved', 'suspended', 'rejected'];
// status → what may be done, and whether the reason is required (the API's schemas decide; this offers)
const DECISIONS = {
  pending: [['approve', 'registrations', false], ['reject', 'registrations', true]],
  approved: [['suspend', 'residents', true]],
  suspended: [['reinstate', 'residents', false]],
  rejected: [],
};

export async function render(ctx, container) {
  const status = STATUSES.includes(ctx.params.get('status')) ? ctx.params.get('status') : 'pending';
  const select = h('select', { id: 'registration-status', dataset: { statusFilter: '' } },
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, t(`resident_${s}`))));
  select.addEventListener('change', () => ctx.navigate(`registrations?status=${select.value}`));
  const list = h('div', {});
  const message = messageArea();
  const mapEl = mapPanel(t('map_label', { city: ctx.config.city_name }));
  replace(container, h('div', { class: 'layout-split wide-list' },
    h('section', { class: 'panel' }, heading('registrations_title', h('span', { class: 'filter' }, h('label', { for: 'registration-status' }, t('filter_status')), select)), message, list),
    h('section', { class: 'panel map-panel' }, mapEl, mapLegend())));
  let map = null;
  const mapReady = createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('map_label', { city: ctx.config.city_name }) }).then((m) => (map = m)).catch(() => {});

  async function showBlock(blockId) {
    const layers = await ctx.layers;
    await mapReady;
    if (map) map.focusFeature(blockFeature(layers, blockId));
  }

  let decided = false;
  async function decide(resident, action, area, reasonInput) {
    const reason = reasonInput ? reasonInput.value.trim() : '';
    const body = reason ? (action === 'approve' ? { note: reason } : { reason }) : {};
    try {
      const answer = await ctx.api.post(`/v1/${area}/${encodeURIComponent(resident.user_id)}/${action}`, body);
      showOk(message, t('review_done', { name: resident.full_name, status: t(`resident_${answer.status}`) }));
      ctx.announce(message.textContent);
      decided = true; // the list redraws now, though the focus is still on the button just pressed
      await ctx.live.refresh();
    } catch (error) {
      showError(message, error);
      if (reasonInput && error.status === 400) reasonInput.focus();
    }
  }

  function decisionCell(resident, index) {
    const decisions = DECISIONS[resident.status] || [];
    if (!decisions.length) return '—';
    const id = `reason-${index}`;
    const reason = h('input', { id, type: 'text', maxlength: '300', dataset: { reason: '' } });
    return h('div', { class: 'decision' },
      h('label', { for: id, class: 'visually-hidden' }, t('reason_for', { name: resident.full_name })),
      h('span', { 'aria-hidden': 'true', class: 'small' }, t('reason')), reason,
      decisions.map(([action, area, needsReason]) => h('button', {
        type: 'button', class: action === 'approve' || action === 'reinstate' ? 'action' : 'danger', dataset: { decision: action },
        'aria-describedby': needsReason ? id : null,
        on: { click: () => decide(resident, action, area, reason) },
      }, t(action), h('span', { class: 'visually-hidden' }, ` — ${resident.full_name}`))));
  }

  return {
    async refresh() {
      let answer;
      try {
        answer = await ctx.api.get(`/v1/registrations?status=${status}&limit=100`);
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
      const items = answer.items || [];
      if (!items.length) {
        replace(list, h('p', { class: 'empty' }, t('registrations_empty')));
        return;
      }
      // keep what the operator is typing when the list refreshes under them, unless they just decided
      const typing = document.activeElement && list.contains(document.activeElement);
      if (typing && !decided) return;
      decided = false;
      replace(list, table(t('registrations_caption', { status: t(`resident_${status}`) }),
        [t('col_resident'), t('col_contact'), t('col_address'), t('col_home_block'), t('col_registered'), t('col_decision')],
        items.map((r, i) => h('tr', { dataset: { userId: r.user_id, status: r.status } },
          h('th', { scope: 'row' }, r.full_name || '—', h('br'), h('span', { class: 'small' }, r.national_id || '')),
          h('td', {}, r.email || '—', h('br'), h('span', { class: 'small' }, r.phone || '')),
          h('td', {}, r.address || '—'),
          h('td', {}, r.home_block_id ? h('button', { type: 'button', class: 'link', dataset: { showBlock: r.home_block_id }, title: t('show_on_map', { block: r.home_block_id }), on: { click: () => showBlock(r.home_block_id) } }, r.home_block_id, h('span', { class: 'visually-hidden' }, ` ${t('show_on_map_hint')}`)) : '—'),
          h('td', {}, formatDateTime(r.created_at)),
          h('td', {}, decisionCell(r, i)))),
        { dataset: { registrations: '' } }));
      if (items[0].home_block_id) showBlock(items[0].home_block_id);
    },
    dispose() {
      if (map) map.remove();
    },
  };
}
