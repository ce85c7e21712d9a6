/**
 * The built-in real dataset: the 64 px emoji images of the npm packages `emoji-datasource-<set>`.
 *
 * The package tarball is fetched once from the npm registry, checked against its pinned sha512
 * integrity, and its `img/<set>/64/` PNGs (about 3,800) are unpacked into a cache folder; later
 * calls work offline. The cache folder is `$STYLEGAN_CACHE`, else `$XDG_CACHE_HOME/stylegan`,
 * else `~/.cache/stylegan`. The registry is `$NPM_CONFIG_REGISTRY` or registry.npmjs.org.
 *
 * Licences (from the package README): the package is MIT; Twitter's images (Twemoji) are
 * CC-BY 4.0, Google's (Noto) Apache 2.0; Apple's are not licensed for commercial use and
 * Facebook's have no clear licence.
 *
 * @example Fetch the Twemoji images
 * ```ts ignore
 * import { fetchEmoji } from "./emoji.ts";
 * const folder = await fetchEmoji("twitter"); // .../img/twitter/64 with ~3,800 PNGs
 * ```
 *
 * @module
 */

import { dirname, join } from "node:path";
import { gunzip, tarEntries } from "./_tar.ts";

/** The emoji sets of emoji-datasource. */
export type EmojiSet = "twitter" | "google" | "apple" | "facebook";

/** Pinned package version and tarball integrity of each set. */
export const EMOJI_PACKAGES: Readonly<
  Record<EmojiSet, { version: string; integrity: string; license: string }>
> = {
  twitter: {
    version: "16.0.0",
    integrity:
      "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
    license: "Twemoji graphics, CC-BY 4.0 (https://github.com/jdecked/twemoji)",
  },
  google: {
    version: "16.0.0",
    integrity:
      "sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==",
    license: "Noto Emoji graphics, Apache License 2.0",
  },
  apple: {
    version: "16.0.0",
    integrity:
      "sha512-dVYjsK0FnCry9F+PBtnivhG2K0xdwlmqYaSgiUtztUdAGPYiHYhZcVKvNBqC791g2qyEcFNTBO6utg4eQ3uLTw==",
    license: "Apple images, Copyright Apple Inc., not licensed for commercial use",
  },
  facebook: {
    version: "16.0.0",
    integrity:
      "sha512-b9ZxJdB7nMWGckH1vyCjPSosaa6MJYuojPPFiQ0LmDIZS8vlG454XKcmTFKrXIMAA72O4MRJMYFhvWI8pjyciQ==",
    license: "Facebook images, no clear licence",
  },
};

/** Options for {@link fetchEmoji}. */
export interface FetchEmojiOptions {
  /** Cache folder (default: see the module doc). */
  cacheDir?: string;
  /** npm registry base URL (default `$NPM_CONFIG_REGISTRY` or https://registry.npmjs.org/). */
  registry?: string;
  /** Receives a line before downloading. */
  log?: (line: string) => void;
}

/**
 * The default cache folder for downloaded data.
 *
 * @example
 * ```ts ignore
 * import { cacheDir } from "./emoji.ts";
 * console.log(cacheDir()); // e.g. /home/me/.cache/stylegan
 * ```
 */
export function cacheDir(): string {
  const explicit = Deno.env.get("STYLEGAN_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "stylegan");
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("No cache folder: set STYLEGAN_CACHE (or HOME)");
  return join(home, ".cache", "stylegan");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function sha512Integrity(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-512", bytes as Uint8Array<ArrayBuffer>),
  );
  return `sha512-${btoa(String.fromCharCode(...digest))}`;
}

/**
 * Makes sure the 64 px PNGs of `set` are in the cache and returns their folder. Downloads (about
 * 60-100 MB, once) only when the cache lacks them.
 *
 * @example
 * ```ts ignore
 * import { fetchEmoji } from "./emoji.ts";
 * const folder = await fetchEmoji("google", { log: console.error });
 * ```
 */
export async function fetchEmoji(
  set: EmojiSet = "twitter",
  options: FetchEmojiOptions = {},
): Promise<string> {
  const pkg = EMOJI_PACKAGES[set];
  if (!pkg) {
    throw new Error(`Unknown emoji set "${set}" (use ${Object.keys(EMOJI_PACKAGES).join(", ")})`);
  }
  const name = `emoji-datasource-${set}`;
  const target = join(options.cacheDir ?? cacheDir(), `${name}-${pkg.version}`);
  const images = join(target, "img", set, "64");
  if (await exists(images)) return images;

  const registry = (options.registry ?? Deno.env.get("NPM_CONFIG_REGISTRY") ??
    Deno.env.get("npm_config_registry") ??
    "https://registry.npmjs.org/").replace(/\/?$/, "/");
  const url = `${registry}${name}/-/${name}-${pkg.version}.tgz`;
  options.log?.(`emoji: downloading ${url} (once; cached in ${target})`);
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const tgz = new Uint8Array(await response.arrayBuffer());
  const integrity = await sha512Integrity(tgz);
  if (integrity !== pkg.integrity) {
    throw new Error(`Download ${url} has integrity ${integrity}, expected ${pkg.integrity}`);
  }

  // Unpack into a private folder, then rename: the cache never holds a half-written set.
  const staging = `${target}.tmp-${crypto.randomUUID()}`;
  try {
    const prefix = `package/img/${set}/64/`;
    const keep = new Set(["package/LICENSE", "package/README.md", "package/package.json"]);
    for (const entry of tarEntries(await gunzip(tgz), url)) {
      const wanted = (entry.name.startsWith(prefix) && entry.name.endsWith(".png")) ||
        keep.has(entry.name);
      if (!wanted || entry.name.includes("..")) continue;
      const path = join(staging, entry.name.slice("package/".length));
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeFile(path, entry.data);
    }
    if (!(await exists(join(staging, "img", set, "64")))) {
      throw new Error(`Package ${name}@${pkg.version} has no img/${set}/64 folder`);
    }
    await Deno.rename(staging, target);
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    // Another process may have unpacked the same set meanwhile.
    if (await exists(images)) return images;
    throw error;
  }
  return images;
}
