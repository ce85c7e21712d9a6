/**
 * A tiny built-in bitmap font for labelling plots, so that rendering needs no font files.
 *
 * Glyphs sit on a 5-column grid: capitals, digits and ascenders use rows 0-6 (cap height 7),
 * descenders (g, j, p, q, y, comma, underscore) add rows 7-8. Each glyph is written as its rows,
 * top to bottom, `#` for ink; trailing blank rows are left out. Letters are spaced by their inked
 * width (proportional), digits keep all 5 columns so that numbers line up.
 *
 * @module
 */
import type { RasterImage } from "./image.ts";

/** Height of capitals and digits at scale 1, in pixels. */
export const CAP_HEIGHT = 7;
/** Distance between baselines of two lines at scale 1, including descenders and a gap. */
export const LINE_HEIGHT = 11;

const GLYPHS: Record<string, string> = {
  "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
  "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
  "2": ".###. #...# ....# ...#. ..#.. .#... #####",
  "3": "####. ....# ....# .###. ....# ....# ####.",
  "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
  "5": "##### #.... ####. ....# ....# #...# .###.",
  "6": "..##. .#... #.... ####. #...# #...# .###.",
  "7": "##### ....# ...#. ..#.. .#... .#... .#...",
  "8": ".###. #...# #...# .###. #...# #...# .###.",
  "9": ".###. #...# #...# .#### ....# ...#. .##..",
  A: ".###. #...# #...# ##### #...# #...# #...#",
  B: "####. #...# #...# ####. #...# #...# ####.",
  C: ".###. #...# #.... #.... #.... #...# .###.",
  D: "###.. #..#. #...# #...# #...# #..#. ###..",
  E: "##### #.... #.... ####. #.... #.... #####",
  F: "##### #.... #.... ####. #.... #.... #....",
  G: ".###. #...# #.... #.### #...# #...# .####",
  H: "#...# #...# #...# ##### #...# #...# #...#",
  I: "### .#. .#. .#. .#. .#. ###",
  J: "..### ...#. ...#. ...#. ...#. #..#. .##..",
  K: "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
  L: "#.... #.... #.... #.... #.... #.... #####",
  M: "#...# ##.## #.#.# #.#.# #...# #...# #...#",
  N: "#...# #...# ##..# #.#.# #..## #...# #...#",
  O: ".###. #...# #...# #...# #...# #...# .###.",
  P: "####. #...# #...# ####. #.... #.... #....",
  Q: ".###. #...# #...# #...# #.#.# #..#. .##.#",
  R: "####. #...# #...# ####. #.#.. #..#. #...#",
  S: ".#### #.... #.... .###. ....# ....# ####.",
  T: "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
  U: "#...# #...# #...# #...# #...# #...# .###.",
  V: "#...# #...# #...# #...# #...# .#.#. ..#..",
  W: "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
  X: "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
  Y: "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
  Z: "##### ....# ...#. ..#.. .#... #.... #####",
  a: "..... ..... .###. ....# .#### #...# .####",
  b: "#.... #.... #.##. ##..# #...# #...# ####.",
  c: "..... ..... .###. #.... #.... #...# .###.",
  d: "....# ....# .##.# #..## #...# #...# .####",
  e: "..... ..... .###. #...# ##### #.... .###.",
  f: "..##. .#..# .#... ###.. .#... .#... .#...",
  g: "..... ..... .#### #...# #...# #...# .#### ....# .###.",
  h: "#.... #.... #.##. ##..# #...# #...# #...#",
  i: ".#. ... ##. .#. .#. .#. ###",
  j: "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..",
  k: "#... #... #..# #.#. ##.. #.#. #..#",
  l: "##. .#. .#. .#. .#. .#. ###",
  m: "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#",
  n: "..... ..... #.##. ##..# #...# #...# #...#",
  o: "..... ..... .###. #...# #...# #...# .###.",
  p: "..... ..... ####. #...# #...# #...# ####. #.... #....",
  q: "..... ..... .#### #...# #...# #...# .#### ....# ....#",
  r: "..... ..... #.##. ##..# #.... #.... #....",
  s: "..... ..... .#### #.... .###. ....# ####.",
  t: ".#... .#... ###.. .#... .#... .#..# ..##.",
  u: "..... ..... #...# #...# #...# #..## .##.#",
  v: "..... ..... #...# #...# #...# .#.#. ..#..",
  w: "..... ..... #...# #...# #.#.# #.#.# .#.#.",
  x: "..... ..... #...# .#.#. ..#.. .#.#. #...#",
  y: "..... ..... #...# #...# #...# #...# .#### ....# .###.",
  z: "..... ..... ##### ...#. ..#.. .#... #####",
  ".": ". . . . . . #",
  ",": ". . . . . # # #",
  ":": ". . # . . . #",
  ";": ".. .. .# .. .. .# .# #.",
  "-": "... ... ... ###",
  "+": "..... ..#.. ..#.. ##### ..#.. ..#..",
  "=": "..... ..... ##### ..... #####",
  "_": "..... ..... ..... ..... ..... ..... ..... #####",
  "/": "....# ....# ...#. ..#.. .#... #.... #....",
  "\\": "#.... #.... .#... ..#.. ...#. ....# ....#",
  "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
  "(": "..# .#. #.. #.. #.. .#. ..#",
  ")": "#.. .#. ..# ..# ..# .#. #..",
  "[": "### #.. #.. #.. #.. #.. ###",
  "]": "### ..# ..# ..# ..# ..# ###",
  "!": "# # # # # . #",
  "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
  "'": "# # #",
  '"': "#.# #.# #.#",
  "*": "..... ..#.. #.#.# .###. #.#.# ..#..",
  "<": "...# ..#. .#.. #... .#.. ..#. ...#",
  ">": "#... .#.. ..#. ...# ..#. .#.. #...",
  "|": "# # # # # # # # #",
  "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
  "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
  "^": "..#.. .#.#. #...#",
  "~": "..... ..... .#... #.#.# ...#.",
  "@": ".###. #...# ....# .##.# #.#.# #.#.# .###.",
};

interface Glyph {
  /** Inked columns per row, top to bottom (bit c = column c from the left). */
  rows: number[];
  /** First inked column, so that proportional spacing can drop blank columns. */
  left: number;
  /** Columns the glyph advances, before the one-pixel gap. */
  width: number;
}

const SPACE_WIDTH = 3;

/** Parses a glyph on demand (a few string splits; nothing is built at import). */
function glyph(char: string): Glyph {
  if (char === " ") return { rows: [], left: 0, width: SPACE_WIDTH };
  const source = GLYPHS[char] ?? GLYPHS["?"];
  const rows = source.split(" ").map((row) => {
    let bits = 0;
    for (let c = 0; c < row.length; c++) if (row[c] === "#") bits |= 1 << c;
    return bits;
  });
  const ink = rows.reduce((a, b) => a | b, 0);
  if (ink === 0) return { rows, left: 0, width: SPACE_WIDTH };
  const left = /[0-9]/.test(char) ? 0 : 31 - Math.clz32(ink & -ink);
  const right = /[0-9]/.test(char) ? 4 : 31 - Math.clz32(ink);
  return { rows, left, width: right - left + 1 };
}

/**
 * Width in pixels of `text` drawn at `scale` (no trailing gap).
 *
 * @example
 * ```ts
 * import { textWidth } from "./_font.ts";
 * console.log(textWidth("10"), textWidth("10", 2)); // 11 22
 * ```
 */
export function textWidth(text: string, scale = 1): number {
  if (text.length === 0) return 0;
  let width = -1;
  for (const char of text) width += glyph(char).width + 1;
  return width * scale;
}

/** Options of {@linkcode drawText}. */
export interface TextOptions {
  /** Left edge of the first glyph, in pixels. */
  x: number;
  /** Top of the capitals (the baseline is `y + 7 * scale`). */
  y: number;
  /** RGB ink colour, 0-255 each. Default black. */
  color?: readonly [number, number, number];
  /** Integer pixel size of one font pixel. Default 1. */
  scale?: number;
  /** Draw each glyph twice, one pixel apart, for a bold look. Default false. */
  bold?: boolean;
}

/**
 * Draws `text` into an RGB or RGBA image in place; pixels outside the image are skipped and
 * characters without a glyph are drawn as `?`.
 *
 * @example
 * ```ts
 * import { drawText } from "./_font.ts";
 * const image = { width: 20, height: 9, channels: 3 as const, data: new Uint8Array(540).fill(255) };
 * drawText(image, "Hi", { x: 1, y: 1, color: [0, 0, 0] });
 * console.log(image.data[(1 * 20 + 1) * 3]); // 0 (top-left of the H is inked)
 * ```
 */
export function drawText(image: RasterImage, text: string, options: TextOptions): void {
  const { x, y, color = [0, 0, 0], scale = 1, bold = false } = options;
  const { width, height, channels, data } = image;
  const put = (px: number, py: number) => {
    if (px < 0 || py < 0 || px >= width || py >= height) return;
    const i = (py * width + px) * channels;
    data[i] = color[0];
    data[i + 1] = color[1];
    data[i + 2] = color[2];
  };
  let penX = Math.round(x);
  const top = Math.round(y);
  for (const char of text) {
    const { rows, left, width: advance } = glyph(char);
    for (let r = 0; r < rows.length; r++) {
      for (let c = left; c < 5 + left; c++) {
        if (!(rows[r] >> c & 1)) continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale + (bold ? 1 : 0); sx++) {
            put(penX + (c - left) * scale + sx, top + r * scale + sy);
          }
        }
      }
    }
    penX += (advance + 1) * scale;
  }
}
