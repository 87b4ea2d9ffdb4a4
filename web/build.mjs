// Builds the panel into web/dist: one bundled script and one stylesheet (no inline script, no
// CDN: the gateway's CSP is "default-src 'self'"), plus index.html. Run by `npm run build`
// after the type check.
import { build } from "esbuild";
import { mkdir, rm, copyFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "assets"), { recursive: true });
await build({
  entryPoints: [join(root, "src/main.tsx")],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  target: ["es2020"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outfile: join(dist, "assets/app.js"),
  logLevel: "warning",
});
await copyFile(join(root, "src/style.css"), join(dist, "assets/app.css"));
await copyFile(join(root, "index.html"), join(dist, "index.html"));
console.log("web/dist built");
