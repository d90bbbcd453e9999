// What the bundles of the extension and the CLI share with the bench's bundle of the core.

// @retorquere/bibtex-parser's CommonJS build lives in a "type": "module"
// package and requires packages that export only ES modules; its ES module
// build resolves cleanly, so the bundle takes that one. `unicode2latex`,
// which the core loads on its own before the parser, resolves the same way
// as the parser imports it, so the bundle holds one copy, evaluated once.
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
