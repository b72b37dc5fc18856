// The police view's "my shift": today's patrol schedule of the officer's car as a list and on the map, the
// current 14-minute fixed point with a countdown, the next ones, a check-in with the phone's position (the API
// matches it within 150 m and the stop's window, and the page says why when it does not), and iCalendar.
// The one console page that asks for the position (Permissions-Policy: geolocation=(self)).

import { h, replace } from '../dom.js';
import { formatElapsed, formatTime, t } from '../i18n.js';
import { createMap } from '../map.js';
import { carChooser, myUserId } from './mycar.js';
import { mapPanel, messageArea, refreshFailed, showError, showOk } from './common.js';

/** The date where the city is (a schedule's date), as YYYY-MM-DD. */
function cityDate(timeZone, when = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(when);
}

/** The phone's position, asked only when the officer taps "check in". */
function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error(t('shift_no_gps')));
      return;
    }
    navigator.geolocation.getCurrentPosition(resolve, () => reject(new Error(t('shift_no_gps'))), { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
}

/** Why a check-in was not counted, in the officer's words (docs/patrol.md "Closing the loop"). */
function refusal(answer) {
  if (answer.outcome === 'too_far') return t('shift_refused_far', { distance: Math.round(answer.distance_m || 0) });
  if (answer.outcome === 'no_stop_now') return t('shift_refused_window');
  if (answer.outcome === 'no_schedule') return t('shift_refused_schedule');
  return t('shift_refused_other', { outcome: answer.outcome });
}

export async function render(ctx, container) {
  const { api } = ctx;
  const zone = ctx.config.time_zone;
  const message = messageArea();
  const car = carChooser('shift-unit', () => {
    loaded = null;
    view.refresh().catch(() => {});
  });
  const currentEl = h('div', { class: 'assignment', dataset: { currentStop: '' } });
  const listEl = h('ol', { class: 'stops', dataset: { stops: '' }, 'aria-labelledby': 'shift-next-title' });
  const checkIn = h('button', { type: 'button', class: 'action', dataset: { checkIn: '' }, on: { click: () => sendCheckIn() } }, t('shift_check_in'));
  const ics = h('button', { type: 'button', class: 'secondary', dataset: { ics: '' }, on: { click: () => downloadIcs() } }, t('shift_ics'));
  const mapEl = mapPanel(t('map_label', { city: ctx.config.city_name }));
  replace(container, h('div', { class: 'layout-split police' },
    h('section', { class: 'panel', 'aria-labelledby': 'shift-title' },
      h('div', { class: 'page-head' }, h('h1', { id: 'shift-title' }, t('shift_title'))),
      car.element,
      currentEl, h('div', { class: 'actions big' }, checkIn), message,
      h('h2', { id: 'shift-next-title' }, t('shift_next')), listEl, ics),
    h('section', { class: 'panel map-panel' }, mapEl)));

  let stops = [];
  let loaded = null; // "<unit>/<date>" whose schedule `stops` holds
  let date = cityDate(zone);
  let map = null;
  let shownCurrent;
  let focused = null;
  let latest = 0;
  const mapReady = createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('map_label', { city: ctx.config.city_name }) }).then((m) => (map = m)).catch(() => {});

  const current = () => stops.find((s) => Date.parse(s.start) <= Date.now() && Date.now() <= Date.parse(s.end)) || null;

  function draw() {
    const now = Date.now();
    const stop = current();
    shownCurrent = stop ? stop.start : null;
    checkIn.disabled = !car.value;
    ics.disabled = !car.value || !stops.length;
    if (!car.value) replace(currentEl, h('p', { class: 'empty' }, t('mycar_pick_hint')));
    else if (!stops.length) replace(currentEl, h('p', { class: 'empty', dataset: { noStops: '' } }, t('shift_none', { unit: car.value })));
    else if (!stop) replace(currentEl, h('p', { class: 'empty', dataset: { between: '' } }, t('shift_between')));
    else {
      replace(currentEl, h('dl', { class: 'facts', dataset: { place: stop.place_id } },
        h('dt', {}, t('shift_now')), h('dd', {}, t('shift_stop', { place: stop.place_id, start: formatTime(stop.start), end: formatTime(stop.end) })),
        h('dt', {}, t('shift_left')), h('dd', { class: 'elapsed', dataset: { countdown: '' } }, formatElapsed(Math.max(0, (Date.parse(stop.end) - now) / 1000)))));
    }
    const upcoming = stops.filter((s) => Date.parse(s.end) >= now);
    replace(listEl, upcoming.length ? upcoming.map((s) => h('li', { dataset: { stop: s.start, place: s.place_id }, 'aria-current': s === stop ? 'true' : null, class: s === stop ? 'current' : null },
      h('time', { datetime: s.start }, formatTime(s.start)), '–', h('time', { datetime: s.end }, formatTime(s.end)), ` · ${s.place_id}`,
      s === stop ? h('strong', {}, ` · ${t('shift_now')}`) : null)) : h('li', { class: 'empty' }, t('shift_no_more')));
    if (map) {
      // the current fixed point is the biggest mark, and ringed; the map moves only when it changes
      map.setHotspots(upcoming.map((s) => ({ centroid: { lat: s.lat, lon: s.lon }, score: s === stop ? 3 : 1 })));
      const target = stop || upcoming[0];
      if (target && focused !== target.start) {
        map.focusPoint({ lat: target.lat, lon: target.lon });
        focused = target.start;
      }
    }
  }

  function tick() {
    const stop = current();
    if ((stop ? stop.start : null) !== shownCurrent) {
      draw();
      return;
    }
    const el = currentEl.querySelector('[data-countdown]');
    if (el && stop) el.textContent = formatElapsed(Math.max(0, (Date.parse(stop.end) - Date.now()) / 1000));
  }
  const timer = setInterval(tick, 1000);

  async function sendCheckIn() {
    checkIn.disabled = true;
    try {
      const where = await position();
      const location = { lat: where.coords.latitude, lon: where.coords.longitude };
      if (Number.isFinite(where.coords.accuracy)) location.accuracy_m = Math.round(where.coords.accuracy);
      const key = crypto.randomUUID(); // one tap, one check-in, whatever the network does
      const answer = await api.post('/v1/patrols/checkins', { unit_id: car.value, location, at: new Date().toISOString() }, { 'Idempotency-Key': key });
      // a refusal is stored too (201, matched: false): the outcome says why
      message.dataset.outcome = answer.outcome;
      if (answer.matched) showOk(message, t('shift_checked_in', { place: answer.place_id || '—', distance: Math.round(answer.distance_m || 0) }));
      else {
        message.className = 'message warning';
        message.textContent = t('shift_refused', { reason: refusal(answer) });
      }
      ctx.announce(message.textContent);
    } catch (error) {
      delete message.dataset.outcome;
      if (error.status === undefined) {
        message.className = 'message error';
        message.textContent = error.message;
      } else showError(message, error);
    } finally {
      checkIn.disabled = !car.value;
    }
  }

  async function downloadIcs() {
    // a file, not JSON, and a plain link cannot carry the token: fetched with it and offered as a Blob
    try {
      const answer = await fetch(`${ctx.config.api_url}/v1/patrol-schedules/${date}/units/${encodeURIComponent(car.value)}?format=ics`, {
        headers: { Accept: 'text/calendar', Authorization: `Bearer ${ctx.session.idToken}` }, cache: 'no-store', credentials: 'omit',
      });
      if (!answer.ok) throw Object.assign(new Error(`HTTP ${answer.status}`), { status: answer.status, problem: await answer.json().catch(() => ({})) });
      const url = URL.createObjectURL(new Blob([await answer.text()], { type: 'text/calendar' }));
      const link = h('a', { href: url, download: `patrol-${date}-${car.value}.ics`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      showError(message, error);
    }
  }

  const view = {
    async refresh() {
      const mine = ++latest;
      try {
        const [answer, userId] = await Promise.all([api.get('/v1/units'), myUserId(ctx)]);
        if (mine !== latest) return;
        car.fill(answer.items || [], userId);
        date = cityDate(zone);
        const want = car.value ? `${car.value}/${date}` : null;
        if (want && want !== loaded) {
          let found = [];
          try {
            const schedule = await api.get(`/v1/patrol-schedules/${date}/units/${encodeURIComponent(car.value)}`);
            const unit = (schedule.units || []).find((u) => u.unit_id === car.value);
            found = unit ? unit.stops : [];
          } catch (error) {
            if (error.status !== 404) throw error; // 404: no schedule for the date yet
          }
          if (mine !== latest) return;
          stops = found;
          loaded = found.length ? want : null; // none yet: asked again on the next refresh
        } else if (!want) stops = [];
        await mapReady;
        draw();
      } catch (error) {
        draw();
        refreshFailed(message, error);
        throw error;
      }
    },
    dispose() {
      clearInterval(timer);
      if (map) map.remove();
    },
  };
  return view;
}
