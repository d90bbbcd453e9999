// How the extension is bundled, shared by scripts/bundle.mjs and the bench's bundle of the core.
import path from 'node:path';

// @retorquere/bibtex-parser's CommonJS build lives in a "type": "module"
// package and requires packages that export only ES modules; its ES module
// build resolves cleanly, so the bundle takes that one. `unicode2latex`,
// which the core loads on its own before the parser, resolves the same way
// as the parser imports it, so it is loaded once.
const esmBuilds = /^(?:@retorquere\/bibtex-parser|unicode2latex)$/;
export const bibtexParserEsm = {
  name: 'bibtex-parser-esm',
  setup(build) {
    build.onResolve({ filter: esmBuilds }, async (args) => {
      // build.resolve runs this hook again: the mark stops the recursion.
      if (args.pluginData?.esm) return undefined;
      const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: { esm: true } });
      return { path: resolved.path };
    });
  },
};

/** What every bundle of the extension, the CLI and the core shares: one CommonJS file for Node. */
export const nodeBundle = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', logLevel: 'warning' };

/**
 * Modules the extension loads only when first needed (a BibTeX file read, a
 * citation formatted), each bundled in a file of its own. The engine compiles
 * a script whole when it is loaded, and these were over two thirds of the
 * extension's bundle: loading it took 65 to 110 ms before `activate` ran.
 * The BibTeX parser's bundle loads `unicode2latex` from its own.
 */
export const lazyModules = new Map([
  ['unicode2latex', 'unicode2latex.js'],
  ['@retorquere/bibtex-parser', 'bibtex-parser.js'],
  ['citeproc', 'citeproc.js'],
]);
const lazyFilter = new RegExp(`^(?:${[...lazyModules.keys()].map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);

/** Leaves the lazy modules out of a bundle, required from `prefix` instead; `own` is the one a lazy bundle holds. */
function lazyExternals(prefix, own) {
  return {
    name: 'lazy-externals',
    setup(build) {
      build.onResolve({ filter: lazyFilter }, (args) => (args.path === own ? undefined : { path: `${prefix}${lazyModules.get(args.path)}`, external: true }));
    },
  };
}

/**
 * Bundles `entry` into `outfile` for Node, with each lazy module in a file of
 * its own in `lazy/` beside it. Returns the metafiles of every bundle made.
 */
export async function bundleWithLazyModules(esbuild, { entry, outfile, ...options }) {
  const common = { ...nodeBundle, metafile: true, ...options };
  const lazyDir = path.join(path.dirname(outfile), 'lazy');
  const builds = [esbuild.build({ ...common, entryPoints: [entry], outfile, plugins: [lazyExternals('./lazy/'), bibtexParserEsm] })];
  for (const [name, file] of lazyModules) {
    builds.push(
      esbuild.build({
        ...common,
        stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: process.cwd(), sourcefile: file },
        outfile: path.join(lazyDir, file),
        plugins: [lazyExternals('./', name), bibtexParserEsm],
      }),
    );
  }
  return (await Promise.all(builds)).map((result) => result.metafile);
}
