import { Module } from 'module';
import * as path from 'path';

/**
 * @retorquere/bibtex-parser's CommonJS build sits in a package marked
 * `"type": "module"`, so plain Node loads it as ES module syntax and fails;
 * the bundle is unaffected (esbuild reads the syntax). Under plain Node the
 * tests point `require` at the ES module build, which Node 20 can require.
 */
export function useBibtexParserEsmBuild(): void {
  const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = loader._resolveFilename.bind(loader);
  const commonJs = resolve('@retorquere/bibtex-parser', module);
  const esm = path.join(path.dirname(commonJs), '..', 'esm', 'index.js');
  loader._resolveFilename = (request: string, ...rest: unknown[]) => (request === '@retorquere/bibtex-parser' ? esm : resolve(request, ...rest));
}
