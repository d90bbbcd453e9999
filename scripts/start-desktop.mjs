// `npm run start:desktop`: builds the extension and opens examples/ in desktop VS Code
// (the `code` command) with this project as the extension under development.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './vscode/ensure-code-server.mjs';

/** The first `code` executable on PATH, or undefined. */
function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not there, or not executable.
    }
  }
  return undefined;
}

const code = findOnPath(process.platform === 'win32' ? 'code.cmd' : 'code');
if (!code) {
  console.error('[start:desktop] No desktop VS Code found: the `code` command is not on PATH.');
  console.error('[start:desktop] Install VS Code and its `code` shell command, or use `npm start` for VS Code in the browser.');
  process.exit(1);
}

const build = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const args = [`--extensionDevelopmentPath=${projectRoot}`, path.join(projectRoot, 'examples')];
console.log(`[start:desktop] ${code} ${args.join(' ')}`);
// `code` hands the window to a running VS Code and returns at once.
const child = spawn(code, args, { stdio: 'inherit' });
child.on('error', (error) => {
  console.error(`[start:desktop] could not run ${code}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (status, signal) => process.exit(status ?? (signal ? 1 : 0)));
