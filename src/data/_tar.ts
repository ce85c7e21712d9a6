/**
 * A minimal reader for (gzipped) tar archives such as npm package tarballs: regular files only,
 * ustar names with prefix, pax `path` records and GNU long names.
 *
 * @module
 */

/** One regular file of an archive. */
export interface TarEntry {
  /** Path inside the archive, as stored (e.g. `package/img/twitter/64/1f600.png`). */
  name: string;
  /** File contents (a view into the archive's bytes). */
  data: Uint8Array;
}

const decoder = new TextDecoder();

function field(block: Uint8Array, offset: number, length: number): string {
  const bytes = block.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

function octal(block: Uint8Array, offset: number, length: number, where: string): number {
  const text = field(block, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) {
    throw new Error(`Tar archive ${where} has a corrupt header at byte ${offset}`);
  }
  return text === "" ? 0 : parseInt(text, 8);
}

/** Gunzips `bytes` with the platform's DecompressionStream. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The regular files of an uncompressed tar archive, in archive order. */
export function* tarEntries(tar: Uint8Array, where = "archive"): Generator<TarEntry> {
  let offset = 0;
  let longName: string | null = null;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return; // end-of-archive marker
    const size = octal(header, 124, 12, where);
    const type = String.fromCharCode(header[156] || 0x30);
    const data = tar.subarray(offset + 512, offset + 512 + size);
    if (data.length < size) throw new Error(`Tar archive ${where} is truncated`);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      // pax extended header: "<len> key=value\n" records; only `path` matters here.
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(decoder.decode(data));
      if (path) longName = path[1];
      continue;
    }
    if (type === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ??
      (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = null;
    if (type === "0" || type === "7") yield { name, data };
  }
}
