// `npm run bench:vscode`: activation time and an end-to-end hover on the 10 M-character
// text, measured inside the real extension host through the test harness, which
// prints the figures the suite writes. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const result = spawnSync(process.execPath, ['scripts/vscode/run-tests.mjs', '--workspace', 'examples', '--tests', 'out/test/bench-vscode/index.js', '--timeout', '600'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
