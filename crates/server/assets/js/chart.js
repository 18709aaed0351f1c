//! Hand-written SVG charts (no library): line charts, bar charts and the settlement clock.
//!
//! Contract: every chart is a `<figure class="chart" data-chart="<name>">` holding one `<svg>`
//! whose data marks carry `class="mark"` (`path` for lines, `rect` for bars), a legend, and a
//! `<title>` per point with the exact value. Floats are used for geometry only: the exact
//! decimal strings stay in the tooltips. A chart without data says so and draws no `<svg>`.

import { amount, approx, compact } from "./fmt.js";
import { h } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 720;
const H = 240;
const PAD = { l: 64, r: 16, t: 12, b: 36 };
export const COLOURS = ["#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2"];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function frame(name, caption, svg, legend) {
  return h("figure", { class: "chart", "data-chart": name }, h("figcaption", {}, caption), svg, legend);
}

function empty(name, caption) {
  return h(
    "figure",
    { class: "chart chart-empty", "data-chart": name },
    h("figcaption", {}, caption),
    h("p", { class: "empty" }, "no data yet"),
  );
}

/** A legend swatch as SVG (the page's CSP allows no inline styles). */
function swatch(colour) {
  return s("svg", { class: "swatch", width: 10, height: 10, viewBox: "0 0 10 10" }, s("rect", { width: 10, height: 10, rx: 2, fill: colour }));
}

function legendOf(series) {
  return h(
    "div",
    { class: "legend" },
    series.map((x, i) =>
      h("span", { class: "legend-item" }, swatch(x.colour ?? COLOURS[i % COLOURS.length]), x.label),
    ),
  );
}

/** An axis label: compact for large values, else as many decimals as the tick step needs. */
function tick(v, step) {
  if (Math.abs(v) >= 1000 || step >= 1000) return compact(v);
  const decimals = step > 0 ? Math.min(8, Math.max(0, Math.ceil(-Math.log10(step)) + 1)) : 0;
  return v.toFixed(decimals);
}

/** Value range of all points, always including 0 so bars and areas read honestly. */
function yRange(series) {
  let lo = 0;
  let hi = 0;
  for (const x of series) for (const v of x.values.map(approx)) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo === hi) hi = lo + 1;
  return [lo, hi];
}

function axes(svg, labels, lo, hi, x) {
  const y = (v) => PAD.t + ((hi - v) / (hi - lo)) * (H - PAD.t - PAD.b);
  const step = (hi - lo) / 4;
  for (let i = 0; i <= 4; i++) {
    const v = lo + step * i;
    svg.append(s("line", { class: "grid", x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }));
    svg.append(s("text", { class: "tick", x: PAD.l - 6, y: y(v) + 4, "text-anchor": "end" }, tick(v, step)));
  }
  const every = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((l, i) => {
    if (i % every !== 0 && i !== labels.length - 1) return;
    // Keep the first and last labels inside the frame.
    const anchor = x(i) - PAD.l < 40 ? "start" : W - PAD.r - x(i) < 40 ? "end" : "middle";
    svg.append(s("text", { class: "tick", x: x(i), y: H - PAD.b + 16, "text-anchor": anchor }, l));
  });
  return y;
}

/**
 * A line chart: `labels` on x (e.g. epoch ids), each series `{label, values: [decimal text|null]}`
 * on y; `unit` names the values' unit in the tooltips. `opts.step` draws steps (balances).
 */
export function lineChart(name, caption, labels, series, unit, opts = {}) {
  const live = series.filter((x) => x.values.some((v) => approx(v) !== null));
  if (labels.length === 0 || live.length === 0) return empty(name, caption);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": caption });
  const n = labels.length;
  const x = (i) => PAD.l + (n === 1 ? (W - PAD.l - PAD.r) / 2 : (i * (W - PAD.l - PAD.r)) / (n - 1));
  const [lo, hi] = opts.range ?? yRange(live);
  const y = axes(svg, labels, lo, hi, x);
  series.forEach((ser, k) => {
    const colour = ser.colour ?? COLOURS[k % COLOURS.length];
    let d = "";
    let pen = false;
    ser.values.forEach((v, i) => {
      const f = approx(v);
      if (f === null) { pen = false; return; }
      if (!pen) d += `M${x(i)},${y(f)}`;
      else if (opts.step) d += `H${x(i)}V${y(f)}`;
      else d += `L${x(i)},${y(f)}`;
      pen = true;
    });
    if (d) svg.append(s("path", { class: "mark line", d, stroke: colour, fill: "none", "data-series": ser.label }));
    ser.values.forEach((v, i) => {
      const f = approx(v);
      if (f === null) return;
      svg.append(s("circle", { class: "point", cx: x(i), cy: y(f), r: 3, fill: colour }, s("title", {}, `${labels[i]} · ${ser.label}: ${amount(v, unit, 6)} (exact ${v})`)));
    });
  });
  return frame(name, caption, svg, legendOf(series));
}

/**
 * A bar chart: per label, one bar per series side by side, or stacked when `opts.stacked`
 * (all values then ≥ 0, e.g. where debt sits: legacy ilk vs vault).
 */
export function barChart(name, caption, labels, series, unit, opts = {}) {
  const live = series.filter((x) => x.values.some((v) => approx(v) !== null));
  if (labels.length === 0 || live.length === 0) return empty(name, caption);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": caption });
  const n = labels.length;
  const slot = (W - PAD.l - PAD.r) / n;
  const x = (i) => PAD.l + slot * (i + 0.5);
  let range;
  if (opts.stacked) {
    let hi = 0;
    labels.forEach((_, i) => { hi = Math.max(hi, series.reduce((a, x2) => a + Math.max(0, approx(x2.values[i]) ?? 0), 0)); });
    range = [0, hi || 1];
  } else range = yRange(live);
  const [lo, hi] = range;
  const y = axes(svg, labels, lo, hi, x);
  const barW = opts.stacked ? slot * 0.7 : (slot * 0.8) / series.length;
  labels.forEach((label, i) => {
    let base = 0;
    series.forEach((ser, k) => {
      const v = ser.values[i];
      const f = approx(v);
      if (f === null) return;
      const colour = ser.colour ?? COLOURS[k % COLOURS.length];
      let x0, y0, y1;
      if (opts.stacked) {
        x0 = x(i) - barW / 2;
        y0 = y(base + Math.max(0, f));
        y1 = y(base);
        base += Math.max(0, f);
      } else {
        x0 = x(i) - (slot * 0.4) + k * barW;
        y0 = y(Math.max(0, f));
        y1 = y(Math.min(0, f));
      }
      svg.append(s("rect", { class: "mark bar", x: x0, y: y0, width: Math.max(1, barW - 1), height: Math.max(0.5, y1 - y0), fill: colour, "data-series": ser.label }, s("title", {}, `${label} · ${ser.label}: ${amount(v, unit, 6)} (exact ${v})`)));
    });
  });
  return frame(name, caption, svg, legendOf(series));
}

/**
 * The settlement clock: a 24-hour UTC dial with the Processing Window (13:00–16:00) as an arc,
 * the Moment of Settlement marked, and a hand at `secondOfDay`.
 */
export function clock(name, caption, secondOfDay) {
  const size = 220;
  const c = size / 2;
  const r = 88;
  const svg = s("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": caption, class: "clock" });
  const angle = (sec) => (sec / 86400) * 2 * Math.PI - Math.PI / 2;
  const pt = (sec, rad) => [c + rad * Math.cos(angle(sec)), c + rad * Math.sin(angle(sec))];
  const arc = (from, to, cls) => {
    const [x0, y0] = pt(from, r);
    const [x1, y1] = pt(to, r);
    const large = (to - from) % 86400 > 43200 ? 1 : 0;
    return s("path", { class: `mark ${cls}`, d: `M${x0},${y0}A${r},${r} 0 ${large} 1 ${x1},${y1}` });
  };
  svg.append(arc(16 * 3600, 13 * 3600 + 86400, "arc-active"));
  svg.append(arc(13 * 3600, 16 * 3600, "arc-processing"));
  for (let hour = 0; hour < 24; hour += 3) {
    const [tx, ty] = pt(hour * 3600, r - 22);
    svg.append(s("text", { class: "tick", x: tx, y: ty + 4, "text-anchor": "middle" }, String(hour).padStart(2, "0")));
  }
  const [mx, my] = pt(16 * 3600, r + 10);
  svg.append(s("circle", { class: "settlement-mark", cx: mx, cy: my, r: 4 }, s("title", {}, "16:00 UTC Moment of Settlement")));
  const [hx, hy] = pt(secondOfDay, r - 6);
  svg.append(s("path", { class: "mark hand", d: `M${c},${c}L${hx},${hy}` }));
  svg.append(s("circle", { class: "hub", cx: c, cy: c, r: 4 }));
  return frame(name, caption, svg, h("div", { class: "legend" },
    h("span", { class: "legend-item" }, swatch("#16a34a"), "Active Window 16:00→13:00"),
    h("span", { class: "legend-item" }, swatch("#dc2626"), "Processing Window 13:00→16:00")));
}
