/**
 * End-to-end: the generation commands on a real reference checkpoint (a bare torch `g_running`
 * state dict from ../shared/parity) write files that decode to the expected sizes, and fail with
 * the documented exit codes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import gifCodec from "imagescript/wasm/node/gif.js";
import { main } from "../cli.ts";
import { decodeImage } from "../src/data/decode.ts";

const CHECKPOINT = fileURLToPath(
  new URL("../../shared/parity/g_running-only.model", import.meta.url),
);

/** Runs the CLI, capturing what it prints. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let out = "";
  let err = "";
  console.log = (...x: unknown[]) => void (out += x.join(" ") + "\n");
  console.error = (...x: unknown[]) => void (err += x.join(" ") + "\n");
  try {
    return { code: await main(args), out, err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

async function pngSize(path: string): Promise<[number, number]> {
  const image = await decodeImage(await Deno.readFile(path), path);
  return [image.width, image.height];
}

async function gifFrames(path: string): Promise<{ width: number; height: number; count: number }> {
  type Decoder = { width: number; height: number; frames(): Iterable<unknown> };
  const codec = await (gifCodec as { init(): Promise<{ Decoder: new (b: Uint8Array) => Decoder }> })
    .init();
  const decoder = new codec.Decoder(await Deno.readFile(path));
  return { width: decoder.width, height: decoder.height, count: [...decoder.frames()].length };
}

const BACKEND = ["--backend", "wasm"];

/** A test body run in a fresh temporary folder, removed afterwards. */
function inTempDir(body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = await Deno.makeTempDir({ prefix: "generate_test_" });
    try {
      await body(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
}

Deno.test(
  "generate writes a grid of the asked size",
  inTempDir(async (dir) => {
    const out = join(dir, "samples.png");
    const run = await cli(
      "generate",
      CHECKPOINT,
      "--n",
      "4",
      "--psi",
      "0.7",
      "--out",
      out,
      ...BACKEND,
    );
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(await pngSize(out), [2 * 34 + 2, 2 * 34 + 2]);
    const small = join(dir, "nested", "small.png");
    const again = await cli(
      "generate",
      CHECKPOINT,
      "--n",
      "3",
      "--size",
      "16",
      "--out",
      small,
      ...BACKEND,
    );
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(await pngSize(small), [2 * 18 + 2, 2 * 18 + 2]);
  }),
);

Deno.test(
  "the same seed writes the same file",
  inTempDir(async (dir) => {
    const [a, b] = [join(dir, "a.png"), join(dir, "b.png")];
    for (const out of [a, b]) {
      assert.equal(
        (await cli("generate", CHECKPOINT, "--n", "2", "--seed", "9", "--out", out, ...BACKEND))
          .code,
        0,
      );
    }
    assert.deepEqual(await Deno.readFile(a), await Deno.readFile(b));
  }),
);

Deno.test(
  "mix and interpolate write a PNG, a GIF and its strip",
  inTempDir(async (dir) => {
    const mix = join(dir, "mix.png");
    const run = await cli(
      "mix",
      CHECKPOINT,
      "--sources",
      "3",
      "--targets",
      "2",
      "--range",
      "middle",
      "--out",
      mix,
      ...BACKEND,
    );
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(await pngSize(mix), [4 * 34 + 2, 3 * 34 + 2]);
    const gif = join(dir, "walk.gif");
    const walk = await cli(
      "interpolate",
      CHECKPOINT,
      "--frames",
      "5",
      "--space",
      "z",
      "--out",
      gif,
      ...BACKEND,
    );
    assert.equal(walk.code, 0, walk.err);
    assert.deepEqual(await gifFrames(gif), { width: 32, height: 32, count: 8 });
    assert.deepEqual(await pngSize(join(dir, "walk.png")), [5 * 34 + 2, 36]);
  }),
);

Deno.test(
  "figures writes every figure the model supports",
  inTempDir(async (dir) => {
    const out = join(dir, "figures");
    const run = await cli(
      "figures",
      CHECKPOINT,
      "--draws",
      "4",
      "--out",
      out,
      "--size",
      "16",
      ...BACKEND,
    );
    assert.equal(run.code, 0, run.err);
    const files = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    // A 16 px render has levels 0-2: coarse and middle mixing only.
    assert.deepEqual(files, [
      "interpolation-w.gif",
      "interpolation-w.png",
      "interpolation-z.gif",
      "interpolation-z.png",
      "mix-coarse.png",
      "mix-middle.png",
      "noise.png",
      "samples.png",
      "truncation.png",
    ]);
    assert.deepEqual(await pngSize(join(out, "samples.png")), [4 * 18 + 2, 4 * 18 + 2]);
    assert.deepEqual(await pngSize(join(out, "truncation.png")), [6 * 18 + 2, 4 * 18 + 2]);
    assert.deepEqual(await pngSize(join(out, "noise.png")), [5 * 18 + 2, 20]);
    assert.equal((await gifFrames(join(out, "interpolation-w.gif"))).count, 58);
  }),
);

Deno.test(
  "errors: usage is exit 2 with help, a bad file or size is exit 1 naming it",
  inTempDir(async (dir) => {
    const help = await cli("generate", "--help");
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: deno run -A cli.ts generate <checkpoint>/);
    const noFile = await cli("mix");
    assert.equal(noFile.code, 2);
    assert.match(noFile.err, /Expected one <checkpoint>, got 0 arguments/);
    const badFlag = await cli("interpolate", CHECKPOINT, "--space", "q");
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.err, /--space must be w or z, got "q"/);
    const badNumber = await cli("generate", CHECKPOINT, "--n", "two");
    assert.equal(badNumber.code, 2);
    const missing = await cli("generate", join(dir, "missing.model"), ...BACKEND);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Cannot read .*missing\.model/);
    const size = await cli(
      "generate",
      CHECKPOINT,
      "--size",
      "64",
      "--out",
      join(dir, "x.png"),
      ...BACKEND,
    );
    assert.equal(size.code, 1);
    assert.match(
      size.err,
      /g_running-only\.model: Size 64 is not supported by this 32 px model: use one of 4, 8, 16, 32/,
    );
    const fine = await cli(
      "mix",
      CHECKPOINT,
      "--range",
      "fine",
      "--out",
      join(dir, "y.png"),
      ...BACKEND,
    );
    assert.equal(fine.code, 1);
    assert.match(fine.err, /"fine" holds no level of a 32 px output/);
  }),
);
