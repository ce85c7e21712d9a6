/**
 * Data pipeline throughput: `deno bench -A bench/data_bench.ts`.
 *
 * - prepare: 16 PNGs of 1024 x 1024 (emoji upscaled bilinearly over a gradient, with grain, so
 *   that they compress and decode like photos) packed to 8..128 px with 2 workers;
 * - loader: `Dataset.batch` at 32 and 128 px, batch 16, with and without flips.
 * Divide the count by the reported time per iteration for images/s and batches/s.
 *
 * @module
 */

import { join } from "node:path";
import pngCodec from "imagescript/png/node.js";
import { decodeImage } from "../src/data/decode.ts";
import { fetchEmoji } from "../src/data/emoji.ts";
import { prepareDataset } from "../src/data/prepare.ts";
import { Dataset } from "../src/data/dataset.ts";
import { Rng } from "../src/rng.ts";

const png = pngCodec as {
  encode(
    data: Uint8Array,
    options: { width: number; height: number; channels: number; level: number },
  ): Uint8Array;
};

const SIDE = 1024;
const IMAGES = 16;

/** A 1024 px RGB "photo": a 64 px emoji scaled up bilinearly over a gradient, plus grain. */
async function photo(emojiFile: string, rng: Rng): Promise<Uint8Array> {
  const emoji = await decodeImage(await Deno.readFile(emojiFile), emojiFile); // 64 x 64 RGBA
  const out = new Uint8Array(SIDE * SIDE * 3);
  const scale = 64 / SIDE;
  for (let y = 0; y < SIDE; y++) {
    const fy = Math.min(63, Math.max(0, (y + 0.5) * scale - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(63, y0 + 1), wy = fy - y0;
    for (let x = 0; x < SIDE; x++) {
      const fx = Math.min(63, Math.max(0, (x + 0.5) * scale - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(63, x0 + 1), wx = fx - x0;
      const sample = (c: number) => {
        const at = (xx: number, yy: number) => emoji.data[(yy * 64 + xx) * 4 + c];
        return (1 - wy) * ((1 - wx) * at(x0, y0) + wx * at(x1, y0)) +
          wy * ((1 - wx) * at(x0, y1) + wx * at(x1, y1));
      };
      const alpha = sample(3) / 255;
      const sky = [90 + (100 * y) / SIDE, 140 + (60 * x) / SIDE, 220 - (90 * y) / SIDE];
      for (let c = 0; c < 3; c++) {
        const v = alpha * sample(c) + (1 - alpha) * sky[c] + (rng.next() - 0.5) * 12;
        out[(y * SIDE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return png.encode(out, { width: SIDE, height: SIDE, channels: 3, level: 6 });
}

const work = await Deno.makeTempDir({ prefix: "data_bench_" });
const photos = join(work, "photos");
await Deno.mkdir(photos);
const emojiFolder = await fetchEmoji("twitter");
const rng = new Rng(0);
for (const [i, name] of ["1f600", "1f333", "1f431", "1f680"].entries()) {
  const bytes = await photo(join(emojiFolder, `${name}.png`), rng);
  // 4 distinct pictures, 4 copies each: the preparer does not know they repeat.
  for (let k = 0; k < IMAGES / 4; k++) {
    await Deno.writeFile(join(photos, `photo_${i}_${k}.png`), bytes);
  }
}
const dataset = join(work, "dataset");
await prepareDataset(photos, { out: dataset, maxSize: 128 });
const loader = await Dataset.open(dataset, { seed: 0 });
globalThis.addEventListener("unload", () => Deno.removeSync(work, { recursive: true }));

Deno.bench({
  name: `prepare ${IMAGES} PNGs of 1024 px to 8..128 px, 2 workers`,
  group: "prepare",
  n: 3,
  warmup: 1,
  async fn() {
    await prepareDataset(photos, { out: join(work, "bench-out"), maxSize: 128, workers: 2 });
  },
});

for (const resolution of [32, 128]) {
  for (const flip of [false, true]) {
    Deno.bench({
      name: `batch of 16 at ${resolution} px${flip ? ", flipped" : ""}`,
      group: "loader",
      async fn() {
        await loader.batch(resolution, 16, { flip });
      },
    });
  }
}
