/**
 * Training curves as a picture: a small dependency-free line-chart renderer (pure, no Deno APIs).
 *
 * Panels stack vertically, each with its own axes, "nice" ticks (1, 2, 5 x 10^k; decades on log
 * axes), light grid lines, a legend and a title. Lines are 1-2 px Bresenham strokes without
 * anti-aliasing; non-finite values (and non-positive ones on log axes) leave gaps. With `smooth`
 * set, each long series is drawn twice: the raw points in a lighter tint and, on top, their
 * debiased exponential moving average (as TensorBoard's smoothing slider).
 *
 * The file runs past 300 lines because it holds its own raster primitives (rectangles, clipped
 * Bresenham lines) next to the tick and layout code: together they are the whole renderer.
 *
 * @example Render two panels and encode them as PNG
 * ```ts
 * import { renderPlot } from "./plot.ts";
 * import { encodePng } from "./image.ts";
 * const iters = Array.from({ length: 100 }, (_, i) => i * 10);
 * const image = renderPlot([
 *   { title: "Loss", series: [{ name: "D", points: iters.map((x) => [x, 1 / (1 + x)]) }] },
 *   { title: "R1", logY: true, series: [{ name: "r1", points: iters.map((x) => [x, 1e-3 + x]) }] },
 * ], { title: "Run 1", smooth: 0.9 });
 * console.log(image.width, encodePng(image).length > 0); // 800 true
 * ```
 *
 * @module
 */
import type { Rgb } from "../types.ts";
import type { RasterImage } from "./image.ts";
import { CAP_HEIGHT, drawText, LINE_HEIGHT, textWidth } from "./_font.ts";

export type { Rgb };

/** One line of a panel. */
export interface PlotSeries {
  /** Legend entry. */
  name: string;
  /** `[x, y]` pairs in drawing order; non-finite x or y leaves a gap. */
  points: [number, number][];
  /** Line colour; default the next of the tab10 palette. */
  color?: Rgb;
}

/** One chart; panels stack top to bottom. */
export interface PlotPanel {
  /** Shown above the chart, left; the legend sits on the same line, right. */
  title: string;
  /** Shown under the x tick labels. */
  xLabel?: string;
  /** Lines of this chart. */
  series: PlotSeries[];
  /** Logarithmic y axis; values <= 0 are skipped. Default false. */
  logY?: boolean;
  /** Fixed y range `[min, max]` instead of the data's (lines are clipped to it). */
  yRange?: [number, number];
  /** Overrides {@linkcode PlotOptions.smooth} for this panel. */
  smooth?: number;
}

/** Options of {@linkcode renderPlot}. */
export interface PlotOptions {
  /** Image width in pixels. Default 800. */
  width?: number;
  /** Height of each panel in pixels. Default 240. */
  panelHeight?: number;
  /** Big title on top of the image. */
  title?: string;
  /**
   * EMA weight in [0, 1) for series of at least 20 points: 0 (default) draws the raw line only;
   * e.g. 0.9 draws the raw line light and its exponential moving average on top.
   */
  smooth?: number;
}

/** An axis range and the round tick values inside it. */
export interface Ticks {
  /** Start of the axis: the data minimum, less padding. */
  lo: number;
  /** End of the axis: the data maximum, plus padding. */
  hi: number;
  /** Tick values, ascending, all within `[lo, hi]`. */
  values: number[];
  /** Spacing of linear ticks (the label precision); 0 for decade ticks of log axes. */
  step: number;
  /** Whether the axis is logarithmic. */
  log: boolean;
}

/** matplotlib's tab10 palette. */
const PALETTE: Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];
const GRID: Rgb = [232, 232, 232];
const AXIS: Rgb = [90, 90, 90];
const TEXT: Rgb = [30, 30, 30];
const MUTED: Rgb = [150, 150, 150];
/** Values are clamped here so that differences of two never overflow to Infinity. */
const LIMIT = 1e307;
const MIN_SMOOTH_POINTS = 20;

/**
 * Round tick values inside `[min, max]`: at most `maxTicks` (>= 3, default 6) linear ticks spaced
 * 1, 2 or 5 x 10^k, or, with `log`, powers of ten (1, 2, 5 x 10^k when fewer than two decades
 * fit). `pad` widens the range by that fraction of its span on each side (in log10 space on log
 * axes); an empty or constant range is widened first, non-finite bounds become [0, 1].
 *
 * @example
 * ```ts
 * import { niceTicks } from "./plot.ts";
 * console.log(niceTicks(0.13, 0.92).values); // [0.2, 0.4, 0.6000000000000001, 0.8]
 * console.log(niceTicks(3e-4, 20, { log: true }).values); // [0.001, 0.01, 0.1, 1, 10]
 * ```
 */
export function niceTicks(
  min: number,
  max: number,
  options: { maxTicks?: number; log?: boolean; pad?: number } = {},
): Ticks {
  const { maxTicks = 6, log = false, pad = 0 } = options;
  if (!(maxTicks >= 3)) throw new Error(`niceTicks needs maxTicks >= 3, got ${maxTicks}`);
  if (log) {
    if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) {
      [min, max] = [1, 10];
    }
    let [a, b] = [Math.log10(Math.min(min, max)), Math.log10(Math.max(min, max))];
    if (b - a < 1e-9) [a, b] = [a - 0.5, b + 0.5];
    [a, b] = [Math.max(-300, a - pad * (b - a)), Math.min(300, b + pad * (b - a))];
    return { ...logTicks(10 ** a, 10 ** b, maxTicks), lo: 10 ** a, hi: 10 ** b };
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1];
  [min, max] = [Math.max(-LIMIT, Math.min(min, max)), Math.min(LIMIT, Math.max(min, max))];
  if (max - min <= Math.abs(max) * 1e-12) {
    const widen = max === 0 ? 1 : Math.abs(max) * 0.1;
    [min, max] = [min - widen, max + widen];
  }
  const span = max - min;
  [min, max] = [Math.max(-LIMIT, min - pad * span), Math.min(LIMIT, max + pad * span)];
  return { ...linearTicks(min, max, maxTicks), lo: min, hi: max };
}

function linearTicks(min: number, max: number, maxTicks: number): Omit<Ticks, "lo" | "hi"> {
  const base = 10 ** Math.floor(Math.log10((max - min) / maxTicks));
  for (const m of [1, 2, 5, 10, 20, 50, 100]) {
    const step = m * base;
    const first = Math.ceil(min / step - 1e-9);
    const count = Math.floor(max / step + 1e-9) - first + 1;
    if (count > maxTicks) continue;
    return {
      values: Array.from({ length: count }, (_, i) => (first + i) * step),
      step,
      log: false,
    };
  }
  throw new Error(`niceTicks found no step for [${min}, ${max}]`); // unreachable: 100 * base > span
}

function logTicks(min: number, max: number, maxTicks: number): Omit<Ticks, "lo" | "hi"> {
  const [lowest, highest] = [Math.floor(Math.log10(min)), Math.ceil(Math.log10(max))];
  const ticksOf = (mantissas: readonly number[], stride: number) => {
    const values: number[] = [];
    for (let e = Math.ceil(lowest / stride) * stride; e <= highest; e += stride) {
      for (const m of mantissas) {
        const v = Number(`${m}e${e}`); // exact decimal, unlike m * 10 ** e
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) values.push(v);
      }
    }
    return values;
  };
  // The densest of 1-2-5, 1-3, every decade, every 2nd, 3rd, 5th, ... decade that fits.
  const strides = [1, 2, 3, 5, 10, 20, 50, 100, 200, 300];
  for (
    const [mantissas, stride] of [[[1, 2, 5], 1], [[1, 3], 1], ...strides.map((s) => [[1], s])]
  ) {
    const values = ticksOf(mantissas as number[], stride as number);
    if (values.length > maxTicks) continue;
    if (values.length >= 2) return { values, step: 0, log: true };
    break;
  }
  return { ...linearTicks(min, max, maxTicks), log: true }; // under a factor ~2.5: plain ticks
}

/**
 * A short tick label: as many decimals as `step` needs, k and M from 1000, and exponent form
 * below 0.001 and from 1e9 (`1.5k`, `2M`, `0.25`, `1e-4`, `3e12`). On log axes pass the value
 * itself as `step`.
 *
 * @example
 * ```ts
 * import { formatTick } from "./plot.ts";
 * console.log(formatTick(1500, 500), formatTick(2e6, 1e6), formatTick(0.3, 0.1)); // 1.5k 2M 0.3
 * console.log(formatTick(1e-4, 1e-4), formatTick(2.5e-5, 5e-6)); // 1e-4 2.5e-5
 * ```
 */
export function formatTick(value: number, step: number): string {
  step = Math.abs(step) || Math.abs(value) || 1;
  if (Math.abs(value) < step * 1e-6) return "0";
  const magnitude = Math.abs(value);
  // Fewest decimals (up to 6) that write multiples of `s` exactly: 0.5 -> 1, 0.25 -> 2.
  const decimalsFor = (s: number) => {
    let d = Math.max(0, -Math.floor(Math.log10(s) + 1e-9));
    while (d < 6 && Math.abs(s * 10 ** d - Math.round(s * 10 ** d)) > 1e-6 * s * 10 ** d) d++;
    return Math.min(d, 6);
  };
  if (magnitude >= 1e3 && magnitude < 1e9) {
    const group = Math.floor(Math.log10(magnitude) / 3 + 1e-12);
    const unit = 10 ** (3 * group);
    return (value / unit).toFixed(decimalsFor(step / unit)) + "kM"[group - 1];
  }
  if (magnitude >= 1e-3 && magnitude < 1e3) return value.toFixed(decimalsFor(step));
  const digits = Math.min(
    3,
    Math.max(0, Math.floor(Math.log10(magnitude)) - Math.floor(Math.log10(step))),
  );
  const [mantissa, exponent] = value.toExponential(digits).split("e");
  return `${mantissa.replace(/\.?0+$/, "")}e${exponent.replace("+", "")}`;
}

/**
 * Debiased exponential moving average of the y values (TensorBoard's smoothing): non-finite
 * points stay gaps and do not enter the average.
 *
 * @example
 * ```ts
 * import { smoothEma } from "./plot.ts";
 * console.log(smoothEma([[0, 1], [1, NaN], [2, 3]], 0.5)); // [[0, 1], [1, NaN], [2, 2.3333333333333335]]
 * ```
 */
export function smoothEma(points: [number, number][], weight: number): [number, number][] {
  if (!(weight >= 0 && weight < 1)) {
    throw new Error(`smoothEma weight must be in [0, 1), got ${weight}`);
  }
  let average = 0;
  let debias = 1;
  return points.map(([x, y]) => {
    if (!Number.isFinite(y)) return [x, NaN];
    average = weight * average + (1 - weight) * y;
    debias *= weight;
    return [x, average / (1 - debias)];
  });
}

/**
 * Renders stacked line charts into an opaque RGB image (white background), ready for
 * `encodePng` from `./image.ts`.
 *
 * @example
 * ```ts
 * import { renderPlot } from "./plot.ts";
 * const points: [number, number][] = [[0, 2.1], [100, 1.2], [200, 0.9]];
 * const image = renderPlot([{ title: "G loss", series: [{ name: "G", points }] }], { width: 400 });
 * console.log(image.width, image.height, image.channels); // 400 240 3
 * ```
 */
export function renderPlot(panels: PlotPanel[], options: PlotOptions = {}): RasterImage {
  const { width = 800, panelHeight = 240, title, smooth = 0 } = options;
  if (
    !Number.isInteger(width) || !Number.isInteger(panelHeight) || width < 120 || panelHeight < 80
  ) {
    throw new Error(
      `Plot needs integer width >= 120 and panelHeight >= 80, got ${width}, ${panelHeight}`,
    );
  }
  const titleHeight = title ? 2 * CAP_HEIGHT + 16 : 0;
  const height = titleHeight + Math.max(1, panels.length) * panelHeight;
  const image: RasterImage = {
    width,
    height,
    channels: 3,
    data: new Uint8Array(width * height * 3).fill(255),
  };
  if (title) {
    drawText(image, title, { x: (width - textWidth(title, 2)) / 2, y: 8, color: TEXT, scale: 2 });
  }
  const axes = panels.map(panelAxes);
  // One left margin for all panels, so that their plot areas line up.
  const labelWidth = Math.max(
    0,
    ...axes.map(({ y }) => Math.max(...y.values.map((v) => textWidth(formatTick(v, y.step || v))))),
  );
  const left = labelWidth + 14;
  panels.forEach((panel, k) => {
    const top = titleHeight + k * panelHeight;
    drawPanel(image, panel, axes[k], {
      left,
      right: width - 16,
      top: top + LINE_HEIGHT + 12,
      bottom: top + panelHeight - (panel.xLabel ? 2 * LINE_HEIGHT + 8 : LINE_HEIGHT + 10),
      headerY: top + 8,
      smooth: panel.smooth ?? smooth,
    });
  });
  return image;
}

interface Rect {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function panelAxes(panel: PlotPanel): { x: Ticks; y: Ticks; empty: boolean } {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const { points } of panel.series) {
    for (const [x, y] of points) {
      if (!Number.isFinite(x) || !Number.isFinite(y) || (panel.logY && y <= 0)) continue;
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    }
  }
  if (panel.yRange) [y0, y1] = panel.yRange;
  const empty = x0 > x1;
  const y = niceTicks(y0, y1, { log: panel.logY, pad: panel.yRange ? 0 : 0.04 });
  return { x: niceTicks(x0, x1), y, empty };
}

function drawPanel(
  image: RasterImage,
  panel: PlotPanel,
  axes: { x: Ticks; y: Ticks; empty: boolean },
  layout: Rect & { headerY: number; smooth: number },
): void {
  const { left, right, top, bottom, headerY, smooth } = layout;
  const rect = { left, right, top, bottom };
  const toPx = (v: number) => left + scaleOf(axes.x, v) * (right - left);
  const toPy = (v: number) => bottom - scaleOf(axes.y, v) * (bottom - top);

  drawText(image, panel.title, { x: left, y: headerY, color: TEXT, bold: true });
  for (const v of axes.y.values) {
    const py = Math.round(toPy(v));
    fillRect(image, { left, right, top: py, bottom: py }, GRID);
    fillRect(image, { left: left - 4, right: left - 1, top: py, bottom: py }, AXIS);
    const label = formatTick(v, axes.y.step || v);
    drawText(image, label, { x: left - 7 - textWidth(label), y: py - 3, color: TEXT });
  }
  for (const v of axes.x.values) {
    const px = Math.round(toPx(v));
    fillRect(image, { left: px, right: px, top, bottom }, GRID);
    fillRect(image, { left: px, right: px, top: bottom + 1, bottom: bottom + 4 }, AXIS);
    const label = formatTick(v, axes.x.step);
    const x = Math.min(image.width - 1 - textWidth(label), Math.max(0, px - textWidth(label) / 2));
    drawText(image, label, { x, y: bottom + 8, color: TEXT });
  }
  if (panel.xLabel) {
    const x = (left + right - textWidth(panel.xLabel)) / 2;
    drawText(image, panel.xLabel, { x, y: bottom + 8 + LINE_HEIGHT, color: TEXT });
  }
  if (axes.empty) {
    drawText(image, "no data", {
      x: (left + right - textWidth("no data")) / 2,
      y: (top + bottom) / 2,
      color: MUTED,
    });
  }

  const colors = panel.series.map(({ color }, i) => color ?? PALETTE[i % PALETTE.length]);
  const inner = { left: left + 1, right: right - 1, top: top + 1, bottom: bottom - 1 };
  panel.series.forEach(({ points }, i) => {
    const valid = (p: [number, number]) => !panel.logY || p[1] > 0;
    const pixels = (pts: [number, number][]) =>
      pts.map(([x, y]): [number, number] => valid([x, y]) ? [toPx(x), toPy(y)] : [NaN, NaN]);
    const smoothed = smooth > 0 &&
      points.filter((p) => Number.isFinite(p[1])).length >= MIN_SMOOTH_POINTS;
    if (smoothed) {
      drawPolyline(image, pixels(points), {
        color: tint(colors[i], 0.6),
        thickness: 1,
        clip: inner,
      });
      const average = smoothEma(
        points.map(([x, y]): [number, number] => [x, valid([x, y]) ? y : NaN]),
        smooth,
      );
      drawPolyline(image, pixels(average), { color: colors[i], thickness: 2, clip: inner });
    } else {
      drawPolyline(image, pixels(points), { color: colors[i], thickness: 2, clip: inner });
    }
  });
  strokeRect(image, rect, AXIS);

  // Legend: right-aligned on the title line, a swatch then the name per series.
  let x = right - panel.series.reduce((w, s) => w + 14 + textWidth(s.name) + 12, -12);
  panel.series.forEach(({ name }, i) => {
    fillRect(image, { left: x, right: x + 9, top: headerY + 2, bottom: headerY + 4 }, colors[i]);
    drawText(image, name, { x: x + 14, y: headerY, color: TEXT });
    x += 14 + textWidth(name) + 12;
  });
}

/** Position of `v` along an axis, 0 at `lo` and 1 at `hi` (log10 space on log axes). */
function scaleOf(ticks: Ticks, v: number): number {
  if (ticks.log) {
    return (Math.log10(v) - Math.log10(ticks.lo)) / (Math.log10(ticks.hi) - Math.log10(ticks.lo));
  }
  return (Math.max(-LIMIT, Math.min(LIMIT, v)) - ticks.lo) / (ticks.hi - ticks.lo);
}

function tint([r, g, b]: Rgb, toWhite: number): Rgb {
  return [r, g, b].map((c) => Math.round(c + (255 - c) * toWhite)) as Rgb;
}

function setPixel(image: RasterImage, x: number, y: number, color: Rgb): void {
  const i = (y * image.width + x) * image.channels;
  image.data[i] = color[0];
  image.data[i + 1] = color[1];
  image.data[i + 2] = color[2];
}

function fillRect(image: RasterImage, rect: Rect, color: Rgb): void {
  const x0 = Math.max(0, Math.round(rect.left));
  const x1 = Math.min(image.width - 1, Math.round(rect.right));
  const y0 = Math.max(0, Math.round(rect.top));
  const y1 = Math.min(image.height - 1, Math.round(rect.bottom));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) setPixel(image, x, y, color);
}

function strokeRect(image: RasterImage, { left, right, top, bottom }: Rect, color: Rgb): void {
  fillRect(image, { left, right, top, bottom: top }, color);
  fillRect(image, { left, right, top: bottom, bottom }, color);
  fillRect(image, { left, right: left, top, bottom }, color);
  fillRect(image, { left: right, right, top, bottom }, color);
}

/** Joins consecutive finite pixel positions with Bresenham lines; a non-finite one breaks the line. */
function drawPolyline(
  image: RasterImage,
  points: [number, number][],
  style: { color: Rgb; thickness: 1 | 2; clip: Rect },
): void {
  const { color, thickness, clip } = style;
  const stamp = (x: number, y: number) => {
    for (let dy = 0; dy < thickness; dy++) {
      for (let dx = 0; dx < thickness; dx++) {
        const [px, py] = [x + dx, y + dy];
        if (px >= clip.left && px <= clip.right && py >= clip.top && py <= clip.bottom) {
          setPixel(image, px, py, color);
        }
      }
    }
  };
  const finite = ([x, y]: [number, number]) => Number.isFinite(x) && Number.isFinite(y);
  points.forEach((p, i) => {
    if (!finite(p)) return;
    const previous = points[i - 1];
    const next = points[i + 1];
    if (previous && finite(previous)) {
      const segment = clipSegment(previous, p, clip);
      if (segment) bresenham(segment, stamp);
    } else if (!next || !finite(next)) {
      // An isolated point (a single value, or one between gaps): a small square marker.
      const [x, y] = [Math.round(p[0]), Math.round(p[1])];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) stamp(x + dx, y + dy);
    }
  });
}

/** Liang-Barsky: the part of segment a-b inside `rect`, or null (keeps Bresenham loops short). */
function clipSegment(a: [number, number], b: [number, number], rect: Rect): number[] | null {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  let [t0, t1] = [0, 1];
  const edges = [
    [-dx, a[0] - rect.left],
    [dx, rect.right - a[0]],
    [-dy, a[1] - rect.top],
    [dy, rect.bottom - a[1]],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
    } else if (p < 0) t0 = Math.max(t0, q / p);
    else t1 = Math.min(t1, q / p);
  }
  if (t0 > t1) return null;
  return [a[0] + t0 * dx, a[1] + t0 * dy, a[0] + t1 * dx, a[1] + t1 * dy].map(Math.round);
}

function bresenham([x0, y0, x1, y1]: number[], plot: (x: number, y: number) => void): void {
  const [dx, dy] = [Math.abs(x1 - x0), -Math.abs(y1 - y0)];
  const [sx, sy] = [x0 < x1 ? 1 : -1, y0 < y1 ? 1 : -1];
  let error = dx + dy;
  for (;;) {
    plot(x0, y0);
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * error;
    if (e2 >= dy) [error, x0] = [error + dy, x0 + sx];
    if (e2 <= dx) [error, y0] = [error + dx, y0 + sy];
  }
}
