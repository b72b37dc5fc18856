// The console's shell: settings, sign-in, header (live state, sound, language), the page router.

import { createApi } from './api.js';
import { Session, SignInError } from './auth.js';
import { loadConfig } from './config.js';
import { clear, h, replace } from './dom.js';
import { LOCALES, locale, onLocale, setLocale, supported, t, translateStatic, formatTime } from './i18n.js';
import { createLive, pollingTransport, socketTransport } from './live.js';
import { cityLayers } from './map.js';
import { arm, armed, tonesPlayed } from './sound.js';
import { createQueueWatcher } from './queue-watcher.js';
import * as queuePage from './pages/queue.js';
import * as incidentPage from './pages/incident.js';
import * as unitsPage from './pages/units.js';
import * as dlqPage from './pages/dlq.js';
import * as registrationsPage from './pages/registrations.js';
import * as auditPage from './pages/audit.js';
import * as staffPage from './pages/staff.js';
import * as indicatorsPage from './pages/indicators.js';
import * as hotspotsPage from './pages/hotspots.js';
import * as comparePage from './pages/compare.js';
import * as resourcesPage from './pages/resources.js';
import * as unsafePage from './pages/unsafe.js';
import * as silentPage from './pages/silent.js';
import * as mycarPage from './pages/mycar.js';
import * as shiftPage from './pages/shift.js';
import * as surveyPage from './pages/survey.js';
import * as satPages from './pages/sat.js';

// One table says which page answers which address and who may open it (the API enforces it anyway).
const PAGES = [
  { id: 'queue', pattern: /^queue$/, nav: 'nav_queue', roles: ['operator', 'admin'], module: queuePage },
  { id: 'incident', pattern: /^alerts\/([A-Za-z0-9_-]{1,128})$/, roles: ['operator', 'admin'], module: incidentPage },
  { id: 'mycar', pattern: /^mycar$/, nav: 'nav_mycar', roles: ['police'], module: mycarPage },
  { id: 'shift', pattern: /^shift$/, nav: 'nav_shift', roles: ['police'], module: shiftPage },
  { id: 'survey', pattern: /^survey$/, nav: 'nav_survey', roles: ['police'], module: surveyPage },
  { id: 'units', pattern: /^units$/, nav: 'nav_units', roles: ['operator', 'admin', 'police'], module: unitsPage },
  { id: 'dlq', pattern: /^dlq$/, nav: 'nav_dlq', roles: ['operator', 'admin'], module: dlqPage },
  { id: 'registrations', pattern: /^registrations$/, nav: 'nav_registrations', roles: ['operator', 'admin'], module: registrationsPage },
  { id: 'audit', pattern: /^audit$/, nav: 'nav_audit', roles: ['admin'], module: auditPage },
  { id: 'staff', pattern: /^staff$/, nav: 'nav_staff', roles: ['admin'], module: staffPage },
  { id: 'indicators', pattern: /^indicators$/, nav: 'nav_indicators', roles: ['analyst', 'operator', 'admin'], module: indicatorsPage },
  { id: 'hotspots', pattern: /^hotspots$/, nav: 'nav_hotspots', roles: ['analyst', 'operator', 'admin'], module: hotspotsPage },
  { id: 'compare', pattern: /^compare$/, nav: 'nav_compare', roles: ['analyst', 'admin'], module: comparePage },
  { id: 'resources', pattern: /^resources$/, nav: 'nav_resources', roles: ['analyst', 'admin'], module: resourcesPage },
  { id: 'unsafe-places', pattern: /^unsafe-places$/, nav: 'nav_unsafe', roles: ['analyst', 'operator', 'admin'], module: unsafePage },
  { id: 'silent', pattern: /^silent$/, nav: 'nav_silent', roles: ['response_team'], module: silentPage },
  { id: 'sat', sealed: true, pattern: /^sat$/, nav: 'nav_sat_caseload', roles: ['sat_team'], module: satPages.caseload },
  { id: 'sat-overview', sealed: true, pattern: /^sat-overview$/, nav: 'nav_sat_overview', roles: ['sat_coordinator'], module: satPages.overview },
  { id: 'sat-warnings', sealed: true, pattern: /^sat-warnings$/, nav: 'nav_sat_warnings', roles: ['sat_team', 'sat_coordinator'], module: satPages.warnings },
  { id: 'sat-case', sealed: true, pattern: /^sat\/cases\/([A-Za-z0-9_.:-]{1,128})$/, roles: ['sat_team', 'sat_coordinator'], module: satPages.detail },
];

// roles whose pages read only when opened or asked (each SAT read is audited): no live feed, no sounds
const OFFLINE_ROLES = ['sat_team', 'sat_coordinator'];

const $ = (selector) => document.querySelector(selector);
const main = () => $('[data-main]');

let config = null;
let session = null;
let api = null;
let live = null;
let watcher = null;
let active = null; // {page, view, unsubscribe}

function announce(message) {
  const region = $('[data-announcer]');
  region.textContent = '';
  setTimeout(() => (region.textContent = message), 50);
}

function allowedPages() {
  return PAGES.filter((page) => page.roles.some((role) => session.groups.includes(role)));
}

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [path, query = ''] = raw.split('?');
  return { path, params: new URLSearchParams(query) };
}

export function navigate(path) {
  location.hash = `#/${path}`;
}

// ------------------------------------------------------------------ header
function renderHeader() {
  const signedIn = Boolean(session && session.signedIn && session.isStaff);
  const nav = $('[data-nav]');
  nav.setAttribute('aria-label', t('nav_label'));
  nav.hidden = !signedIn;
  if (signedIn) {
    const current = active ? active.page.id : null;
    replace(nav, h('ul', {}, allowedPages().filter((p) => p.nav).map((page) => h('li', {},
      h('a', { href: `#/${page.id}`, 'aria-current': page.id === current || (current === 'incident' && page.id === 'queue') || (current === 'sat-case' && page.id === 'sat') ? 'page' : null, dataset: { navLink: page.id } },
        t(page.nav), page.id === 'queue' && watcher ? h('span', { class: 'badge', dataset: { queueCount: '' } }, String(watcher.state.items.length)) : null)))));
  }
  const audio = $('[data-audio]');
  audio.hidden = !signedIn || !live; // no live feed (the SAT's pages): nothing rings
  audio.textContent = armed() ? t('audio_armed') : t('audio_arm');
  audio.setAttribute('aria-pressed', armed() ? 'true' : 'false');
  audio.dataset.tones = String(tonesPlayed());
  const who = $('[data-who]');
  who.hidden = !signedIn;
  who.textContent = signedIn ? t('signed_in_as', { email: session.email, roles: session.groups.join(', ') }) : '';
  const out = $('[data-sign-out]');
  out.hidden = !(session && session.signedIn);
  out.textContent = t('sign_out');
  $('.live').hidden = !signedIn || !live;
  $('[data-city-name]').textContent = `Vigía · ${config ? config.city_name : ''}`;
  const select = $('[data-locale-switch]');
  select.value = locale();
  translateStatic();
}

/** What changes with every fetch, updated in place so keyboard focus in the header stays where it is. */
function updateBadges() {
  const badge = $('[data-queue-count]');
  if (badge && watcher) badge.textContent = String(watcher.state.items.length);
  $('[data-audio]').dataset.tones = String(tonesPlayed());
}

function renderLive(status) {
  const el = $('.live');
  el.dataset.liveState = status.state;
  if (status.state === 'live') el.textContent = t('live_live');
  else if (status.state === 'reconnecting') el.textContent = t('live_reconnecting');
  else el.textContent = t('live_stale', { time: status.since ? formatTime(new Date(status.since).toISOString()) : '—' });
}

// ------------------------------------------------------------------ sign-in
function signInForm(message) {
  document.body.dataset.state = 'signed-out';
  const error = h('p', { class: 'error', role: 'alert', dataset: { signInError: '' } }, message || '');
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('sign_in'));
  const form = h('form', { class: 'card sign-in', dataset: { signIn: '' }, 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, t('sign_in_title')),
    h('p', {}, t('sign_in_intro')),
    h('label', { for: 'email' }, t('email')), email,
    h('label', { for: 'password' }, t('password')), password,
    submit, error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    submit.textContent = t('signing_in');
    try {
      const outcome = await session.signIn(email.value, password.value);
      if (outcome === 'mfa') mfaForm();
      else if (outcome === 'new_password') newPasswordForm();
    } catch (failure) {
      submit.disabled = false;
      submit.textContent = t('sign_in');
      error.textContent = describeSignIn(failure);
      password.select();
    }
  });
  replace(main(), form);
  email.focus();
}

function mfaForm() {
  const error = h('p', { class: 'error', role: 'alert' });
  const code = h('input', { id: 'mfa-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6', required: true });
  const form = h('form', { class: 'card sign-in', dataset: { mfa: '' }, 'aria-labelledby': 'mfa-title' },
    h('h1', { id: 'mfa-title' }, t('mfa_title')), h('p', {}, t('mfa_intro')),
    h('label', { for: 'mfa-code' }, t('mfa_code')), code,
    h('button', { type: 'submit', class: 'primary' }, t('verify')), error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await session.answerMfa(code.value);
    } catch (failure) {
      error.textContent = describeSignIn(failure);
      code.select();
    }
  });
  replace(main(), form);
  code.focus();
}

/** The pool's password rules, from config.json (template.yaml's policy), in words. */
function passwordRules() {
  const policy = config.password_policy || {};
  const rules = [t('password_rule_length', { n: policy.min_length || 8 })];
  for (const rule of ['uppercase', 'lowercase', 'digits', 'symbols']) if (policy[rule]) rules.push(t(`password_rule_${rule}`));
  return rules;
}

/** The first sign-in of an account an admin created: Cognito asks for a password of the person's own. */
function newPasswordForm() {
  const error = h('p', { class: 'error', role: 'alert', dataset: { newPasswordError: '' } });
  const first = h('input', { id: 'new-password', name: 'new-password', type: 'password', autocomplete: 'new-password', required: true, 'aria-describedby': 'password-rules' }); // the policy's words, not the browser's, say what is missing
  const again = h('input', { id: 'new-password-again', name: 'new-password-again', type: 'password', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('new_password_save'));
  const form = h('form', { class: 'card sign-in', dataset: { newPassword: '' }, 'aria-labelledby': 'new-password-title' },
    h('h1', { id: 'new-password-title' }, t('new_password_title')), h('p', {}, t('new_password_intro')),
    h('div', { id: 'password-rules' }, h('p', {}, t('password_rules')), h('ul', { dataset: { passwordRules: '' } }, passwordRules().map((rule) => h('li', {}, rule)))),
    h('label', { for: 'new-password' }, t('new_password')), first,
    h('label', { for: 'new-password-again' }, t('new_password_again')), again,
    submit, error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (first.value !== again.value) {
      error.textContent = t('new_password_mismatch');
      again.select();
      return;
    }
    submit.disabled = true;
    try {
      const outcome = await session.answerNewPassword(first.value);
      if (outcome === 'mfa') mfaForm();
    } catch (failure) {
      submit.disabled = false;
      if (failure instanceof SignInError && failure.code === 'challenge_expired') {
        signInForm(describeSignIn(failure));
        return;
      }
      error.textContent = describeSignIn(failure);
      first.select();
    }
  });
  replace(main(), form);
  first.focus();
}

function describeSignIn(failure) {
  if (failure instanceof SignInError) {
    if (failure.code === 'wrong_credentials') return t('wrong_credentials');
    if (failure.code === 'wrong_code') return t('wrong_code');
    if (failure.code === 'weak_password') return t('weak_password', { rules: passwordRules().join(', ') });
    if (failure.code === 'challenge_expired') return t('challenge_expired');
    if (failure.code === 'challenge_unsupported' && failure.message === 'MFA_SETUP') return t('mfa_setup_unsupported');
    if (failure.code === 'challenge_unsupported') return t('challenge_unsupported', { challenge: failure.message });
  }
  return t('sign_in_failed', { detail: failure.message || String(failure) });
}

function refused(title, message) {
  document.body.dataset.state = 'refused';
  const out = h('button', { type: 'button', class: 'primary', on: { click: () => session.signOut() } }, t('sign_out'));
  replace(main(), h('section', { class: 'card refused', dataset: { refused: '' }, 'aria-labelledby': 'refused-title' },
    h('h1', { id: 'refused-title' }, title), h('p', {}, message), out));
  out.focus();
}

// ------------------------------------------------------------------ signed in
function startLive() {
  const interval = Math.max(1, Number(config.poll_interval_s) || 3) * 1000;
  const staleAfterMs = Number(config.stale_after_s) * 1000 || Math.max(15_000, interval * 3);
  // the stack's WebSocket when config.json names one (polling is its fallback), else polling alone
  const transport = config.ws_url
    ? socketTransport({
        url: config.ws_url,
        token: () => session.idToken,
        api,
        pollMs: interval,
        checkMs: Math.max(2000, staleAfterMs / 3),
      })
    : pollingTransport(interval);
  live = createLive({ transport, staleAfterMs });
  live.onStatus(renderLive);
  const staff = ['operator', 'admin'].some((role) => session.groups.includes(role));
  watcher = staff ? createQueueWatcher({ api, live, announce, onChange: updateBadges }) : null;
  live.start();
}

function stopLive() {
  if (active) dispose();
  if (live) live.stop();
  live = null;
  watcher = null;
}

function dispose() {
  if (!active) return;
  if (active.unsubscribe) active.unsubscribe();
  if (active.view && active.view.dispose) active.view.dispose();
  active = null;
}

let routed = 0; // the latest route(): a page that finishes loading after another was opened is not the active one

async function route() {
  if (!session || !session.signedIn || !session.isStaff) return;
  const pages = allowedPages();
  if (!pages.length) {
    refused(t('not_staff_title'), t('role_no_pages', { roles: session.groups.join(', ') }));
    return;
  }
  const { path, params } = parseHash();
  let match = null;
  for (const page of pages) {
    const found = page.pattern.exec(path);
    if (found) {
      match = { page, args: found.slice(1) };
      break;
    }
  }
  if (!match) {
    // a sealed page (a minor's case) says it is not for this role, without asking the API anything;
    // any other unknown address leads to the role's first page
    const sealed = PAGES.find((page) => page.sealed && page.pattern.test(path));
    if (sealed) {
      dispose();
      ++routed;
      document.body.dataset.state = 'ready';
      document.body.dataset.page = 'refused';
      const back = pages.find((p) => p.nav);
      replace(main(), h('section', { class: 'card refused', dataset: { pageRefused: sealed.id }, 'aria-labelledby': 'refused-title' },
        h('h1', { id: 'refused-title' }, t('page_refused_title')), h('p', {}, t('page_refused', { roles: session.groups.join(', ') })),
        h('a', { href: `#/${back.id}` }, t('page_refused_back', { page: t(back.nav) }))));
      renderHeader();
      main().focus({ preventScroll: true });
      return;
    }
    navigate(pages.find((p) => p.nav).id);
    return;
  }
  dispose();
  const mine = ++routed;
  document.body.dataset.state = 'ready';
  document.body.dataset.page = match.page.id;
  // each page renders into its own element: a page left while it still loads writes into a detached one,
  // never over the page opened after it
  const container = h('div', { class: 'page-view' });
  clear(main()).append(container);
  const context = { api, config, live, watcher, session, announce, navigate, params, layers: cityLayers(config.map_layers) };
  const view = await match.page.module.render(context, container, ...match.args);
  if (mine !== routed) {
    if (view && view.dispose) view.dispose();
    return;
  }
  active = { page: match.page, view };
  if (view && view.refresh) {
    active.unsubscribe = live.subscribe(() => view.refresh());
    await view.refresh().catch(() => {});
  }
  renderHeader();
  // a new page takes the focus (screen readers hear the change), unless the page or the person already put
  // it somewhere inside it while it loaded (a field the page offers first, a field they went on typing in)
  const landed = main();
  if (!landed.contains(document.activeElement) || document.activeElement === landed) landed.focus({ preventScroll: true });
}

function sessionChanged(reason) {
  if (!session.signedIn) {
    stopLive();
    renderHeader();
    signInForm(reason === 'expired' ? t('session_expired') : '');
    return;
  }
  if (!session.isStaff) {
    stopLive();
    renderHeader();
    const resident = session.groups.includes('citizen') || session.groups.length === 0;
    refused(t('not_staff_title'), session.groups.includes('citizen') ? t('not_staff') : resident ? t('no_staff_role') : t('not_staff'));
    return;
  }
  if (!live && !session.groups.every((role) => OFFLINE_ROLES.includes(role))) startLive();
  renderHeader();
  route();
}

// ------------------------------------------------------------------ boot
async function boot() {
  try {
    config = await loadConfig();
  } catch (error) {
    setLocale(navigator.language);
    replace(main(), h('p', { class: 'error', role: 'alert' }, t('config_failed', { detail: error.message })));
    return;
  }
  const saved = sessionStorage.getItem('vigia.locale');
  setLocale(saved || config.locale);
  const select = $('[data-locale-switch]');
  const offered = Array.from(new Set([...LOCALES.filter((code) => code.startsWith('es')), 'en', supported(config.locale)]));
  replace(select, offered.map((code) => {
    setLocale(code);
    const name = t('locale_name');
    return h('option', { value: code, lang: code }, name);
  }));
  setLocale(saved || config.locale);
  select.addEventListener('change', () => {
    sessionStorage.setItem('vigia.locale', select.value);
    setLocale(select.value);
  });
  onLocale(() => {
    renderHeader();
    if (session.signedIn && session.isStaff) route();
    else if (!session.signedIn) signInForm();
    else sessionChanged();
  });
  $('[data-audio]').addEventListener('click', async () => {
    await arm();
    renderHeader();
  });
  $('[data-sign-out]').addEventListener('click', () => session.signOut());
  session = new Session(config);
  api = createApi({ baseUrl: config.api_url, session, onUnauthorized: () => session.refresh().catch(() => session.expire()) });
  session.onChange(sessionChanged);
  window.addEventListener('hashchange', route);
  renderHeader();
  signInForm();
}

boot();
