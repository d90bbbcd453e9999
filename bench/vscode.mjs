// `npm run bench:vscode`: activation time, an end-to-end hover on the 10 M-character
// text, and typing into a large sidecar, measured inside the real extension host
// through the test harness, which prints the figures the suite writes. Run
// `npm run build` first.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSidecar } from './generate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The bench's large sidecar, made here from its generator and handed to the suite by path.
const sidecar = path.join(root, '.cache', 'bench', 'vscode-sidecar.yaml');
mkdirSync(path.dirname(sidecar), { recursive: true });
writeFileSync(sidecar, generateSidecar(10_000, 10_000));
// Two hosts: one types into the large sidecar first thing, the other measures the book, then types into the sidecar.
for (const scenario of ['sidecar', 'book']) {
  const result = spawnSync(process.execPath, ['scripts/vscode/run-tests.mjs', '--workspace', 'examples', '--tests', 'out/test/bench-vscode/index.js', '--timeout', '600'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MARGINALIA_BENCH_SIDECAR: sidecar, MARGINALIA_BENCH_SCENARIO: scenario },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
