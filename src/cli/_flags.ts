/**
 * The flag parsing every subcommand shares: `node:util` parseArgs with positionals, a usage
 * error printed with the help text (exit code 2), and `--help` printing it (exit code 0).
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Parsed flags, or the exit code the command should return at once. */
export function parseFlags<O extends NonNullable<ParseArgsConfig["options"]>>(
  name: string,
  help: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>> | number {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true });
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if ((parsed.values as Record<string, unknown>).help) {
    console.log(help);
    return 0;
  }
  return parsed;
}
