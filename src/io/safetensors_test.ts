import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { encodeSafetensors, readSafetensors } from "./safetensors.ts";

const PARITY = new URL("../../../shared/parity/parity.safetensors", import.meta.url);

/** Builds a safetensors file from a raw header object and data bytes. */
function rawFile(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

Deno.test("encodeSafetensors reproduces the reference library's parity file byte for byte", async () => {
  const bytes = await Deno.readFile(PARITY);
  const { tensors, metadata } = readSafetensors(bytes, { name: "parity.safetensors" });
  equal(tensors["in/z"].shape.join(), "4,64");
  const again = encodeSafetensors(tensors, metadata);
  equal(again.length, bytes.length);
  equal(again.every((b, i) => b === bytes[i]), true);
});

Deno.test("metadata and scalars survive a round trip; output is deterministic", () => {
  const a = { shape: [2, 2], data: new Float32Array([1, -2, 3.5, 1e-30]) };
  const s = { shape: [], data: new Float32Array([7]) };
  const first = encodeSafetensors({ z: a, s }, { b: "2", a: '{"x":1}' });
  const second = encodeSafetensors({ s, z: a }, { a: '{"x":1}', b: "2" });
  deepStrictEqual(first, second);
  equal(new DataView(first.buffer).getBigUint64(0, true) % 8n, 0n);
  const back = readSafetensors(first);
  deepStrictEqual(back.metadata, { a: '{"x":1}', b: "2" });
  deepStrictEqual(back.tensors, { s, z: a });
});

Deno.test("readSafetensors converts F16 and BF16 to float32", () => {
  // F16: 1, -2, 65504, 2^-24 (subnormal); BF16: 1.5, -0.25
  const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001];
  const bf16 = [0x3fc0, 0xbe80];
  const data = new Uint8Array(new Uint16Array([...f16, ...bf16]).buffer);
  const file = rawFile({
    h: { dtype: "F16", shape: [4], data_offsets: [0, 8] },
    b: { dtype: "BF16", shape: [2], data_offsets: [8, 12] },
  }, data);
  const { tensors } = readSafetensors(file);
  deepStrictEqual([...tensors.h.data], [1, -2, 65504, 2 ** -24]);
  deepStrictEqual([...tensors.b.data], [1.5, -0.25]);
});

Deno.test("readSafetensors rejects other dtypes, truncation and bad headers with the file name", () => {
  const i64 = rawFile({ n: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
  throws(() => readSafetensors(i64, { name: "ints.safetensors" }), {
    message: /ints\.safetensors: tensor "n" has dtype I64; only F32, F16 and BF16 are supported/,
  });
  const good = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
  throws(() => readSafetensors(good.subarray(0, good.length - 1), { name: "cut.safetensors" }), {
    message: /Safetensors cut\.safetensors is truncated: tensor "w" ends at data byte 16/,
  });
  throws(() => readSafetensors(good.subarray(0, 20), { name: "cut2.safetensors" }), {
    message: /Safetensors cut2\.safetensors is truncated or not safetensors/,
  });
  const wrongSize = rawFile(
    { w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } },
    new Uint8Array(8),
  );
  throws(() => readSafetensors(wrongSize, { name: "w.safetensors" }), {
    message: /needs 12 bytes/,
  });
  const notJson = rawFile({}, new Uint8Array()).fill(0x41, 8);
  throws(() => readSafetensors(notJson, { name: "j.safetensors" }), { message: /not valid JSON/ });
});

Deno.test("encodeSafetensors refuses tensors whose data does not match the shape", () => {
  throws(() => encodeSafetensors({ w: { shape: [3], data: new Float32Array(2) } }), {
    message: /Tensor "w" has shape \[3\] but 2 float32 values/,
  });
});
