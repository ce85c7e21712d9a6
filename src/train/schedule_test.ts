import assert from "node:assert/strict";
import { planIteration } from "./schedule.ts";

Deno.test("the progressive schedule follows the reference's arithmetic", () => {
  const opts = {
    initSize: 8,
    maxSize: 16,
    phaseImages: 10,
    batch: 4,
    lr: 1e-3,
    lrSchedule: { 16: 2e-3 },
    batchSchedule: { 16: 2 },
  };
  let position = { step: 1, usedSample: 0 };
  const seen: string[] = [];
  for (let i = 0; i < 12; i++) {
    const { plan, next } = planIteration(opts, position);
    seen.push(`${plan.resolution}:${plan.alpha.toFixed(2)}:${plan.batch}`);
    position = next;
  }
  // alpha = min(1, (used + 1) / phase); grow once used > 2 * phase; stay at maxSize.
  assert.deepEqual(seen, [
    "8:0.10:4",
    "8:0.50:4",
    "8:0.90:4",
    "8:1.00:4",
    "8:1.00:4",
    "8:1.00:4",
    "16:0.00:2",
    "16:0.30:2",
    "16:0.50:2",
    "16:0.70:2",
    "16:0.90:2",
    "16:1.00:2",
  ]);
});
