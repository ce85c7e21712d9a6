/**
 * The demo: pictures from the small emoji model trained by our own trainer (see the README for
 * the exact command). Writes a sample grid, a style-mixing figure and an interpolation GIF.
 *
 * ```sh
 * deno task demo            # = deno run -A examples/demo.ts [out-dir]
 * ```
 */
import { join } from "node:path";
import { initBackend } from "../src/backend.ts";
import { interpolate } from "../src/generate/interpolate.ts";
import { styleMixingGrid } from "../src/generate/mixing.ts";
import { meanStyle, sampleGrid } from "../src/generate/sample.ts";
import { loadGenerator } from "../src/io/load_generator.ts";

const MODEL = new URL("./emoji-32.safetensors", import.meta.url);
const out = Deno.args[0] ?? "out/demo";
const started = performance.now();

const backend = await initBackend();
console.log(`backend: ${backend.name} (${backend.reason})`);
const { generator, config } = await loadGenerator(MODEL);
console.log(`model: ${MODEL.pathname} (${4 * 2 ** (config.gChannels.length - 1)} px)`);
await Deno.mkdir(out, { recursive: true });

// Truncation (psi 0.7) around the mean style, as the reference's generate.py does.
const mean = meanStyle(generator, { seed: 0 });
const write = async (name: string, bytes: Uint8Array) => {
  await Deno.writeFile(join(out, name), bytes);
  console.log(`wrote ${join(out, name)}`);
};

const samples = await sampleGrid(generator, { n: 64, cols: 8, seed: 3, psi: 0.7, meanStyle: mean });
samples.images.dispose();
await write("samples.png", samples.png);

const mixing = await styleMixingGrid(generator, {
  sources: 6,
  targets: 4,
  range: "coarse",
  seed: 5,
  psi: 0.7,
  meanStyle: mean,
});
mixing.images.dispose();
await write("mixing.png", mixing.png);

const walk = await interpolate(generator, {
  from: 11,
  to: 12,
  frames: 24,
  space: "w",
  psi: 0.7,
  meanStyle: mean,
});
walk.images.dispose();
await write("interpolation.gif", walk.gif);

mean.dispose();
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
