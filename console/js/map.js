// The city's map: its own layers (quadrants, blocks, sirens, unit bases) plus live ones (open alerts, units,
// hot spots) as plain GeoJSON over a background colour. No tile server, no glyphs: nothing from the internet.

import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { h } from './dom.js';
import { bounds } from './geo.js';
import { t } from './i18n.js';

let layersPromise = null;

/** The city layers (config.map_layers), fetched once per page load. */
export function cityLayers(url) {
  layersPromise = layersPromise || fetch(url, { cache: 'no-cache' }).then((answer) => {
    if (!answer.ok) throw new Error(`${url}: HTTP ${answer.status}`);
    return answer.json();
  });
  return layersPromise;
}

export function webglAvailable() {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

const EMPTY = { type: 'FeatureCollection', features: [] };
const COLOURS = {
  background: '#e8ecef',
  quadrant: '#c9d6df',
  quadrantLine: '#52616b',
  block: '#ffffff',
  blockLine: '#9aa5ad',
  siren: '#6a4c93',
  hotspot: '#f4a261',
  unitAvailable: '#2a9d8f',
  unitBusy: '#264653',
  alert: '#d62828',
  focus: '#ffb703',
};

function style(city) {
  return {
    version: 8,
    sources: {
      city: { type: 'geojson', data: city },
      hotspots: { type: 'geojson', data: EMPTY },
      units: { type: 'geojson', data: EMPTY },
      alerts: { type: 'geojson', data: EMPTY },
      focus: { type: 'geojson', data: EMPTY },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': COLOURS.background } },
      { id: 'quadrants', type: 'fill', source: 'city', filter: ['==', ['get', 'layer'], 'quadrant'], paint: { 'fill-color': COLOURS.quadrant, 'fill-opacity': 0.6 } },
      { id: 'blocks', type: 'fill', source: 'city', filter: ['==', ['get', 'layer'], 'block'], paint: { 'fill-color': COLOURS.block, 'fill-outline-color': COLOURS.blockLine, 'fill-opacity': 0.85 } },
      { id: 'quadrant-lines', type: 'line', source: 'city', filter: ['==', ['get', 'layer'], 'quadrant'], paint: { 'line-color': COLOURS.quadrantLine, 'line-width': 2 } },
      { id: 'focus-fill', type: 'fill', source: 'focus', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': COLOURS.focus, 'fill-opacity': 0.7 } },
      { id: 'sirens', type: 'circle', source: 'city', filter: ['==', ['get', 'layer'], 'siren'], minzoom: 13, paint: { 'circle-radius': 2.5, 'circle-color': COLOURS.siren } },
      { id: 'hotspots', type: 'circle', source: 'hotspots', paint: { 'circle-radius': ['interpolate', ['linear'], ['get', 'weight'], 0, 6, 1, 18], 'circle-color': COLOURS.hotspot, 'circle-opacity': 0.55 } },
      { id: 'units', type: 'circle', source: 'units', paint: { 'circle-radius': 7, 'circle-color': ['case', ['==', ['get', 'status'], 'available'], COLOURS.unitAvailable, COLOURS.unitBusy], 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } },
      { id: 'alerts', type: 'circle', source: 'alerts', paint: { 'circle-radius': ['case', ['==', ['get', 'priority'], 1], 10, 8], 'circle-color': COLOURS.alert, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } },
      { id: 'focus-point', type: 'circle', source: 'focus', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 14, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': COLOURS.focus, 'circle-stroke-width': 4 } },
    ],
  };
}

const point = (lon, lat, properties) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties });

/**
 * A map in `container` (which gets role=img and a label; the same facts are in the page's tables).
 * Resolves to {setAlerts, setUnits, setHotspots, focusPoint, focusFeature, remove}.
 */
export async function createMap(container, { layersUrl, label }) {
  // a labelled region: its zoom buttons are controls, so it cannot be one image
  container.setAttribute('role', 'region');
  container.setAttribute('aria-label', label);
  container.dataset.map = 'pending';
  const city = await cityLayers(layersUrl);
  if (!webglAvailable()) {
    container.dataset.map = 'unavailable';
    container.removeAttribute('role');
    container.append(h('p', { class: 'empty' }, t('map_unavailable')));
    return null;
  }
  const map = new maplibregl.Map({
    container,
    style: style(city),
    bounds: bounds(city),
    fitBoundsOptions: { padding: 16 },
    attributionControl: false,
    keyboard: false, // the page's keys belong to the operator's shortcuts
    dragRotate: false,
    pitchWithRotate: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  container.dataset.map = 'ready';
  // the canvas is drawn, not read (every fact on it is in the page's tables) and takes no keys (those are
  // the operator's shortcuts): out of the tab order and hidden from screen readers
  for (const canvas of container.querySelectorAll('canvas')) {
    canvas.setAttribute('tabindex', '-1');
    canvas.setAttribute('aria-hidden', 'true');
  }
  const set = (source, features) => {
    const target = map.getSource(source);
    if (target) target.setData({ type: 'FeatureCollection', features });
  };
  return {
    setAlerts(alerts) {
      set('alerts', alerts.filter((a) => a.location).map((a) => point(a.location.lon, a.location.lat, { alert_id: a.alert_id, priority: a.priority })));
    },
    setUnits(units, bases) {
      set('units', units.filter((u) => bases.has(u.unit_id)).map((u) => point(bases.get(u.unit_id).lon, bases.get(u.unit_id).lat, { unit_id: u.unit_id, status: u.status })));
    },
    /** Hot spots sized by score relative to the strongest one shown. */
    setHotspots(items) {
      const placed = items.filter((s) => s.centroid);
      const top = Math.max(...placed.map((s) => Number(s.score) || 0), 1e-9);
      set('hotspots', placed.map((s) => point(s.centroid.lon, s.centroid.lat, { weight: (Number(s.score) || 0) / top })));
    },
    /** Rings `location`; frames it with `also` (e.g. its unit's base) when given. */
    focusPoint(location, also = null) {
      set('focus', [point(location.lon, location.lat, {})]);
      if (!also) {
        map.jumpTo({ center: [location.lon, location.lat], zoom: 14.5 });
        return;
      }
      const lons = [location.lon, also.lon];
      const lats = [location.lat, also.lat];
      map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { maxZoom: 15, padding: 80, duration: 0 });
    },
    focusFeature(feature) {
      set('focus', feature ? [feature] : []);
      if (feature) {
        const ring = feature.geometry.coordinates[0];
        const lons = ring.map((p) => p[0]);
        const lats = ring.map((p) => p[1]);
        map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { maxZoom: 16, padding: 40, duration: 0 });
      }
    },
    remove() {
      map.remove();
    },
  };
}
