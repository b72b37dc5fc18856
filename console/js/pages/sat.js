// The SAT team's pages (docs/prevention.md "SAT"): a professional's caseload, a case's timeline (home visits,
// contacts, support given, status with outcome), the week's new warnings, the coordinator's overview.
// A case is a minor's: it lives only in this module's memory and the DOM while the page is open, never in
// storage, the address bar's query or the console log; every read is audited by the API.

import { h, replace, table } from '../dom.js';
import { formatDateTime, locale, t } from '../i18n.js';
import { messageArea, refreshFailed, showError, showOk } from './common.js';

// the case lifecycle (functions/vigia/sat/cases.py); the API refuses what does not follow (409), this offers
export const STATUSES = ['open', 'in_follow_up', 're_engaged', 'transferred', 'closed'];
const NEXT = {
  open: ['in_follow_up', 'transferred', 'closed'],
  in_follow_up: ['re_engaged', 'transferred', 'closed'],
  re_engaged: [],
  transferred: [],
  closed: [],
};
const ENDS = ['re_engaged', 'transferred', 'closed']; // these end the case: an outcome is asked for them
const ongoing = (c) => !ENDS.includes(c.status);
const EVENTS = ['home_visit', 'contact', 'support', 'note'];

const studentOf = (c) => c.student || '—';
const professionalOf = (c) => c.assigned_to || null;

/** A label from the pack's words: {code, labels: {es-CL: …}} or {code, label} or a bare code. */
export function categoryLabel(category) {
  if (!category) return '—';
  if (typeof category === 'string') return category;
  const labels = category.labels || {};
  return labels[locale()] || labels[locale().split('-')[0]] || category.label || Object.values(labels)[0] || category.code;
}

function statusBadge(status) {
  return h('span', { class: `status sat-status-${status}`, dataset: { satStatus: status } }, t(`sat_status_${status}`));
}

/** The rule that opened the case, with its evidence, in words: "attendance 62% over 4 weeks". */
function reasons(c) {
  const e = c.evidence || {};
  const words = [t(`sat_rule_${c.rule}`, {
    rate: e.attendance_rate == null ? '—' : Math.round(e.attendance_rate * 100),
    weeks: e.weeks,
    days: e.absent_days,
  })];
  if (e.violent_quadrant) words.push(t('sat_violent_quadrant'));
  return words.join(' · ');
}

function caseLink(c) {
  return h('a', { href: `#/sat/cases/${encodeURIComponent(c.case_id)}`, dataset: { satCaseLink: c.case_id }, 'aria-label': t('sat_open_case', { student: studentOf(c) }) }, studentOf(c));
}

function caseRow(c, extra = []) {
  return h('tr', { dataset: { satCase: c.case_id, status: c.status } },
    h('td', {}, caseLink(c)),
    h('td', {}, c.school || '—'),
    h('td', {}, c.course || '—'),
    h('td', {}, c.quadrant || '—'),
    h('td', {}, reasons(c)),
    h('td', {}, formatDateTime(c.opened_at)),
    h('td', {}, statusBadge(c.status)),
    ...extra);
}

const COLUMNS = () => [t('sat_col_student'), t('sat_col_school'), t('sat_col_course'), t('sat_col_quadrant'), t('sat_col_reason'), t('sat_col_opened'), t('col_status')];

/** A refusal the person can read: the SAT pages are the SAT roles' only (the API answers 403 to others). */
function refusal(area, failure) {
  if (failure && failure.status === 403) {
    area.className = 'message error';
    area.dataset.satRefused = '';
    area.textContent = t('sat_refused');
  } else if (failure && failure.status === 404 && String(failure.problem.type || '').endsWith('/sat-not-enabled')) {
    // a city whose pack has no `sat` section: not an error of the person's
    area.className = 'message warning';
    area.dataset.satNotEnabled = '';
    area.textContent = t('sat_not_enabled');
  } else showError(area, failure);
}

/** A list that could not be read: refused (403, or a city without the SAT), else the refresh failed; thrown
 * on, so the caller's "read again" knows. */
function listFailed(area, failure) {
  if (failure.status === 403 || failure.status === 404) refusal(area, failure);
  else refreshFailed(area, failure);
  throw failure;
}

/** "Read again": the lists are read when the page opens and when asked (every read is audited). */
function reloadButton(read) {
  return h('button', { type: 'button', class: 'action', dataset: { satReload: '' }, on: { click: () => read().catch(() => {}) } }, t('sat_reload'));
}

// ------------------------------------------------------------------ the professional's caseload
export const caseload = {
  async render(ctx, container) {
    const message = messageArea();
    const list = h('div', { dataset: { satCaseload: '' } });
    replace(container, h('section', { class: 'panel wide', 'aria-labelledby': 'sat-caseload-title' },
      h('div', { class: 'page-head' }, h('h1', { id: 'sat-caseload-title' }, t('sat_caseload_title')), reloadButton(() => refresh())),
      h('p', {}, t('sat_caseload_intro')), message, list));

    async function refresh() {
      try {
        const answer = await ctx.api.get('/v1/sat/cases');
        const items = (answer.cases || []).filter(ongoing);
        replace(list, items.length
          ? table(t('sat_caseload_caption', { n: items.length }), COLUMNS(), items.map((c) => caseRow(c)), { dataset: { satCases: '' } })
          : h('p', { class: 'empty', dataset: { satEmpty: '' } }, t('sat_caseload_empty')));
      } catch (failure) {
        listFailed(message, failure);
      }
    }
    // read once on opening and on request, not on every live notice: each read of the SAT is audited
    await refresh().catch(() => {});
    return {};
  },
};

// ------------------------------------------------------------------ the coordinator's overview
export const overview = {
  async render(ctx, container) {
    const message = messageArea();
    const list = h('div', { dataset: { satOverview: '' } });
    const filter = h('select', { id: 'sat-status-filter', dataset: { satStatusFilter: '' } },
      h('option', { value: '' }, t('sat_status_all')), STATUSES.map((s) => h('option', { value: s }, t(`sat_status_${s}`))));
    replace(container, h('section', { class: 'panel wide', 'aria-labelledby': 'sat-overview-title' },
      h('div', { class: 'page-head' }, h('h1', { id: 'sat-overview-title' }, t('sat_overview_title')), reloadButton(() => refresh()),
        h('span', { class: 'filter' }, h('label', { for: 'sat-status-filter' }, t('filter_status')), filter)),
      h('p', {}, t('sat_overview_intro')), message, list));
    let items = [];
    let typing = false; // a redraw never takes the field someone is typing in

    async function assign(c, input) {
      const professional = input.value.trim();
      if (!professional) {
        showError(message, new Error(t('sat_assign_needed')));
        input.focus();
        return;
      }
      try {
        await ctx.api.post(`/v1/sat/cases/${encodeURIComponent(c.case_id)}/assign`, { assignee: professional });
        showOk(message, t('sat_assigned', { student: studentOf(c), professional }));
        ctx.announce(message.textContent);
        typing = false;
        await refresh();
      } catch (failure) {
        refusal(message, failure);
        input.focus();
      }
    }

    function assignCell(c, index) {
      if (!ongoing(c)) return h('td', {}, professionalOf(c) || '—');
      const id = `sat-assign-${index}`;
      const input = h('input', { id, type: 'text', maxlength: '128', autocomplete: 'off', value: professionalOf(c) || '', dataset: { satAssignInput: c.case_id },
        on: { focus: () => (typing = true), blur: () => (typing = false) } });
      const form = h('form', { class: 'inline-form', dataset: { satAssign: c.case_id } },
        h('label', { for: id, class: 'visually-hidden' }, t('sat_assign_label', { student: studentOf(c) })), input,
        h('button', { type: 'submit', class: 'action' }, t('sat_assign')));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        assign(c, input);
      });
      return h('td', {}, form);
    }

    function draw() {
      const shown = filter.value ? items.filter((c) => c.status === filter.value) : items;
      const counts = STATUSES.map((s) => `${t(`sat_status_${s}`)}: ${items.filter((c) => c.status === s).length}`).join(' · ');
      replace(list, h('p', { dataset: { satCounts: '' } }, counts),
        shown.length
          ? table(t('sat_overview_caption', { n: shown.length }), [...COLUMNS(), t('sat_col_professional')], shown.map((c, i) => caseRow(c, [assignCell(c, i)])), { dataset: { satCases: '' } })
          : h('p', { class: 'empty', dataset: { satEmpty: '' } }, t('sat_overview_empty')));
    }
    filter.addEventListener('change', draw);

    async function refresh() {
      try {
        const answer = await ctx.api.get('/v1/sat/cases');
        items = answer.cases || [];
        if (!typing) draw();
      } catch (failure) {
        listFailed(message, failure);
      }
    }
    // read once on opening and on request, not on every live notice: each read of the SAT is audited
    await refresh().catch(() => {});
    return {};
  },
};

// ------------------------------------------------------------------ the week's new warnings
export const warnings = {
  async render(ctx, container) {
    // no week asked: the API answers the latest week with attendance, and says which
    const asked = ctx.params.get('week');
    let week = /^\d{4}-W\d{2}$/.test(asked || '') ? asked : null;
    const message = messageArea();
    const list = h('div', { dataset: { satWarnings: '' } });
    const input = h('input', { id: 'sat-week', name: 'week', value: week || '', pattern: '\\d{4}-W\\d{2}', maxlength: '8', autocomplete: 'off', 'aria-describedby': 'sat-week-hint' });
    const form = h('form', { class: 'inline-form', dataset: { satWeek: '' } },
      h('label', { for: 'sat-week' }, t('sat_week')), input, h('span', { id: 'sat-week-hint', class: 'hint' }, t('sat_week_hint')),
      h('button', { type: 'submit', class: 'action' }, t('sat_week_show')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!/^\d{4}-W\d{2}$/.test(input.value.trim())) {
        showError(message, new Error(t('sat_week_invalid')));
        input.focus();
        return;
      }
      ctx.navigate(`sat-warnings?week=${input.value.trim()}`);
    });
    const title = h('h1', { id: 'sat-warnings-title' }, t('sat_warnings_title', { week: week || '…' }));
    replace(container, h('section', { class: 'panel wide', 'aria-labelledby': 'sat-warnings-title' },
      h('div', { class: 'page-head' }, title, reloadButton(() => refresh())),
      h('p', {}, t('sat_warnings_intro')), form, message, list));

    async function refresh() {
      try {
        const answer = await ctx.api.get(week ? `/v1/sat/warnings?week=${encodeURIComponent(week)}` : '/v1/sat/warnings');
        const items = answer.warnings || [];
        if (!week && answer.week) {
          week = answer.week;
          title.textContent = t('sat_warnings_title', { week });
          if (document.activeElement !== input) input.value = week;
        }
        if (!answer.week) {
          replace(list, h('p', { class: 'empty', dataset: { satEmpty: '' } }, t('sat_warnings_no_attendance')));
          return;
        }
        replace(list, items.length
          ? table(t('sat_warnings_caption', { n: items.length, week }), COLUMNS(), items.map((c) => caseRow(c)), { dataset: { satCases: '' } })
          : h('p', { class: 'empty', dataset: { satEmpty: '' } }, t('sat_warnings_empty', { week })));
      } catch (failure) {
        listFailed(message, failure);
      }
    }
    // read once on opening and on request, not on every live notice: each read of the SAT is audited
    await refresh().catch(() => {});
    return {};
  },
};

// ------------------------------------------------------------------ one case: its timeline and what is done
export const detail = {
  async render(ctx, container, caseId) {
    const message = messageArea();
    const body = h('div', { dataset: { satCaseDetail: caseId } });
    const back = ctx.session.groups.includes('sat_team') ? 'sat' : 'sat-overview';
    replace(container, h('section', { class: 'panel wide', 'aria-labelledby': 'sat-case-title' },
      h('div', { class: 'page-head' }, h('h1', { id: 'sat-case-title' }, t('sat_case_title')),
        h('a', { href: `#/${back}`, dataset: { satBack: '' } }, t('sat_back'))),
      message, body));
    let current = null;
    const me = (ctx.session.claims || {}).sub;
    // her own id reads as "you" ("a ti", "por ti"; on its own, "tú")
    const who = (id, alone = false) => (id && id === me ? t(alone ? 'sat_you' : 'sat_you_after') : id);

    async function load() {
      try {
        current = await ctx.api.get(`/v1/sat/cases/${encodeURIComponent(caseId)}`);
        draw(current);
      } catch (failure) {
        replace(body);
        refusal(message, failure);
      }
    }

    async function send(path, payload, done) {
      try {
        const answer = await ctx.api.post(`/v1/sat/cases/${encodeURIComponent(caseId)}/${path}`, payload);
        showOk(message, done);
        ctx.announce(done);
        if (answer && answer.case_id && Array.isArray(answer.timeline)) {
          current = answer;
          draw(current);
        } else await load();
        return true;
      } catch (failure) {
        refusal(message, failure);
        return false;
      }
    }

    function categories(c) {
      return c.support_categories || ctx.config.sat_support_categories || [];
    }

    function eventText(event) {
      const kind = event.kind;
      const parts = [kind === 'assigned' && event.assignee ? t('sat_event_assigned_to', { who: who(event.assignee) }) : t(`sat_event_${kind}`)];
      if (kind === 'opened') parts.push(reasons(current)); // the rule, in words, not its code
      if (event.category) parts.push(categoryLabel(categories(current).find((x) => x.code === event.category) || event.category));
      if (event.status) parts.push(t(`sat_status_${event.status}`));
      if (event.outcome) parts.push(event.outcome);
      parts.push(event.by === 'system' ? t('sat_by_system') : t('sat_by', { who: who(event.by) }));
      return parts.join(' · ');
    }

    function eventForm(c) {
      const kind = h('select', { id: 'sat-event-kind', name: 'kind', required: true },
        EVENTS.map((k) => h('option', { value: k }, t(`sat_event_${k}`))));
      const cats = categories(c);
      const category = cats.length
        ? h('select', { id: 'sat-event-category', name: 'category' }, h('option', { value: '' }, t('sat_category_choose')),
          cats.map((x) => h('option', { value: x.code || x }, categoryLabel(x))))
        : h('input', { id: 'sat-event-category', name: 'category', maxlength: '64', autocomplete: 'off' });
      const categoryField = h('span', { class: 'field', hidden: true }, h('label', { for: 'sat-event-category' }, t('sat_category')), category);
      const note = h('textarea', { id: 'sat-event-note', name: 'note', rows: '3', maxlength: '2000' });
      kind.addEventListener('change', () => (categoryField.hidden = kind.value !== 'support'));
      const form = h('form', { class: 'subpanel sat-form', dataset: { satEvent: '' }, 'aria-labelledby': 'sat-event-title' },
        h('h2', { id: 'sat-event-title' }, t('sat_event_title')),
        h('div', { class: 'fields' },
          h('span', { class: 'field' }, h('label', { for: 'sat-event-kind' }, t('sat_event_kind')), kind),
          categoryField),
        h('label', { for: 'sat-event-note' }, t('sat_event_note')), note,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('sat_event_record'))));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const payload = { kind: kind.value };
        if (kind.value === 'support') {
          if (!category.value) {
            showError(message, new Error(t('sat_category_needed')));
            category.focus();
            return;
          }
          payload.category = category.value;
        }
        if (note.value.trim()) payload.note = note.value.trim();
        if (await send('events', payload, t('sat_event_recorded', { kind: t(`sat_event_${kind.value}`) }))) note.value = '';
      });
      return form;
    }

    function statusForm(c) {
      const next = c.allowed_statuses || NEXT[c.status] || [];
      if (!next.length) return h('p', { class: 'empty', dataset: { satNoStatus: '' } }, t('sat_no_status', { status: t(`sat_status_${c.status}`) }));
      const status = h('select', { id: 'sat-status', name: 'status', required: true },
        h('option', { value: '' }, t('sat_status_choose')), next.map((s) => h('option', { value: s }, t(`sat_status_${s}`))));
      const outcome = h('input', { id: 'sat-outcome', name: 'outcome', maxlength: '500', autocomplete: 'off', 'aria-describedby': 'sat-outcome-hint' });
      const form = h('form', { class: 'subpanel sat-form', dataset: { satStatusForm: '' }, 'aria-labelledby': 'sat-status-title' },
        h('h2', { id: 'sat-status-title' }, t('sat_status_title')),
        h('div', { class: 'fields' },
          h('span', { class: 'field' }, h('label', { for: 'sat-status' }, t('sat_status_new')), status),
          h('span', { class: 'field wide' }, h('label', { for: 'sat-outcome' }, t('sat_outcome')), outcome)),
        h('p', { id: 'sat-outcome-hint', class: 'hint' }, t('sat_outcome_hint')),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'action' }, t('sat_status_save'))));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (!status.value) {
          showError(message, new Error(t('sat_status_needed')));
          status.focus();
          return;
        }
        if (ENDS.includes(status.value) && !outcome.value.trim()) {
          showError(message, new Error(t('sat_outcome_needed')));
          outcome.focus();
          return;
        }
        const payload = { status: status.value };
        if (outcome.value.trim()) payload.outcome = outcome.value.trim();
        send('status', payload, t('sat_status_changed', { status: t(`sat_status_${status.value}`) }));
      });
      return form;
    }

    function draw(c) {
      const item = (label, value, key) => [h('dt', {}, label), h('dd', { dataset: { field: key } }, value || '—')];
      const events = (c.timeline || []).slice().sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      const open = ongoing(c);
      replace(body,
        h('dl', { class: 'facts', dataset: { satFacts: '' } },
          item(t('sat_col_student'), studentOf(c), 'student'),
          item(t('sat_col_school'), c.school, 'school'),
          item(t('sat_col_course'), c.course, 'course'),
          item(t('sat_col_quadrant'), c.quadrant, 'quadrant'),
          item(t('sat_col_reason'), reasons(c), 'reason'),
          item(t('sat_col_opened'), formatDateTime(c.opened_at), 'opened'),
          item(t('sat_col_professional'), who(professionalOf(c), true), 'professional'),
          [h('dt', {}, t('col_status')), h('dd', { dataset: { field: 'status' } }, statusBadge(c.status))],
          c.outcome ? item(t('sat_outcome'), c.outcome, 'outcome') : null,
          c.closed_at ? item(t('sat_closed_at'), formatDateTime(c.closed_at), 'closed') : null),
        open ? eventForm(c) : null,
        statusForm(c),
        h('section', { class: 'subpanel', 'aria-labelledby': 'sat-timeline-title' },
          h('h2', { id: 'sat-timeline-title' }, t('timeline')),
          events.length
            ? h('ol', { class: 'timeline', dataset: { satTimeline: '' } }, events.map((e) => h('li', { dataset: { satEventKind: e.kind } },
              h('time', { datetime: e.at }, formatDateTime(e.at)), ' ', eventText(e),
              e.note && e.kind !== 'opened' ? h('q', {}, e.note) : null)))
            : h('p', { class: 'empty' }, t('timeline_empty'))));
    }

    await load();
    return {
      dispose() {
        current = null; // the case leaves this module's memory with the page
      },
    };
  },
};

