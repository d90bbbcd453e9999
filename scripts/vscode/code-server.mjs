// Starts code-server for one workspace folder on a free loopback port, and stops it with
// every helper process it spawned (agent host, file watcher, extension host).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, ensureCodeServer } from './ensure-code-server.mjs';

/** Quiet, offline-friendly defaults: no update checks against the gallery, no welcome page. */
export const DEFAULT_SETTINGS = {
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** True while any process of the group led by `pid` is alive. */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * @param {object} options
 * @param {string} options.workspace folder to open
 * @param {string} [options.name] label for the temporary folder under .cache/tmp
 * @param {string} [options.userDataDir] defaults to a fresh temporary folder
 * @param {string} [options.extensionsDir] defaults to a fresh temporary folder
 * @param {number} [options.port] defaults to a free port
 * @param {string[]} [options.args] extra code-server arguments
 * @param {Record<string, string>} [options.env] extra environment, inherited by the extension host
 * @param {Record<string, unknown>} [options.settings] user settings, over DEFAULT_SETTINGS (written only to a fresh user-data-dir)
 * @param {string} [options.logFile] where the server's stdout and stderr go (default: under the temporary folder)
 * @param {boolean} [options.keepTemp] keep the temporary folder after stop()
 * @param {boolean} [options.workspaceTrust] keep workspace trust on, so an untrusted folder opens in Restricted Mode (default: off)
 */
export async function startCodeServer(options) {
  const { node24, entry } = ensureCodeServer();
  const workspace = path.resolve(options.workspace);
  mkdirSync(path.join(cacheDir, 'tmp'), { recursive: true });
  const tempDir = mkdtempSync(path.join(cacheDir, 'tmp', `${options.name ?? 'code-server'}-`));
  const userDataDir = options.userDataDir ?? path.join(tempDir, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(tempDir, 'extensions');
  if (!options.userDataDir) {
    mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
    const settings = { ...DEFAULT_SETTINGS, ...options.settings };
    writeFileSync(path.join(userDataDir, 'User', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  }
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const logFile = options.logFile ?? path.join(tempDir, 'code-server.log');
  // The server and its helpers put IPC sockets in TMPDIR; a short private one keeps
  // them under the socket path length limit and lets stop() remove them.
  const socketDir = mkdtempSync(path.join(os.tmpdir(), 'mcs-'));

  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    // A config of its own, so that ~/.config/code-server is neither read nor written.
    '--config', path.join(tempDir, 'config.yaml'),
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    ...(options.args ?? []),
    workspace,
  ];

  // Variables of an enclosing VS Code terminal would make code-server act as its CLI.
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('VSCODE_') && key !== 'ELECTRON_RUN_AS_NODE'),
    ),
    ...options.env,
    TMPDIR: socketDir,
  };
  const log = createWriteStream(logFile);
  await new Promise((resolve) => log.once('open', resolve));
  // Its own process group, so that stop() reaches the helpers it spawns too.
  const child = spawn(node24, args, { detached: true, env, stdio: ['ignore', log, log] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const pid = child.pid;
  let stopped = false;

  const removeTemp = () => {
    rmSync(socketDir, { recursive: true, force: true });
    if (!options.keepTemp) rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
  };

  /** For process 'exit' handlers, where nothing asynchronous runs any more. */
  const killSync = () => {
    if (stopped) return;
    stopped = true;
    if (pid && groupAlive(pid)) killGroup(pid, 'SIGKILL');
    removeTemp();
  };

  const stop = async (graceMs = 5000) => {
    if (stopped) return;
    stopped = true;
    if (pid) {
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
      if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
      while (groupAlive(pid) && Date.now() < deadline + 2000) await sleep(50);
    }
    log.end();
    removeTemp();
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, exited, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, pid, workspace, userDataDir, extensionsDir, logFile, tempDir, exited, stop, killSync };
}

async function waitForHttp(url, exited, logFile, timeoutMs = 60_000) {
  let exit;
  exited.then((value) => (exit = value));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit) throw new Error(`code-server exited early (${exit.code ?? exit.signal}); see ${logFile}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`code-server did not answer at ${url} within ${timeoutMs / 1000} s; see ${logFile}`);
}
