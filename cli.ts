/**
 * Command line for stylegan: `deno run -A cli.ts <command> [options]`.
 *
 * Each command lives in `src/cli/<command>.ts`; this file only dispatches.
 *
 * @example
 * ```sh
 * deno run -A cli.ts --help
 * ```
 *
 * @module
 */

/** A subcommand: a one-line summary and an entry point that returns the exit code. */
export interface Command {
  /** One line shown by `cli.ts --help`. */
  summary: string;
  /** Runs the command on its own arguments (without the command name). */
  run(args: string[]): Promise<number>;
}

/** Lazily imported so that `cli.ts info` does not load the dataset code, and so on. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  convert: () => import("./src/cli/convert.ts").then((m) => m.command),
  prepare: () => import("./src/cli/prepare.ts").then((m) => m.command),
  dataset: () => import("./src/cli/dataset.ts").then((m) => m.command),
  info: () => import("./src/cli/info.ts").then((m) => m.command),
  swd: () => import("./src/cli/swd.ts").then((m) => m.command),
  generate: () => import("./src/cli/generate.ts").then((m) => m.command),
  mix: () => import("./src/cli/mix.ts").then((m) => m.command),
  interpolate: () => import("./src/cli/interpolate.ts").then((m) => m.command),
  figures: () => import("./src/cli/figures.ts").then((m) => m.command),
  train: () => import("./src/cli/train.ts").then((m) => m.command),
  metrics: () => import("./src/cli/metrics.ts").then((m) => m.command),
};

function usage(): string {
  const lines = ["Usage: deno run -A cli.ts <command> [options]", "", "Commands:"];
  for (const name of Object.keys(COMMANDS)) lines.push(`  ${name}`);
  lines.push("", "Run `deno run -A cli.ts <command> --help` for a command's options.");
  return lines.join("\n");
}

/**
 * Runs the CLI on `args` and returns the process exit code.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const code = await main(["--help"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`Unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await load();
  return await command.run(rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
