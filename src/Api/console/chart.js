// A bar chart of usage windows, drawn as SVG: bars placed on a time axis over the whole range, so
// windows without events are gaps. No library, nothing fetched.
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';

  function el(name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // 1, 2, 5 × 10^n at or above value / ticks.
  function niceStep(max, ticks) {
    const raw = max / ticks;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  function formatNumber(value) {
    return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 4 });
  }

  /**
   * windows: [{start: Date, end: Date, value: number, label: string, count: number}]; range: {start: Date, end: Date};
   * timeZone: IANA name used for the axis labels.
   */
  function drawUsageChart(container, windows, range, timeZone) {
    const width = 900, height = 280, left = 64, right = 16, top = 16, bottom = 44;
    const plotWidth = width - left - right, plotHeight = height - top - bottom;
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Usage per window', id: 'usage-chart' });
    const span = range.end - range.start;
    const x = t => left + ((t - range.start) / span) * plotWidth;
    const max = Math.max(0, ...windows.map(w => w.value));
    const step = max > 0 ? niceStep(max, 4) : 1;
    const top_ = max > 0 ? Math.ceil(max / step) * step : 1;
    const y = v => top + plotHeight - (v / top_) * plotHeight;

    for (let v = 0; v <= top_ + step / 2; v += step) {
      svg.appendChild(el('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }));
      svg.appendChild(el('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatNumber(v)));
    }

    svg.appendChild(el('line', { class: 'axis', x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight }));
    const labels = new Intl.DateTimeFormat('en-GB', { timeZone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    for (let i = 0; i <= 4; i++) {
      const t = new Date(range.start.getTime() + (span * i) / 4);
      const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
      svg.appendChild(el('line', { class: 'axis', x1: x(t), x2: x(t), y1: top + plotHeight, y2: top + plotHeight + 4 }));
      svg.appendChild(el('text', { x: x(t), y: height - bottom + 20, 'text-anchor': anchor }, labels.format(t)));
    }

    svg.appendChild(el('text', { x: left, y: height - 6 }, `time zone ${timeZone}`));
    for (const w of windows) {
      // A window cut by the range is drawn inside it.
      const start = Math.max(w.start.getTime(), range.start.getTime()), end = Math.min(w.end.getTime(), range.end.getTime());
      const x0 = x(start), barWidth = Math.max(2, x(end) - x0 - 1);
      const bar = el('rect', {
        class: 'bar', x: x0, y: y(Math.max(0, w.value)), width: barWidth, height: Math.max(0, y(0) - y(Math.max(0, w.value))),
        'data-start': w.start.toISOString(), 'data-value': w.label, 'data-count': w.count,
      });
      bar.appendChild(el('title', {}, `${labels.format(w.start)} – ${labels.format(w.end)}: ${w.label} (${w.count} events)`));
      svg.appendChild(bar);
    }

    if (windows.length === 0) {
      svg.appendChild(el('text', { class: 'empty', x: left + plotWidth / 2, y: top + plotHeight / 2, 'text-anchor': 'middle' }, 'No events in this range'));
    }

    container.replaceChildren(svg);
  }

  window.drawUsageChart = drawUsageChart;
})();
