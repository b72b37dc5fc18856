// Dead letters: each DLQ's depth and first messages (recipients masked by the API), and redrive.

import { h, replace, table } from '../dom.js';
import { t } from '../i18n.js';
import { heading, messageArea, showError, showOk, refreshFailed } from './common.js';

export async function render(ctx, container) {
  const list = h('div', {});
  const message = messageArea();
  replace(container, h('section', { class: 'panel wide' }, heading('dlq_title'), message, list));

  async function redrive(queue) {
    try {
      const answer = await ctx.api.post(`/v1/admin/dlq/${encodeURIComponent(queue)}/redrive`, {});
      showOk(message, t('redrive_done', { moved: answer.moved, queue }));
      ctx.announce(message.textContent);
      await ctx.live.refresh();
    } catch (error) {
      showError(message, error);
    }
  }

  const describeMessage = (m) => [m.alert_id, m.channel, m.recipient, m.reason ? `— ${m.reason}` : null].filter(Boolean).join(' · ');

  return {
    async refresh() {
      let answer;
      try {
        answer = await ctx.api.get('/v1/admin/dlq?peek=5');
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
      replace(list, table(t('dlq_caption'), [t('col_queue'), t('col_depth'), t('col_messages'), ''],
        (answer.items || []).map((q) => h('tr', { dataset: { dlq: q.queue, depth: String(q.depth) } },
          h('th', { scope: 'row' }, q.queue),
          h('td', { class: q.depth ? 'attention' : null }, String(q.depth)),
          h('td', {}, (q.messages || []).length ? h('ul', { class: 'plain' }, q.messages.map((m) => h('li', {}, describeMessage(m)))) : t('dlq_empty')),
          h('td', {}, h('button', { type: 'button', class: 'action', disabled: !q.depth, dataset: { redrive: q.queue }, on: { click: () => redrive(q.queue) } }, t('redrive', { queue: q.queue })))))));
    },
  };
}
