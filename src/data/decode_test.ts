import assert from "node:assert/strict";
import { DecodeError, decodeImage, sniffFormat } from "./decode.ts";
import { compositeAt } from "./_testing.ts";

const FIXTURES = new URL("../../tests/fixtures/images/", import.meta.url);

interface Expected {
  mode: string;
  size: [number, number];
  pixels: [number, number, [number, number, number, number]][];
}

/** RGBA of pixel (x, y) as our decoder delivers it (alpha 255 unless the file has alpha). */
function rgbaAt(image: Awaited<ReturnType<typeof decodeImage>>, x: number, y: number): number[] {
  const p = (y * image.width + x) * image.channels;
  if (image.channels === 4) return Array.from(image.data.subarray(p, p + 4));
  return [...compositeAt(image, x, y, [0, 0, 0]), 255];
}

Deno.test("decodeImage agrees with Pillow on every fixture mode (PNG exact, JPEG within 2 levels)", async () => {
  const expected: Record<string, Expected> = JSON.parse(
    await Deno.readTextFile(new URL("expected_pixels.json", FIXTURES)),
  );
  const modes = new Set<string>();
  for (const [name, want] of Object.entries(expected)) {
    const image = await decodeImage(await Deno.readFile(new URL(name, FIXTURES)), name);
    assert.deepEqual([image.width, image.height], want.size, name);
    const tolerance = name.endsWith(".png") ? 0 : 2; // libjpeg builds may round the IDCT differently
    for (const [x, y, rgba] of want.pixels) {
      const got = rgbaAt(image, x, y);
      const diff = Math.max(...got.map((v, c) => Math.abs(v - rgba[c])));
      assert.ok(diff <= tolerance, `${name} (${x}, ${y}): got ${got}, Pillow ${rgba}`);
    }
    modes.add(`${want.mode}/${name.split(".").pop()}`);
  }
  // RGB, RGBA, L, LA, P with tRNS and 16-bit PNGs; RGB, gray, progressive and CMYK JPEGs.
  assert.ok(modes.size >= 9, [...modes].join(" "));
});

Deno.test("decodeImage names the file and the problem for truncated and non-image data", async () => {
  const truncated = await Deno.readFile(new URL("broken/truncated.png", FIXTURES));
  await assert.rejects(decodeImage(truncated, "broken/truncated.png"), (e: Error) => {
    assert.ok(e instanceof DecodeError);
    assert.match(e.message, /^Cannot decode broken\/truncated\.png: corrupt or truncated PNG/);
    return true;
  });
  const text = await Deno.readFile(new URL("broken/not_an_image.png", FIXTURES));
  await assert.rejects(decodeImage(text, "x.png"), /Cannot decode x\.png: not a PNG or JPEG file/);
  const jpeg = await Deno.readFile(new URL("photo_rgb_80x60.jpg", FIXTURES));
  await assert.rejects(
    decodeImage(jpeg.subarray(0, 200), "cut.jpg"),
    /Cannot decode cut\.jpg: corrupt or truncated JPEG/,
  );
  assert.equal(sniffFormat(jpeg), "jpeg");
  assert.equal(sniffFormat(truncated), "png");
  assert.equal(sniffFormat(text), null);
});
