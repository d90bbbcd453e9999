// Runs an extension test suite inside a real VS Code extension host: code-server serves
// the workbench, headless Chromium opens it with this project as the extension under
// development, and the workbench reports the suite's result via codeAutomationExit.
//
//   node scripts/vscode/run-tests.mjs --workspace examples --tests out/test/integration/index.js
//     [--screenshot-dir test-results/screens] [--timeout 600] [--verbose] [--keep-temp] [--restricted]
//     [--profile-window FILE]
//
// --profile-window writes a CPU profile of the window (the workbench's own thread, not the extension host) over the
// whole run, for Chrome's or VS Code's profile viewer: where the window's time goes while the suite waits on it.
// --restricted keeps workspace trust on and never trusts the folder, so the suite runs in Restricted Mode.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startCodeServer } from './code-server.mjs';
import { ensureCodeServer, projectRoot } from './ensure-code-server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const { values: opts } = parseArgs({
  options: {
    workspace: { type: 'string', default: 'examples' },
    tests: { type: 'string' },
    'screenshot-dir': { type: 'string' },
    timeout: { type: 'string', default: '600' },
    verbose: { type: 'boolean', default: false },
    'keep-temp': { type: 'boolean', default: false },
    // Runs only the tests whose full title matches, with reports of their own, so suites can run side by side.
    grep: { type: 'string' },
    restricted: { type: 'boolean', default: false },
    'profile-window': { type: 'string' },
  },
});
if (!opts.tests) {
  console.error('usage: run-tests.mjs --tests out/test/<suite>/index.js [--workspace DIR] [--screenshot-dir DIR] [--timeout S] [--verbose]');
  process.exit(2);
}

const workspace = path.resolve(projectRoot, opts.workspace);
const testsPath = path.resolve(projectRoot, opts.tests);
const suite = path.basename(path.dirname(testsPath)) + (opts.grep ? `-${opts.grep.replace(/[^\w-]+/g, '_').slice(0, 40)}` : '');
const resultsDir = path.join(projectRoot, 'test-results');
const reportFile = path.join(resultsDir, `${suite}-output.txt`);
const summaryFile = path.join(resultsDir, `${suite}-output.json`);
const browserLog = path.join(resultsDir, `${suite}-browser.log`);
const screenshotDir = opts['screenshot-dir'] ? path.resolve(projectRoot, opts['screenshot-dir']) : undefined;
const timeoutMs = Number(opts.timeout) * 1000;

for (const [what, p] of [['workspace', workspace], ['tests', testsPath]]) {
  if (!existsSync(p)) {
    console.error(`${what} not found: ${p}${what === 'tests' ? ' (run npm run build first)' : ''}`);
    process.exit(2);
  }
}

let server;
let browser;
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  })();
  return cleaning;
}
// Last resort when the process goes away without the async cleanup having finished.
process.on('exit', () => server?.killSync());
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping code-server and Chromium`);
    cleanup().finally(() => process.exit(code));
  });
}
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => {
    console.error(error);
    cleanup().finally(() => process.exit(1));
  });
}

/** Prints what the in-host suite appended to the report file since the last call. */
let reportOffset = 0;
function flushReport() {
  if (!existsSync(reportFile)) return;
  const size = statSync(reportFile).size;
  if (size < reportOffset) reportOffset = 0;
  if (size === reportOffset) return;
  const fd = openSync(reportFile, 'r');
  try {
    const buffer = Buffer.alloc(size - reportOffset);
    readSync(fd, buffer, 0, buffer.length, reportOffset);
    reportOffset = size;
    process.stdout.write(buffer);
  } finally {
    closeSync(fd);
  }
}

async function screenshot(page, name) {
  if (!screenshotDir || !page) return;
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file }).then(
    () => console.log(`screenshot: ${path.relative(projectRoot, file)}`),
    (error) => console.error(`screenshot ${name} failed: ${error.message}`),
  );
}

async function main() {
  const started = Date.now();
  mkdirSync(resultsDir, { recursive: true });
  for (const file of [reportFile, summaryFile]) rmSync(file, { force: true });
  writeFileSync(browserLog, '');

  ensureCodeServer();
  server = await startCodeServer({
    name: `test-${suite}`,
    workspace,
    keepTemp: opts['keep-temp'],
    env: { MARGINALIA_TEST_REPORT: reportFile, ...(opts.grep ? { MARGINALIA_TEST_GREP: opts.grep } : {}) },
    // In Restricted Mode the folder is never trusted: no prompt to answer, and a fresh user-data-dir remembers no trust.
    ...(opts.restricted
      ? {
          workspaceTrust: true,
          settings: {
            'security.workspace.trust.enabled': true,
            'security.workspace.trust.startupPrompt': 'never',
            'security.workspace.trust.emptyWindow': false,
            'security.workspace.trust.untrustedFiles': 'open',
          },
        }
      : {}),
    // Without the smoke-test driver the built workbench ignores the test payload.
    args: ['--vscode-option', 'enable-smoke-test-driver'],
  });
  console.log(`code-server ${server.url} (pid ${server.pid}), workspace ${path.relative(projectRoot, workspace) || '.'}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    // Our own handlers close the browser and then stop code-server before exiting.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const logLine = (line) => {
    writeFileSync(browserLog, `${line}\n`, { flag: 'a' });
    if (opts.verbose) console.log(`[browser] ${line}`);
  };
  page.on('console', (message) => logLine(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => logLine(`pageerror: ${error.stack ?? error.message}`));

  let reportExit;
  const exited = new Promise((resolve) => (reportExit = resolve));
  // The workbench calls this when the suite's run() settles: 0 resolved, 1 threw.
  await page.exposeFunction('codeAutomationExit', (code) => reportExit(Number(code)));

  const profiler = opts['profile-window'] ? await page.context().newCDPSession(page) : undefined;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.start');
  }

  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(projectRoot)],
    ['extensionTestsPath', remote(testsPath)],
  ];
  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  page
    .waitForSelector('.monaco-workbench', { timeout: 120_000 })
    .then(() => screenshot(page, 'workbench'))
    .catch(() => {});

  const ticker = setInterval(flushReport, 250);
  let timedOut = false;
  const timer = new Promise((resolve) =>
    setTimeout(() => {
      timedOut = true;
      resolve(undefined);
    }, timeoutMs).unref(),
  );
  const code = await Promise.race([exited, timer]);
  clearInterval(ticker);
  flushReport();
  await screenshot(page, timedOut ? 'timeout' : 'final');
  if (profiler) {
    // A window that crashed has no profile to give: the suite's result stands all the same.
    try {
      const { profile } = await profiler.send('Profiler.stop');
      const file = path.resolve(projectRoot, opts['profile-window']);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      console.log(`window profile: ${path.relative(projectRoot, file)}`);
    } catch (error) {
      console.error(`window profile not written: ${error.message}`);
    }
  }

  let summary;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch {
    summary = undefined;
  }
  await cleanup();

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (timedOut) console.error(`\nno result from the extension host within ${opts.timeout} s; see ${path.relative(projectRoot, browserLog)}`);
  else if (!summary) console.error(`\nthe suite reported no results (exit code ${code}); see ${path.relative(projectRoot, browserLog)}`);
  else console.log(`\nextension host finished with code ${code} in ${seconds} s`);

  // A harness failure (timeout, crash before mocha ran) counts as one failed test.
  const passed = summary?.passed ?? 0;
  const failed = summary && (code === 0 || summary.failed > 0) ? summary.failed : Math.max(1, summary?.failed ?? 0);
  console.log(`${passed} passed, ${failed} failed`);
  return !timedOut && code === 0 && summary && failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    cleanup().finally(() => process.exit(1));
  },
);
