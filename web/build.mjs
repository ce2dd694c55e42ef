// Builds the web application into web/dist: hashed, minified ES modules (code-split: the statistics
// charts, the spreadsheet writer and the PDF renderer load only on their screens) and an index.html
// that names them. pdf.js's worker is copied beside them under a hashed name, so the page starts it
// from its own origin (the CSP's script-src 'self' covers workers).
// Runs by itself from `npm install` (prepare) and `npm start` (prestart); `--if-missing` skips a
// build whose output is newer than every source file.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const dist = path.join(here, 'dist');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const index = path.join(dist, 'index.html');
if (process.argv.includes('--if-missing') && existsSync(index) && statSync(index).mtimeMs > Math.max(newest(src), statSync(fileURLToPath(import.meta.url)).mtimeMs)) {
  process.exit(0);
}

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
mkdirSync(path.join(dist, 'assets'), { recursive: true });
const pdfWorker = createRequire(import.meta.url).resolve('pdfjs-dist/build/pdf.worker.min.mjs');
const pdfWorkerName = `pdf.worker-${createHash('sha256').update(readFileSync(pdfWorker)).digest('hex').slice(0, 8).toUpperCase()}.mjs`;
copyFileSync(pdfWorker, path.join(dist, 'assets', pdfWorkerName));
const result = await build({
  entryPoints: { main: path.join(src, 'main.tsx') },
  outdir: path.join(dist, 'assets'),
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  metafile: true,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"', PDF_WORKER_URL: JSON.stringify(`/assets/${pdfWorkerName}`) },
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, o]) => o.entryPoint && o.entryPoint.endsWith('main.tsx'));
if (!entry) throw new Error('no entry chunk in the build');
const [entryFile, entryInfo] = entry;
const url = (file) => `/assets/${path.basename(file)}`;
const css = entryInfo.cssBundle ? `\n    <link rel="stylesheet" href="${url(entryInfo.cssBundle)}">` : '';
const preloads = entryInfo.imports.filter((i) => i.kind === 'import-statement').map((i) => `\n    <link rel="modulepreload" href="${url(i.path)}">`).join('');
writeFileSync(
  index,
  `<!doctype html>
<html lang="vi">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>kyso</title>
    <link rel="icon" href="data:,">${css}${preloads}
    <script type="module" src="${url(entryFile)}"></script>
  </head>
  <body>
    <noscript>kyso cần JavaScript. / kyso needs JavaScript.</noscript>
    <div id="app"></div>
  </body>
</html>
`,
);
console.log(`web: built ${outputs.length} files into web/dist in ${Date.now() - started} ms`);
