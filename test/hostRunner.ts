// Runs a folder of mocha suites inside the VS Code extension host. The host's stdout
// does not reach the runner, so the mocha report is also appended to a file, and a
// JSON summary is written at the end for the runner's pass/fail line.
import * as fs from 'fs';
import * as path from 'path';
import { format, inspect } from 'util';
import Mocha from 'mocha';

const projectRoot = path.resolve(__dirname, '..', '..');

/** Where the report goes: set by the runner, or test-results/<suite>-output.txt. */
function reportPaths(suiteDir: string): { output: string; summary: string } {
  const suite = path.basename(suiteDir);
  const output =
    process.env.MARGINALIA_TEST_REPORT ?? path.join(projectRoot, 'test-results', `${suite}-output.txt`);
  return { output, summary: output.replace(/(\.txt)?$/, '.json') };
}

function findTests(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return findTests(full);
      return entry.isFile() && entry.name.endsWith('.test.js') ? [full] : [];
    })
    .sort();
}

/** Runs every `*.test.js` below `suiteDir`; rejects when any fails. */
export function runSuite(suiteDir: string): Promise<void> {
  const { output, summary } = reportPaths(suiteDir);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.writeFileSync(output, '');
  fs.rmSync(summary, { force: true });

  // Reporters print through Base.consoleLog; tee it into the report file as it runs.
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const consoleLog = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => {
    fs.appendFileSync(output, `${format(...args)}\n`);
    consoleLog(...args);
  };

  const grep = process.env.MARGINALIA_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 20000, reporter: 'spec', ...(grep ? { grep } : {}) });
  for (const file of findTests(suiteDir)) mocha.addFile(file);

  return new Promise<void>((resolve, reject) => {
    const finish = (stats: { passed: number; failed: number; pending: number }, error?: unknown) => {
      base.consoleLog = consoleLog;
      fs.writeFileSync(summary, `${JSON.stringify(stats)}\n`);
      if (error) reject(error instanceof Error ? error : new Error(inspect(error)));
      else if (stats.failed > 0) reject(new Error(`${stats.failed} test(s) failed`));
      else resolve();
    };
    try {
      const runner = mocha.run(() => {
        const stats = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
        finish({ passed: stats.passes, failed: stats.failures, pending: stats.pending });
      });
    } catch (error) {
      fs.appendFileSync(output, `${error instanceof Error ? (error.stack ?? error.message) : inspect(error)}\n`);
      finish({ passed: 0, failed: 1, pending: 0 }, error);
    }
  });
}
