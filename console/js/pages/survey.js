// The police view's perception survey: the city pack's short anonymous questions, asked of a neighbour on
// patrol and sent as POST /v1/surveys. Offline-tolerant: each survey is queued in localStorage with its own
// Idempotency-Key and sent at once, or when the phone is back online (the `online` event, every refresh, each
// page load), always with that same key, so the API counts it once however often it is retried.
// Storing it is fine: a survey has no personal data (the API's schema accepts none), only answers and a quadrant.

import { h, replace } from '../dom.js';
import { locale, t } from '../i18n.js';
import { carChooser, myUserId } from './mycar.js';
import { describe, messageArea, showOk } from './common.js';

const QUEUE_KEY = 'vigia.surveys.queue';
const QUESTIONS_KEY = 'vigia.surveys.questions'; // the pack's public questions, for a page opened with poor signal

function readQueue() {
  try {
    const items = JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]');
    return Array.isArray(items) ? items.filter((item) => item && item.key && item.body) : [];
  } catch {
    return [];
  }
}

function writeQueue(items) {
  if (items.length) localStorage.setItem(QUEUE_KEY, JSON.stringify(items));
  else localStorage.removeItem(QUEUE_KEY);
}

function removeFromQueue(key) {
  writeQueue(readQueue().filter((item) => item.key !== key));
}

// One sender for the whole console: the `online` event may come while the officer is on another page.
const sender = { api: null, flushing: null, listeners: new Set() };

function notify(event) {
  for (const fn of sender.listeners) fn(event);
}

/** Sends every queued survey in order, each with its own key; stops at the first network failure. */
function flush() {
  if (!sender.api) return Promise.resolve();
  if (sender.flushing) return sender.flushing;
  sender.flushing = (async () => {
    const tried = new Set(); // one try each per flush; one taken meanwhile is tried in the same flush
    for (;;) {
      const item = readQueue().find((queued) => !tried.has(queued.key));
      if (!item) return;
      tried.add(item.key);
      try {
        await sender.api.post('/v1/surveys', item.body, { 'Idempotency-Key': item.key });
        removeFromQueue(item.key); // 201, or 200: the API's replay of one it already has
        notify({ sent: item });
      } catch (error) {
        // a refusal of the survey itself is final: dropped, and the reason shown; anything else is retried
        const final = error.status >= 400 && error.status < 500 && ![401, 403, 408, 429].includes(error.status);
        if (!final) {
          notify({ waiting: error });
          return;
        }
        removeFromQueue(item.key);
        notify({ dropped: item, error });
      }
    }
  })().finally(() => {
    sender.flushing = null;
  });
  return sender.flushing;
}

let listening = false;
function startSender(api) {
  sender.api = api;
  if (!listening) {
    window.addEventListener('online', () => flush().catch(() => {}));
    listening = true;
  }
}

/** The question's text in the console's language (the pack's locale as a fallback). */
function questionText(question) {
  const texts = question.text || {};
  const lang = locale();
  return texts[lang] || texts[lang.split('-')[0]] || Object.entries(texts).find(([code]) => code.split('-')[0] === lang.split('-')[0])?.[1] || Object.values(texts)[0] || question.question_id;
}

export async function render(ctx, container) {
  const { api } = ctx;
  startSender(api);
  const message = messageArea();
  const car = carChooser('survey-unit', () => {});
  const quadrantSelect = h('select', { id: 'survey-quadrant', dataset: { surveyQuadrant: '' } });
  const questionsEl = h('div', { class: 'questions', dataset: { questions: '' } });
  const status = h('p', { class: 'queue-status', dataset: { surveyQueue: '', queued: '0' }, role: 'status' });
  const submit = h('button', { type: 'submit', class: 'action', dataset: { submitSurvey: '' } }, t('survey_submit'));
  const form = h('form', { class: 'survey', 'aria-labelledby': 'survey-title', on: { submit: (event) => { event.preventDefault(); take(); } } },
    h('label', { for: 'survey-quadrant' }, t('survey_quadrant')), quadrantSelect,
    h('p', { class: 'hint' }, t('survey_anonymous')),
    questionsEl,
    h('div', { class: 'actions big' }, submit));
  replace(container, h('div', { class: 'police survey-page' },
    h('section', { class: 'panel' },
      h('div', { class: 'page-head' }, h('h1', { id: 'survey-title' }, t('survey_title'))),
      car.element, form, message, status)));

  let questions = [];
  let quadrantPicked = false;
  quadrantSelect.addEventListener('change', () => (quadrantPicked = true));

  function drawStatus() {
    const n = readQueue().length;
    status.dataset.queued = String(n);
    status.textContent = n ? t('survey_queued', { n }) : t('survey_queue_empty');
  }

  const onSender = (event) => {
    if (event.sent) showOk(message, t('survey_sent'));
    else if (event.dropped) {
      message.className = 'message error';
      message.textContent = t('survey_dropped', { reason: describe(event.error) });
    } else if (event.waiting && event.waiting.status === 0) {
      message.className = 'message warning';
      message.textContent = t('survey_offline');
    }
    drawStatus();
  };
  sender.listeners.add(onSender);

  function drawQuestions() {
    replace(questionsEl, questions.map((q) => {
      const [low, high] = q.scale;
      const points = [];
      for (let n = low; n <= high; n += 1) points.push(n);
      const name = `q-${q.question_id}`;
      return h('fieldset', { class: 'question', dataset: { question: q.question_id } },
        h('legend', {}, questionText(q)),
        h('div', { class: 'scale' }, points.map((n) => h('label', { class: 'point' },
          h('input', { type: 'radio', name, value: String(n) }), h('span', {}, String(n))))),
        h('p', { class: 'hint' }, t('survey_scale', { low, high })));
    }));
  }

  function take() {
    const answers = {};
    for (const q of questions) {
      const picked = questionsEl.querySelector(`[data-question="${q.question_id}"] input:checked`);
      if (picked) answers[q.question_id] = Number(picked.value);
    }
    if (!quadrantSelect.value || !Object.keys(answers).length) {
      message.className = 'message error';
      message.textContent = t(quadrantSelect.value ? 'survey_no_answer' : 'survey_no_quadrant');
      return;
    }
    const body = { quadrant_id: quadrantSelect.value, answers, at: new Date().toISOString() };
    if (car.value) body.unit_id = car.value;
    // the key is made once, here, and kept with the survey: every retry is the same request
    writeQueue([...readQueue(), { key: crypto.randomUUID(), body }]);
    for (const input of questionsEl.querySelectorAll('input:checked')) input.checked = false; // the quadrant stays
    showOk(message, t('survey_taken'));
    drawStatus();
    flush().catch(() => {});
  }

  async function loadQuestions() {
    try {
      const summary = await api.get('/v1/surveys/summary');
      const found = Object.entries(summary.questions || {}).map(([question_id, q]) => ({ question_id, ...q }));
      localStorage.setItem(QUESTIONS_KEY, JSON.stringify(found));
      return found;
    } catch (error) {
      const kept = JSON.parse(localStorage.getItem(QUESTIONS_KEY) || '[]');
      if (!kept.length) throw error;
      return kept;
    }
  }

  const layers = await ctx.layers.catch(() => null);
  const quadrants = ((layers && layers.features) || []).filter((f) => f.properties.layer === 'quadrant')
    .map((f) => f.properties).sort((a, b) => a.quadrant_id.localeCompare(b.quadrant_id));
  replace(quadrantSelect, h('option', { value: '' }, t('survey_pick_quadrant')),
    quadrants.map((q) => h('option', { value: q.quadrant_id }, `${q.quadrant_id} · ${q.name}`)));
  drawStatus();

  const view = {
    async refresh() {
      try {
        if (!questions.length) {
          questions = await loadQuestions();
          drawQuestions();
        }
        const [units, userId] = await Promise.all([api.get('/v1/units'), myUserId(ctx)]);
        car.fill(units.items || [], userId);
        const mine = (units.items || []).find((u) => u.unit_id === car.value);
        // the car's own quadrant first; the officer may pick another (a neighbour met across the line)
        if (mine && !quadrantPicked) quadrantSelect.value = mine.quadrant_id;
      } finally {
        // a refresh (page load, live change, reconnection) is also a moment to send what waits
        if (readQueue().length) flush().catch(() => {});
        drawStatus();
      }
    },
    dispose() {
      sender.listeners.delete(onSender);
    },
  };
  return view;
}
