/**
 * `cli.ts metrics <checkpoint> <dataset>`: the multi-scale sliced Wasserstein distance between a
 * generator's samples and a prepared dataset (Progressive GAN, appendix D), as a per-level table
 * and a JSON file.
 *
 * @example
 * ```sh
 * deno run -A cli.ts metrics runs/emoji/checkpoints/checkpoint-0004375.safetensors data/emoji --n 4096
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Command } from "../../cli.ts";
import { Dataset } from "../data/dataset.ts";
import { drawLatents, drawNoiseSeeds } from "../generate/_random.ts";
import { meanFor, renderLatents } from "../generate/sample.ts";
import { swd } from "../metrics/swd.ts";
import { Rng } from "../rng.ts";
import { parseArgs } from "node:util";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  numberFlag,
  openGenerator,
  parseCommand,
  runCommand,
  UsageError,
  writeOutput,
} from "./generate.ts";

const HELP = `Usage: deno run -A cli.ts metrics <checkpoint> <dataset> [options]

Sliced Wasserstein distance (x1e3, lower is better) between n samples of the checkpoint's EMA
generator and n images of a prepared dataset (cli.ts prepare / dataset), per Laplacian level
from 16 px up to the rendered size, and their average. Also written as JSON.

Options:
      --n N            Images per set (default 10000, at most the dataset's size for reals)
${COMMON_HELP}
      --out FILE       JSON output (default metrics.json)
  -h, --help           Show this help`;

/** The `metrics` subcommand. */
export const command: Command = {
  summary: "Sliced Wasserstein distance between a checkpoint's samples and a dataset",
  run: (args: string[]) =>
    runCommand("metrics", HELP, async () => {
      // parseCommand takes one positional: find the second one (<dataset>) and set it aside.
      const { tokens } = parseArgs({
        args,
        options: { ...COMMON_FLAGS, n: { type: "string" } },
        allowPositionals: true,
        tokens: true,
        strict: false,
      });
      const positionals = tokens.filter((t) => t.kind === "positional");
      if (positionals.length !== 2 && !args.some((a) => a === "-h" || a === "--help")) {
        throw new UsageError(
          `Expected <checkpoint> <dataset>, got ${positionals.length} arguments`,
        );
      }
      const dir = positionals[1]?.kind === "positional" ? positionals[1].value : "";
      const skip = positionals[1]?.index;
      const parsed = parseCommand(args.filter((_, i) => i !== skip), { n: { type: "string" } });
      if (parsed === "help") return "help";
      const { values, common } = parsed;
      const n = numberFlag(values, "n", { integer: true, min: 2 }) ?? 10_000;
      const out = (values.out as string | undefined) ?? "metrics.json";
      const { generator, step, size } = await openGenerator(common);
      if (size < 16) {
        throw new UsageError(`The SWD needs 16 px or more; this renders ${size} px (use --size)`);
      }
      const data = await Dataset.open(dir);
      try {
        if (!data.resolutions.includes(size)) {
          throw new Error(
            `Dataset ${dir} has no ${size} px images (it has ${data.resolutions.join(", ")})`,
          );
        }
        const count = Math.min(n, data.count);
        const indices = Array.from(
          { length: count },
          (_, i) => Math.floor((i * data.count) / count),
        );
        const reals = async function* () {
          for (let i = 0; i < indices.length; i += 256) {
            const part = indices.slice(i, i + 256);
            yield { shape: [part.length, size, size, 3], data: await data.images(size, part) };
          }
        };
        const rng = new Rng(common.seed);
        const { mean, owned } = meanFor(generator, { psi: common.psi, seed: common.seed });
        const fakes = async function* () {
          for (let done = 0; done < n; done += common.batchSize) {
            const k = Math.min(common.batchSize, n - done);
            const z = drawLatents(rng, k, generator.config.styleDim);
            const images = renderLatents(generator, z, {
              step,
              psi: common.psi,
              cutoff: common.cutoff,
              meanStyle: mean,
              noiseSeeds: drawNoiseSeeds(rng, k, step + 1),
              batchSize: common.batchSize,
            });
            z.dispose();
            yield images;
            images.dispose();
          }
        };
        const result = await swd(reals(), fakes(), { seed: common.seed });
        if (owned) tf.dispose(mean);
        console.log(`resolution  swd x1e3   (${count} real, ${n} generated, psi ${common.psi})`);
        for (const level of result.levels) {
          console.log(`${String(level.resolution).padStart(10)}  ${level.swd.toFixed(3)}`);
        }
        console.log(`   average  ${result.average.toFixed(3)}`);
        await writeOutput(
          out,
          new TextEncoder().encode(
            JSON.stringify(
              {
                checkpoint: common.checkpoint,
                dataset: dir,
                real: count,
                generated: n,
                psi: common.psi,
                size,
                ...result,
              },
              null,
              2,
            ) + "\n",
          ),
        );
        console.error(`wrote ${out}`);
      } finally {
        await data.close();
      }
    }),
};
