/**
 * Builds the pages' static assets into dist/assets (git-ignored): the stylesheet (GOV.UK Frontend compiled with the
 * portal's branding from src/web/assets/portal.scss, minified) and GOV.UK Frontend's JavaScript with a starter
 * (which starts it and carries the portal's own enhancements from src/web/assets/enhance/), each named by its content hash (served with a year-long cache), with .br/.gz copies, and a manifest the
 * layout reads. Run by `npm run build` and before `npm test`; skipped when the sources have not changed.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'assets');
const scss = path.join(root, 'src', 'web', 'assets', 'portal.scss');
const govukJs = require.resolve('govuk-frontend/dist/govuk/govuk-frontend.min.js', { paths: [root] });
const govukPkg = require.resolve('govuk-frontend/package.json', { paths: [root] });
// The portal's own enhancements: one plain script per file, each a block `{ ... }` that looks for its
// `data-` hook and does nothing without it; appended to the starter in name order.
const enhanceDir = path.join(root, 'src', 'web', 'assets', 'enhance');
const enhancements = () =>
  fs.existsSync(enhanceDir)
    ? fs
        .readdirSync(enhanceDir)
        .filter((f) => f.endsWith('.js'))
        .sort()
        .map((f) => fs.readFileSync(path.join(enhanceDir, f), 'utf8'))
    : [];

const hash = (data) => createHash('sha256').update(data).digest('hex').slice(0, 12);

function write(name, content) {
  const file = path.join(out, name);
  fs.writeFileSync(file, content);
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(content, { level: 9 }));
  fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(content));
}

function build() {
  const sources = hash(
    [fs.readFileSync(scss), fs.readFileSync(govukPkg), fs.readFileSync(__filename), ...enhancements()]
      .map(String)
      .join('\0'),
  );
  const manifestFile = path.join(out, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const old = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    if (old.sources === sources && fs.existsSync(path.join(out, old.css))) return old;
  }
  const sass = require('sass');
  const css = sass.compile(scss, {
    style: 'compressed',
    importers: [new sass.NodePackageImporter(root)],
    quietDeps: true,
    silenceDeprecations: ['import'],
  }).css;
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const cssName = `portal.${hash(css)}.css`;
  write(cssName, css);
  const lib = fs.readFileSync(govukJs);
  const libName = `govuk-frontend.${hash(lib)}.js`;
  write(libName, lib);
  // Marks the body as able to run GOV.UK Frontend (which styles some components differently then) and starts it.
  const starter =
    `import{initAll}from"./${libName}";document.body.classList.add("govuk-frontend-supported");initAll();\n` +
    enhancements().join('\n');
  const starterName = `portal.${hash(starter)}.js`;
  write(starterName, starter);
  const manifest = { sources, css: cssName, js: starterName, lib: libName };
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  return manifest;
}

module.exports = { build, out };

if (require.main === module) {
  const m = build();
  console.log(`web assets: dist/assets/${m.css}, ${m.js}`);
}
