/**
 * Copies the README's screenshots from the last `npm test` (test-results/screens/, git-ignored) into
 * docs/screens/ (committed). Run after `npm test`: `node scripts/readme-screens.js`.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const from = path.join(root, 'test-results', 'screens');
const to = path.join(root, 'docs', 'screens');
const wanted = fs
  .readFileSync(path.join(root, 'README.md'), 'utf8')
  .match(/docs\/screens\/[\w.-]+\.png/g)
  .map((p) => path.basename(p));

fs.mkdirSync(to, { recursive: true });
const missing = [];
for (const name of new Set(wanted)) {
  const source = path.join(from, name);
  if (fs.existsSync(source)) fs.copyFileSync(source, path.join(to, name));
  else missing.push(name);
}
if (missing.length) {
  console.error(`not in test-results/screens (run npm test first): ${missing.join(', ')}`);
  process.exitCode = 1;
} else console.log(`${new Set(wanted).size} screenshots copied to docs/screens/`);
