import { Module } from 'module';
import * as path from 'path';

/**
 * @retorquere/bibtex-parser's CommonJS build sits in a package marked
 * `"type": "module"`, so plain Node loads it as ES module syntax and fails;
 * the bundle is unaffected (esbuild reads the syntax). Under plain Node the
 * tests point `require` at the ES module build, which Node 20 can require.
 * `unicode2latex`, which the core loads before the parser, is pointed at the
 * build the parser imports, as in the bundle, so that it is loaded once.
 */
export function useBibtexParserEsmBuild(): void {
  const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = loader._resolveFilename.bind(loader);
  const esmBuild = (name: string): string => path.join(path.dirname(resolve(name, module)), '..', 'esm', 'index.js');
  const builds = new Map(['@retorquere/bibtex-parser', 'unicode2latex'].map((name) => [name, esmBuild(name)]));
  loader._resolveFilename = (request: string, ...rest: unknown[]) => builds.get(request) ?? resolve(request, ...rest);
}
