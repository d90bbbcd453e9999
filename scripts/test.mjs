// `npm test`: installs what is missing, then runs lint, the build and every test suite,
// and ends with the total count of tests that ran.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmDependencies } from './ensure-npm.mjs';
import { ensureDebianPackages } from './ensure-tools.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);

/** Runs a command, echoing its output, and returns its exit code and output. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const echo = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** Reads "N passed, N failed" (or mocha's "N passing" / "N failing") from a suite's output. */
function counts(output) {
  const plain = [...output.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed/gm)].pop();
  if (plain) return { passed: Number(plain[1]), failed: Number(plain[2]) };
  const passing = /(\d+) passing/.exec(output);
  const failing = /(\d+) failing/.exec(output);
  return { passed: passing ? Number(passing[1]) : 0, failed: failing ? Number(failing[1]) : 0 };
}

const suites = [
  { name: 'lint', command: 'npx', args: ['eslint', '.'], counted: false },
  { name: 'build', command: 'npm', args: ['run', 'build', '--silent'], counted: false },
  { name: 'unit', command: 'npx', args: ['mocha'] },
  { name: 'grammar', command: 'node', args: ['test/grammar/run.mjs'] },
  { name: 'integration', command: 'node', args: ['scripts/vscode/run-tests.mjs', '--workspace', 'examples', '--tests', 'out/test/integration/index.js'] },
  { name: 'restricted', command: 'node', args: ['scripts/vscode/run-tests.mjs', '--workspace', 'examples', '--tests', 'out/test/restricted/index.js', '--restricted'] },
  { name: 'e2e', command: 'node', args: ['test/e2e/run.mjs'], optional: 'test/e2e/run.mjs' },
  { name: 'bench', command: 'node', args: ['bench/run.mjs', '--smoke'], optional: 'bench/run.mjs', counted: false },
];

ensureNpmDependencies();
ensureDebianPackages(['pandoc']);

const results = [];
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  if (suite.optional && !existsSync(path.join(root, suite.optional))) continue;
  console.log(`\n=== ${suite.name} ===`);
  const { code, output } = await run(suite.command, suite.args);
  const { passed, failed } = suite.counted === false ? { passed: 0, failed: code === 0 ? 0 : 1 } : counts(output);
  // A suite that exits non-zero without reporting a failure still fails the run.
  results.push({ name: suite.name, passed, failed: code !== 0 && failed === 0 ? 1 : failed, counted: suite.counted !== false, code });
  if (suite.counted === false && code !== 0) break;
}

console.log('\n=== summary ===');
for (const r of results) {
  console.log(r.counted ? `${r.name}: ${r.passed} passed, ${r.failed} failed` : `${r.name}: ${r.code === 0 ? 'ok' : 'FAILED'}`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
