// Distances on the city's scale and the positions the API does not give (a unit's base: its quadrant).

const EARTH_M = 6_371_008.8;

export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.sqrt(h));
}

/** Where each unit is taken to be: the point the city layers give its base (its quadrant's centre). */
export function unitBases(layers) {
  const bases = new Map();
  for (const feature of (layers && layers.features) || []) {
    if (feature.properties.layer === 'unit_base') {
      const [lon, lat] = feature.geometry.coordinates;
      bases.set(feature.properties.unit_id, { lat, lon });
    }
  }
  return bases;
}

/** Available units nearest first: [{unit, distance_m}]. */
export function nearestAvailable(units, bases, place, limit = 5) {
  return units
    .filter((unit) => unit.status === 'available' && bases.has(unit.unit_id))
    .map((unit) => ({ unit, distance_m: distanceM(place, bases.get(unit.unit_id)) }))
    .sort((a, b) => a.distance_m - b.distance_m)
    .slice(0, limit);
}

export function blockFeature(layers, blockId) {
  return ((layers && layers.features) || []).find((f) => f.properties.layer === 'block' && f.properties.block_id === blockId);
}

export function bounds(layers) {
  let minLon = 180;
  let minLat = 90;
  let maxLon = -180;
  let maxLat = -90;
  for (const feature of (layers && layers.features) || []) {
    if (feature.properties.layer !== 'quadrant') continue;
    for (const [lon, lat] of feature.geometry.coordinates[0]) {
      minLon = Math.min(minLon, lon);
      maxLon = Math.max(maxLon, lon);
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
    }
  }
  return [[minLon, minLat], [maxLon, maxLat]];
}
