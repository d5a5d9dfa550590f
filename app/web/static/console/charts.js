// Small hand-drawn SVG charts (no chart library). Every series is also labelled in text.
const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(w, h, title) {
  const root = el("svg", { viewBox: `0 0 ${w} ${h}`, role: "img" });
  root.append(el("title", {}, title));
  return root;
}

/** Horizontal stacked bars: rows [{label, values: {series: n}}], series [{key, label}]. */
export function stackedBars(rows, series, title) {
  const w = 480, rowH = 26, left = 110, top = 24;
  const h = top + rows.length * rowH + 8;
  const max = Math.max(1, ...rows.map((r) => series.reduce((s, x) => s + (r.values[x.key] || 0), 0)));
  const root = svg(w, h, title);
  series.forEach((s, i) => {
    root.append(el("rect", { x: left + i * 110, y: 4, width: 12, height: 12, class: s.key }));
    root.append(el("text", { x: left + i * 110 + 16, y: 14 }, s.label));
  });
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    root.append(el("text", { x: 0, y: y + 15 }, r.label));
    let x = left;
    for (const s of series) {
      const n = r.values[s.key] || 0;
      const bw = ((w - left - 50) * n) / max;
      if (bw > 0) {
        const bar = el("rect", { x, y: y + 3, width: Math.max(bw, 1), height: rowH - 8, class: s.key });
        bar.append(el("title", {}, `${s.label}: ${n}`));
        root.append(bar);
      }
      x += bw;
    }
    const total = series.reduce((sum, s) => sum + (r.values[s.key] || 0), 0);
    root.append(el("text", { x: x + 4, y: y + 15 }, String(total)));
  });
  return root;
}

/** Lines over time: points [{at, values: {series: n}}]; dashes differ per series. */
export function lines(points, series, title, formatDate) {
  const w = 480, h = 220, left = 44, right = 10, top = 24, bottom = 28;
  const max = Math.max(1, ...points.flatMap((p) => series.map((s) => p.values[s.key] || 0)));
  const x = (i) => left + ((w - left - right) * i) / Math.max(1, points.length - 1);
  const y = (v) => top + (h - top - bottom) * (1 - v / max);
  const root = svg(w, h, title);
  root.append(el("line", { x1: left, y1: y(0), x2: w - right, y2: y(0), class: "axis" }));
  root.append(el("line", { x1: left, y1: top, x2: left, y2: y(0), class: "axis" }));
  for (const v of [0, Math.round(max / 2), max]) root.append(el("text", { x: 2, y: y(v) + 4 }, String(v)));
  [0, points.length - 1].forEach((i) => points[i] && root.append(
    el("text", { x: i ? w - right - 70 : left, y: h - 8 }, formatDate(points[i].at))));
  series.forEach((s, i) => {
    root.append(el("line", { x1: left + i * 110, y1: 10, x2: left + i * 110 + 18, y2: 10, class: `line ${s.key}` }));
    root.append(el("text", { x: left + i * 110 + 22, y: 14 }, s.label));
    const d = points.map((p, j) => `${j ? "L" : "M"}${x(j).toFixed(1)},${y(p.values[s.key] || 0).toFixed(1)}`).join(" ");
    root.append(el("path", { d, class: `line ${s.key}` }));
  });
  return root;
}

/** A level timeline: spans [{from, to, level, label}] between start and end (Date objects). */
export function timeline(spans, start, end, title, formatDate) {
  const w = 480, h = 64, pad = 4;
  const span = Math.max(1, end - start);
  const x = (t) => pad + ((w - 2 * pad) * (t - start)) / span;
  const root = svg(w, h, title);
  for (const s of spans) {
    const x0 = x(Math.max(start, s.from)), x1 = x(Math.min(end, s.to));
    const rect = el("rect", { x: x0, y: 4, width: Math.max(1, x1 - x0), height: 30, class: `level-${s.level}` });
    rect.append(el("title", {}, `${s.label} ${formatDate(new Date(s.from).toISOString())}`));
    root.append(rect);
    if (x1 - x0 > 40) root.append(el("text", { x: x0 + 4, y: 24 }, s.label));
  }
  root.append(el("text", { x: pad, y: 52 }, formatDate(new Date(start).toISOString())));
  root.append(el("text", { x: w - 110, y: 52 }, formatDate(new Date(end).toISOString())));
  return root;
}
