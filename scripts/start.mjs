// `npm start`: builds the extension, then serves VS Code (code-server) on 127.0.0.1 with
// examples/ as the workspace and this project loaded as the extension under development.
// Open the printed URL in a browser; Ctrl-C stops the server and every process it spawned.
//
//   npm start                  port 8420, or a free one when 8420 is taken
//   PORT=9000 npm start        that port, or fail if it is taken
//   node scripts/start.mjs --no-build [--workspace DIR]
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { freePort, startCodeServer } from './vscode/code-server.mjs';
import { projectRoot } from './vscode/ensure-code-server.mjs';

export const DEFAULT_PORT = 8420;

/** Settings for a first look at the extension: nothing but the workspace and the text on screen. */
export const START_SETTINGS = {
  // The chat panel would otherwise take the right third of the window.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
};

function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The PORT variable when set (which must then be free), else DEFAULT_PORT if free, else any free port. */
export async function choosePort(requested = process.env.PORT) {
  if (requested) {
    const port = Number(requested);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT is not a port number: ${requested}`);
    if (!(await portIsFree(port))) throw new Error(`port ${port} (from PORT) is already in use`);
    return port;
  }
  return (await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : freePort();
}

/**
 * Starts code-server with `workspace` open and this project as the extension under development.
 * The workbench honours the `extensionDevelopmentPath` in the URL's payload only when the
 * smoke-test driver option is on; that option merely exposes an automation hook to the page.
 *
 * @param {object} options
 * @param {string} options.workspace folder to open
 * @param {number} [options.port]
 * @param {string} [options.name] label of the server's temporary folder
 * @param {Record<string, unknown>} [options.settings] user settings over START_SETTINGS
 * @param {string} [options.logFile]
 * @returns the started server (see startCodeServer) and `workbenchUrl`, the URL that loads the extension
 */
export async function startDevelopmentServer(options) {
  const workspace = path.resolve(options.workspace);
  const server = await startCodeServer({
    name: options.name ?? 'start',
    workspace,
    port: options.port,
    logFile: options.logFile,
    settings: { ...START_SETTINGS, ...options.settings },
    args: ['--vscode-option', 'enable-smoke-test-driver'],
  });
  const payload = [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${server.port}${projectRoot}`]];
  const workbenchUrl = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return { ...server, workbenchUrl };
}

function build() {
  console.log('[start] npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      'no-build': { type: 'boolean', default: false },
      workspace: { type: 'string', default: 'examples' },
    },
  });
  if (!values['no-build']) build();

  const port = await choosePort();
  console.log(`[start] starting code-server on 127.0.0.1:${port} (the first run installs it, which takes a few minutes)`);
  const server = await startDevelopmentServer({ workspace: path.resolve(projectRoot, values.workspace), port });

  let stopping;
  const stop = (reason, exitCode) => {
    stopping ??= (async () => {
      console.log(`\n[start] ${reason}: stopping code-server (pid ${server.pid})`);
      await server.stop();
      process.exit(exitCode);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGHUP', () => stop('SIGHUP', 0));
  // `npm start` runs this script through a shell; on SIGTERM npm signals that shell, which
  // exits without passing the signal on. Then the only sign is that the parent has gone.
  const parentPid = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentPid) stop('parent process exited', 0);
  }, 500);
  // If this process dies some other way, the server must not outlive it.
  process.on('exit', () => server.killSync());
  void server.exited.then(({ code, signal }) => {
    if (!stopping) {
      console.error(`[start] code-server exited (${code ?? signal}); see ${server.logFile}`);
      stopping = Promise.resolve();
      process.exit(1);
    }
  });

  console.log('');
  console.log('  Marginalia is running in VS Code for the browser. Open:');
  console.log('');
  console.log(`  ${server.workbenchUrl}`);
  console.log('');
  console.log(`  (workspace ${path.relative(projectRoot, server.workspace) || '.'}/, server log ${path.relative(projectRoot, server.logFile)})`);
  console.log('  After changing the code: run `npm run build` in another terminal, then reload the page.');
  console.log('  Press Ctrl-C to stop.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`[start] ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
