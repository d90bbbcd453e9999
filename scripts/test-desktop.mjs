// Runs the same integration suites in a desktop VS Code through @vscode/test-electron,
// on a machine that has one or can download one. Offline, use `npm run test:integration`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out', 'test', 'integration', 'index.js'),
    launchArgs: [path.join(root, 'examples'), '--disable-extensions', '--disable-workspace-trust'],
    // A desktop `code` already installed is used as is; otherwise test-electron downloads one.
    ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
  });
} catch (error) {
  console.error(`desktop tests failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
