// Browser end-to-end tests: Marginalia in the real VS Code workbench (code-server in
// headless Chromium), driven only with the keyboard and mouse, as a user would.
//
//   npm run test:e2e                      build, then run every test
//   node test/e2e/run.mjs [--grep TEXT]   run the tests whose name contains TEXT (after npm run build)
//   node test/e2e/run.mjs --update-media  also refresh media/screenshot-hover.png and screenshot-sidebar.png
//
// Screenshots of each step go to test-results/e2e/, with the cropped hover card and sidebar.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startDevelopmentServer } from '../../scripts/start.mjs';
import { projectRoot } from '../../scripts/vscode/ensure-code-server.mjs';
import { TIMEOUT, Workbench, unionBox } from './workbench.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1400, height: 900 };

const EXAMPLE = 'kropotkin-meets-lenin.annot.md';
const BROKEN = 'broken-sidecar.annot.md';
const resultsDir = path.join(projectRoot, 'test-results', 'e2e');
const fixturesDir = path.join(projectRoot, 'test', 'fixtures', 'e2e');

const { values: opts } = parseArgs({
  options: { grep: { type: 'string' }, 'keep-temp': { type: 'boolean', default: false }, 'update-media': { type: 'boolean', default: false } },
});

/**
 * Copies a cropped screenshot to media/ (committed, shown in the README) when it is missing
 * or when --update-media is given, so that an ordinary test run leaves the tree unchanged.
 */
function keepForReadme(screenshot, mediaName) {
  const target = path.join(projectRoot, 'media', mediaName);
  if (opts['update-media'] || !existsSync(target)) copyFileSync(path.join(resultsDir, screenshot), target);
}

/** @type {{ name: string, fn: (wb: Workbench) => Promise<void> }[]} */
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

/** Polls `read` until `accept` holds for its value; fails with the last value after `timeout`. */
async function waitFor(read, accept, message, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let value;
  for (;;) {
    value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${message}; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------

test('opens the example with Quick Open and shows a person card on hover', async (wb) => {
  await wb.openFile(EXAMPLE);
  await wb.page.locator('.statusbar-item', { hasText: 'Annotated Text' }).waitFor({ timeout: TIMEOUT });
  const line = 'Kropotkin and Vladimir Lenin settled nothing';
  const { hover, wordBox } = await wb.hoverWord('Kropotkin', line, 'Peter Kropotkin');
  const card = await hover.innerText();
  assert.match(card, /Peter Kropotkin/);
  assert.match(card, /1842/, 'the card shows the year of birth');
  assert.match(card, /1921/, 'the card shows the year of death');
  assert.match(card, /Russian geographer and theorist of anarchist communism/, 'the card shows the description');
  await wb.screenshot('1-hover-person');
  const hoverBox = await hover.boundingBox();
  await wb.screenshot('hover-card', unionBox([wordBox, hoverBox], 24, VIEWPORT));
  keepForReadme('hover-card.png', 'screenshot-hover.png');
});

test('shows the formatted reference when hovering a citation', async (wb) => {
  await wb.openFile(EXAMPLE);
  const { hover } = await wb.hoverWord('woodcock1950', 'Kerensky [@woodcock1950]', 'Anarchist Prince');
  const reference = await hover.innerText();
  assert.match(reference, /Woodcock/, 'the reference names the author');
  assert.match(reference, /The Anarchist Prince/, 'the reference gives the title');
  assert.match(reference, /1950/, 'the reference gives the year');
  await wb.screenshot('2-hover-citation');
  await wb.dismissHover();
});

test('colours citations and person mentions differently from plain text', async (wb) => {
  await wb.openFile(EXAMPLE);
  await wb.goToLine(19);
  const mentionLine = '[[kropotkin]] returned to Russia';
  const plain = await wb.tokenClass('returned to Russia', mentionLine);
  assert.ok(plain, 'plain text has a token class');
  // The heading is coloured once the grammar has tokenized the text; until then every span is alike.
  await waitFor(() => wb.tokenClass('The Anarchist and the Chairman', '# The Anarchist'), (heading) => heading !== plain, 'the grammar colours the heading');
  const mention = await wb.tokenClass('kropotkin', mentionLine);
  const citation = await wb.tokenClass('woodcock1950', 'Kerensky [@woodcock1950]');
  const plainOnCitationLine = await wb.tokenClass('Back in Russia', 'Back in Russia he declined');
  await wb.screenshot('3-grammar');
  assert.equal(plainOnCitationLine, plain, 'plain text is coloured alike on both lines');
  const alike = [
    ...(mention === plain ? [`the mention key in [[kropotkin]] (${mention})`] : []),
    ...(citation === plain ? [`the citation key in [@woodcock1950] (${citation})`] : []),
  ];
  assert.deepEqual(alike, [], `coloured like plain text (${plain}): ${alike.join(', ')}`);
});

test('lists footnotes, quotes and people in the Annotations sidebar and reveals a footnote', async (wb) => {
  await wb.openFile(EXAMPLE);
  await wb.goToLine(1);
  assert.equal((await wb.cursorPosition()).line, 1);
  await wb.page.locator('.activitybar').getByRole('tab', { name: /^Annotations/ }).click();
  const view = (title) =>
    wb.page.locator('.part.sidebar .pane').filter({ has: wb.page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`, 'i') }) });
  const footnotes = view('Footnotes');
  const quotes = view('Quotes');
  const people = view('People');
  const rowIn = (pane, text) => pane.locator('.monaco-list-row', { hasText: text }).first();
  await rowIn(footnotes, 'Dates after February').waitFor({ timeout: TIMEOUT });
  await rowIn(footnotes, 'Goldman’s figure').waitFor({ timeout: TIMEOUT });
  await rowIn(quotes, 'Is there really no one').waitFor({ timeout: TIMEOUT });
  await rowIn(people, 'Peter Kropotkin').waitFor({ timeout: TIMEOUT });
  await rowIn(people, 'Vladimir Lenin').waitFor({ timeout: TIMEOUT });
  // Off the activity bar, whose tooltip would otherwise cover the sidebar in the picture.
  await wb.page.mouse.move(VIEWPORT.width - 40, VIEWPORT.height / 2);
  await wb.page.locator('.monaco-hover, .workbench-hover').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  await wb.screenshot('4-sidebar');
  const sidebarBox = await wb.page.locator('.part.sidebar').boundingBox();
  await wb.screenshot('sidebar', { x: sidebarBox.x, y: sidebarBox.y, width: sidebarBox.width + 400, height: sidebarBox.height });
  keepForReadme('sidebar.png', 'screenshot-sidebar.png');

  // The first note is referenced on line 15 ("…between them.[^1]").
  await rowIn(footnotes, 'Dates after February').click();
  const cursor = await waitFor(() => wb.cursorPosition(), (p) => p.line === 15, 'the cursor moves to the footnote reference on line 15');
  assert.equal(cursor.line, 15);
  await wb.screenshot('4-sidebar-revealed');
});

test('inserts a citation found despite a typo, with a locator, and undoes it', async (wb) => {
  await wb.openFile(EXAMPLE);
  const lineText = 'mainly through the memoirs of the man who arranged it.';
  await wb.goToLine(12);
  await wb.page.keyboard.press('End');
  const before = await wb.visibleLines();
  assert.ok(before.some((l) => l.endsWith(lineText)), 'line 12 is on screen as written');

  await wb.runCommand('Marginalia: Insert Citation…');
  await wb.waitForNewQuickInput();
  await wb.page.keyboard.type('woodcok');
  const first = wb.quickInputRows.first();
  await waitFor(() => first.innerText().catch(() => ''), (text) => /Woodcock/.test(text), 'the first offer is Woodcock’s book');
  await wb.screenshot('5-insert-citation-search');
  // A multi-select pick shows checkboxes: tick the first row, then accept with Enter (OK).
  if (await wb.page.locator('.quick-input-widget.show-checkboxes').isVisible()) {
    await first.locator('.quick-input-list-checkbox, input[type=checkbox], [role=checkbox]').first().click();
    await wb.quickInput.getByText('1 Selected').waitFor({ timeout: TIMEOUT });
    // Enter would toggle the focused checkbox again; OK accepts the selection.
    await wb.quickInput.getByRole('button', { name: 'OK' }).click();
  } else {
    await wb.page.keyboard.press('Enter');
  }

  // The next input asks for the locator.
  await first.filter({ hasText: 'Woodcock' }).waitFor({ state: 'hidden', timeout: TIMEOUT });
  await wb.waitForNewQuickInput();
  await wb.page.keyboard.type('p. 229');
  await wb.screenshot('5-insert-citation-locator');
  await wb.page.keyboard.press('Enter');
  await wb.waitForQuickInputClosed();

  const inserted = /\[@woodcock1950, p\. 229\]/;
  const after = await waitFor(() => wb.visibleLines(), (lines) => lines.some((l) => l.includes('arranged it.') && inserted.test(l)), 'the citation appears after "arranged it."');
  assert.equal(after.length, before.length, 'no line was added');
  await wb.screenshot('5-insert-citation-done');

  await wb.activeEditor.locator('.view-lines').waitFor();
  await wb.page.keyboard.press('Control+Z');
  const undone = await waitFor(() => wb.visibleLines(), (lines) => JSON.stringify(lines) === JSON.stringify(before), 'undo restores the text');
  assert.ok(!undone.some((l) => inserted.test(l)));
});

test('shows a YAML error of a sidecar at its line in the Problems panel', async (wb) => {
  await wb.openFile(BROKEN);
  await wb.page.keyboard.press('Control+Shift+M');
  const panel = wb.page.locator('.markers-panel');
  await panel.waitFor({ state: 'visible', timeout: TIMEOUT });
  await panel.locator('.monaco-list-row', { hasText: 'broken-sidecar.yaml' }).first().waitFor({ timeout: TIMEOUT });
  // The parser stops at line 7, where `lenin:` follows the unclosed `[Kropotkin`.
  const error = panel.locator('.monaco-list-row', { hasText: /Flow sequence|YAML|yaml/ }).filter({ hasText: /\[Ln 7, Col \d+\]/ }).first();
  await error.waitFor({ timeout: TIMEOUT });
  assert.match(await error.innerText(), /\[Ln 7, Col 3\]/);
  await wb.screenshot('6-problems');
});

test('opens the Marginalia walkthrough', async (wb) => {
  await wb.runCommand('Welcome: Open Walkthrough...');
  await wb.waitForNewQuickInput();
  await wb.page.keyboard.type('Marginalia');
  const row = wb.quickInputRows.filter({ hasText: 'Get started with Marginalia' }).first();
  await row.waitFor({ timeout: TIMEOUT });
  await row.click();
  const page = wb.page.locator('.gettingStartedContainer');
  await page.getByText('Get started with Marginalia').first().waitFor({ timeout: TIMEOUT });
  await page.getByText('Hover a name').first().waitFor({ timeout: TIMEOUT });
  await page.getByText('Insert a citation').first().waitFor({ timeout: TIMEOUT });
  await wb.screenshot('7-walkthrough');
});

// ---------------------------------------------------------------------------------------

let server;
let browser;
let workspace;
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (workspace && !opts['keep-temp']) rmSync(workspace, { recursive: true, force: true });
  })();
  return cleaning;
}
process.on('exit', () => server?.killSync());
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping code-server and Chromium`);
    void cleanup().finally(() => process.exit(code));
  });
}

/** A scratch workspace: the example and the broken-sidecar fixture, so that examples/ stays untouched. */
function makeWorkspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'marginalia-e2e-'));
  cpSync(path.join(projectRoot, 'examples'), dir, { recursive: true });
  cpSync(path.join(fixturesDir, 'broken'), dir, { recursive: true });
  return dir;
}

async function main() {
  if (!existsSync(path.join(projectRoot, 'dist', 'extension.js'))) {
    console.error('dist/extension.js is missing: run npm run build first');
    return 2;
  }
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const browserLog = path.join(resultsDir, 'browser.log');
  writeFileSync(browserLog, '');

  workspace = makeWorkspace();
  server = await startDevelopmentServer({
    name: 'e2e',
    workspace,
    logFile: path.join(resultsDir, 'code-server.log'),
    // Minimap and breadcrumbs would only add noise to the screenshots.
    settings: { 'editor.minimap.enabled': false, 'breadcrumbs.enabled': false, 'workbench.colorTheme': 'Default Light Modern' },
  });
  console.log(`code-server ${server.url} (pid ${server.pid}), workspace ${workspace}`);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('console', (message) => writeFileSync(browserLog, `${message.type()}: ${message.text()}\n`, { flag: 'a' }));
  page.on('pageerror', (error) => writeFileSync(browserLog, `pageerror: ${error.stack ?? error.message}\n`, { flag: 'a' }));
  await page.goto(server.workbenchUrl, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  // The explorer lists the workspace once the remote file system answers.
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: EXAMPLE }).waitFor({ timeout: 60_000 });
  const wb = new Workbench(page, resultsDir);

  const selected = tests.filter((t) => !opts.grep || t.name.includes(opts.grep));
  let passed = 0;
  let failed = 0;
  for (const [i, { name, fn }] of selected.entries()) {
    const started = Date.now();
    try {
      await fn(wb);
      passed++;
      console.log(`  ✔ ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      console.log(`  ✘ ${name}`);
      console.log(`    ${String(error instanceof Error ? error.message : error).split('\n').join('\n    ')}`);
      await wb.screenshot(`failed-${i + 1}`).catch(() => {});
      // Leaves no widget open for the next test.
      for (let k = 0; k < 3; k++) await page.keyboard.press('Escape').catch(() => {});
    }
  }
  await cleanup();
  console.log(`\nscreenshots and logs: ${path.relative(projectRoot, resultsDir)}/`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && selected.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (error) => {
    console.error(error);
    await cleanup();
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
