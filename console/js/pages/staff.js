// Staff accounts (admins): create an account in its groups (its temporary password shown once), change an
// account's groups, disable and enable it. The API audits every change and refuses what an admin may not do.

import { h, replace, table } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { heading, messageArea, showError, showOk } from './common.js';

export const GROUPS = ['operator', 'police', 'response_team', 'analyst', 'admin', 'sat_team', 'sat_coordinator'];

function groupBoxes(idPrefix, checked, describedFor) {
  return GROUPS.map((group) => {
    const id = `${idPrefix}-${group}`;
    return h('span', { class: 'check' },
      h('input', { id, type: 'checkbox', name: 'groups', value: group, checked: checked.includes(group), dataset: { group } }),
      h('label', { for: id }, t(`group_${group}`), describedFor ? h('span', { class: 'visually-hidden' }, ` — ${describedFor}`) : null));
  });
}

function chosen(root) {
  return Array.from(root.querySelectorAll('input[name=groups]:checked'), (box) => box.value);
}

export async function render(ctx, container) {
  const me = ctx.session.claims.sub;
  const message = messageArea();
  const created = h('div', { dataset: { created: '' } });
  const list = h('div', {});

  const email = h('input', { id: 'staff-email', name: 'email', type: 'email', autocomplete: 'off', required: true, maxlength: '254' });
  const name = h('input', { id: 'staff-name', name: 'full_name', type: 'text', autocomplete: 'off', maxlength: '120' });
  const groups = h('fieldset', { class: 'groups', dataset: { newGroups: '' } }, h('legend', {}, t('staff_groups')), groupBoxes('new-group', []));
  const submit = h('button', { type: 'submit', class: 'primary' }, t('staff_create'));
  const form = h('form', { class: 'staff-form', dataset: { staffCreate: '' }, 'aria-labelledby': 'staff-create-title' },
    h('h2', { id: 'staff-create-title' }, t('staff_create_title')),
    h('div', { class: 'fields' },
      h('span', {}, h('label', { for: 'staff-email' }, t('email')), email),
      h('span', {}, h('label', { for: 'staff-name' }, t('staff_full_name')), name)),
    groups, submit);

  replace(container, h('section', { class: 'panel wide' }, heading('staff_title'), h('p', {}, t('staff_intro')), form, created, message, list));

  function showCreated(account) {
    // shown once: nothing keeps it, and the next creation or "done" removes it from the page
    const done = h('button', { type: 'button', class: 'action', on: { click: () => { replace(created); email.focus(); } } }, t('staff_password_done'));
    replace(created, h('div', { class: 'card created', role: 'status', 'aria-labelledby': 'created-title' },
      h('h2', { id: 'created-title' }, t('staff_created', { email: account.email })),
      h('p', {}, t('staff_password_once')),
      h('p', {}, h('span', {}, `${t('staff_temporary_password')}: `), h('code', { class: 'secret', dataset: { temporaryPassword: '' } }, account.temporary_password)),
      done));
    done.focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const wanted = chosen(groups);
    if (!wanted.length) {
      message.className = 'message error';
      message.textContent = t('staff_groups_needed');
      groups.querySelector('input').focus();
      return;
    }
    submit.disabled = true;
    const body = { email: email.value.trim(), groups: wanted };
    if (name.value.trim()) body.full_name = name.value.trim();
    try {
      const account = await ctx.api.post('/v1/admin/staff', body);
      form.reset();
      message.className = 'message';
      message.textContent = '';
      showCreated(account);
      await load();
    } catch (error) {
      showError(message, error);
      email.focus();
    } finally {
      submit.disabled = false;
    }
  });

  async function change(account, what, request) {
    try {
      const answer = await request();
      showOk(message, t(what, { email: answer.email, groups: answer.groups.map((g) => t(`group_${g}`)).join(', ') }));
      ctx.announce(message.textContent);
      await load(account.user_id);
    } catch (error) {
      showError(message, error);
    }
  }

  function row(account, index) {
    const self = account.user_id === me;
    const who = account.full_name ? `${account.full_name} (${account.email})` : account.email;
    const boxes = h('div', { class: 'groups-row', role: 'group', 'aria-label': t('staff_groups_of', { who }) }, groupBoxes(`group-${index}`, account.groups, who));
    const save = h('button', { type: 'button', class: 'action', dataset: { saveGroups: '' },
      on: { click: () => change(account, 'staff_groups_saved', () => ctx.api.put(`/v1/admin/staff/${encodeURIComponent(account.user_id)}/groups`, { groups: chosen(boxes) })) } },
    t('staff_save_groups'), h('span', { class: 'visually-hidden' }, ` — ${who}`));
    const toggle = self ? h('span', { class: 'small' }, t('staff_you')) : h('button', {
      type: 'button', class: account.enabled ? 'danger' : 'action', dataset: { staffToggle: account.enabled ? 'disable' : 'enable' },
      on: { click: () => change(account, account.enabled ? 'staff_disabled' : 'staff_enabled', () => ctx.api.post(`/v1/admin/staff/${encodeURIComponent(account.user_id)}/${account.enabled ? 'disable' : 'enable'}`)) },
    }, t(account.enabled ? 'staff_disable' : 'staff_enable'), h('span', { class: 'visually-hidden' }, ` — ${who}`));
    return h('tr', { dataset: { userId: account.user_id, email: account.email, enabled: String(account.enabled) } },
      h('th', { scope: 'row' }, account.full_name || account.email, account.full_name ? [h('br'), h('span', { class: 'small' }, account.email)] : null),
      h('td', {}, boxes),
      h('td', {}, h('span', { dataset: { accountState: account.enabled ? 'enabled' : 'disabled' } }, t(account.enabled ? 'staff_state_enabled' : 'staff_state_disabled')),
        h('br'), h('span', { class: 'small' }, t(account.status === 'FORCE_CHANGE_PASSWORD' ? 'staff_status_new' : 'staff_status_active'))),
      h('td', {}, formatDateTime(account.created_at)),
      h('td', { class: 'decision' }, save, toggle));
  }

  // Loads overlap (the first one, a creation's, a change's): only the latest asked draws, so a slow earlier
  // answer never puts back a list without the account just created or drops an edit under way.
  let asked = 0;
  async function load(focusUserId) {
    const mine = ++asked;
    let answer;
    try {
      answer = await ctx.api.get('/v1/admin/staff');
    } catch (error) {
      if (mine === asked) showError(message, error);
      return;
    }
    if (mine !== asked) return;
    const items = answer.items || [];
    replace(list, items.length
      ? table(t('staff_caption', { n: items.length }), [t('col_staff'), t('col_groups'), t('col_account'), t('col_created'), t('col_decision')],
        items.map(row), { dataset: { staff: '' } })
      : h('p', { class: 'empty' }, t('staff_empty')));
    if (focusUserId) {
      const again = list.querySelector(`tr[data-user-id="${CSS.escape(focusUserId)}"] [data-save-groups]`);
      if (again) again.focus();
    }
  }

  await load();
  // the form is usable before the list arrives: focus goes to it only if the admin has not moved on
  if (!container.contains(document.activeElement) || document.activeElement === container) email.focus();
  // No refresh on every live change: the list is Cognito's (rate-limited reads) and changes only by admins.
  return {};
}
