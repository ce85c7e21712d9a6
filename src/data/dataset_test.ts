import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type Batch, Dataset } from "./dataset.ts";
import { prepareDataset } from "./prepare.ts";

const FIXTURES = new URL("../../tests/fixtures/images/", import.meta.url).pathname;

/** Runs `body` with a fresh dataset of the 11 usable fixtures at 8, 16 and 32 px. */
async function withDataset(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await prepareDataset(FIXTURES, { out: dir, maxSize: 32, workers: 1 });
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

type Call = [number, number, boolean];
const CALLS: Call[] = [[32, 4, true], [32, 4, true], [16, 4, true], [8, 3, false], [8, 3, false], [
  32,
  5,
  true,
], [32, 5, true]];

async function run(dataset: Dataset, calls: Call[]): Promise<Batch[]> {
  const out: Batch[] = [];
  for (const [r, n, flip] of calls) out.push(await dataset.batch(r, n, { flip }));
  return out;
}

Deno.test("a batch is NHWC float32 in [-1, 1] equal to x / 127.5 - 1, and an epoch visits each image once", async () => {
  await withDataset(async (dir) => {
    const dataset = await Dataset.open(dir, { seed: 3 });
    assert.equal(dataset.count, 11);
    assert.deepEqual(dataset.resolutions, [8, 16, 32]);
    const batch = await dataset.batch(32, 11);
    assert.deepEqual(batch.shape, [11, 32, 32, 3]);
    assert.equal(batch.data.length, 11 * 32 * 32 * 3);
    assert.deepEqual(
      [...batch.indices].sort((a, b) => a - b),
      Array.from({ length: 11 }, (_, i) => i),
    );
    assert.notDeepEqual(batch.indices, Array.from({ length: 11 }, (_, i) => i)); // shuffled
    const bytes = await dataset.images(32, batch.indices);
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < bytes.length; i++) {
      assert.equal(batch.data[i], Math.fround(bytes[i] / 127.5 - 1));
      min = Math.min(min, batch.data[i]);
      max = Math.max(max, batch.data[i]);
    }
    assert.ok(min >= -1 && max <= 1 && min < -0.9 && max > 0.9, `${min}..${max}`);
    assert.equal(dataset.epoch, 0);
    await dataset.batch(32, 1);
    assert.equal(dataset.epoch, 1);
    await dataset.close();
  });
});

Deno.test("batches are deterministic for a seed, and do not depend on prefetching", async () => {
  await withDataset(async (dir) => {
    const a = await run(await Dataset.open(dir, { seed: 11 }), CALLS);
    const b = await run(await Dataset.open(dir, { seed: 11 }), CALLS);
    const unfetched = await run(await Dataset.open(dir, { seed: 11, prefetch: false }), CALLS);
    const other = await run(await Dataset.open(dir, { seed: 12 }), CALLS);
    assert.deepEqual(a, b);
    assert.deepEqual(a, unfetched);
    assert.notDeepEqual(a.map((x) => x.indices), other.map((x) => x.indices));
  });
});

Deno.test("flipped images are mirrored left-right, the others untouched", async () => {
  await withDataset(async (dir) => {
    const dataset = await Dataset.open(dir, { seed: 1 });
    const batch = await dataset.batch(16, 11, { flip: true });
    assert.ok(batch.flipped.includes(true) && batch.flipped.includes(false), `${batch.flipped}`);
    const bytes = await dataset.images(16, batch.indices);
    const at = (k: number, y: number, x: number, c: number) => ((k * 16 + y) * 16 + x) * 3 + c;
    for (let k = 0; k < 11; k++) {
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          for (let c = 0; c < 3; c++) {
            const source = bytes[at(k, y, batch.flipped[k] ? 15 - x : x, c)];
            assert.equal(batch.data[at(k, y, x, c)], Math.fround(source / 127.5 - 1));
          }
        }
      }
    }
    await dataset.close();
  });
});

Deno.test("state() / setState() resume the batch sequence exactly, across epochs", async () => {
  await withDataset(async (dir) => {
    const first = await Dataset.open(dir, { seed: 9 });
    await run(first, CALLS.slice(0, 3)); // 12 images: already in the second epoch
    const saved = JSON.parse(JSON.stringify(first.state()));
    const expected = await run(first, CALLS);
    const second = await Dataset.open(dir, { seed: 0 });
    second.setState(saved);
    assert.deepEqual(await run(second, CALLS), expected);
    await first.close();
    await second.close();
  });
});

Deno.test("reading image by image (files over memoryLimit) gives the same batches", async () => {
  await withDataset(async (dir) => {
    const inMemory = await Dataset.open(dir, { seed: 4 });
    const fromFile = await Dataset.open(dir, { seed: 4, memoryLimit: 0 });
    assert.deepEqual(await run(fromFile, CALLS), await run(inMemory, CALLS));
    await assert.rejects(fromFile.images(8, [11]), /Image index 11 is outside 0\.\.10/);
    await assert.rejects(fromFile.batch(64, 2), /has no 64 px images \(it has 8, 16, 32\)/);
    await inMemory.close();
    await fromFile.close();
  });
});

Deno.test("batchTensor returns a Tensor4D of the batch and leaks no tensors", async () => {
  await tf.setBackend("cpu");
  await withDataset(async (dir) => {
    const a = await Dataset.open(dir, { seed: 2 });
    const b = await Dataset.open(dir, { seed: 2 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const x = await a.batchTensor(16, 4, { flip: true });
      const expected = await b.batch(16, 4, { flip: true });
      assert.deepEqual(x.shape, [4, 16, 16, 3]);
      assert.equal(x.dtype, "float32");
      assert.deepEqual(x.dataSync(), expected.data);
      x.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    await a.close();
    await b.close();
  });
});

Deno.test("open() says which file disagrees with index.json, and by how much", async () => {
  await withDataset(async (dir) => {
    const file = join(dir, "16.u8");
    await Deno.truncate(file, 11 * 16 * 16 * 3 - 10);
    await assert.rejects(
      Dataset.open(dir),
      {
        message:
          `Dataset file ${file} has 8438 bytes, index.json expects 8448 (11 images of 16x16x3)`,
      },
    );
    await Deno.remove(file);
    await assert.rejects(Dataset.open(dir), {
      message: `Dataset file ${file} is missing (index.json lists it for 16 px)`,
    });
    const index = JSON.parse(await Deno.readTextFile(join(dir, "index.json")));
    await Deno.writeTextFile(join(dir, "index.json"), JSON.stringify({ ...index, version: 2 }));
    await assert.rejects(Dataset.open(dir), /index\.json has version 2, this code reads version 1/);
    await Deno.remove(join(dir, "index.json"));
    await assert.rejects(
      Dataset.open(dir),
      /has no index\.json \(prepare it with `cli\.ts prepare`\)/,
    );
  });
});
