import assert from "node:assert/strict";
import { Rng } from "./rng.ts";

Deno.test("Rng matches sfc32 seeded by splitmix32 (values from an independent Python implementation)", () => {
  const rng = new Rng(12345);
  assert.deepEqual([rng.uint32(), rng.uint32(), rng.uint32()], [
    1977310364,
    4106765030,
    1538400628,
  ]);
  assert.deepEqual(new Rng(2 ** 40 + 7).uint32(), 967401221); // the high word of the seed counts
});

Deno.test("Rng is deterministic per seed and seeds give different streams", () => {
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 16 }, () => rng.next());
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.throws(() => new Rng(0.5), RangeError);
});

Deno.test("Rng state() / fromState() continue the stream exactly, normals included", () => {
  const rng = new Rng(99);
  for (let i = 0; i < 10; i++) rng.normal();
  const copy = Rng.fromState(JSON.parse(JSON.stringify(rng.state())));
  const a = [rng.next(), rng.normal(), rng.int(1000), rng.uint32()];
  const b = [copy.next(), copy.normal(), copy.int(1000), copy.uint32()];
  assert.deepEqual(a, b);
  assert.throws(() => Rng.fromState([1, 2, 3]), RangeError);
});

Deno.test("Rng.next, int and normal have the right ranges and moments", () => {
  const rng = new Rng(3);
  const n = 200_000;
  const counts = new Array(10).fill(0);
  let sum = 0, sumSq = 0, min = 1, max = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    min = Math.min(min, u);
    max = Math.max(max, u);
    counts[rng.int(10)]++;
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  assert(min >= 0 && max < 1);
  // Chi-square with 9 degrees of freedom: 27.9 is the 0.999 quantile (fixed seed: no flakiness).
  const chi2 = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
  assert(chi2 < 27.9, `chi2 ${chi2}`);
  assert(Math.abs(sum / n) < 0.01, `mean ${sum / n}`);
  assert(Math.abs(sumSq / n - 1) < 0.01, `variance ${sumSq / n}`);
  assert.throws(() => rng.int(0), RangeError);
});

Deno.test("Rng.shuffle permutes in place and is seeded", () => {
  const a = new Rng(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
  const b = new Rng(5).shuffle(Uint32Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(Array.from(b), a);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(a, Array.from({ length: 50 }, (_, i) => i));
});
