import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { CONTAINER_GLOBALS, unpickle } from "./pickle.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

// Python 3.11: pickle.dumps(obj, protocol=p) of
// {'a': [1, 2**70, -5, -2**40, 1.5, None, True, False, 'héllo', b'xy', (1, 2)], 3: {1, 2},
//  'od': OrderedDict([('k', frozenset([7]))]), 'big': -2**64}
const SAMPLES: Record<number, string> = {
  2: "80027d71002858010000006171015d7102284b018a090000000000000000404afbffffff8a060000000000ff473ff80000000000004e8889580600000068c3a96c6c6f7103635f636f646563730a656e636f64650a710458020000007879710558060000006c6174696e3171068671075271084b014b02867109654b03635f5f6275696c74696e5f5f0a7365740a710a5d710b284b014b026585710c52710d58020000006f64710e63636f6c6c656374696f6e730a4f726465726564446963740a710f2952711058010000006b7111635f5f6275696c74696e5f5f0a66726f7a656e7365740a71125d71134b076185711452711573580300000062696771168a090000000000000000ff752e",
  3: "80037d71002858010000006171015d7102284b018a090000000000000000404afbffffff8a060000000000ff473ff80000000000004e8889580600000068c3a96c6c6f71034302787971044b014b02867105654b03636275696c74696e730a7365740a71065d7107284b014b026585710852710958020000006f64710a63636f6c6c656374696f6e730a4f726465726564446963740a710b2952710c58010000006b710d636275696c74696e730a66726f7a656e7365740a710e5d710f4b076185711052711173580300000062696771128a090000000000000000ff752e",
  4: "80049592000000000000007d94288c0161945d94284b018a090000000000000000404afbffffff8a060000000000ff473ff80000000000004e88898c0668c3a96c6c6f9443027879944b014b028694654b038f94284b014b02908c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b94284b079194738c03626967948a090000000000000000ff752e",
  5: "80059592000000000000007d94288c0161945d94284b018a090000000000000000404afbffffff8a060000000000ff473ff80000000000004e88898c0668c3a96c6c6f9443027879944b014b028694654b038f94284b014b02908c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b94284b079194738c03626967948a090000000000000000ff752e",
};

// Protocol 2 spells bytes as _codecs.encode(text, "latin1"); allow that pure function here.
const GLOBALS = {
  ...CONTAINER_GLOBALS,
  "_codecs.encode": (t: unknown) => Uint8Array.from(String(t), (c) => c.charCodeAt(0)),
};

Deno.test("unpickle reads the same object from protocols 2, 3, 4 and 5", () => {
  const expected = new Map<unknown, unknown>([
    ["a", [
      1,
      2n ** 70n,
      -5,
      -(2 ** 40),
      1.5,
      null,
      true,
      false,
      "héllo",
      new Uint8Array([120, 121]),
      [1, 2],
    ]],
    [3, new Set([1, 2])],
    ["od", new Map([["k", new Set([7])]])],
    ["big", -(2n ** 64n)],
  ]);
  for (const [protocol, bytes] of Object.entries(SAMPLES)) {
    const { value, end } = unpickle(hex(bytes), { globals: GLOBALS, name: `p${protocol}` });
    deepStrictEqual(value, expected, `protocol ${protocol}`);
    equal(end, bytes.length / 2);
  }
});

Deno.test("unpickle reads protocol 0 text opcodes", () => {
  // pickle.dumps({'a': [1, 2.5, 'x', None, True]}, protocol=0)
  const bytes = hex(
    "286470300a56610a70310a286c70320a49310a6146322e350a6156780a70330a614e614930310a61732e",
  );
  deepStrictEqual(unpickle(bytes).value, new Map([["a", [1, 2.5, "x", null, true]]]));
});

Deno.test("unpickle refuses os.system and names the global and the file", () => {
  // Hand-written: GLOBAL 'os system', ('echo hi',), REDUCE.
  const osSystem = hex("8002636f730a73797374656d0a710058070000006563686f20686971018571025271032e");
  throws(() => unpickle(osSystem, { name: "evil.model" }), {
    message: /Refusing to load global "os\.system" from evil\.model/,
  });
  // pickle.dumps of a class whose __reduce__ returns (os.system, ("echo hi",)), protocol 4.
  const posix = hex(
    "80049522000000000000008c05706f736978948c0673797374656d9493948c076563686f20686994859452942e",
  );
  throws(() => unpickle(posix, { name: "evil.pkl", globals: GLOBALS }), {
    message: /Refusing to load global "posix\.system" from evil\.pkl/,
  });
});

Deno.test("unpickle fails clearly on truncated data and unknown opcodes", () => {
  const whole = hex(SAMPLES[4]);
  throws(() => unpickle(whole.subarray(0, 60), { name: "cut.pkl", globals: GLOBALS }), {
    message: /Pickle cut\.pkl ends early/,
  });
  throws(() => unpickle(new Uint8Array([0x80, 0x02, 0xff]), { name: "odd.pkl" }), {
    message: /unsupported pickle opcode 0xff/,
  });
  throws(() => unpickle(new Uint8Array([0x80, 0x02, 0x51]), { name: "pid.pkl" }), {
    message: /Pickle pid\.pkl: stack underflow/,
  });
});

Deno.test("unpickle resolves persistent ids through the callback only", () => {
  // pickle of BINPERSID on the tuple ('storage', 'k'), as torch writes storage references.
  const bytes = hex("8002" + "580700000073746f72616765" + "580100000068" + "86" + "51" + "2e");
  const seen: unknown[] = [];
  const { value } = unpickle(bytes, { persistentLoad: (pid) => (seen.push(pid), "resolved") });
  equal(value, "resolved");
  deepStrictEqual(seen, [["storage", "h"]]);
  throws(() => unpickle(bytes, { name: "p.pkl" }), { message: /persistent id found/ });
});
