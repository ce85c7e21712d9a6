/**
 * `deno doc --lint` over our public surface, ignoring diagnostics located inside
 * `node_modules` (tfjs' own declaration files reference their internal types, which we cannot
 * change). Exits 1 when any of our own files has a documentation problem.
 *
 * ```sh
 * deno run -A tools/doc_lint.ts mod.ts
 * ```
 *
 * @module
 */
const args = Deno.args.length ? Deno.args : ["mod.ts"];
const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...args],
  env: { NO_COLOR: "1" },
}).output();
const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
const blocks = text.split(/\n(?=error\[)/).filter((b) => b.startsWith("error["));
const ours = blocks.filter((b) => !/-->\s+\S*node_modules\//.test(b));
for (const b of ours) console.error(b.trim() + "\n");
console.error(
  `doc lint: ${ours.length} problems in our files (${
    blocks.length - ours.length
  } in dependencies ignored)`,
);
Deno.exit(ours.length ? 1 : 0);
