/**
 * `tessera export --format web`: a static folder that labels tiles in the browser with no server
 * of ours and no CDN: `index.html`, `app.js` (page.ts bundled with tfjs by esbuild at export
 * time) and the tfjs layers model beside them. Browsers refuse `fetch()` from `file://`, so the
 * folder is opened through any static server (`python3 -m http.server`, a hospital intranet).
 */
import { buildSync } from "esbuild";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The page's files besides the model. */
export const WEB_FILES = ["index.html", "app.js"] as const;

const HTML = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title.replace(/[<>&"]/g, "")} - tessera</title>
<style>
body { font: 15px system-ui, sans-serif; margin: 2rem; min-height: 80vh; border: 3px dashed #999; padding: 1rem; }
li { margin: .3rem 0; } .label { font-weight: bold; color: #064; }
</style>
</head>
<body>
<p id="status">Loading the model...</p>
<input id="files" type="file" accept="image/*" multiple>
<ol id="results"></ol>
<script src="app.js"></script>
</body>
</html>
`;

/** Writes index.html and the bundled app.js into `out` (which already holds the model). */
export function writeWebExport(out: string, manifest: { name: string }): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  buildSync({
    entryPoints: [join(here, "page.ts")],
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    outfile: join(out, "app.js"),
    logLevel: "error",
  });
  writeFileSync(join(out, "index.html"), HTML(manifest.name));
  return [...WEB_FILES];
}
