import assert from "node:assert/strict";
import { join } from "node:path";
import { prepareDataset } from "./prepare.ts";
import { decodeImage } from "./decode.ts";
import { type DatasetIndex, imageBytes, readIndex } from "./format.ts";
import type { Rgb } from "./resize.ts";
import { compareToReference, referenceAreaResize } from "./_testing.ts";

const FIXTURES = new URL("../../tests/fixtures/images/", import.meta.url).pathname;

/** Every file of a dataset folder (including hidden ones), name -> bytes. */
async function snapshot(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for await (const entry of Deno.readDir(dir)) {
    files[entry.name] = await Deno.readFile(join(dir, entry.name));
  }
  return files;
}

/** Checks every image and level of a dataset against the reference area average of `file(source, res)`. */
async function checkAgainstReference(
  dir: string,
  index: DatasetIndex,
  file: (source: string, resolution: number) => string,
): Promise<void> {
  for (const r of index.resolutions) {
    const packed = await Deno.readFile(join(dir, index.files[String(r)]));
    for (let i = 0; i < index.count; i++) {
      const path = file(index.sources[i], r);
      const image = await decodeImage(await Deno.readFile(path), path);
      const got = packed.subarray(i * imageBytes(r), (i + 1) * imageBytes(r));
      const { wrong, first } = compareToReference(
        got,
        referenceAreaResize(image, r, index.background as Rgb),
      );
      assert.equal(wrong, 0, `${index.sources[i]} at ${r} px: ${wrong} values differ, ${first}`);
    }
  }
}

Deno.test("prepare packs each fixture at each size as the reference area average, and lists what it skips", async () => {
  const out = await Deno.makeTempDir();
  try {
    const result = await prepareDataset(FIXTURES, {
      out,
      minSize: 4,
      maxSize: 32,
      background: "#0c4d80",
      workers: 2,
    });
    assert.ok(result.complete);
    const index = await readIndex(out); // also checks the file sizes
    assert.deepEqual(result.index, index);
    assert.deepEqual(index.resolutions, [4, 8, 16, 32]);
    assert.deepEqual(index.background, [12, 77, 128]);
    assert.equal(index.count, 11);
    assert.deepEqual(index.sources, [...index.sources].sort());
    assert.ok(
      index.sources.includes("more/progressive_64x64.jpg") &&
        index.sources.includes("odd_rgb_37x53.png"),
    );
    const reasons = Object.fromEntries(index.skipped.map((s) => [s.path, s.reason]));
    assert.deepEqual(Object.keys(reasons), [
      "_make_images.py",
      "broken/not_an_image.png",
      "broken/truncated.png",
      "expected_pixels.json",
      "notes.txt",
    ]);
    assert.match(reasons["broken/truncated.png"], /^corrupt or truncated PNG/);
    assert.equal(reasons["broken/not_an_image.png"], "not a PNG or JPEG file");
    await checkAgainstReference(out, index, (source) => join(FIXTURES, source));
    assert.equal(await Deno.stat(join(out, ".partial")).catch(() => null), null);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("prepare skips images smaller than --max-size and takes an evenly spaced --limit", async () => {
  const out = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const { index } = await prepareDataset(FIXTURES, {
      out,
      minSize: 32,
      maxSize: 64,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(index!.sources, [
      "landscape_rgb_96x64.png",
      "more/progressive_64x64.jpg",
      "sprite_rgba_64x64.png",
    ]);
    const odd = index!.skipped.find((s) => s.path === "odd_rgb_37x53.png");
    assert.equal(odd?.reason, "Image 37x53 is too small: its 37 px square crop is below 64 px");
    assert.ok(
      lines.some((l) => l.includes("skipped broken/truncated.png: corrupt or truncated PNG")),
      lines.join("\n"),
    );

    // 13 candidate files (sorted: broken/not_an_image.png, broken/truncated.png, gray_alpha..., ...);
    // limit 4 takes candidates 0, 3, 6 and 9, and the first of them is not an image.
    const limited = await prepareDataset(FIXTURES, { out, maxSize: 16, limit: 4 });
    assert.deepEqual(limited.index!.sources, [
      "gray_l_48x48.png",
      "more/deep_16bit_32x32.png",
      "odd_rgb_37x53.png",
    ]);
    assert.ok(limited.index!.skipped.some((s) => s.path === "broken/not_an_image.png"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("an interrupted run resumed later gives the same bytes as a fresh run", async () => {
  const fresh = await Deno.makeTempDir();
  const resumed = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    await prepareDataset(FIXTURES, { out: fresh, maxSize: 32, chunkSize: 3, workers: 2 });
    const expected = await snapshot(fresh);

    const partial = await prepareDataset(FIXTURES, {
      out: resumed,
      maxSize: 32,
      chunkSize: 3,
      workers: 1,
      stopAfter: 5,
    });
    assert.equal(partial.complete, false);
    assert.equal(partial.processed, 6); // two chunks of 3
    assert.equal(await Deno.stat(join(resumed, "index.json")).catch(() => null), null);
    // What a kill can leave behind: a chunk's pixels without its record, half-written temporaries.
    const journal = join(resumed, ".partial");
    await Deno.writeFile(join(journal, "chunk-000002.u8"), new Uint8Array(100));
    await Deno.writeFile(join(journal, "chunk-000003.json.tmp"), new Uint8Array(7));
    await Deno.writeFile(join(resumed, "16.u8.tmp"), new Uint8Array(5));
    // A chunk whose pixel file lost its tail is done again.
    const first = join(journal, "chunk-000000.u8");
    await Deno.truncate(first, (await Deno.stat(first)).size - 1);

    const lines: string[] = [];
    const finished = await prepareDataset(FIXTURES, {
      out: resumed,
      maxSize: 32,
      chunkSize: 3,
      workers: 2,
      log: (l) => lines.push(l),
    });
    assert.ok(finished.complete);
    assert.equal(finished.resumed, 3);
    assert.equal(finished.processed, 10);
    assert.ok(lines.includes("prepare: resuming, 3 images already done"), lines.join("\n"));
    assert.deepEqual(await snapshot(resumed), expected);

    // Chunking and the number of workers do not change the output either.
    await prepareDataset(FIXTURES, { out: other, maxSize: 32, chunkSize: 5, workers: 1 });
    assert.deepEqual(await snapshot(other), expected);
    // Re-running a finished dataset rewrites the same bytes (no duplicates).
    await prepareDataset(FIXTURES, { out: other, maxSize: 32 });
    assert.deepEqual(await snapshot(other), expected);
  } finally {
    for (const dir of [fresh, resumed, other]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a journal from other settings is discarded, and stale resolutions are removed", async () => {
  const out = await Deno.makeTempDir();
  const fresh = await Deno.makeTempDir();
  try {
    await prepareDataset(FIXTURES, { out, maxSize: 32, chunkSize: 2, stopAfter: 2 });
    const lines: string[] = [];
    const { index } = await prepareDataset(FIXTURES, {
      out,
      maxSize: 16,
      chunkSize: 2,
      log: (l) => lines.push(l),
    });
    assert.ok(lines.some((l) => l.includes("discarding the partial run")), lines.join("\n"));
    assert.deepEqual(index!.resolutions, [8, 16]);
    await prepareDataset(FIXTURES, { out: fresh, maxSize: 16 });
    assert.deepEqual(await snapshot(out), await snapshot(fresh));
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(fresh, { recursive: true });
  }
});

Deno.test("prepare reads one folder per resolution (the Jittor port's layout)", async () => {
  const input = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    // Different pictures per folder, so that the test sees which folder fed which level.
    const place = async (size: number, name: string, fixture: string) => {
      await Deno.mkdir(join(input, String(size)), { recursive: true });
      await Deno.copyFile(join(FIXTURES, fixture), join(input, String(size), name));
    };
    await place(32, "a.png", "landscape_rgb_96x64.png");
    await place(16, "a.png", "sprite_rgba_64x64.png");
    await place(32, "b.png", "palette_p_40x40.png");
    await place(8, "b.png", "gray_alpha_la_40x44.png");
    await Deno.writeTextFile(join(input, "32", "readme.txt"), "not an image");
    const { index } = await prepareDataset(input, { out, minSize: 4, maxSize: 32 });
    assert.deepEqual(index!.sources, ["32/a.png", "32/b.png"]);
    assert.deepEqual(index!.skipped, [{ path: "32/readme.txt", reason: "not a PNG or JPEG file" }]);
    // a: 32 from 32/, 16, 8 and 4 from 16/. b: 32 and 16 from 32/, 8 and 4 from 8/.
    const feeds: Record<string, Record<number, number>> = {
      "32/a.png": { 32: 32, 16: 16, 8: 16, 4: 16 },
      "32/b.png": { 32: 32, 16: 32, 8: 8, 4: 8 },
    };
    await checkAgainstReference(
      out,
      index!,
      (source, r) => join(input, String(feeds[source][r]), source.slice(3)),
    );

    await assert.rejects(
      prepareDataset(input, { out, maxSize: 64 }),
      /has resolution folders up to 32 px, below --max-size 64/,
    );
  } finally {
    await Deno.remove(input, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("prepare rejects bad sizes and a missing input folder", async () => {
  await assert.rejects(
    prepareDataset(FIXTURES, { out: "/nonexistent", maxSize: 48 }),
    /powers of two/,
  );
  await assert.rejects(
    prepareDataset(FIXTURES, { out: "/nonexistent", minSize: 64, maxSize: 32 }),
    /min <= max/,
  );
  await assert.rejects(
    prepareDataset("/no/such/folder", { out: "/nonexistent" }),
    /Input \/no\/such\/folder is not a folder/,
  );
  await assert.rejects(
    prepareDataset(FIXTURES, { out: "/nonexistent", background: "pink" }),
    /Background must be white, black or #rrggbb/,
  );
});

Deno.test("an unreadable file (dangling link) is reported with its path and the run goes on", async () => {
  const input = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    await Deno.copyFile(join(FIXTURES, "odd_rgb_37x53.png"), join(input, "a.png"));
    await Deno.symlink(join(input, "missing.png"), join(input, "b.png"));
    const lines: string[] = [];
    const { index } = await prepareDataset(input, { out, maxSize: 16, log: (l) => lines.push(l) });
    assert.deepEqual(index!.sources, ["a.png"]);
    assert.equal(index!.skipped.length, 1);
    assert.equal(index!.skipped[0].path, "b.png");
    assert.match(index!.skipped[0].reason, /No such file/);
    assert.ok(lines.some((l) => l.startsWith("prepare: skipped b.png: ")), lines.join("\n"));
  } finally {
    await Deno.remove(input, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
