import assert from "node:assert/strict";
import { Image } from "imagescript";
import { encodePng, type RasterImage } from "./image.ts";
import { CAP_HEIGHT, drawText, textWidth } from "./_font.ts";
import { formatTick, niceTicks, type PlotPanel, renderPlot, type Rgb, smoothEma } from "./plot.ts";

const BLUE: Rgb = [31, 119, 180]; // tab10 colours 1 and 2, the defaults of the first two series
const ORANGE: Rgb = [255, 127, 14];
const AXIS: Rgb = [90, 90, 90];

/** Deterministic noise (LCG + Box-Muller), so the picture is the same on every run. */
function noise(seed: number): () => number {
  let state = seed;
  const uniform = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

function isColor(image: RasterImage, x: number, y: number, [r, g, b]: Rgb): boolean {
  const i = (y * image.width + x) * image.channels;
  return image.data[i] === r && image.data[i + 1] === g && image.data[i + 2] === b;
}

/** Pixels of `color` per column (or per row) inside rows [y0, y1). */
function countColor(image: RasterImage, color: Rgb, y0: number, y1: number) {
  const columns = new Array(image.width).fill(0);
  const rows = new Array(image.height).fill(0);
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < image.width; x++) {
      if (isColor(image, x, y, color)) [columns[x], rows[y]] = [columns[x] + 1, rows[y] + 1];
    }
  }
  return { columns, rows, total: columns.reduce((a, b) => a + b, 0) };
}

/** The plot frame of the panel in rows [y0, y1): lines of the axis colour over 3/4 of it. */
function frameOf(image: RasterImage, y0: number, y1: number) {
  const { columns, rows } = countColor(image, AXIS, y0, y1);
  const xs = columns.flatMap((n, x) => n > (y1 - y0) / 2 ? [x] : []);
  const ys = rows.flatMap((n, y) => n > image.width * 0.75 ? [y] : []);
  assert.ok(xs.length >= 2 && ys.length >= 2, `no frame in rows ${y0}-${y1}`);
  return { left: xs[0], right: xs[xs.length - 1], top: ys[0], bottom: ys[ys.length - 1] };
}

function lossPanels(): PlotPanel[] {
  const random = noise(7);
  const iters = Array.from({ length: 500 }, (_, i) => i * 40);
  return [
    {
      title: "Losses",
      xLabel: "iteration",
      series: [
        {
          name: "D loss",
          points: iters.map((x) => [x, Math.exp(-x / 5e3) + 0.3 + 0.15 * random()]),
        },
        { name: "G loss", points: iters.map((x) => [x, 2 - Math.exp(-x / 4e3) + 0.3 * random()]) },
      ],
    },
    {
      title: "SWD x 1e3",
      series: [{
        name: "SWD",
        points: [[2e3, 310], [4e3, 150], [8e3, 62], [16e3, 31], [19960, 25]],
      }],
    },
  ];
}

Deno.test("a loss plot encodes to a PNG of its size with series colours inside the frames", async () => {
  const image = renderPlot(lossPanels(), { width: 640, panelHeight: 220, title: "Run" });
  const titleHeight = 2 * CAP_HEIGHT + 16;
  assert.deepStrictEqual([image.width, image.height, image.channels], [640, titleHeight + 440, 3]);
  const decoded = await Image.decode(encodePng(image));
  assert.deepStrictEqual([decoded.width, decoded.height], [640, titleHeight + 440]);
  for (const [x, y] of [[1, 1], [640, 1], [1, decoded.height], [640, decoded.height]]) {
    assert.equal(decoded.getPixelAt(x, y), 0xffffffff, `corner ${x},${y} is not white`);
  }
  for (const [k, colors] of [[0, [BLUE, ORANGE]], [1, [BLUE]]] as const) {
    const [y0, y1] = [titleHeight + k * 220, titleHeight + (k + 1) * 220];
    const frame = frameOf(image, y0, y1);
    for (const color of colors) {
      const inside = countColor(image, color, frame.top + 1, frame.bottom);
      const outside = countColor(image, color, y0, frame.top).total; // the legend swatch
      assert.ok(inside.total > 400, `panel ${k}: ${inside.total} pixels of [${color}] inside`);
      assert.ok(outside > 0 && outside < 40, `panel ${k}: ${outside} pixels of [${color}] above`);
      // Lines span the whole x range: the first and last tenth of the frame are both drawn.
      const tenth = Math.floor((frame.right - frame.left) / 10);
      const drawn = (a: number, b: number) => inside.columns.slice(a, b).some((n) => n > 0);
      assert.ok(
        drawn(frame.left + 1, frame.left + tenth) && drawn(frame.right - tenth, frame.right),
      );
    }
  }
});

Deno.test("smoothing draws the raw series light and the EMA on top", () => {
  const panels = lossPanels().slice(0, 1);
  const raw = renderPlot(panels, { width: 400, panelHeight: 160 });
  const smooth = renderPlot(panels, { width: 400, panelHeight: 160, smooth: 0.95 });
  const light: Rgb = BLUE.map((c) => Math.round(c + (255 - c) * 0.6)) as Rgb;
  assert.equal(countColor(raw, light, 0, raw.height).total, 0);
  assert.ok(countColor(smooth, light, 0, smooth.height).total > 300);
  // The average wanders less than the raw noise, so its full-colour stroke covers fewer pixels.
  const spread = (image: RasterImage) => countColor(image, BLUE, 20, image.height).total;
  assert.ok(spread(smooth) < 0.8 * spread(raw), `${spread(smooth)} vs ${spread(raw)}`);
});

Deno.test("a log axis maps a geometric series to a straight line", () => {
  const points = Array.from({ length: 101 }, (_, i): [number, number] => [i, 10 ** (-4 * i / 100)]);
  const image = renderPlot([{ title: "R1", logY: true, series: [{ name: "r1", points }] }], {
    width: 400,
    panelHeight: 200,
  });
  const frame = frameOf(image, 0, image.height);
  const rowAt = (fraction: number) => {
    const x = Math.round(frame.left + fraction * (frame.right - frame.left));
    const ys = [];
    for (let y = frame.top + 1; y < frame.bottom; y++) if (isColor(image, x, y, BLUE)) ys.push(y);
    assert.ok(ys.length > 0, `no line at column ${x}`);
    return ys.reduce((a, b) => a + b, 0) / ys.length;
  };
  const [a, b, c] = [rowAt(0.25), rowAt(0.5), rowAt(0.75)];
  assert.ok(b - a > 20, `line falls ${b - a} px over a quarter`);
  assert.ok(Math.abs((b - a) - (c - b)) <= 2, `rows ${a}, ${b}, ${c} are not evenly spaced`);
});

Deno.test("NaN and Infinity leave gaps; empty, single-point and constant series render", () => {
  const points = Array.from(
    { length: 300 },
    (
      _,
      i,
    ): [number, number] => [i, i >= 100 && i < 200 ? (i % 2 ? NaN : Infinity) : Math.sin(i / 9)],
  );
  const image = renderPlot([
    { title: "Gap", series: [{ name: "sin", points }, { name: "nan", points: [[NaN, NaN]] }] },
    { title: "Empty", series: [] },
    {
      title: "Tiny",
      series: [{ name: "one", points: [[3, 1]] }, { name: "flat", points: [[0, 2], [9, 2]] }],
    },
  ], { width: 500, panelHeight: 150 });
  const frame = frameOf(image, 0, 150);
  const { columns } = countColor(image, BLUE, frame.top + 1, frame.bottom);
  const at = (i: number) => Math.round(frame.left + (i / 299) * (frame.right - frame.left));
  assert.ok(columns.slice(at(10), at(90)).every((n) => n > 0), "line before the gap");
  assert.ok(columns.slice(at(102), at(198)).every((n) => n === 0), "pixels inside the gap");
  assert.ok(columns.slice(at(210), at(290)).every((n) => n > 0), "line after the gap");
  // Tiny: a lone point is a marker; a constant series is a flat 2-px line.
  const tiny = frameOf(image, 300, 450);
  assert.ok(countColor(image, BLUE, tiny.top + 1, tiny.bottom).total >= 9);
  const flat = countColor(image, ORANGE, tiny.top + 1, tiny.bottom).rows.filter((n) => n > 0);
  assert.equal(flat.length, 2);
  assert.equal(renderPlot([]).height, 240);
});

Deno.test("a fixed y range clips spikes to the frame", () => {
  const points = Array.from({ length: 40 }, (_, i): [number, number] => [i, i % 8 ? 0.5 : 1e12]);
  const image = renderPlot([{ title: "Clip", yRange: [0, 1], series: [{ name: "s", points }] }], {
    width: 300,
    panelHeight: 120,
  });
  const frame = frameOf(image, 0, image.height);
  assert.equal(countColor(image, BLUE, frame.bottom, image.height).total, 0, "below the frame");
  const above = countColor(image, BLUE, 0, frame.top).total;
  assert.ok(above > 0 && above <= 30, `${above} pixels above the frame (the legend swatch has 30)`);
  assert.ok(
    countColor(image, BLUE, frame.top + 1, frame.top + 2).total > 0,
    "spikes reach the top",
  );
});

Deno.test("niceTicks returns 1-2-5 steps inside the range, at most maxTicks", () => {
  const random = noise(3);
  for (let k = 0; k < 300; k++) {
    const [a, b] = [random() * 10 ** Math.round(random() * 4), random() * 10 ** (random() * 6)];
    const ticks = niceTicks(a, b, { maxTicks: 6 });
    const mantissa = ticks.step / 10 ** Math.floor(Math.log10(ticks.step) + 1e-9);
    assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9), `step ${ticks.step}`);
    assert.ok(ticks.values.length >= 2 && ticks.values.length <= 6, `${a}, ${b}: ${ticks.values}`);
    const eps = 1e-9 * (ticks.hi - ticks.lo);
    assert.ok(ticks.values.every((v) => v >= ticks.lo - eps && v <= ticks.hi + eps));
    for (const v of ticks.values) {
      assert.ok(Math.abs(v / ticks.step - Math.round(v / ticks.step)) < 1e-6);
    }
  }
  assert.deepStrictEqual(niceTicks(0, 19960).values, [0, 5000, 10000, 15000]);
  assert.deepStrictEqual(niceTicks(-0.07, 3.1).values, [0, 1, 2, 3]);
  assert.deepStrictEqual(niceTicks(3e-4, 20, { log: true }).values, [0.001, 0.01, 0.1, 1, 10]);
  assert.deepStrictEqual(niceTicks(0.0015, 0.5, { log: true }).values, [
    0.003,
    0.01,
    0.03,
    0.1,
    0.3,
  ]);
  assert.deepStrictEqual(niceTicks(1e-30, 1e30, { log: true }).values, [1e-20, 1, 1e20]);
  assert.deepStrictEqual(niceTicks(0.3, 0.8, { log: true }).values.length, 6);
  // Constant, empty and non-finite ranges are widened instead of dividing by zero.
  assert.deepStrictEqual([niceTicks(5, 5).lo, niceTicks(5, 5).hi], [4.5, 5.5]);
  assert.deepStrictEqual([niceTicks(Infinity, -Infinity).lo, niceTicks(NaN, 1).hi], [0, 1]);
  assert.ok(Number.isFinite(niceTicks(-1e308, 1e308).step));
  assert.ok(Math.abs(niceTicks(1, 10, { pad: 0.1 }).lo - 0.1) < 1e-12);
  assert.throws(() => niceTicks(0, 1, { maxTicks: 2 }), /maxTicks >= 3/);
});

Deno.test("formatTick writes compact labels", () => {
  const cases: [number, number, string][] = [
    [0, 1, "0"],
    [1e-17, 0.1, "0"],
    [0.30000000000000004, 0.1, "0.3"],
    [0.5, 0.25, "0.50"],
    [0.6, 0.2, "0.6"],
    [-3, 1, "-3"],
    [1500, 500, "1.5k"],
    [15000, 5000, "15k"],
    [2e6, 1e6, "2M"],
    [123550, 50, "123.55k"],
    [1e-4, 1e-4, "1e-4"],
    [2.5e-5, 5e-6, "2.5e-5"],
    [3e12, 1e12, "3e12"],
    [0.01, 0.01, "0.01"],
  ];
  assert.deepStrictEqual(
    cases.map(([v, s]) => formatTick(v, s)),
    cases.map(([, , label]) => label),
  );
});

Deno.test("smoothEma is TensorBoard's debiased EMA and skips non-finite values", () => {
  const ema = smoothEma([[0, 2], [1, 2], [2, NaN], [3, 2]], 0.9);
  assert.deepStrictEqual(ema.map(([, y]) => Number.isNaN(y) ? "gap" : y.toFixed(12)), [
    "2.000000000000",
    "2.000000000000",
    "gap",
    "2.000000000000",
  ]);
  // 0.5: (0.5 * 1) / 0.5 = 1, then (0.25 + 0.5 * 3) / 0.75 = 7/3
  assert.ok(Math.abs(smoothEma([[0, 1], [1, 3]], 0.5)[1][1] - 7 / 3) < 1e-12);
  assert.deepStrictEqual(smoothEma([[0, 1], [1, 5]], 0), [[0, 1], [1, 5]]);
  assert.throws(() => smoothEma([], 1), /weight must be in \[0, 1\)/);
});

Deno.test("drawText inks inside its measured box and draws unknown characters as ?", () => {
  const blank = () => ({
    width: 80,
    height: 20,
    channels: 4 as const,
    data: new Uint8Array(80 * 20 * 4).fill(255),
  });
  const image = blank();
  drawText(image, "Loss 1.5e-4", { x: 2, y: 3, color: [0, 0, 0] });
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 80; x++) {
      if (image.data[(y * 80 + x) * 4] === 0) {
        [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
      }
    }
  }
  assert.deepStrictEqual([x0, x1 + 1, y0, y1 + 1], [
    2,
    2 + textWidth("Loss 1.5e-4"),
    3,
    3 + CAP_HEIGHT,
  ]);
  assert.ok(image.data.every((v, i) => i % 4 !== 3 || v === 255), "alpha is left alone");
  const [unknown, question] = [blank(), blank()];
  drawText(unknown, "\u00b5", { x: 0, y: 0, scale: 2 });
  drawText(question, "?", { x: 0, y: 0, scale: 2 });
  assert.deepStrictEqual(unknown.data, question.data);
  assert.equal(textWidth("ab", 3), 3 * textWidth("ab"));
  drawText(image, "clipped", { x: 70, y: 15, scale: 3 }); // partly outside: must not throw
});
