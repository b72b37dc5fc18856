// Bar charts in plain SVG, written once: hatched bars with their values written beside them, so a chart
// reads the same in print, in grayscale and to a screen reader (the same numbers are in a table below it).

const SVG = 'http://www.w3.org/2000/svg';
let serial = 0;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

/**
 * A horizontal bar chart. bars: [{label, value (a number, or null when held back), text (what to write)}].
 * A held-back value (the API's "<5", "x", null) draws no bar and writes what the API published.
 */
export function barChart({ title, description, bars, dataset = {} }) {
  serial += 1;
  const id = `chart-${serial}`;
  const rowH = 22;
  const labelW = 150;
  const width = 640;
  const barMax = width - labelW - 170; // room for the value written after the longest bar
  const top = Math.max(1e-9, ...bars.map((bar) => (typeof bar.value === 'number' ? bar.value : 0)));
  const height = bars.length * rowH + 8;
  const root = svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`,
  },
  svg('title', { id: `${id}-title` }, title),
  svg('desc', { id: `${id}-desc` }, description || ''),
  svg('defs', {}, svg('pattern', { id: `${id}-hatch`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    svg('rect', { width: 6, height: 6, class: 'chart-hatch-ground' }),
    svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'chart-hatch-line' }))));
  for (const el of Object.entries(dataset)) root.dataset[el[0]] = el[1];
  bars.forEach((bar, i) => {
    const y = 4 + i * rowH;
    const length = typeof bar.value === 'number' ? Math.max(0, (bar.value / top) * barMax) : 0;
    root.append(svg('g', { class: 'chart-row' },
      svg('text', { x: labelW - 6, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'chart-label' }, bar.label),
      svg('rect', { x: labelW, y: y + 3, width: length.toFixed(1), height: rowH - 6, fill: `url(#${id}-hatch)`, class: 'chart-bar' }),
      svg('text', { x: labelW + length + 6, y: y + rowH / 2 + 4, class: 'chart-value' }, bar.text)));
  });
  return root;
}
