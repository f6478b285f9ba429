import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface AssetManifest {
  css: string;
  js: string;
  lib: string;
}

/** The repository (or image) root: the nearest folder above this file with a package.json. */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Where scripts/build-web-assets.js writes the stylesheet and scripts (`npm run build`, `npm test`). */
export const ASSETS_DIR = join(packageRoot(), 'dist', 'assets');

let manifest: AssetManifest | undefined;

/** The hashed file names of the assets; the pages render without them (unstyled) if they were never built. */
export function assets(): AssetManifest {
  if (!manifest) {
    try {
      manifest = JSON.parse(readFileSync(join(ASSETS_DIR, 'manifest.json'), 'utf8')) as AssetManifest;
    } catch {
      return { css: 'missing.css', js: 'missing.js', lib: 'missing.js' };
    }
  }
  return manifest;
}
