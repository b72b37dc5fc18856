// The live queue: open public alerts by priority then age, elapsed against the city's target; a map beside.

import { h, replace, table } from '../dom.js';
import { unitBases } from '../geo.js';
import { t } from '../i18n.js';
import { createMap } from '../map.js';
import { heading, mapLegend, mapPanel, messageArea, priorityBadge, refreshFailed, startElapsedTicker, statusBadge, visitorBadge } from './common.js';

export async function render(ctx, container) {
  const { watcher } = ctx;
  const count = h('p', { class: 'count', dataset: { queueTotal: '' } });
  const list = h('div', { class: 'queue-list' });
  const message = messageArea();
  const mapEl = mapPanel(t('map_label', { city: ctx.config.city_name }));
  replace(container, h('div', { class: 'layout-split' },
    h('section', { class: 'panel', 'aria-labelledby': 'queue-title' }, heading('queue_title', count), message, list),
    h('section', { class: 'panel map-panel' }, mapEl, mapLegend())));
  container.querySelector('h1').id = 'queue-title';

  let map = null;
  let bases = new Map();
  ctx.layers.then((layers) => (bases = unitBases(layers))).catch(() => {});
  createMap(mapEl, { layersUrl: ctx.config.map_layers, label: t('map_label', { city: ctx.config.city_name }) })
    .then(async (m) => {
      map = m;
      if (!map) return;
      if (watcher.state.loaded) map.setAlerts(watcher.state.items);
      if (lastUnits) map.setUnits(lastUnits, bases);
      // hot spots change nightly, not with each alert: once per visit is enough (context, so a failure is quiet)
      const hotspots = await ctx.api.get('/v1/hotspots?limit=25').catch(() => ({ items: [] }));
      if (map) map.setHotspots((hotspots.items || []).filter((place) => place.hot_spot));
    })
    .catch(() => {});
  let stopTicker = () => {};
  let lastUnits = null;

  // The list draws only the rows in view (a virtual list): a fixed row height, a spacer above and below for
  // the rows not drawn, and a small pool of <tr> elements filled again on scroll. 10,000 open alerts cost the
  // same DOM as 40. The table says how many rows it has (aria-rowcount) and each drawn row which it is
  // (aria-rowindex), so a screen reader counts the whole queue; J/K walk the whole queue, not the drawn rows.
  const OVERSCAN = 8;
  let rowHeight = 37; // px; measured from the first drawn row (the stylesheet fixes it)
  let state = watcher.state;
  let freshIds = new Set();
  let focusIndex = -1; // the alert the keyboard is on, as an index into state.items
  let pool = [];
  let view = null; // {scroller, top, bottom, table, tbody}

  function build() {
    const tableEl = table(t('queue_caption'), [t('col_priority'), t('col_type'), t('col_status'), t('col_quadrant'), t('col_block'), t('col_elapsed'), t('col_open')], [], { dataset: { queue: '' }, class: 'grid queue-table' });
    const tbody = tableEl.tBodies[0];
    tableEl.querySelector('thead tr').setAttribute('aria-rowindex', '1');
    const top = h('div', { class: 'queue-spacer', 'aria-hidden': 'true' });
    const bottom = h('div', { class: 'queue-spacer', 'aria-hidden': 'true' });
    // focusable by script only: the keyboard rests here while the row it was on is scrolled out of the DOM
    const scroller = h('div', { class: 'queue-scroll', tabindex: '-1', dataset: { queueScroll: '' }, on: { scroll: () => paint() } }, top, tableEl, bottom);
    view = { scroller, top, bottom, table: tableEl, tbody };
    pool = [];
    replace(list, scroller);
  }

  function newRow() {
    const link = h('a', {});
    link.addEventListener('focus', () => { focusIndex = Number(link.closest('tr').dataset.index); });
    const cells = [h('td', {}), h('td', {}), h('td', {}), h('td', {}), h('td', {}), h('td', {}, h('span', { class: 'elapsed' })), h('td', {}, link)];
    return { tr: h('tr', {}, cells), cells, link, alertId: null };
  }

  function fill(row, item, index) {
    const { tr, cells, link } = row;
    tr.dataset.index = String(index);
    tr.setAttribute('aria-rowindex', String(index + 2));
    tr.classList.toggle('fresh', freshIds.has(item.alert_id));
    const elapsed = cells[5].firstChild;
    elapsed.dataset.ageS = String(item.age_s || 0);
    elapsed.dataset.fetchedAt = String(state.fetchedAt);
    if (row.alertId === item.alert_id && row.version === state.fetchedAt) return;
    row.alertId = item.alert_id;
    row.version = state.fetchedAt;
    tr.dataset.alertId = item.alert_id;
    tr.dataset.priority = String(item.priority);
    replace(cells[0], priorityBadge(item.priority));
    // a partner city's resident raised it here: the row says so in words (docs/roaming.md)
    replace(cells[1], watcher.label(item.type), item.visitor ? [' ', visitorBadge(item.visitor)] : null);
    replace(cells[2], statusBadge(item.status));
    cells[3].textContent = item.quadrant_id || '—';
    cells[4].textContent = item.block_id || '—';
    link.href = `#/alerts/${encodeURIComponent(item.alert_id)}`;
    link.title = item.alert_id;
    link.textContent = t('open_alert', { id: item.alert_id.slice(-6) });
  }

  // Draws the rows in view (and a few either side) into the pool; spacers stand for the rest.
  function paint() {
    if (!view) return;
    const items = state.items;
    const { scroller, top, bottom, tbody } = view;
    const headerH = view.table.tBodies[0].offsetTop || 0;
    const inView = Math.ceil((scroller.clientHeight || 600) / rowHeight);
    let first = Math.max(0, Math.floor((scroller.scrollTop - headerH) / rowHeight) - OVERSCAN);
    first = Math.min(first, Math.max(0, items.length - inView - 2 * OVERSCAN));
    const last = Math.min(items.length, first + inView + 2 * OVERSCAN);
    while (pool.length < last - first) pool.push(newRow());
    const rows = pool.slice(0, last - first);
    const hadFocus = document.activeElement && scroller.contains(document.activeElement);
    rows.forEach((row, k) => fill(row, items[first + k], first + k));
    // keep the drawn rows in the tbody in order, without touching the rows that stay (focus, hover)
    rows.forEach((row, k) => { if (tbody.children[k] !== row.tr) tbody.insertBefore(row.tr, tbody.children[k] || null); });
    while (tbody.children.length > rows.length) tbody.lastChild.remove();
    top.style.height = `${first * rowHeight}px`;
    bottom.style.height = `${(items.length - last) * rowHeight}px`;
    view.table.setAttribute('aria-rowcount', String(items.length + 1));
    if (rows.length && rows[0].tr.offsetHeight) rowHeight = rows[0].tr.offsetHeight;
    // a recycled row now shows another alert: the keyboard stays on its alert, or waits on the list
    if (hadFocus && focusIndex >= 0) {
      const row = rows.find((r) => Number(r.tr.dataset.index) === focusIndex);
      if (row && document.activeElement !== row.link) row.link.focus({ preventScroll: true });
      else if (!row && document.activeElement !== scroller) scroller.focus({ preventScroll: true });
    }
  }

  function draw(next, fresh = []) {
    state = next;
    freshIds = new Set(fresh.map((item) => item.alert_id));
    count.textContent = t('queue_count', { n: state.more ? `${state.items.length}+` : state.items.length });
    // keep the keyboard on the alert it was on, wherever that alert moved in the queue
    const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.closest('tr') : null;
    const focusedId = focused ? focused.dataset.alertId : null;
    stopTicker();
    if (!state.items.length) {
      view = null;
      replace(list, h('p', { class: 'empty', dataset: { queueEmpty: '' } }, t('queue_empty')));
    } else {
      if (!view) build();
      paint();
      if (focusedId) {
        const at = state.items.findIndex((item) => item.alert_id === focusedId);
        if (at >= 0) focusRow(at, { preventScroll: true });
      }
    }
    stopTicker = startElapsedTicker(list, state.responseTargetS);
    // the map's points after the list has painted: thousands of them must not hold the rows back
    if (map) setTimeout(() => map && map.setAlerts(state.items), 0);
  }

  // Scrolls the row of `index` into view if needed, draws it, and puts the keyboard on its link.
  function focusRow(index, { preventScroll = false } = {}) {
    focusIndex = index;
    if (!preventScroll) {
      const { scroller } = view;
      const headerH = view.table.tBodies[0].offsetTop || 0;
      const rowTop = headerH + index * rowHeight;
      const theadH = view.table.tHead ? view.table.tHead.offsetHeight : 0;
      if (rowTop - theadH < scroller.scrollTop) scroller.scrollTop = rowTop - theadH;
      else if (rowTop + rowHeight > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = rowTop + rowHeight - scroller.clientHeight;
      paint();
    }
    const row = pool.find((r) => r.tr.isConnected && Number(r.tr.dataset.index) === index);
    if (row) row.link.focus({ preventScroll: true });
  }

  // j / k move between alerts, Enter opens the one in focus (it is a link)
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || ['INPUT', 'TEXTAREA', 'SELECT'].includes(event.target.tagName)) return;
    if (event.key !== 'j' && event.key !== 'k') return;
    if (!view || !state.items.length) return;
    event.preventDefault();
    const inList = document.activeElement && list.contains(document.activeElement);
    const at = inList ? focusIndex : -1;
    const next = at === -1 ? 0 : event.key === 'j' ? Math.min(at + 1, state.items.length - 1) : Math.max(at - 1, 0);
    focusRow(next);
  }
  document.addEventListener('keydown', onKey);

  const unlisten = watcher.listen(draw);
  if (watcher.state.loaded) draw(watcher.state);
  return {
    async refresh() {
      try {
        const units = await ctx.api.get('/v1/units');
        message.textContent = '';
        lastUnits = units.items || [];
        if (map) map.setUnits(lastUnits, bases);
      } catch (error) {
        refreshFailed(message, error);
        throw error;
      }
    },
    dispose() {
      document.removeEventListener('keydown', onKey);
      unlisten();
      stopTicker();
      if (map) map.remove();
    },
  };
}
