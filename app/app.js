// The residents' app: register, wait for approval, sign in, send an alert with one tap, follow it.
// Sign-in, the API client and DOM building are the console's own modules (same origin, no copy).

import { Session, SignInError } from '../console/js/auth.js';
import { loadConfig } from '../console/js/config.js';
import { ApiError, createApi } from '../console/js/api.js';
import { h, replace } from '../console/js/dom.js';
import { STRINGS } from './strings.js';

const STEPS = ['received', 'dispatched', 'en_route', 'on_scene', 'resolved'];
// statuses the resident sees as one of the five steps (the operator's own steps are "dispatched" to her)
const STEP_OF = {
  received: 0, dispatched: 1, acknowledged: 1, assigned: 1, en_route: 2, on_scene: 3,
  resolved: 4, false_alarm: 4, escalated: 4,
};
// an alert raised in a partner city is worked there: her steps are the partner's, from its CAP Updates
// (roaming.status, docs/roaming.md); before the partner's first Update she sees "received" / "dispatched"
const ROAMING_STATUS = { forwarding: 'received', fallback: 'received', delivered: 'dispatched' };
const shownStatus = (alert) => (alert.roaming && alert.roaming.status && alert.status !== 'cancelled'
  ? ROAMING_STATUS[alert.roaming.status] || alert.roaming.status : alert.status);
const RETRIES = 5; // a tap's tries on a poor connection, all with the same Idempotency-Key

const state = { config: null, session: null, api: null, lang: 'es', types: [], tap: null, poll: null, screen: null };
const main = () => document.querySelector('[data-main]');

// 'es' is the city's own Spanish (its pack's locale: es-CL in Peñalolén), falling back to es-AR's words
function catalogues() {
  return state.lang === 'es' ? [STRINGS[state.config.locale] || {}, STRINGS['es-AR']] : [STRINGS.en, STRINGS['es-AR']];
}

function t(key, values = {}) {
  const text = catalogues().map((c) => c[key]).find((v) => v !== undefined) ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function setLang(lang) {
  state.lang = lang === 'en' ? 'en' : 'es';
  document.documentElement.lang = state.lang === 'es' ? state.config.locale : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  if (state.screen) state.screen();
}

function show(render) {
  state.screen = render;
  render();
}

function field(name, label, attrs = {}) {
  const id = `f-${name}`;
  return h('p', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, required: true, ...attrs }));
}

function message(text, kind = 'error') {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-message': kind }, text);
}

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error('no geolocation'));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy * 10) / 10 }),
      reject,
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
    );
  });
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// ------------------------------------------------------------------ sign-in and registration

function signInScreen(note) {
  show(() => {
    const error = h('div', { 'data-errors': '' });
    const form = h('form', { class: 'card', 'data-sign-in': '', on: { submit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      try {
        await state.session.signIn(String(data.get('email')), String(data.get('password')));
        await afterSignIn();
      } catch (err) {
        replace(error, message(t(err instanceof SignInError && err.code === 'wrong_credentials' ? 'wrong_credentials' : 'failed')));
      }
    } } },
    h('h2', {}, t('sign_in_title')),
    note ? message(note, 'info') : null,
    field('email', t('email'), { type: 'email', autocomplete: 'username' }),
    field('password', t('password'), { type: 'password', autocomplete: 'current-password' }),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('sign_in')),
    h('p', {}, t('no_account'), ' ', h('button', { type: 'button', class: 'link', 'data-go-register': '', on: { click: () => registerScreen() } }, t('register_link'))));
    replace(main(), form);
  });
}

function registerScreen() {
  show(() => {
    const error = h('div', { 'data-errors': '' });
    const form = h('form', { class: 'card', 'data-register': '', on: { submit: async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      let home;
      try {
        home = await position();
      } catch {
        replace(error, message(t('need_position')));
        return;
      }
      const body = {
        full_name: data.full_name, national_id: data.national_id, phone: data.phone, email: data.email,
        password: data.password, address: data.address, home_location: { lat: home.lat, lon: home.lon },
        locale: state.lang === 'es' ? state.config.locale : 'en',
      };
      try {
        const started = await state.api.post('/v1/registrations', body);
        codeScreen(started.registration_id, data.email, data.password);
      } catch (err) {
        replace(error, message(problemText(err)));
      }
    } } },
    h('h2', {}, t('register_title')),
    h('p', {}, t('register_intro')),
    field('full_name', t('full_name'), { autocomplete: 'name' }),
    field('national_id', t('national_id'), { inputmode: t('national_id_keyboard'), 'aria-describedby': 'national-id-hint' }),
    h('p', { id: 'national-id-hint', class: 'hint' }, t('national_id_hint')),
    field('phone', t('phone'), { type: 'tel', autocomplete: 'tel' }),
    field('email', t('email'), { type: 'email', autocomplete: 'email' }),
    field('password', t('password'), { type: 'password', autocomplete: 'new-password', minlength: 10, 'aria-describedby': 'password-hint' }),
    h('p', { id: 'password-hint', class: 'hint' }, t('password_hint')),
    field('address', t('address'), { autocomplete: 'street-address' }),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('register')),
    h('button', { type: 'button', class: 'link', on: { click: () => signInScreen() } }, t('back')));
    replace(main(), form);
  });
}

function codeScreen(registrationId, email, password) {
  show(() => {
    const error = h('div', { 'data-errors': '' });
    const form = h('form', { class: 'card', 'data-confirm': '', on: { submit: async (event) => {
      event.preventDefault();
      try {
        await state.api.post(`/v1/registrations/${encodeURIComponent(registrationId)}/confirm`, { code: String(new FormData(form).get('code')).trim() });
      } catch (err) {
        replace(error, message(err instanceof ApiError && err.status === 422 ? t('code_wrong') : problemText(err)));
        return;
      }
      try {
        await state.session.signIn(email, password);
        await afterSignIn();
      } catch {
        signInScreen();
      }
    } } },
    h('h2', {}, t('code_title')),
    h('p', {}, t('code_intro')),
    field('code', t('code'), { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 }),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('confirm')));
    replace(main(), form);
  });
}

function problemText(err) {
  if (err instanceof ApiError && err.status === 0) return t('failed');
  const problem = (err && err.problem) || {};
  const fields = (problem.errors || []).map((e) => `${e.field || e.pointer || ''} ${e.message || e.detail || ''}`.trim());
  return [problem.detail || problem.title || t('failed'), ...fields].join(' · ');
}

async function afterSignIn() {
  const me = await state.api.get('/v1/me');
  if (me.status === 'approved' && !state.session.groups.includes('citizen')) {
    await state.session.refresh(); // approved since this token was issued: the new one carries `citizen`
  }
  if (me.status !== 'approved') return pendingScreen(me.status);
  const answer = await state.api.get('/v1/alert-types');
  state.types = answer.items || [];
  return alertsScreen();
}

function pendingScreen(status) {
  show(() => {
    replace(main(), h('section', { class: 'card', 'data-pending': status },
      h('h2', {}, t('pending_title')),
      h('p', { role: 'status' }, t(status === 'rejected' ? 'rejected_intro' : 'pending_intro')),
      h('button', { type: 'button', class: 'primary', 'data-check-again': '', on: { click: () => afterSignIn().catch(() => {}) } }, t('check_again')),
      signOutButton()));
  });
}

function signOutButton() {
  return h('button', { type: 'button', class: 'link', 'data-sign-out': '', on: { click: async () => {
    stopPolling();
    await state.session.signOut();
    signInScreen();
  } } }, t('sign_out'));
}

// ------------------------------------------------------------------ alerts

function label(type) {
  const labels = type.labels || {};
  const wanted = state.lang === 'es' ? [state.config.locale, 'es-AR', 'es'] : ['en'];
  for (const code of wanted) if (labels[code]) return labels[code];
  return Object.values(labels)[0] || type.code;
}

function alertsScreen(note) {
  show(() => {
    const status = h('div', { 'data-send-state': '', 'aria-live': 'polite' }, note ? message(note) : null);
    const buttons = state.types.filter((type) => !type.silent).map((type) => h('button', {
      type: 'button', class: `alert-button p${type.priority}`, dataset: { alertType: type.code },
      on: { click: (event) => tapAlert(type, event.currentTarget, status) },
    }, label(type)));
    replace(main(), h('section', { 'data-alerts': '' },
      h('h2', {}, t('alerts_title')),
      h('p', { class: 'hint' }, t('alerts_hint')),
      h('div', { class: 'alert-grid' }, buttons),
      status,
      h('section', { class: 'card reports-entry', 'aria-labelledby': 'reports-entry-title' },
        h('h2', { id: 'reports-entry-title' }, t('reports_entry_title')),
        h('p', { class: 'hint' }, t('reports_entry_hint')),
        h('button', { type: 'button', class: 'secondary', 'data-go-report': '', on: { click: () => reportScreen() } }, t('report_new')),
        h('button', { type: 'button', class: 'secondary', 'data-go-my-reports': '', on: { click: () => myReportsScreen() } }, t('my_reports'))),
      signOutButton()));
  });
}

/** POST /v1/alerts with the tap's own Idempotency-Key; a network failure or 5xx is retried with the same key. */
async function submit(tap, onRetry = () => {}) {
  let lastError;
  for (let attempt = 0; attempt < RETRIES; attempt += 1) {
    if (attempt) {
      onRetry();
      await pause(500 * 2 ** attempt);
    }
    try {
      return await state.api.post('/v1/alerts', tap.body, { 'Idempotency-Key': tap.key });
    } catch (err) {
      lastError = err;
      if (!(err instanceof ApiError) || (err.status !== 0 && err.status < 500)) throw err;
    }
  }
  throw lastError;
}

async function tapAlert(type, button, status) {
  if (state.tap && state.tap.busy) return; // one tap at a time: a second tap never makes a second key
  // a tap that failed is retried with its key and body (the same alert), a new type is a new alert
  if (!state.tap || state.tap.type !== type.code) {
    state.tap = { type: type.code, key: crypto.randomUUID(), body: null, busy: false };
  }
  const tap = state.tap;
  tap.busy = true;
  for (const b of document.querySelectorAll('[data-alert-type]')) b.disabled = true;
  replace(status, message(t('sending'), 'info'));
  try {
    if (!tap.body) tap.body = { type: type.code, location: await position() };
    const receipt = await submit(tap, () => replace(status, message(t('retrying'), 'info')));
    state.tap = null;
    sentScreen(receipt, type);
  } catch (err) {
    tap.busy = false;
    for (const b of document.querySelectorAll('[data-alert-type]')) b.disabled = false;
    let text = t('send_failed');
    if (!tap.body) text = t('need_position');
    else if (err instanceof ApiError && err.status === 429) {
      state.tap = null;
      text = t('too_many', { s: err.retryAfterS || err.problem.retry_after_s || '' });
    } else if (err instanceof ApiError && err.status === 422) {
      state.tap = null;
      text = t('outside');
    } else if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
      state.tap = null;
      text = problemText(err);
    }
    replace(status, message(text));
  }
}

function sentScreen(receipt, type) {
  const alert = { ...receipt };
  const started = Date.parse(receipt.created_at) || Date.now();
  let note = null;
  const render = () => {
    const status = shownStatus(alert);
    const step = STEP_OF[status];
    const left = Math.ceil(state.config.cancel_window_s - (Date.now() - started) / 1000);
    const cancellable = status !== 'cancelled' && (step === undefined || step < 3) && left > 0;
    replace(main(), h('section', { class: 'card', 'data-sent': '', dataset: { alertId: alert.alert_id, status } },
      h('h2', {}, t('sent_title'), ': ', label(type)),
      alert.location && alert.location.accuracy_m !== undefined ? h('p', { class: 'hint' }, t('accuracy', { m: alert.location.accuracy_m })) : null,
      status === 'cancelled' ? message(t('cancelled'), 'info') : h('ol', { class: 'steps', 'aria-label': t('status'), 'data-steps': '' },
        STEPS.map((name, i) => h('li', {
          dataset: { step: name, done: String(step !== undefined && i <= step) },
          'aria-current': i === step ? 'step' : null,
        }, t(`st_${name}`)))),
      note ? message(note) : null,
      cancellable ? h('p', { class: 'hint' }, t('cancel_until', { s: left })) : null,
      cancellable ? h('button', { type: 'button', class: 'danger', 'data-cancel': '', on: { click: cancel } }, t('cancel')) : null,
      h('button', { type: 'button', class: 'link', 'data-new-alert': '', on: { click: () => { stopPolling(); alertsScreen(); } } }, t('new_alert'))));
  };
  async function cancel() {
    try {
      const answer = await state.api.post(`/v1/alerts/${encodeURIComponent(alert.alert_id)}/cancel`, {});
      alert.status = answer.status;
    } catch {
      note = t('cancel_refused');
    }
    render();
  }
  async function refresh() {
    try {
      Object.assign(alert, await state.api.get(`/v1/alerts/${encodeURIComponent(alert.alert_id)}`));
    } catch {
      // a missed poll is tried again on the next tick
    }
    if (state.screen === render) render();
    if (['resolved', 'false_alarm', 'escalated', 'cancelled'].includes(shownStatus(alert))) stopPolling();
  }
  stopPolling();
  state.poll = setInterval(refresh, Math.max(1, Number(state.config.poll_interval_s) || 3) * 1000);
  show(render);
}

function stopPolling() {
  clearInterval(state.poll);
  state.poll = null;
}

// ------------------------------------------------------------------ reports (not an emergency channel)

const TIMES_OF_DAY = ['morning', 'afternoon', 'evening', 'night'];
const GENDERS = ['woman', 'man', 'non_binary', 'prefer_not_to_say'];

function inLocale(labels, fallback) {
  const wanted = state.lang === 'es' ? [state.config.locale, 'es-AR', 'es'] : ['en'];
  for (const code of wanted) if (labels && labels[code]) return labels[code];
  return Object.values(labels || {})[0] || fallback;
}

const reportTypes = () => state.config.report_types || [];
const reportType = (code) => reportTypes().find((type) => type.code === code);

function choice(name, label, options, attrs = {}) {
  const id = `f-${name}`;
  return h('p', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, name, ...attrs }, options.map(([value, text]) => h('option', { value }, text))));
}

/** The report form: the pack's types in her language, her position as the place, a description; for an
 * unsafe place the time of day and, optional, her self-declared gender. */
function reportScreen() {
  show(() => {
    const error = h('div', { 'data-errors': '', 'aria-live': 'assertive' });
    const unsafe = h('fieldset', { class: 'unsafe', 'data-unsafe-fields': '' },
      h('legend', {}, t('report_unsafe_legend')),
      choice('time_of_day', t('report_time_of_day'), [['', t('report_time_now')], ...TIMES_OF_DAY.map((v) => [v, t(`tod_${v}`)])]),
      choice('declared_gender', t('report_gender'), [['', t('report_gender_none')], ...GENDERS.map((v) => [v, t(`gender_${v}`)])],
        { 'aria-describedby': 'gender-hint' }),
      h('p', { id: 'gender-hint', class: 'hint' }, t('report_gender_hint')));
    const typeSelect = choice('type', t('report_type'), reportTypes().map((type) => [type.code, inLocale(type.labels, type.code)]), { required: true });
    const toggle = () => {
      const type = reportType(form.elements.type.value);
      unsafe.hidden = !(type && type.unsafe_place);
      for (const el of unsafe.querySelectorAll('select')) el.disabled = unsafe.hidden;
    };
    const submitButton = h('button', { type: 'submit', class: 'primary' }, t('report_send'));
    const form = h('form', { class: 'card', 'data-report': '', on: { submit: async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      submitButton.disabled = true;
      replace(error, message(t('sending'), 'info'));
      let place;
      try {
        place = await position();
      } catch {
        submitButton.disabled = false;
        replace(error, message(t('need_position')));
        return;
      }
      const body = { type: data.type, location: place };
      if (String(data.description || '').trim()) body.description = String(data.description).trim();
      if (data.time_of_day) body.time_of_day = data.time_of_day;
      if (data.declared_gender) body.declared_gender = data.declared_gender;
      try {
        await state.api.post('/v1/reports', body);
        myReportsScreen(t('report_sent'));
      } catch (err) {
        submitButton.disabled = false;
        replace(error, reportProblem(err));
      }
    } } },
    h('h2', {}, t('report_title')),
    message(t('report_not_emergency'), 'info'),
    typeSelect,
    unsafe,
    h('p', { class: 'field' }, h('label', { for: 'f-description' }, t('report_description')),
      h('textarea', { id: 'f-description', name: 'description', rows: 4, maxlength: 500 })),
    h('p', { class: 'hint' }, t('report_place_hint')),
    error,
    submitButton,
    h('button', { type: 'button', class: 'link', 'data-go-my-reports': '', on: { click: () => myReportsScreen() } }, t('my_reports')),
    h('button', { type: 'button', class: 'link', 'data-go-alerts': '', on: { click: () => alertsScreen() } }, t('back_to_alerts')));
    form.elements.type.addEventListener('change', toggle);
    replace(main(), form);
    toggle();
  });
}

/** What a refused report tells her: an emergency goes to the alert buttons; the limit says when to retry. */
function reportProblem(err) {
  const problem = (err && err.problem) || {};
  if (err instanceof ApiError && err.status === 422 && (problem.use === 'POST /v1/alerts'
      || (problem.errors || []).some((e) => (e.path || e.pointer || e.field) === '/description'))) {
    return h('div', { class: 'message error', role: 'alert', 'data-message': 'emergency' },
      h('p', {}, t('report_emergency')),
      h('button', { type: 'button', class: 'danger', 'data-go-alerts': '', on: { click: () => alertsScreen() } }, t('report_go_alerts')));
  }
  if (err instanceof ApiError && err.status === 429) {
    const s = Number(err.retryAfterS || problem.retry_after_s) || 0;
    if (!s) return h('div', { 'data-message': 'too-many' }, message(t('report_too_many_later')));
    const at = new Date(Date.now() + s * 1000).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
    return h('div', { 'data-message': 'too-many' }, message(t('report_too_many', { at, min: Math.max(1, Math.ceil(s / 60)) })));
  }
  return message(problemText(err));
}

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(document.documentElement.lang, { dateStyle: 'short', timeStyle: 'short' });
}

/** "Mis reportes": her own reports (GET /v1/reports), newest first, with the status, the department, and the
 * operator's closing note once closed. Read fresh each time, kept only in this screen. */
function myReportsScreen(note) {
  let items = null;
  let failed = false;
  const render = () => {
    const list = items === null
      ? (failed ? message(t('failed')) : message(t('loading'), 'info'))
      : items.length === 0 ? h('p', { 'data-no-reports': '' }, t('reports_none'))
        : h('ul', { class: 'reports', 'data-reports': '' }, items.map((r) => {
          const type = reportType(r.type);
          const closing = r.status === 'closed' ? [...(r.notes || [])].reverse().find((n) => n.status === 'closed') : null;
          return h('li', { class: `report ${r.status}`, dataset: { reportId: r.report_id, status: r.status } },
            h('h3', {}, type ? inLocale(type.labels, r.label) : r.label),
            h('p', {}, h('span', { class: `badge ${r.status}` }, t(`rs_${r.status}`)), ' · ', when(r.created_at)),
            h('p', { class: 'hint' }, t('report_department', { d: type ? inLocale(type.department_names, r.department) : r.department })),
            r.description ? h('p', { class: 'description' }, r.description) : null,
            closing ? h('p', { class: 'closing', 'data-closing-note': '' },
              h('strong', {}, t('report_closed_on', { at: when(r.closed_at || closing.at) })), ' ', closing.note) : null);
        }));
    replace(main(), h('section', { class: 'card', 'data-my-reports': '' },
      h('h2', {}, t('my_reports')),
      note ? message(note, 'info') : null,
      h('p', { class: 'hint' }, t('reports_closed_hint')),
      list,
      h('button', { type: 'button', class: 'secondary', 'data-refresh-reports': '', on: { click: () => load() } }, t('check_again')),
      h('button', { type: 'button', class: 'secondary', 'data-go-report': '', on: { click: () => reportScreen() } }, t('report_new')),
      h('button', { type: 'button', class: 'link', 'data-go-alerts': '', on: { click: () => alertsScreen() } }, t('back_to_alerts'))));
  };
  async function load() {
    try {
      items = (await state.api.get('/v1/reports')).items || [];
      failed = false;
    } catch {
      failed = true;
    }
    if (state.screen === render) render();
  }
  show(render);
  load();
}

// ------------------------------------------------------------------ the silent alarm

/** A long press on the city's name sends the city's silent alert: nothing changes on screen, nothing is
 * added to the history, whatever the API answers (a failed send is retried quietly with the same key). */
function armSilentGesture(target) {
  const silent = state.config.silent_alarm || {};
  if (!silent.type || silent.gesture !== 'long_press_city_name') return;
  let timer = null;
  const stop = () => { clearTimeout(timer); timer = null; };
  target.addEventListener('pointerdown', () => {
    stop();
    timer = setTimeout(() => { timer = null; sendSilent(silent.type); }, Number(silent.hold_ms) || 1500);
  });
  for (const name of ['pointerup', 'pointerleave', 'pointercancel']) target.addEventListener(name, stop);
  target.addEventListener('contextmenu', (event) => event.preventDefault());
}

async function sendSilent(type) {
  if (!state.session.signedIn || !state.types.length) return; // only once she may send alerts
  try {
    const tap = { key: crypto.randomUUID(), body: { type, location: await position() } };
    await submit(tap);
  } catch {
    // nothing to show: the screen must look as if nothing happened
  }
}

// ------------------------------------------------------------------ boot

async function boot() {
  state.config = await loadConfig('config.json');
  state.session = new Session(state.config);
  state.api = createApi({ baseUrl: state.config.api_url, session: state.session, onUnauthorized: () => {} });
  state.session.onChange((reason) => { if (reason === 'expired') { stopPolling(); signInScreen(); } });
  const city = document.querySelector('[data-city-name]');
  city.textContent = state.config.city_name || 'Vigía';
  document.title = `Vigía · ${state.config.city_name || ''}`;
  armSilentGesture(city);
  const select = document.querySelector('[data-locale-switch]');
  for (const [code, name] of [['es', 'Español'], ['en', 'English']]) select.append(h('option', { value: code }, name));
  select.addEventListener('change', () => setLang(select.value));
  const wanted = String(state.config.locale || 'es').startsWith('en') ? 'en' : 'es';
  select.value = wanted;
  setLang(wanted);
  signInScreen();
  document.body.dataset.state = 'ready';
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {});
}

boot().catch((error) => {
  replace(main(), h('p', { class: 'message error', role: 'alert' }, String(error.message || error)));
  document.body.dataset.state = 'failed';
});
