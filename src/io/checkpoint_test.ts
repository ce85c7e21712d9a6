import { deepStrictEqual, equal, rejects, throws } from "node:assert/strict";
import { PRESETS } from "../config.ts";
import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { importCheckpointFile } from "./import.ts";
import { encodeSafetensors } from "./safetensors.ts";

const PARITY = new URL("../../../shared/parity/", import.meta.url);

async function realCheckpoint(): Promise<Checkpoint> {
  const { format: _f, notes: _n, ...ckpt } = await importCheckpointFile(
    new URL("train_step-zip.model", PARITY),
  );
  return {
    ...ckpt,
    progress: { step: 3, alpha: 0.25, imagesSeen: 12, phase: "fade" },
    extra: { run: "t" },
  };
}

Deno.test("save -> load -> save is byte-identical and keeps every part", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ckpt = await realCheckpoint();
    const path = `${dir}/ckpt.safetensors`;
    await saveCheckpoint(path, ckpt);
    const first = await Deno.readFile(path);
    const loaded = await loadCheckpoint(path);
    deepStrictEqual(loaded, ckpt);
    await saveCheckpoint(path, loaded);
    deepStrictEqual(await Deno.readFile(path), first);
    equal(loaded.gOptimizer?.step, 1);
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["ckpt.safetensors"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed save leaves nothing half-written and keeps the previous file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ckpt: Checkpoint = { config: PRESETS.tiny, progress: { step: 1 } };
    await rejects(saveCheckpoint(`${dir}/missing/ckpt.safetensors`, ckpt), {
      message: /Cannot write .*missing\/ckpt\.safetensors/,
    });
    deepStrictEqual([...Deno.readDirSync(dir)], []);
    // An invalid checkpoint fails before touching the existing file.
    const path = `${dir}/ckpt.safetensors`;
    await saveCheckpoint(path, ckpt);
    const before = await Deno.readFile(path);
    const bad = { config: { ...PRESETS.tiny, gChannels: [] } } as Checkpoint;
    await rejects(saveCheckpoint(path, bad), { message: /at least one level/ });
    deepStrictEqual(await Deno.readFile(path), before);
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["ckpt.safetensors"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeCheckpoint refuses foreign safetensors, other versions and stray tensors", () => {
  const t = { shape: [1], data: new Float32Array(1) };
  throws(() => decodeCheckpoint(encodeSafetensors({ w: t }), { name: "plain.safetensors" }), {
    message: /File plain\.safetensors is not a stylegan checkpoint/,
  });
  const meta = { format: "stylegan-checkpoint", config: JSON.stringify(PRESETS.tiny) };
  throws(
    () => decodeCheckpoint(encodeSafetensors({}, { ...meta, formatVersion: "2" }), { name: "v2" }),
    {
      message: /Checkpoint v2 has format version "2"/,
    },
  );
  throws(
    () =>
      decodeCheckpoint(encodeSafetensors({ "X/w": t }, { ...meta, formatVersion: "1" }), {
        name: "x",
      }),
    { message: /tensors outside the known prefixes: X\/w/ },
  );
  throws(() => encodeCheckpoint({ config: PRESETS.tiny, extra: { config: 1 } }), {
    message: /reserved key "config"/,
  });
});
