/**
 * Generation throughput: batches of 16 images from the `reference` preset's widths cut to 32, 64
 * and 128 px (random weights), on the backend `initBackend({ backend: "auto" })` picks. Each
 * iteration maps 16 seeded latents, draws their noise and renders them, then reads the pixels back.
 * images/s = 16 / (s/iter).
 *
 * Run: deno bench -A bench/generate_bench.ts
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend.ts";
import { makeConfig } from "../src/config.ts";
import { drawLatents, drawNoiseSeeds } from "../src/generate/_random.ts";
import { renderLatents } from "../src/generate/sample.ts";
import { StyledGenerator } from "../src/models/generator.ts";
import { Rng } from "../src/rng.ts";

const BATCH = 16;
const backend = await initBackend({ backend: "auto" });
console.log(`backend: ${backend.name} (${backend.reason})`);

for (const size of [32, 64, 128]) {
  const levels = Math.log2(size / 4) + 1;
  const g = new StyledGenerator({ config: makeConfig("reference", { levels }), seed: 1 });
  const rng = new Rng(0);
  Deno.bench({
    name: `generate ${BATCH} x ${size} px (reference widths, ${backend.name})`,
    group: `generate ${size} px`,
    n: 3,
    warmup: 1,
    async fn() {
      const z = drawLatents(rng, BATCH, g.config.styleDim);
      const noiseSeeds = drawNoiseSeeds(rng, BATCH, levels);
      const images = renderLatents(g, z, { noiseSeeds, batchSize: BATCH });
      await images.data();
      tf.dispose([z, images]);
    },
  });
}
