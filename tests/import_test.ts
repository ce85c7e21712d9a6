/**
 * Importing every checkpoint file of ../shared/parity: the reference's torch.save files (zip,
 * legacy, bare state dict) and the Jittor port's jt.save files must give exactly the reference's
 * tensors after its r1 training iteration, the Adam state that produced them, and the config.
 */

import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { main } from "../cli.ts";
import type { StyleGANConfig } from "../src/config.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../src/io/checkpoint.ts";
import {
  importCheckpoint,
  importCheckpointFile,
  type ImportedCheckpoint,
} from "../src/io/import.ts";
import { readJittor } from "../src/io/jittor.ts";
import { readSafetensors } from "../src/io/safetensors.ts";
import { readTorch, readTorchLegacy } from "../src/io/torch.ts";
import type { AdamState, HostTensor, StateDict } from "../src/types.ts";

const PARITY = new URL("../../shared/parity/", import.meta.url);
const file = (name: string) => new URL(name, PARITY);
const parity = readSafetensors(await Deno.readFile(file("parity.safetensors"))).tensors;
const manifest = JSON.parse(await Deno.readTextFile(file("manifest.json"))).config;

const EXPECTED_CONFIG: StyleGANConfig = {
  gChannels: manifest.g_channels,
  gFused: manifest.g_fused,
  dChannels: manifest.d_channels,
  dFused: manifest.d_fused,
  styleDim: manifest.style_dim,
  nMlp: manifest.n_mlp,
  fromRgbActivate: manifest.from_rgb_activate,
};

/** The parity tensors under `prefix`, optionally without Blur buffers (absent from Jittor files). */
function expected(prefix: string, withBlur = true): StateDict {
  const out: StateDict = {};
  for (const [key, t] of Object.entries(parity)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    const blur = name.endsWith("weight_flip") || `${prefix}${name}_flip` in parity;
    if (withBlur || !blur) out[name] = t;
  }
  return out;
}

function assertSameTensors(actual: StateDict | undefined, want: StateDict, what: string) {
  ok(actual, `${what} missing`);
  deepStrictEqual(Object.keys(actual).sort(), Object.keys(want).sort(), `${what} keys`);
  for (const [key, t] of Object.entries(want)) {
    deepStrictEqual(actual[key].shape, t.shape, `${what} ${key} shape`);
    ok(actual[key].data.every((x, i) => x === t.data[i]), `${what} ${key} values`);
  }
}

/**
 * With beta1 = 0 and one step, torch's Adam update is lr * m / (sqrt(v / (1 - 0.99)) + eps) and
 * v = 0.01 m^2: the parity G/ -> train_r1/G/ change pins each moment to its parameter name.
 */
function assertAdamMatchesUpdate(adam: AdamState | undefined, model: "G" | "D", params: StateDict) {
  ok(adam, `${model} optimizer missing`);
  equal(adam.step, 1);
  deepStrictEqual(Object.keys(adam.m).sort(), Object.keys(adam.v).sort());
  const names = Object.keys(params).filter((k) =>
    !k.endsWith("weight_flip") && !(`${k}_flip` in params)
  );
  deepStrictEqual(Object.keys(adam.m).sort(), names.sort());
  for (const key of names) {
    const lr = key.startsWith("style.") ? 1e-5 : 1e-3; // the reference's style group has lr * 0.01
    const [m, v]: HostTensor[] = [adam.m[key], adam.v[key]];
    deepStrictEqual(m.shape, params[key].shape);
    deepStrictEqual(v.shape, params[key].shape);
    const before = parity[`${model}/${key}`].data;
    const after = parity[`train_r1/${model}/${key}`].data;
    for (let i = 0; i < before.length; i++) {
      const update = (lr * m.data[i]) / (Math.sqrt(v.data[i] / 0.01) + 1e-8);
      ok(Math.abs(before[i] - after[i] - update) <= 0.02 * lr, `${model} ${key}[${i}] update`);
      ok(Math.abs(v.data[i] - 0.01 * m.data[i] ** 2) <= 1e-6 * v.data[i] + 1e-30, `${key} v`);
    }
  }
}

const G = expected("train_r1/G/");
const D = expected("train_r1/D/");
const GEMA = expected("train_r1/Gema/");

for (const name of ["train_step-zip.model", "train_step-legacy.model"]) {
  Deno.test(`${name}: G, D, g_running and both Adam states equal the reference's`, async () => {
    const ckpt = await importCheckpointFile(file(name));
    equal(ckpt.format, name.includes("zip") ? "torch-zip" : "torch-legacy");
    deepStrictEqual(ckpt.config, EXPECTED_CONFIG);
    assertSameTensors(ckpt.generator, G, "generator");
    assertSameTensors(ckpt.discriminator, D, "discriminator");
    assertSameTensors(ckpt.gRunning, GEMA, "g_running");
    assertAdamMatchesUpdate(ckpt.gOptimizer, "G", G);
    assertAdamMatchesUpdate(ckpt.dOptimizer, "D", D);
  });
}

Deno.test("g_running-only.model: a bare state dict becomes the EMA generator", async () => {
  const ckpt = await importCheckpointFile(file("g_running-only.model"));
  equal(ckpt.format, "torch-zip");
  assertSameTensors(ckpt.gRunning, GEMA, "g_running");
  equal(ckpt.generator, undefined);
  equal(ckpt.discriminator, undefined);
  deepStrictEqual(ckpt.config, EXPECTED_CONFIG); // D mirrors G, which matches here
  ok(ckpt.notes.some((n) => n.includes("mirror")));
});

Deno.test("seed-jittor-*.model: tensors equal the reference's, derived weights dropped", async () => {
  const train = await importCheckpointFile(file("seed-jittor-train.model"));
  equal(train.format, "jittor");
  deepStrictEqual(train.config, EXPECTED_CONFIG);
  assertSameTensors(train.generator, expected("train_r1/G/", false), "generator");
  assertSameTensors(train.discriminator, expected("train_r1/D/", false), "discriminator");
  assertSameTensors(train.gRunning, expected("train_r1/Gema/", false), "g_running");
  const bare = await importCheckpointFile(file("seed-jittor-g_running.model"));
  assertSameTensors(bare.gRunning, expected("train_r1/Gema/", false), "bare g_running");
});

Deno.test("an imported file converts to our format and back without loss", async () => {
  const imported = await importCheckpointFile(file("train_step-legacy.model"));
  const dir = await Deno.makeTempDir();
  const log = console.log;
  try {
    console.log = () => {};
    equal(
      await main(["convert", file("train_step-legacy.model").pathname, `${dir}/c.safetensors`]),
      0,
    );
    equal(await main(["info", `${dir}/c.safetensors`]), 0);
    const bytes = await Deno.readFile(`${dir}/c.safetensors`);
    const again = await importCheckpoint(bytes, { name: "c.safetensors" });
    equal(again.format, "stylegan-safetensors");
    const { format: _a, notes: _b, ...want } = imported;
    deepStrictEqual(decodeCheckpoint(bytes), want);
  } finally {
    console.log = log;
    await Deno.remove(dir, { recursive: true });
  }
});

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
const reject = (bytes: Uint8Array, name: string, message: RegExp): Promise<void> =>
  rejects(importCheckpoint(bytes, { name }), { message });

Deno.test("truncated files, wrong magic and bad sha1 tails fail with errors naming the file", async () => {
  const zip = await Deno.readFile(file("train_step-zip.model"));
  await reject(zip.subarray(0, zip.length >> 1), "z.model", /Torch zip file z\.model is truncated/);
  const legacy = await Deno.readFile(file("train_step-legacy.model"));
  await reject(
    legacy.subarray(0, legacy.length - 100),
    "l.model",
    /Torch file l\.model is truncated/,
  );
  await reject(legacy.subarray(0, 20_000), "l2.model", /Pickle l2\.model ends early/);
  const wrongMagic = legacy.slice();
  wrongMagic[6] ^= 0xff;
  await reject(wrongMagic, "m.model", /File m\.model is not a checkpoint this library reads/);
  throws(() => readTorchLegacy(wrongMagic, { name: "m.model" }), {
    message: /Torch file m\.model has a wrong magic number/,
  });
  const jittor = await Deno.readFile(file("seed-jittor-g_running.model"));
  const corrupt = jittor.slice();
  corrupt[1000] ^= 1;
  await reject(corrupt, "j.model", /Jittor file j\.model fails its sha1 check/);
  const badTail = jittor.slice();
  badTail[badTail.length - 10] ^= 1; // inside the digest
  await reject(badTail, "t.model", /Jittor file t\.model fails its sha1 check/);
  await reject(
    jittor.subarray(0, jittor.length - 3),
    "cut.model",
    /not a checkpoint this library reads/,
  );
  await reject(new TextEncoder().encode("{}"), "x.json", /File x\.json is not a checkpoint/);
});

Deno.test("a pickle that asks for os.system is refused in torch and Jittor files", async () => {
  // GLOBAL 'os system', ('echo hi',), REDUCE
  const evil = hex("8002636f730a73797374656d0a710058070000006563686f20686971018571025271032e");
  const legacy = await Deno.readFile(file("train_step-legacy.model"));
  // Keep the magic number, protocol and sys-info pickles (137 bytes), then the evil object.
  const torchFile = new Uint8Array([...legacy.subarray(0, 137), ...evil]);
  await reject(torchFile, "evil.model", /Refusing to load global "os\.system" from evil\.model/);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", evil));
  const jittorFile = new Uint8Array([...evil, ...digest, ...new TextEncoder().encode("HCAJSLHD")]);
  await reject(
    jittorFile,
    "evil-jt.model",
    /Refusing to load global "os\.system" from evil-jt\.model/,
  );
});

// pickle.dumps({'f': np.asfortranarray(np.arange(6, dtype='>f4').reshape(2, 3)),
//   'h': np.array([1.5, -2, 65504], 'f2'), 'd': np.array([[0.25]], 'f8'), 'i': np.arange(3),
//   'n': 7}, protocol=p) + sha1 + b'HCAJSLHD', numpy 2.4 (numpy._core names)
const NUMPY_FILES: Record<string, string> = {
  2: "80027d7100285801000000667101636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7102636e756d70790a6e6461727261790a71034b00857104635f636f646563730a656e636f64650a7105580100000062710658060000006c6174696e31710786710852710987710a52710b284b014b024b0386710c636e756d70790a64747970650a710d58020000006634710e898887710f527110284b0358010000003e71114e4e4e4affffffff4affffffff4b0074711262886805581b00000000000000404000003fc280000040c28000004000000040c2a0000071136807867114527115747116625801000000687117680268034b00857118680987711952711a284b014b0385711b680d58020000006632711c898887711d52711e284b0358010000003c711f4e4e4e4affffffff4affffffff4b00747120628968055808000000003e00c380c3bf7b71216807867122527123747124625801000000647125680268034b008571266809877127527128284b014b014b01867129680d58020000006638712a898887712b52712c284b03681f4e4e4e4affffffff4affffffff4b0074712d628968055809000000000000000000c3903f712e680786712f527130747131625801000000697132680268034b008571336809877134527135284b014b03857136680d5802000000693871378988877138527139284b03681f4e4e4e4affffffff4affffffff4b0074713a628968055818000000000000000000000001000000000000000200000000000000713b680786713c52713d74713e6258010000006e713f4b07752ec21950a7c3100cd5c775e6948c120df877010c814843414a534c4844",
  4: "800495a7010000000000007d94288c0166948c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b024b03869468058c0564747970659493948c02663494898887945294284b038c013e944e4e4e4affffffff4affffffff4b0074946288431800000000404000003f800000408000004000000040a00000947494628c016894680468074b008594680987945294284b014b038594680e8c02663294898887945294284b038c013c944e4e4e4affffffff4affffffff4b00749462894306003e00c0ff7b947494628c016494680468074b008594680987945294284b014b014b018694680e8c02663894898887945294284b03681e4e4e4e4affffffff4affffffff4b00749462894308000000000000d03f947494628c016994680468074b008594680987945294284b014b038594680e8c02693894898887945294284b03681e4e4e4e4affffffff4affffffff4b00749462894318000000000000000001000000000000000200000000000000947494628c016e944b07752ec2396dba9d2849d94ceae07f25fce0deb17e3e164843414a534c4844",
  5: "80059585010000000000007d94288c0166948c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f6d6275666665729493942896180000000000000000000000404000003f800000408000004000000040a00000948c056e756d7079948c0564747970659493948c02663494898887945294284b038c013e944e4e4e4affffffff4affffffff4b007494624b024b0386948c014694749452948c016894680428960600000000000000003e00c0ff7b9468088c02663294898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b0385948c014394749452948c016494680428960800000000000000000000000000d03f9468088c02663894898887945294284b0368174e4e4e4affffffff4affffffff4b007494624b014b018694681a749452948c0169946804289618000000000000000000000000000000010000000000000002000000000000009468088c02693894898887945294284b0368174e4e4e4affffffff4affffffff4b007494624b038594681a749452948c016e944b07752eab2452838751c6092b92cd4c43912fc1647b424d4843414a534c4844",
};

Deno.test("jt.save numpy arrays: Fortran order, big-endian, f2/f8/i8, protocols 2, 4, 5", async () => {
  const want = new Map<string, unknown>([
    ["f", { shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }],
    ["h", { shape: [3], data: new Float32Array([1.5, -2, 65504]) }],
    ["d", { shape: [1, 1], data: new Float32Array([0.25]) }],
    ["i", { shape: [3], data: new Float32Array([0, 1, 2]) }],
    ["n", 7],
  ]);
  for (const [protocol, bytes] of Object.entries(NUMPY_FILES)) {
    deepStrictEqual(
      await readJittor(hex(bytes), { name: `p${protocol}` }),
      want,
      `protocol ${protocol}`,
    );
  }
});

Deno.test("importCheckpoint keeps our checkpoint's progress and config as written", async () => {
  const src: ImportedCheckpoint = await importCheckpointFile(file("g_running-only.model"));
  const bytes = encodeCheckpoint({
    config: src.config,
    gRunning: src.gRunning,
    progress: { step: 7 },
  });
  const back = await importCheckpoint(bytes);
  deepStrictEqual(back.progress, { step: 7 });
  deepStrictEqual(back.config, EXPECTED_CONFIG);
});

// Written with Python's pickle and zipfile (stand-in torch classes, no torch): an OrderedDict with
// t = float32 storage [0..6] viewed at offset 1, size (2, 3), stride (1, 2), and h = a float16
// storage [0.5, -1, 2, 1024] as (2, 2); legacy layout and a plain (non-zip64) zip.
const STRIDED_LEGACY =
  "80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de903580d0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b025803000000696e7471064b0458040000006c6f6e6771074b0475752e800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710128580100000074710263746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71032828580700000073746f72616765710463746f7263680a466c6f617453746f726167650a71055801000000307106580300000063707571074b074e747108514b014b024b038671094b014b0286710a8968002952710b74710c52710d580100000068710e68032828680463746f7263680a48616c6653746f726167650a710f580100000031711068074b044e747111514b004b024b028671124b024b0186711389680029527114747115527116752e80025d71002858010000003071015801000000317102652e0700000000000000000000000000803f0000004000004040000080400000a0400000c0400400000000000000003800bc00400064";
const STRIDED_ZIP =
  "504b0304140000000000929a795d49e16b92fa000000fa00000010000000617263686976652f646174612e706b6c800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710128580100000074710263746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71032828580700000073746f72616765710463746f7263680a466c6f617453746f726167650a71055801000000307106580300000063707571074b07747108514b014b024b038671094b014b0286710a8968002952710b74710c52710d580100000068710e68032828680463746f7263680a48616c6653746f726167650a710f580100000031711068074b04747111514b004b024b028671124b024b0186711389680029527114747115527116752e504b0304140000000000929a795ded58883a1c0000001c0000000e000000617263686976652f646174612f30000000000000803f0000004000004040000080400000a0400000c040504b0304140000000000929a795dc8f9dc1108000000080000000e000000617263686976652f646174612f31003800bc00400064504b0304140000000000929a795dd19e675502000000020000000f000000617263686976652f76657273696f6e330a504b01021403140000000000929a795d49e16b92fa000000fa000000100000000000000000000000800100000000617263686976652f646174612e706b6c504b01021403140000000000929a795ded58883a1c0000001c0000000e0000000000000000000000800128010000617263686976652f646174612f30504b01021403140000000000929a795dc8f9dc1108000000080000000e0000000000000000000000800170010000617263686976652f646174612f31504b01021403140000000000929a795dd19e675502000000020000000f00000000000000000000008001a4010000617263686976652f76657273696f6e504b05060000000004000400f3000000d30100000000";

Deno.test("torch tensors honour storage offset, strides and half storages (legacy and zip)", () => {
  const want = new Map<string, HostTensor>([
    ["t", { shape: [2, 3], data: new Float32Array([1, 3, 5, 2, 4, 6]) }],
    ["h", { shape: [2, 2], data: new Float32Array([0.5, -1, 2, 1024]) }],
  ]);
  deepStrictEqual(readTorch(hex(STRIDED_LEGACY), { name: "strided-legacy" }), want);
  deepStrictEqual(readTorch(hex(STRIDED_ZIP), { name: "strided.zip" }), want);
});
