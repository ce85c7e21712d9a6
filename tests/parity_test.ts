/**
 * The reference vectors in ../shared/parity must pass on every backend we ship.
 */
import assert from "node:assert/strict";
import { initBackend } from "../src/backend.ts";
import { ParityVectors, runParity } from "./parity.ts";

const VECTORS = new URL("../../shared/parity/", import.meta.url).pathname;

for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test(`parity with the PyTorch reference on ${backend}`, async () => {
    await initBackend({ backend });
    const vectors = await ParityVectors.open(VECTORS);
    const results = await runParity(vectors);
    const failed = results.filter((r) => !r.pass);
    assert(results.length >= 17, `only ${results.length} cases ran`);
    assert(
      failed.length === 0,
      failed.map((r) => `${r.name} err=${r.err} tol=${r.tol} ${r.detail ?? ""}`).join("\n"),
    );
  });
}
