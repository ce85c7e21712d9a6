/**
 * Preparer worker: reads, decodes and downsamples one source image per message.
 *
 * Message in: {@link WorkerJob}. Message out: {@link WorkerResult}, with the level buffers
 * transferred (not copied).
 *
 * @module
 */

import { DecodeError, decodeImage } from "./decode.ts";
import { downsampleLevels, type Rgb } from "./resize.ts";
import type { SourcePart } from "./_sources.ts";

/** One image to prepare. */
export interface WorkerJob {
  /** Caller's job number, echoed back. */
  id: number;
  /** Path shown in errors. */
  path: string;
  /** Files and the levels each one gives. */
  parts: SourcePart[];
  /** Color behind transparent pixels. */
  background: Rgb;
}

/** The levels of one image (largest first), or why it could not be prepared. */
export type WorkerResult =
  | { id: number; levels: Uint8Array[] }
  | { id: number; error: string };

/** The levels of one image; throws a message without the job's path (the caller adds it). */
async function prepareOne(job: WorkerJob): Promise<Uint8Array[]> {
  const levels: Uint8Array[] = [];
  for (const part of job.parts) {
    // Inputs with one folder per resolution read several files: say which one failed.
    const which = job.parts.length > 1 ? `${part.file}: ` : "";
    try {
      const image = await decodeImage(await Deno.readFile(part.file), part.file);
      levels.push(...downsampleLevels(image, part.sizes, { background: job.background }));
    } catch (error) {
      const reason = error instanceof DecodeError
        ? error.reason
        : error instanceof Error
        ? error.message
        : String(error);
      throw new Error(which + reason);
    }
  }
  return levels;
}

/** The worker's global scope, typed without a triple-slash lib directive (JSR refuses those). */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WorkerJob>) => void) | null;
  postMessage(message: WorkerResult, transfer?: Transferable[]): void;
};

scope.onmessage = async (event: MessageEvent<WorkerJob>) => {
  const job = event.data;
  try {
    const levels = await prepareOne(job);
    const result: WorkerResult = { id: job.id, levels };
    scope.postMessage(result, levels.map((l) => l.buffer as ArrayBuffer));
  } catch (error) {
    const result: WorkerResult = {
      id: job.id,
      error: error instanceof Error ? error.message : String(error),
    };
    scope.postMessage(result);
  }
};
