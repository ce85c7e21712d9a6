/**
 * End-to-end training on real images (the built-in emoji set): finite losses, sample grids,
 * plots and checkpoints on disk; stop + resume equals an uninterrupted run; a flat tensor count.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { initBackend } from "../src/backend.ts";
import { PRESETS } from "../src/config.ts";
import { fetchEmoji } from "../src/data/emoji.ts";
import { prepareDataset } from "../src/data/prepare.ts";
import { Dataset } from "../src/data/dataset.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { newestCheckpoint, runTraining, type TrainRunOptions } from "../src/cli/train.ts";
import { Trainer } from "../src/train/trainer.ts";

const tiny = { ...PRESETS.tiny };

/** 256 real emoji at 4..32 px, prepared once per test process. */
let prepared: Promise<string> | undefined;
function emojiDataset(): Promise<string> {
  prepared ??= (async () => {
    const folder = await fetchEmoji("twitter", {});
    const out = await Deno.makeTempDir({ prefix: "stylegan-emoji-" });
    const result = await prepareDataset(folder, { out, minSize: 4, maxSize: 32, limit: 256 });
    assert(result.complete);
    return out;
  })();
  return prepared;
}

function runOptions(
  dataset: string,
  out: string,
  extra: Partial<TrainRunOptions> = {},
): TrainRunOptions {
  return {
    dataset,
    out,
    preset: "tiny",
    trainer: { batch: 8, initSize: 8, maxSize: 16, phaseImages: 400, seed: 3 },
    sampleEvery: 50,
    checkpointEvery: 50,
    logEvery: 10,
    keep: 2,
    swdImages: 64,
    flip: true,
    log: () => {},
    ...extra,
  };
}

Deno.test("a tiny model trains on emoji: finite losses, grids, plot, checkpoints", async () => {
  await initBackend({ backend: "wasm" });
  const dataset = await emojiDataset();
  const out = await Deno.makeTempDir({ prefix: "stylegan-run-" });
  const result = await runTraining(runOptions(dataset, out, { iterations: 150 }));
  assert.equal(result.reason, "done");
  assert.equal(result.iterations, 150);
  const lines = (await Deno.readTextFile(join(out, "log.jsonl"))).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  const losses = lines.filter((l) => "dLoss" in l);
  assert.equal(losses.length, 15);
  for (const l of losses) {
    assert(Number.isFinite(l.dLoss) && Number.isFinite(l.gLoss) && Number.isFinite(l.penalty));
  }
  assert(lines.some((l) => "swd" in l && Number.isFinite(l.swd)), "no SWD logged at 16 px");
  // 150 iterations x 8 images = 1200 > 2 phases of 400: the run grew to 16 px.
  assert.equal(losses.at(-1).resolution, 16);
  const grid = await Image.decode(await Deno.readFile(join(out, "samples", "0000150.png")));
  assert.equal(grid.width, 4 * 16 + 5 * 2); // 4 columns of 16 px with 2 px padding
  const plot = await Image.decode(await Deno.readFile(join(out, "plot.png")));
  assert(plot.width > 100 && plot.height > 100);
  const ckpt = await loadCheckpoint((await newestCheckpoint(out))!);
  assert.equal(ckpt.progress?.iteration, 150);
  await Deno.remove(out, { recursive: true });
});

Deno.test("stop and resume gives the same weights as an uninterrupted run", async () => {
  await initBackend({ backend: "wasm" });
  const dataset = await emojiDataset();
  const straight = await Deno.makeTempDir({ prefix: "stylegan-straight-" });
  const split = await Deno.makeTempDir({ prefix: "stylegan-split-" });
  const opts = { checkpointEvery: 1000, sampleEvery: 1000, swdImages: 0 };
  await runTraining(runOptions(dataset, straight, { ...opts, iterations: 12 }));
  // A stop request after iteration 5 writes a checkpoint there, like Ctrl-C.
  const controller = new AbortController();
  let seen = 0;
  const first = await runTraining(runOptions(dataset, split, {
    ...opts,
    iterations: 12,
    signal: controller.signal,
    log: (line) => {
      if (line.startsWith("it ") && ++seen === 1) controller.abort(); // logged at iteration 5
    },
    logEvery: 5,
  }));
  assert.equal(first.reason, "stopped");
  assert.equal(first.iterations, 5);
  const resumed = await runTraining(
    runOptions(dataset, split, { ...opts, iterations: 12, resume: true }),
  );
  assert.equal(resumed.iterations, 12);
  const a = await loadCheckpoint((await newestCheckpoint(straight))!);
  const b = await loadCheckpoint((await newestCheckpoint(split))!);
  for (const part of ["generator", "discriminator", "gRunning"] as const) {
    for (const [key, t] of Object.entries(a[part]!)) {
      assert.deepEqual(b[part]![key].data, t.data, `${part} ${key} differs`);
    }
  }
  assert.deepEqual(b.dOptimizer!.v, a.dOptimizer!.v);
  assert.deepEqual(b.progress, a.progress);
  await Deno.remove(straight, { recursive: true });
  await Deno.remove(split, { recursive: true });
});

Deno.test("500 training iterations keep the tensor count and bytes flat", async () => {
  await initBackend({ backend: "wasm" });
  const data = await Dataset.open(await emojiDataset(), { seed: 1 });
  const trainer = new Trainer({
    config: {
      ...tiny,
      gChannels: [16],
      dChannels: [16],
      gFused: [false],
      dFused: [false],
      styleDim: 16,
      nMlp: 2,
    },
    options: { batch: 4, initSize: 4, maxSize: 4, seed: 1, mixing: true },
  });
  const fetch = (res: number, n: number) => data.batchTensor(res, n, { flip: true });
  for (let i = 0; i < 10; i++) await trainer.iterate(fetch);
  const { numTensors, numBytes } = tf.memory();
  for (let i = 0; i < 490; i++) await trainer.iterate(fetch);
  assert.equal(tf.memory().numTensors, numTensors);
  assert.equal(tf.memory().numBytes, numBytes);
  trainer.dispose();
  await data.close();
});

/** Runs `cli.ts train` as a real process; `onLine` sees each stderr line and may signal it. */
async function trainProcess(
  args: string[],
  onLine: (line: string, child: Deno.ChildProcess) => void,
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli.ts", import.meta.url).pathname, "train", ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let buffer = "";
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      onLine(line, child);
    }
  }
  return { status: await child.status, lines };
}

Deno.test("`cli.ts train`: Ctrl-C checkpoints and exits 0, kill -9 loses nothing, --resume continues", async () => {
  const dataset = await emojiDataset();
  const out = await Deno.makeTempDir({ prefix: "stylegan-cli-" });
  const args = [
    dataset,
    "--out",
    out,
    "--preset",
    "tiny",
    "--max-size",
    "8",
    "--batch",
    "4",
    "--backend",
    "wasm",
    "--checkpoint-every",
    "4",
    "--log-every",
    "2",
    "--sample-every",
    "4",
    "--swd-images",
    "0",
  ];
  let signalled = false;
  const first = await trainProcess([...args, "--iterations", "1000"], (line, child) => {
    if (line.startsWith("checkpoint ") && !signalled) {
      signalled = true;
      child.kill("SIGINT");
    }
  });
  assert.equal(first.status.code, 0, first.lines.join("\n"));
  assert(first.lines.some((l) => l.startsWith("stopped at iteration")), first.lines.join("\n"));
  const stoppedAt = (await loadCheckpoint((await newestCheckpoint(out))!)).progress
    ?.iteration as number;
  assert(stoppedAt >= 4);

  let killed = false;
  const second = await trainProcess(
    [...args, "--iterations", "1000", "--resume"],
    (line, child) => {
      if (line.startsWith("checkpoint ") && !killed) {
        killed = true;
        child.kill("SIGKILL");
      }
    },
  );
  assert.equal(second.status.signal, "SIGKILL");
  assert(
    second.lines.some((l) => l.includes(`at iteration ${stoppedAt}`)),
    second.lines.join("\n"),
  );
  const survived = await loadCheckpoint((await newestCheckpoint(out))!); // loads: nothing half-written
  const killedAt = survived.progress?.iteration as number;
  assert(killedAt > stoppedAt);

  const third = await trainProcess(
    [...args, "--iterations", String(killedAt + 4), "--resume"],
    () => {},
  );
  assert.equal(third.status.code, 0, third.lines.join("\n"));
  assert(
    third.lines.some((l) => l.startsWith(`done after ${killedAt + 4} iterations`)),
    third.lines.join("\n"),
  );
  await Deno.remove(out, { recursive: true });
});
