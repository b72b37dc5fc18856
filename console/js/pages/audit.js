// The audit trail (admins): who read or changed what on an alert, filterable by action.

import { h, replace, table } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { heading, messageArea, refreshFailed } from './common.js';

export async function render(ctx, container) {
  const alertId = ctx.params.get('alert_id') || '';
  const input = h('input', { id: 'audit-alert', name: 'alert_id', value: alertId, required: true, maxlength: '128', pattern: '[A-Za-z0-9_-]+' });
  const filter = h('input', { id: 'audit-filter', name: 'action', type: 'search' });
  const form = h('form', { class: 'inline-form', dataset: { auditForm: '' } },
    h('label', { for: 'audit-alert' }, t('audit_alert')), input,
    h('label', { for: 'audit-filter' }, t('audit_filter_action')), filter,
    h('button', { type: 'submit', class: 'primary' }, t('audit_search')));
  const list = h('div', {});
  const message = messageArea();
  replace(container, h('section', { class: 'panel wide' }, heading('audit_title'), h('p', {}, t('audit_intro')), form, message, list));
  let items = [];

  function draw() {
    const wanted = filter.value.trim().toLowerCase();
    const shown = items.filter((e) => !wanted || String(e.action).toLowerCase().includes(wanted));
    if (!shown.length) {
      replace(list, h('p', { class: 'empty' }, t('audit_empty')));
      return;
    }
    replace(list, table(t('audit_caption', { id: alertId }),
      [t('col_at'), t('col_actor'), t('col_role'), t('col_action'), t('col_target_ref'), t('col_reason')],
      shown.map((e) => h('tr', { dataset: { auditAction: e.action } },
        [formatDateTime(e.at), e.actor_id, e.actor_role, e.action, `${e.target_type || ''} ${e.target_id || ''}`.trim(), e.reason || '—'].map((v) => h('td', {}, v || '—')))),
      { dataset: { audit: '' } }));
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(`audit?alert_id=${encodeURIComponent(input.value.trim())}`);
  });
  filter.addEventListener('input', draw);
  input.focus();
  return {
    async refresh() {
      if (!alertId) return;
      try {
        const answer = await ctx.api.get(`/v1/audit?alert_id=${encodeURIComponent(alertId)}`);
        items = answer.items || [];
        message.textContent = '';
        if (!list.contains(document.activeElement)) draw();
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
    },
  };
}
