import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ParityVectors } from "../../tests/parity.ts";
import { initBackend } from "../backend.ts";
import { PRESETS } from "../config.ts";
import { encodeCheckpoint } from "./checkpoint.ts";
import { loadGenerator, stepForSize } from "./load_generator.ts";

await initBackend({ backend: "cpu" });
const PARITY = new URL("../../../shared/parity/", import.meta.url);
const vectors = await ParityVectors.open(fileURLToPath(PARITY));
// Every file holds the EMA generator after the reference's r1 training iteration.
const EMA = vectors.group("train_r1/Gema/");

for (
  const [file, format] of [
    ["g_running-only.model", "torch-zip"],
    ["train_step-zip.model", "torch-zip"],
    ["train_step-legacy.model", "torch-legacy"],
    ["seed-jittor-g_running.model", "jittor"],
  ] as const
) {
  Deno.test(`loadGenerator opens ${file} with its EMA weights`, async () => {
    const loaded = await loadGenerator(new URL(file, PARITY));
    assert.equal(loaded.format, format);
    assert.equal(loaded.source, "gRunning");
    assert.deepEqual(loaded.config.gChannels, vectors.config.gChannels);
    const state = await loaded.generator.stateDict();
    for (const key of ["style.1.linear.weight_orig", "generator.to_rgb.3.conv.weight_orig"]) {
      assert.deepEqual(state[key].data, EMA[key].data, key);
    }
    tf.dispose(loaded.generator.variables());
  });
}

Deno.test("loadGenerator names the file it cannot read", async () => {
  await assert.rejects(loadGenerator("no/such/file.model"), /Cannot read no\/such\/file\.model/);
  await assert.rejects(
    loadGenerator(new URL("manifest.json", PARITY)),
    /manifest\.json is not a checkpoint this library reads/,
  );
});

Deno.test("stepForSize maps pixels to levels and lists the sizes a model renders", () => {
  assert.equal(stepForSize(PRESETS.tiny, 4), 0);
  assert.equal(stepForSize(PRESETS.tiny, 32), 3);
  assert.throws(
    () => stepForSize(PRESETS.tiny, 64),
    /Size 64 is not supported by this 32 px model: use one of 4, 8, 16, 32/,
  );
});

Deno.test("loadGenerator falls back to the trained generator when a file has no EMA copy", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/g-only.safetensors`;
    await Deno.writeFile(
      path,
      encodeCheckpoint({ config: vectors.config, generator: vectors.group("G/") }),
    );
    const loaded = await loadGenerator(path);
    assert.equal(loaded.format, "stylegan-safetensors");
    assert.equal(loaded.source, "generator");
    const state = await loaded.generator.stateDict();
    const key = "generator.progression.2.conv2.conv.weight_orig";
    assert.deepEqual(state[key].data, vectors.get(`G/${key}`).data);
    tf.dispose(loaded.generator.variables());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
