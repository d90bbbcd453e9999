import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MarginaliaApi } from '../../src/extension/extension';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'concurrency');

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh folder holding copies of the named fixtures. */
function copyFixtures(...names: string[]): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
  for (const name of names) fs.copyFileSync(path.join(fixtures, name), path.join(folder, name));
  return folder;
}

/** A sidecar naming Lenin, with a description that tells versions apart. */
function sidecarText(description: string): string {
  return `people:\n  lenin:\n    name: Vladimir Lenin\n    aliases: [Lenin]\n    description: ${description}\nreferences:\n  - id: shub1953\n    title: Kropotkin and Lenin\n`;
}

async function hoverText(document: vscode.TextDocument, needle: string): Promise<string> {
  const offset = document.getText().indexOf(needle);
  assert.ok(offset >= 0, `${needle} not in ${document.uri.fsPath}`);
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[] | undefined>('vscode.executeHoverProvider', document.uri, document.positionAt(offset + 2))) ?? [];
  return hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
}

/** Waits until the card over `needle` says `expected`. */
async function hoverSays(document: vscode.TextDocument, needle: string, expected: string): Promise<string> {
  return waitFor(async () => {
    const text = await hoverText(document, needle);
    return text.includes(expected) ? text : undefined;
  }, `the hover over "${needle}" to say "${expected}"`);
}

function codesOf(uri: vscode.Uri): string[] {
  return vscode.languages.getDiagnostics(uri).map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));
}

async function api(): Promise<MarginaliaApi> {
  return (await vscode.extensions.getExtension('marginalia.marginalia')?.activate()) as MarginaliaApi;
}

/** Types at the end of the document, one edit per character, as a user would. */
async function typeAtEnd(editor: vscode.TextEditor, text: string): Promise<void> {
  for (const ch of text) {
    const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    assert.ok(await editor.edit((b) => b.insert(end, ch)));
  }
}

/**
 * Rewrites a sidecar until the text's hover shows the new version: a file
 * watcher starts a moment after it is created, so the first event on a new
 * folder may come before it listens.
 */
async function untilWatched(document: vscode.TextDocument, sidecar: string): Promise<void> {
  let round = 0;
  await waitFor(async () => {
    round++;
    fs.writeFileSync(sidecar, sidecarText(`Watched ${round}`));
    await pause(300);
    return (await hoverText(document, 'Lenin')).includes(`Watched ${round}`) ? true : undefined;
  }, 'the file watcher to report a change');
}

async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * A sidecar rewritten on disk in twelve pieces, 100 ms apart, as an export may
 * write it, while hovers ask for the text's index: no hover may show the
 * half-written file, and the text is indexed once it is whole. Open in an
 * editor, the sidecar is reloaded by VS Code at each piece.
 */
async function writtenInPieces(open: boolean): Promise<void> {
  const folder = copyFixtures('essay.annot.md');
  const sidecar = path.join(folder, 'essay.yaml');
  // Lenin first, Kropotkin last, hundreds of people between: a file read half-written has Lenin's new card and no Kropotkin.
  const people = Array.from({ length: 600 }, (_, k) => `  person${k}:\n    name: Person Number${k}\n    description: One of many.\n`).join('');
  const version = (description: string): string =>
    `people:\n  lenin:\n    name: Vladimir Lenin\n    aliases: [Lenin]\n    description: ${description}\n${people}  kropotkin:\n    name: Peter Kropotkin\n    aliases: [Kropotkin]\n    description: ${description}\nreferences:\n  - id: shub1953\n    title: Kropotkin and Lenin\n`;
  fs.writeFileSync(sidecar, version('Before the export'));
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'essay.annot.md')));
  await vscode.window.showTextDocument(document);
  await hoverSays(document, 'Kropotkin', 'Before the export');
  await untilWatched(document, sidecar);
  fs.writeFileSync(sidecar, version('Before the export'));
  await hoverSays(document, 'Kropotkin', 'Before the export');
  if (open) {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(sidecar)), vscode.ViewColumn.Beside);
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  }
  await pause(1000);

  const sidecarUri = vscode.Uri.file(sidecar);
  const seen = { sidecarCodes: new Set<string>(), textCodes: new Set<string>(), halfRead: [] as string[] };
  let writing = true;
  // Hovers ask for the index as a user's would, so a change taken in before the file is whole would be read at once.
  const watching = (async () => {
    while (writing) {
      for (const code of codesOf(sidecarUri)) seen.sidecarCodes.add(code);
      for (const code of codesOf(document.uri)) seen.textCodes.add(code);
      const lenin = await hoverText(document, 'Lenin');
      const kropotkin = await hoverText(document, 'Kropotkin');
      if (writing && (!lenin.includes('Before the export') || !kropotkin.includes('Before the export'))) seen.halfRead.push(`${lenin} | ${kropotkin}`);
      await pause(20);
    }
  })();
  const buildsBefore = (await api()).indexStats().fullBuilds;
  const next = version('After the export');
  const pieces = 12;
  const size = Math.ceil(next.length / pieces);
  for (let k = 0; k < pieces; k++) {
    const piece = next.slice(k * size, (k + 1) * size);
    if (k === 0) fs.writeFileSync(sidecar, piece);
    else fs.appendFileSync(sidecar, piece);
    await pause(100);
  }
  writing = false;
  await watching;
  await hoverSays(document, 'Kropotkin', 'After the export');
  await hoverSays(document, 'Lenin', 'After the export');

  assert.deepStrictEqual(seen.halfRead, []);
  assert.deepStrictEqual([...seen.sidecarCodes], []);
  assert.deepStrictEqual([...seen.textCodes], []);
  assert.ok((await api()).indexStats().fullBuilds - buildsBefore <= 2, `built ${(await api()).indexStats().fullBuilds - buildsBefore} times`);
  assert.deepStrictEqual(codesOf(sidecarUri), []);
  if (open) assert.strictEqual(vscode.workspace.textDocuments.find((d) => d.uri.fsPath === sidecar)?.getText(), next);
}

describe('concurrency', () => {
  before(async () => {
    await api();
  });
  afterEach(closeAll);

  it('follows a sidecar edited, renamed, deleted and recreated on disk while its text is being edited', async () => {
    const folder = copyFixtures('essay.annot.md');
    const sidecar = path.join(folder, 'essay.yaml');
    fs.writeFileSync(sidecar, sidecarText('First version'));
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'essay.annot.md')));
    const editor = await vscode.window.showTextDocument(document);
    const original = document.getText();
    await hoverSays(document, 'Lenin', 'First version');
    await untilWatched(document, sidecar);

    // Edited on disk while the user types.
    const typing = typeAtEnd(editor, '\nMore about Lenin.');
    fs.writeFileSync(sidecar, sidecarText('Second version'));
    await typing;
    await hoverSays(document, 'Lenin', 'Second version');
    assert.strictEqual(document.getText(), `${original}\nMore about Lenin.`);

    // Renamed away: the text has no sidecar any more, and says so.
    const typingMore = typeAtEnd(editor, ' And [[lenin]].');
    fs.renameSync(sidecar, path.join(folder, 'renamed.yaml'));
    await typingMore;
    await waitFor(() => (codesOf(document.uri).includes('no-sidecar') && codesOf(document.uri).includes('unknown-person') ? true : undefined), 'no-sidecar after the rename');
    assert.ok(!(await hoverText(document, 'Lenin')).includes('Second version'));

    // Recreated under its name: it serves again.
    fs.writeFileSync(sidecar, sidecarText('Third version'));
    await hoverSays(document, 'Lenin', 'Third version');
    await waitFor(() => (codesOf(document.uri).length === 0 ? true : undefined), 'the diagnostics to clear');

    // Deleted, then recreated at once, as a checkout does.
    fs.rmSync(sidecar);
    fs.writeFileSync(sidecar, sidecarText('Fourth version'));
    await hoverSays(document, 'Lenin', 'Fourth version');
    assert.strictEqual(document.getText(), `${original}\nMore about Lenin. And [[lenin]].`);

    // The typed text survives an undo of the last edit only.
    await vscode.commands.executeCommand('undo');
    assert.ok(document.getText().startsWith(`${original}\nMore about Lenin.`));
    assert.notStrictEqual(document.getText(), `${original}\nMore about Lenin. And [[lenin]].`);
  });

  it('keeps two texts that share one sidecar in step with edits to it', async () => {
    const folder = copyFixtures('shared-a.annot.md', 'shared-b.annot.md');
    const sidecarPath = path.join(folder, 'shared.yaml');
    fs.writeFileSync(sidecarPath, sidecarText('Shared description'));
    const a = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'shared-a.annot.md')));
    const b = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'shared-b.annot.md')));
    await hoverSays(a, 'Lenin', 'Shared description');
    await hoverSays(b, 'Lenin', 'Shared description');

    // An unsaved edit in the sidecar's editor reaches both texts.
    const sidecar = await vscode.workspace.openTextDocument(vscode.Uri.file(sidecarPath));
    const sidecarEditor = await vscode.window.showTextDocument(sidecar);
    const line = sidecar.getText().split('\n').findIndex((l) => l.includes('description:'));
    assert.ok(await sidecarEditor.edit((e) => e.replace(sidecar.lineAt(line).range, '    description: Edited in the editor')));
    await hoverSays(a, 'Lenin', 'Edited in the editor');
    await hoverSays(b, 'Lenin', 'Edited in the editor');

    // A problem in the shared sidecar is listed once, though both texts report it.
    assert.ok(await sidecarEditor.edit((e) => e.insert(new vscode.Position(1, 0), '  nameless:\n    born: 1900\n')));
    await waitFor(() => (codesOf(sidecar.uri).includes('person-without-name') ? true : undefined), 'the person-without-name diagnostic');
    assert.deepStrictEqual(codesOf(sidecar.uri), ['person-without-name']);

    await vscode.commands.executeCommand('undo');
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(sidecar.getText(), sidecarText('Shared description'));
    await waitFor(() => (codesOf(sidecar.uri).length === 0 ? true : undefined), 'the diagnostic to clear after undo');
    await hoverSays(a, 'Lenin', 'Shared description');
    await hoverSays(b, 'Lenin', 'Shared description');
  });

  it('settles on the last version after a burst of write-then-rename saves', async () => {
    const folder = copyFixtures('essay.annot.md');
    const sidecar = path.join(folder, 'essay.yaml');
    fs.writeFileSync(sidecar, sidecarText('Before the burst'));
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'essay.annot.md')));
    await vscode.window.showTextDocument(document);
    await hoverSays(document, 'Lenin', 'Before the burst');
    await untilWatched(document, sidecar);

    // Better BibTeX and many editors save by writing a temporary file and renaming it over the old one.
    for (let i = 1; i <= 30; i++) {
      fs.writeFileSync(`${sidecar}.tmp`, sidecarText(`Burst ${i}`));
      fs.renameSync(`${sidecar}.tmp`, sidecar);
      if (i % 10 === 0) await pause(20);
    }
    // A broken write in the middle of the burst, then a good one: only the last counts.
    fs.writeFileSync(sidecar, 'people:\n  lenin: [\n');
    fs.writeFileSync(`${sidecar}.tmp`, sidecarText('After the burst'));
    fs.renameSync(`${sidecar}.tmp`, sidecar);

    await hoverSays(document, 'Lenin', 'After the burst');
    const index = await (await api()).index(document.uri);
    assert.deepStrictEqual(index.diagnostics, []);
    assert.ok(index.mentions.some((m) => m.person === 'lenin'));
    await waitFor(() => (codesOf(vscode.Uri.file(sidecar)).length === 0 ? true : undefined), 'no diagnostics on the sidecar');
    assert.ok(!fs.existsSync(`${sidecar}.tmp`));
  });

  it('reads a closed sidecar written on disk in pieces once, when it is whole', async function () {
    this.timeout(60000);
    await writtenInPieces(false);
  });

  it('reads an open sidecar that VS Code reloads as it is written on disk in pieces once, when it is whole', async function () {
    this.timeout(60000);
    await writtenInPieces(true);
  });

  it('keeps serving the last good sidecar when it is overwritten with binary data, and recovers', async () => {
    const folder = copyFixtures('essay.annot.md');
    const sidecar = path.join(folder, 'essay.yaml');
    fs.writeFileSync(sidecar, sidecarText('Good before binary'));
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'essay.annot.md')));
    await vscode.window.showTextDocument(document);
    await untilWatched(document, sidecar);
    fs.writeFileSync(sidecar, sidecarText('Good before binary'));
    await hoverSays(document, 'Lenin', 'Good before binary');

    fs.copyFileSync(path.join(projectRoot, 'test', 'fixtures', 'hostile', 'binary-sidecar.yaml'), sidecar);
    const sidecarUri = vscode.Uri.file(sidecar);
    await waitFor(() => (codesOf(sidecarUri).includes('unreadable-file') ? true : undefined), 'unreadable-file on the binary sidecar');
    assert.deepStrictEqual(codesOf(sidecarUri), ['unreadable-file', 'stale-sidecar']);
    await hoverSays(document, 'Lenin', 'Good before binary');

    fs.writeFileSync(sidecar, sidecarText('Good after binary'));
    await hoverSays(document, 'Lenin', 'Good after binary');
    await waitFor(() => (codesOf(sidecarUri).length === 0 ? true : undefined), 'the sidecar diagnostics to clear');
  });
});
