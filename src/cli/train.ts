/**
 * `cli.ts train [dataset]`: progressive StyleGAN training with progress lines, sample grids,
 * JSONL logs, loss plots, SWD, atomic checkpoints, Ctrl-C handling and exact resume.
 *
 * The file system and process handling of training live here; the trainer itself
 * (`src/train/trainer.ts`) is plain tfjs and runs in a browser too.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join, resolve } from "node:path";
import type { Command } from "../../cli.ts";
import { parseFlags } from "./_flags.ts";
import { initBackend } from "../backend.ts";
import { makeConfig, maxResolution, type PresetName, PRESETS } from "../config.ts";
import { Dataset } from "../data/dataset.ts";
import { cacheDir, fetchEmoji } from "../data/emoji.ts";
import { readIndex } from "../data/format.ts";
import { prepareDataset } from "../data/prepare.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";
import { writeFileAtomic } from "../io/files.ts";
import { encodePng, toUint8Grid } from "../io/image.ts";
import { importCheckpointFile } from "../io/import.ts";
import { renderPlot } from "../io/plot.ts";
import { swd } from "../metrics/swd.ts";
import { Rng } from "../rng.ts";
import { REFERENCE_SCHEDULE } from "../train/schedule.ts";
import { type IterationStats, Trainer, type TrainerOptions } from "../train/trainer.ts";

/** Options of one training run (the CLI flags, resolved). */
export interface TrainRunOptions {
  /** Prepared dataset folder. */
  dataset: string;
  /** Run folder: config.json, log.jsonl, samples/, checkpoints/, plot.png. */
  out: string;
  /** Model preset. */
  preset: PresetName;
  /** Trainer options (schedule, loss, mixing, seed, ...). */
  trainer: Partial<TrainerOptions>;
  /** Stop after this many thousand real images (default: every resolution's two phases). */
  kimg?: number;
  /** Or after this many iterations (for tests). */
  iterations?: number;
  /** Sample grid every N iterations. */
  sampleEvery: number;
  /** Checkpoint (+ plot, + SWD) every N iterations. */
  checkpointEvery: number;
  /** Progress line and JSONL log every N iterations. */
  logEvery: number;
  /** Checkpoints kept in the run folder. */
  keep: number;
  /** Resume from the newest checkpoint of `out` (true) or from a given file (ours or imported). */
  resume?: boolean | string;
  /** Images for the SWD at each checkpoint (0 turns it off). */
  swdImages: number;
  /** Horizontal flips of the reals. */
  flip: boolean;
  /** Stops the run after the current iteration (a checkpoint is written). */
  signal?: AbortSignal;
  /** Progress lines go here (default stderr). */
  log?: (line: string) => void;
}

/** How a run ended. */
export interface TrainRunResult {
  reason: "done" | "stopped" | "non-finite";
  iterations: number;
  checkpoint?: string;
}

const CHECKPOINT_RE = /^checkpoint-(\d+)\.safetensors$/;

/** The newest `checkpoint-N.safetensors` of a run folder, if any. */
export async function newestCheckpoint(out: string): Promise<string | undefined> {
  let best: [number, string] | undefined;
  try {
    for await (const entry of Deno.readDir(join(out, "checkpoints"))) {
      const m = CHECKPOINT_RE.exec(entry.name);
      if (m && (!best || Number(m[1]) > best[0])) best = [Number(m[1]), entry.name];
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return best && join(out, "checkpoints", best[1]);
}

/**
 * Runs (or resumes) training. Returns when the image budget is spent, when `signal` aborts (after
 * writing a checkpoint), or when a loss is not finite (keeping the last good checkpoint).
 */
export async function runTraining(options: TrainRunOptions): Promise<TrainRunResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const out = resolve(options.out);
  await Deno.mkdir(join(out, "checkpoints"), { recursive: true });
  await Deno.mkdir(join(out, "samples"), { recursive: true });

  const { trainer, datasetState } = await startTrainer(options, out, log);
  const dataset = await Dataset.open(options.dataset, { seed: trainer.options.seed });
  try {
    const top = trainer.options.maxSize;
    if (!dataset.resolutions.includes(top)) {
      throw new Error(
        `Dataset ${options.dataset} has no ${top} px images (it has ${
          dataset.resolutions.join(", ")
        })`,
      );
    }
    if (datasetState) dataset.setState(datasetState);
    await writeFileAtomic(
      join(out, "config.json"),
      new TextEncoder().encode(
        JSON.stringify(
          { config: trainer.config, trainer: trainer.options, run: describeRun(options) },
          null,
          2,
        ) + "\n",
      ),
    );
    const budget = totalImages(options, trainer.options);
    const history = await readHistory(join(out, "log.jsonl"));
    const fixed = fixedLatents(trainer, 16);
    let lastCheckpoint = await newestCheckpoint(out);
    let window = { images: 0, start: performance.now() };
    const fetchReal = (resolution: number, batch: number) =>
      dataset.batchTensor(resolution, batch, { flip: options.flip });

    const checkpoint = async (stats?: IterationStats): Promise<string> => {
      const ckpt = await trainer.toCheckpoint();
      ckpt.progress = { ...ckpt.progress, dataset: dataset.state() };
      const path = join(
        out,
        "checkpoints",
        `checkpoint-${String(trainer.iteration).padStart(7, "0")}.safetensors`,
      );
      await saveCheckpoint(path, ckpt);
      await prune(out, options.keep);
      if (stats && options.swdImages > 0 && stats.resolution >= 16) {
        const value = await measureSwd(trainer, dataset, stats.resolution, options.swdImages);
        history.push({ iteration: trainer.iteration, imagesSeen: trainer.imagesSeen, swd: value });
        await appendLog(out, {
          iteration: trainer.iteration,
          imagesSeen: trainer.imagesSeen,
          resolution: stats.resolution,
          swd: value,
        });
        log(`swd @ ${stats.resolution}px over ${options.swdImages} images: ${value.toFixed(2)}`);
      }
      await writeFileAtomic(
        join(out, "plot.png"),
        encodePng(renderPlot(plotPanels(history), { title: `stylegan run ${out}` })),
      );
      return path;
    };

    while (
      trainer.imagesSeen < budget &&
      (options.iterations === undefined || trainer.iteration < options.iterations)
    ) {
      const before = tf.memory().numTensors;
      const stats = await trainer.iterate(fetchReal);
      const numTensors = tf.memory().numTensors;
      if (numTensors !== before) {
        throw new Error(`Tensor leak in the training loop: ${before} -> ${numTensors}`);
      }
      window.images += stats.batch;
      if (![stats.dLoss, stats.gLoss, stats.penalty].every(Number.isFinite)) {
        log(
          `Non-finite loss at iteration ${stats.iteration} (D ${stats.dLoss}, G ${stats.gLoss}, penalty ${stats.penalty}): ` +
            `stopping. The last good checkpoint is ${lastCheckpoint ?? "(none yet)"}`,
        );
        return { reason: "non-finite", iterations: trainer.iteration, checkpoint: lastCheckpoint };
      }
      if (stats.grew) log(`growing to ${stats.resolution} px`);
      const it = stats.iteration;
      if (it % options.logEvery === 0) {
        const seconds = (performance.now() - window.start) / 1000;
        const rate = window.images / seconds;
        const entry = { ...stats, imagesPerSecond: rate };
        history.push(entry);
        await appendLog(out, entry);
        log(progressLine(stats, rate, budget));
        window = { images: 0, start: performance.now() };
      }
      if (it % options.sampleEvery === 0) {
        await writeSamples(
          trainer,
          fixed,
          join(out, "samples", `${String(it).padStart(7, "0")}.png`),
        );
      }
      const stopping = options.signal?.aborted ?? false;
      if (it % options.checkpointEvery === 0 || stopping) {
        lastCheckpoint = await checkpoint(stats);
        log(`checkpoint ${lastCheckpoint}`);
      }
      if (stopping) {
        log(`stopped at iteration ${it}; resume with --resume`);
        return { reason: "stopped", iterations: it, checkpoint: lastCheckpoint };
      }
    }
    if (trainer.iteration % options.checkpointEvery !== 0) lastCheckpoint = await checkpoint();
    await writeSamples(trainer, fixed, join(out, "samples", "final.png"));
    tf.dispose(fixed);
    return { reason: "done", iterations: trainer.iteration, checkpoint: lastCheckpoint };
  } finally {
    await dataset.close();
    trainer.dispose();
  }
}

async function startTrainer(
  options: TrainRunOptions,
  out: string,
  log: (line: string) => void,
): Promise<{ trainer: Trainer; datasetState?: Parameters<Dataset["setState"]>[0] }> {
  const from = options.resume === true ? await newestCheckpoint(out) : options.resume || undefined;
  if (options.resume === true && !from) log(`no checkpoint in ${out}: starting a new run`);
  if (!from) {
    const config = makeConfig(options.preset);
    return { trainer: new Trainer({ config, options: options.trainer }) };
  }
  let ckpt: Checkpoint;
  try {
    ckpt = await loadCheckpoint(from);
  } catch {
    ckpt = await importCheckpointFile(from); // a reference or Jittor file
    log(`imported ${from}: weights and Adam moments; the schedule starts over`);
  }
  // Flags given on this command line override the saved options; the rest continue as saved.
  const trainer = Trainer.fromCheckpoint(ckpt, options.trainer);
  log(`resumed from ${from} at iteration ${trainer.iteration} (${trainer.imagesSeen} images)`);
  const p = ckpt.progress as { dataset?: Parameters<Dataset["setState"]>[0] } | undefined;
  return { trainer, datasetState: p?.dataset };
}

function totalImages(options: TrainRunOptions, t: TrainerOptions): number {
  if (options.kimg !== undefined) return options.kimg * 1000;
  const resolutions = Math.log2(t.maxSize) - Math.log2(t.initSize) + 1;
  return resolutions * 2 * t.phaseImages;
}

function describeRun(options: TrainRunOptions): Record<string, unknown> {
  const { signal: _signal, log: _log, ...rest } = options;
  return rest;
}

/** Fixed latents for sample grids, from their own stream (sampling never moves the trainer's rng). */
function fixedLatents(trainer: Trainer, n: number): tf.Tensor2D {
  const rng = new Rng(trainer.options.seed + 7919);
  const dim = trainer.config.styleDim;
  return tf.tensor2d(Float32Array.from({ length: n * dim }, () => rng.normal()), [n, dim]);
}

async function writeSamples(trainer: Trainer, z: tf.Tensor2D, path: string): Promise<void> {
  const { step, alpha } = trainer.plan();
  const noiseRng = new Rng(trainer.options.seed + 104729);
  const images = trainer.gEma.apply(z, { step, alpha, random: () => noiseRng.next() });
  const grid = await toUint8Grid(images, { cols: 4 });
  images.dispose();
  await writeFileAtomic(path, encodePng(grid));
}

async function measureSwd(
  trainer: Trainer,
  dataset: Dataset,
  resolution: number,
  n: number,
): Promise<number> {
  const rng = new Rng(trainer.options.seed + 15485863);
  const indices = Array.from({ length: Math.min(n, dataset.count) }, () => rng.int(dataset.count));
  const real = {
    shape: [indices.length, resolution, resolution, 3],
    data: await dataset.images(resolution, indices),
  };
  const { step, alpha } = trainer.plan();
  const dim = trainer.config.styleDim;
  async function* fakes() {
    for (let done = 0; done < indices.length; done += 32) {
      const size = Math.min(32, indices.length - done);
      const images = tf.tidy(() => {
        const z = tf.tensor2d(Float32Array.from({ length: size * dim }, () => rng.normal()), [
          size,
          dim,
        ]);
        return trainer.gEma.apply(z, { step, alpha, random: () => rng.next() });
      });
      yield images;
      images.dispose();
    }
  }
  return (await swd(real, fakes(), { seed: trainer.options.seed })).average;
}

function progressLine(s: IterationStats, rate: number, budget: number): string {
  const eta = (budget - s.imagesSeen) / Math.max(rate, 1e-9);
  return [
    `it ${s.iteration}`,
    `${s.resolution}px α=${s.alpha.toFixed(3)}`,
    `D ${s.dLoss.toFixed(3)} G ${s.gLoss.toFixed(3)} pen ${s.penalty.toFixed(3)}`,
    `${rate.toFixed(1)} img/s`,
    `${(s.imagesSeen / 1000).toFixed(1)}/${(budget / 1000).toFixed(0)} kimg`,
    `ETA ${formatDuration(eta)}`,
  ].join(" | ");
}

/** 3725 -> "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

type LogEntry = Record<string, number | boolean | string>;

async function appendLog(out: string, entry: LogEntry | IterationStats): Promise<void> {
  await Deno.writeTextFile(join(out, "log.jsonl"), JSON.stringify(entry) + "\n", { append: true });
}

async function readHistory(path: string): Promise<LogEntry[]> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

function plotPanels(history: LogEntry[]) {
  const series = (key: string) =>
    history.filter((h) => typeof h[key] === "number").map((h) =>
      [Number(h.imagesSeen) / 1000, Number(h[key])] as [number, number]
    );
  return [
    {
      title: "losses",
      xLabel: "kimg",
      series: [{ name: "D", points: series("dLoss") }, { name: "G", points: series("gLoss") }],
    },
    {
      title: "penalty (R1 or GP)",
      xLabel: "kimg",
      series: [{ name: "penalty", points: series("penalty") }],
    },
    {
      title: "SWD x1e3 (lower is better)",
      xLabel: "kimg",
      series: [{ name: "swd", points: series("swd") }],
    },
  ];
}

async function prune(out: string, keep: number): Promise<void> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(out, "checkpoints"))) {
    if (CHECKPOINT_RE.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    await Deno.remove(join(out, "checkpoints", name));
  }
}

/** The built-in dataset (twitter emoji, 64 px), prepared once under ~/.cache/stylegan. */
export async function defaultDataset(log: (line: string) => void): Promise<string> {
  const folder = await fetchEmoji("twitter", { log });
  const out = join(cacheDir(), "prepared-twitter-64");
  const result = await prepareDataset(folder, { out, maxSize: 64, log });
  if (!result.complete) throw new Error(`Preparing the emoji dataset in ${out} did not complete`);
  return out;
}

const HELP = `Usage: deno run -A cli.ts train [dataset-dir] [options]

Trains a StyleGAN progressively (init size -> max size) on a prepared dataset (see
\`cli.ts prepare\`); without a dataset, on the built-in emoji set (downloaded once from npm).
Ctrl-C finishes the current step, writes a checkpoint and exits; --resume continues exactly.

Options:
      --out <dir>              Run folder (default runs/<dataset name>)
      --preset <name>          ${Object.keys(PRESETS).join(" | ")} (default small)
      --init-size <px>         First resolution (default 8)
      --max-size <px>          Last resolution (default: the largest both preset and data have)
      --loss <r1|wgan-gp>      Objective (default r1: logistic + R1, gamma 10)
      --no-mixing              Turn off style mixing regularization (default on, p = 0.9)
      --phase-images <n>       Images per fade-in and per stable phase (default 100000)
      --batch <n>              Batch size (default 16)
      --sched                  The reference's per-resolution batch and lr tables
      --lr <x>                 Learning rate (default 0.001; mapping network x0.01)
      --micro-batch <n>        At most n samples per pass; gradients accumulate
      --stddev-group <n>       Minibatch stddev group (default: whole pass; official: 4)
      --kimg <n>               Stop after n thousand real images
      --iterations <n>         Or after n iterations in all
      --seed <n>               Seed of every random draw (default 0)
      --backend <name>         auto | webgpu | wasm | cpu (default auto)
      --sample-every <n>       Sample grid every n iterations (default 200)
      --checkpoint-every <n>   Checkpoint, plot and SWD every n iterations (default 1000)
      --log-every <n>          Progress line every n iterations (default 20)
      --swd-images <n>         Images for the SWD at checkpoints, 0 = off (default 256)
      --keep <n>               Checkpoints kept (default 3)
      --no-flip                No horizontal flips of the reals
      --resume [file]          Continue the newest checkpoint of --out, or a given file
                               (ours, or a reference/Jittor checkpoint)
  -h, --help                   Show this help`;

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${value}"`);
  return n;
}

/** The `train` subcommand. */
export const command: Command = {
  summary: "Train a StyleGAN progressively on a prepared dataset (default: emoji)",
  async run(args: string[]): Promise<number> {
    const parsed = parseFlags("train", HELP, args, {
      out: { type: "string" },
      preset: { type: "string", default: "small" },
      "init-size": { type: "string" },
      "max-size": { type: "string" },
      loss: { type: "string" },
      "no-mixing": { type: "boolean" },
      "phase-images": { type: "string" },
      batch: { type: "string" },
      sched: { type: "boolean" },
      lr: { type: "string" },
      "micro-batch": { type: "string" },
      "stddev-group": { type: "string" },
      kimg: { type: "string" },
      iterations: { type: "string" },
      seed: { type: "string" },
      backend: { type: "string", default: "auto" },
      "sample-every": { type: "string", default: "200" },
      "checkpoint-every": { type: "string", default: "1000" },
      "log-every": { type: "string", default: "20" },
      "swd-images": { type: "string", default: "256" },
      keep: { type: "string", default: "3" },
      "no-flip": { type: "boolean" },
      resume: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
    const log = (line: string) => console.error(line);
    try {
      if (!(values.preset in PRESETS)) throw new Error(`Unknown --preset "${values.preset}"`);
      const preset = values.preset as PresetName;
      if (values.loss && values.loss !== "r1" && values.loss !== "wgan-gp") {
        throw new Error(`--loss must be r1 or wgan-gp, got "${values.loss}"`);
      }
      // `--resume file` arrives as a positional after the dataset.
      const [datasetArg, resumeFile, ...extra] = positionals;
      if (extra.length) throw new Error(`Unexpected arguments: ${extra.join(" ")}`);
      const info = await initBackend({ backend: values.backend as "auto" });
      log(`backend: ${info.name} (${info.reason})`);
      const dataset = datasetArg ?? await defaultDataset(log);
      const top = maxResolution(PRESETS[preset]);
      const trainer: Partial<TrainerOptions> = Object.fromEntries(
        Object.entries({
          loss: values.loss as TrainerOptions["loss"] | undefined,
          mixing: values["no-mixing"] ? false : undefined,
          initSize: number(values["init-size"], "init-size"),
          // Default: as large as both the model and the data allow (a resumed run keeps its own).
          maxSize: number(values["max-size"], "max-size") ??
            (values.resume
              ? undefined
              : Math.min(top, Math.max(...(await readIndex(dataset)).resolutions))),
          phaseImages: number(values["phase-images"], "phase-images"),
          batch: number(values.batch, "batch"),
          lr: number(values.lr, "lr"),
          microBatch: number(values["micro-batch"], "micro-batch"),
          stddevGroup: number(values["stddev-group"], "stddev-group"),
          seed: number(values.seed, "seed"),
          ...(values.sched ? REFERENCE_SCHEDULE : {}),
        }).filter(([, v]) => v !== undefined),
      );
      const controller = new AbortController();
      const stop = () => {
        if (!controller.signal.aborted) log("stopping after this iteration (Ctrl-C again to kill)");
        else Deno.exit(130);
        controller.abort();
      };
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
      try {
        const result = await runTraining({
          dataset,
          out: values.out ?? join("runs", dataset.split(/[\\/]/).filter(Boolean).pop() ?? "run"),
          preset,
          trainer,
          kimg: number(values.kimg, "kimg"),
          iterations: number(values.iterations, "iterations"),
          sampleEvery: number(values["sample-every"], "sample-every")!,
          checkpointEvery: number(values["checkpoint-every"], "checkpoint-every")!,
          logEvery: number(values["log-every"], "log-every")!,
          swdImages: number(values["swd-images"], "swd-images")!,
          keep: number(values.keep, "keep")!,
          flip: !values["no-flip"],
          resume: values.resume ? (resumeFile ?? true) : undefined,
          signal: controller.signal,
          log,
        });
        log(
          `${result.reason} after ${result.iterations} iterations; checkpoint ${
            result.checkpoint ?? "-"
          }`,
        );
        return result.reason === "non-finite" ? 1 : 0;
      } finally {
        Deno.removeSignalListener("SIGINT", stop);
        Deno.removeSignalListener("SIGTERM", stop);
      }
    } catch (e) {
      console.error(`train: ${(e as Error).message}`);
      return 1;
    }
  },
};
