import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ParityVectors } from "../../tests/parity.ts";
import { initBackend } from "../backend.ts";
import { decodeImage } from "../data/decode.ts";
import { mixingLevels, styleMixingGrid } from "./mixing.ts";

await initBackend({ backend: "wasm" });
const PARITY = fileURLToPath(new URL("../../../shared/parity/", import.meta.url));
const vectors = await ParityVectors.open(PARITY);

/** Sample k of an NHWC batch as [1, ...]. */
function sample<T extends tf.Tensor>(t: T, k: number): T {
  return tf.slice(t, k, 1) as T;
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

Deno.test("named ranges follow the paper's Figure 3 and clamp to the model", () => {
  assert.deepEqual(mixingLevels("coarse", 8), [0, 1]);
  assert.deepEqual(mixingLevels("middle", 8), [2, 3]);
  assert.deepEqual(mixingLevels("fine", 8), [4, 8]);
  assert.deepEqual(mixingLevels("middle", 2), [2, 2]);
  assert.deepEqual(mixingLevels([1, 9], 3), [1, 3]);
  assert.throws(
    () => mixingLevels("fine", 3),
    /"fine" holds no level of a 32 px output \(levels 0-3, 4-32 px\)/,
  );
  assert.throws(() => mixingLevels([3, 1], 3), /Unknown mixing range/);
});

Deno.test("a mixing cell matches the reference's G([z, z2], mixing_range=(0, 1)) (out/g_mix)", async () => {
  const { g } = vectors.models(); // the G/ weights the vectors were made with
  const z = vectors.matrix("in/z"); // targets: styles outside the range
  const z2 = vectors.matrix("in/z2"); // sources: styles inside the range
  const noise = vectors.noise(3);
  const want = vectors.nhwc("out/g_mix");
  const n = z.shape[0];
  // Sample k of out/g_mix used noise k, so cell (k, k) of a grid drawn with noise k must match it.
  for (const k of [0, n - 1]) {
    const shared = noise.map((t) => sample(t, k));
    const { images } = await styleMixingGrid(g, {
      sources: z2,
      targets: z,
      range: "coarse",
      step: 3,
      noise: shared,
    });
    assert.deepEqual(images.shape, [(n + 1) * (n + 1), 32, 32, 3]);
    const cell = sample(images, (k + 1) * (n + 1) + (k + 1));
    const expected = sample(want, k);
    const err = relError(cell.dataSync(), expected.dataSync());
    assert.ok(err < 1e-4, `cell (${k}, ${k}) err ${err}`);
    tf.dispose([images, cell, expected, ...shared]);
  }
  tf.dispose([z, z2, want, ...noise]);
});

Deno.test("the grid has sources on top, targets on the side, a black corner", async () => {
  const { g } = vectors.models();
  const before = tf.memory().numTensors;
  // Every level from the source: each cell is its column's source image.
  const all = await styleMixingGrid(g, { sources: 3, targets: 2, range: [0, 3], seed: 4 });
  // Coarse levels only: the cells keep their target's finer styles, so they differ from the source.
  const coarse = await styleMixingGrid(g, { sources: 3, targets: 2, range: "coarse", seed: 4 });
  const size = all.images.size / all.images.shape[0];
  const split = (t: tf.Tensor) => {
    const data = t.dataSync();
    return Array.from({ length: t.shape[0] }, (_, k) => data.subarray(k * size, (k + 1) * size));
  };
  const [cells, cellsCoarse] = [split(all.images), split(coarse.images)];
  assert.ok(cells[0].every((v) => v === -1));
  for (let s = 1; s <= 3; s++) {
    for (const row of [1, 2]) {
      assert.ok(relError(cells[row * 4 + s], cells[s]) < 1e-5, `all-levels cell (${row}, ${s})`);
      assert.ok(relError(cellsCoarse[row * 4 + s], cellsCoarse[s]) > 1e-2);
    }
  }
  const png = await decodeImage(coarse.png, "mix.png");
  assert.deepEqual([png.width, png.height], [4 * 34 + 2, 3 * 34 + 2]);
  tf.dispose([all.images, coarse.images]);
  assert.equal(tf.memory().numTensors, before);
});
