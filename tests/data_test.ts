/**
 * End-to-end tests of the data commands through `cli.ts`: preparing the fixture images, the
 * built-in emoji dataset (fetched from npm once, then cached), and a preparer killed mid-run.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../cli.ts";
import { Dataset } from "../src/data/dataset.ts";
import { readIndex } from "../src/data/format.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const FIXTURES = join(ROOT, "tests/fixtures/images");

async function snapshot(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for await (const entry of Deno.readDir(dir)) {
    files[entry.name] = await Deno.readFile(join(dir, entry.name));
  }
  return files;
}

Deno.test("cli.ts prepare packs the fixture images and rejects bad arguments", async () => {
  const out = await Deno.makeTempDir();
  try {
    assert.equal(
      await main([
        "prepare",
        FIXTURES,
        "--out",
        out,
        "--max-size",
        "16",
        "--background",
        "black",
        "-q",
      ]),
      0,
    );
    const index = await readIndex(out);
    assert.equal(index.count, 11);
    assert.deepEqual(index.resolutions, [8, 16]);
    assert.deepEqual(index.background, [0, 0, 0]);
    assert.equal(index.skipped.length, 5);
    assert.equal(await main(["prepare", FIXTURES]), 2); // no --out
    assert.equal(await main(["prepare", FIXTURES, "--out", out, "--max-size", "48"]), 1);
    assert.equal(await main(["prepare", "--help"]), 0);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli.ts dataset emoji prepares a subset that the loader reads", async () => {
  const out = await Deno.makeTempDir();
  try {
    assert.equal(
      await main(["dataset", "emoji", "--out", out, "--limit", "64", "--max-size", "32", "-q"]),
      0,
    );
    const data = await Dataset.open(out, { seed: 0 });
    assert.equal(data.count, 64);
    assert.deepEqual(data.resolutions, [8, 16, 32]);
    const { data: pixels, shape } = await data.batch(32, 16, { flip: true });
    assert.deepEqual(shape, [16, 32, 32, 3]);
    const mean = pixels.reduce((s, v) => s + v, 0) / pixels.length;
    const variance = pixels.reduce((s, v) => s + (v - mean) ** 2, 0) / pixels.length;
    // Colorful emoji on white: bright on average, far from flat.
    assert.ok(mean > 0 && mean < 0.9 && variance > 0.1, `mean ${mean}, variance ${variance}`);
    await data.close();
    assert.equal(await main(["dataset", "emoji", "--out", out, "--max-size", "128", "-q"]), 1);
    assert.equal(await main(["dataset", "emoji", "--out", out, "--set", "nope"]), 2);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a preparer killed mid-run and run again gives the same dataset as an uninterrupted run", async () => {
  const killed = await Deno.makeTempDir();
  const fresh = await Deno.makeTempDir();
  const args = ["dataset", "emoji", "--limit", "1500", "--max-size", "64"];
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "cli.ts"), ...args, "--out", killed],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Kill (SIGKILL: no cleanup) at the first progress line, about a second into the run.
    let seen = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      seen += decoder.decode(chunk);
      if (seen.includes("images/s")) {
        try {
          child.kill("SIGKILL");
        } catch {
          // It had already finished: the re-run below must then leave the dataset as it is.
        }
        break;
      }
    }
    await child.status;
    assert.ok(seen.includes("images/s") || seen.includes("wrote"), seen);

    assert.equal(await main([...args, "--out", killed, "-q"]), 0);
    assert.equal(await main([...args, "--out", fresh, "-q", "--workers", "1"]), 0);
    assert.deepEqual(await snapshot(killed), await snapshot(fresh));
    assert.equal((await readIndex(fresh)).count, 1500);
  } finally {
    await Deno.remove(killed, { recursive: true });
    await Deno.remove(fresh, { recursive: true });
  }
});
