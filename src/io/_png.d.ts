// Types of imagescript's pure-JS PNG codec (`imagescript/png/src/png.mjs`), which ships none.
export function encode(
  data: Uint8Array,
  options: { width: number; height: number; channels: number; depth?: number; level?: number },
): Uint8Array;
export function decode(
  data: Uint8Array,
): { width: number; height: number; channels: number; depth: number; pixels: Uint8Array };
