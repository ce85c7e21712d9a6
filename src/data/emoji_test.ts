import assert from "node:assert/strict";
import { join } from "node:path";
import { EMOJI_PACKAGES, fetchEmoji } from "./emoji.ts";
import { gunzip, tarEntries } from "./_tar.ts";
import { decodeImage } from "./decode.ts";

Deno.test("fetchEmoji gives the 64 px Twemoji PNGs (downloaded once from npm, then cached)", async () => {
  const folder = await fetchEmoji("twitter");
  assert.ok(
    folder.endsWith(join("emoji-datasource-twitter-16.0.0", "img", "twitter", "64")),
    folder,
  );
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) names.push(entry.name);
  assert.equal(names.length, 3786);
  assert.ok(names.every((n) => n.endsWith(".png")));
  const smile = await decodeImage(await Deno.readFile(join(folder, "1f600.png")), "1f600.png");
  assert.deepEqual([smile.width, smile.height, smile.channels], [64, 64, 4]);
  assert.equal(smile.data[3], 0); // transparent corner
  assert.match(await Deno.readTextFile(join(folder, "..", "..", "..", "LICENSE")), /MIT License/);
  assert.equal(await fetchEmoji("twitter"), folder); // second call: from the cache
});

Deno.test("fetchEmoji refuses a tarball whose integrity differs from the pinned one", async () => {
  const cache = await Deno.makeTempDir();
  const served: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    served.push(new URL(request.url).pathname);
    return new Response(new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
  });
  try {
    const registry = `http://127.0.0.1:${server.addr.port}/`;
    await assert.rejects(
      fetchEmoji("google", { cacheDir: cache, registry }),
      new RegExp(
        `has integrity sha512-.*, expected ${
          EMOJI_PACKAGES.google.integrity.replace(/[+/]/g, "\\$&")
        }`,
      ),
    );
    assert.deepEqual(served, ["/emoji-datasource-google/-/emoji-datasource-google-16.0.0.tgz"]);
    assert.deepEqual(Array.from(Deno.readDirSync(cache)), []); // nothing half-written left behind
  } finally {
    await server.shutdown();
    await Deno.remove(cache, { recursive: true });
  }
});

const hasTar = await new Deno.Command("tar", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output()
  .then((o) => o.success, () => false);

Deno.test({
  name: "tarEntries reads ustar, pax and GNU archives written by tar, long names included",
  ignore: !hasTar,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const long = `${"deep-folder-name/".repeat(7)}a-file-name-that-is-long.txt`; // > 100 characters
      const files: Record<string, string> = {
        "package/small.txt": "hello",
        [`package/${long}`]: "x".repeat(1000),
      };
      for (const [name, text] of Object.entries(files)) {
        await Deno.mkdir(join(dir, "src", name, ".."), { recursive: true });
        await Deno.writeTextFile(join(dir, "src", name), text);
      }
      for (const format of ["ustar", "pax", "gnu"]) {
        const archive = join(dir, `${format}.tgz`);
        const made = await new Deno.Command("tar", {
          args: [`--format=${format}`, "-czf", archive, "-C", join(dir, "src"), "package"],
        }).output();
        assert.ok(made.success, new TextDecoder().decode(made.stderr));
        const read: Record<string, string> = {};
        for (const entry of tarEntries(await gunzip(await Deno.readFile(archive)))) {
          read[entry.name] = new TextDecoder().decode(entry.data);
        }
        assert.deepEqual(read, files, format);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
