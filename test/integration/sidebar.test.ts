import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import * as vscode from 'vscode';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const exampleText = path.join(projectRoot, 'examples', 'kropotkin-meets-lenin.annot.md');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'sidebar');

interface PlainRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

interface Row {
  id: string | undefined;
  label: string;
  description: string;
  tooltip: string;
  iconId: string | undefined;
  contextValue: string | undefined;
  command: { command: string; arguments: [string, PlainRange] } | undefined;
  children: Row[];
}

interface SidebarItems {
  document: string | undefined;
  footnotes: Row[];
  quotes: Row[];
  people: Row[];
}

/** The subset of the extension's API these tests use: the index as `marginalia index --json` prints it. */
interface IndexJson {
  footnotes: { label: string; inline: boolean; text: string }[];
  quotes: { kind: 'block' | 'inline'; text: string }[];
  mentions: { person: string | null }[];
}

async function api(): Promise<{ index(uri: vscode.Uri): Promise<IndexJson> }> {
  const extension = vscode.extensions.getExtension('marginalia.marginalia');
  assert.ok(extension, 'the extension is not loaded');
  return (await extension.activate()) as { index(uri: vscode.Uri): Promise<IndexJson> };
}

async function sidebarItems(): Promise<SidebarItems> {
  return vscode.commands.executeCommand<SidebarItems>('marginalia.debug.sidebarItems');
}

/** Polls the views until `accept` holds, and fails with the last rows seen when it never does. */
async function waitForItems(accept: (items: SidebarItems) => boolean, what: string, timeoutMs = 5000): Promise<SidebarItems> {
  const deadline = Date.now() + timeoutMs;
  let items = await sidebarItems();
  while (!accept(items)) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last rows: ${JSON.stringify(items, null, 1).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    items = await sidebarItems();
  }
  return items;
}

async function showText(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document);
}

/** Waits until the views show `uri` and at least one footnote of it. */
function waitForText(uri: vscode.Uri): Promise<SidebarItems> {
  return waitForItems((items) => items.document === uri.toString() && items.footnotes.length > 0, `the rows of ${path.basename(uri.fsPath)}`);
}

/** A test that holds once two reads of the views in a row give the same rows. */
function settled(): (items: SidebarItems) => boolean {
  let last: SidebarItems | undefined;
  return (items) => {
    const same = last !== undefined && isDeepStrictEqual(items, last);
    last = items;
    return same;
  };
}

function isEmpty(items: SidebarItems): boolean {
  return items.document === undefined && items.footnotes.length === 0 && items.quotes.length === 0 && items.people.length === 0;
}

function footnoteRowLabel(note: { label: string; inline: boolean }): string {
  return note.inline ? '^[…]' : `[^${note.label}]`;
}

describe('sidebar', () => {
  const exampleUri = vscode.Uri.file(exampleText);

  before(async () => {
    await api();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('lists the footnotes of the active text, as the index has them', async () => {
    await showText(exampleUri);
    const items = await waitForText(exampleUri);
    const index = await (await api()).index(exampleUri);
    assert.deepStrictEqual(
      items.footnotes.map((row) => row.label),
      index.footnotes.map(footnoteRowLabel),
    );
    assert.deepStrictEqual(items.footnotes.map((row) => row.label), ['[^1]', '^[…]', '[^2]']);
    const first = items.footnotes[0];
    assert.strictEqual(first.contextValue, 'footnote');
    assert.strictEqual(first.iconId, 'note');
    assert.strictEqual(first.description, 'Dates after February 1918 are given in the…');
    assert.ok(first.tooltip.includes('New Style as well unless stated otherwise.'), first.tooltip);
    assert.strictEqual(first.command?.command, 'marginalia.revealRange');
    assert.ok(first.id?.startsWith(exampleUri.toString()), `id ${first.id}`);
    assert.strictEqual(new Set(items.footnotes.map((row) => row.id)).size, items.footnotes.length, 'ids are unique');
  });

  it('lists block quotes and the inline quotations at least as long as the setting', async () => {
    await showText(exampleUri);
    const items = await waitForText(exampleUri);
    const index = await (await api()).index(exampleUri);
    const minimum = vscode.workspace.getConfiguration('marginalia.sidebar').get<number>('minimumQuoteLength');
    assert.strictEqual(minimum, 12);
    const expected = index.quotes.filter((q) => q.kind === 'block' || q.text.length >= 12);
    assert.ok(expected.length < index.quotes.length, 'the example has short quotations to leave out');
    assert.deepStrictEqual(
      items.quotes.map((row) => row.tooltip),
      expected.map((q) => q.text),
    );
    const labels = items.quotes.map((row) => row.label);
    assert.ok(!labels.includes('Le Révolté') && !labels.includes('Н. Ленин'), `short quotations listed: ${labels.join(' | ')}`);
    const block = items.quotes.find((row) => row.label.startsWith('Is there really no one around you'));
    assert.ok(block, `no block quote in ${labels.join(' | ')}`);
    assert.strictEqual(block.description, '@kropotkin1970');
    assert.strictEqual(block.iconId, 'quote');
    assert.strictEqual(block.contextValue, 'quote');
    assert.strictEqual(items.quotes.find((row) => row.label === 'the summer had wrought a miracle in him')?.description, '@goldman1923');
  });

  it('follows the minimum quote length setting', async () => {
    await showText(exampleUri);
    await waitForText(exampleUri);
    const settings = vscode.workspace.getConfiguration('marginalia.sidebar');
    try {
      await settings.update('minimumQuoteLength', 0, vscode.ConfigurationTarget.Global);
      await waitForItems((items) => items.quotes.some((row) => row.label === 'Le Révolté'), 'the short quotation «Le Révolté»');
    } finally {
      await settings.update('minimumQuoteLength', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitForItems((items) => items.quotes.length > 0 && !items.quotes.some((row) => row.label === 'Le Révolté'), 'the short quotation to go again');
  });

  it('counts each person’s mentions as the index does', async () => {
    await showText(exampleUri);
    // A row's mentions are made only from the index the service holds: between a rebuild (the setting restored by
    // the test before) and the views catching up, a row has none, and the views refresh.
    const items = await waitForItems(
      (rows) => rows.document === exampleUri.toString() && rows.people.length > 0 && rows.people.every((row) => row.children.length > 0),
      'the people rows with their mentions',
    );
    const index = await (await api()).index(exampleUri);
    const counts = new Map<string, number>();
    for (const mention of index.mentions) if (mention.person !== null) counts.set(mention.person, (counts.get(mention.person) ?? 0) + 1);
    const kropotkin = counts.get('kropotkin') ?? 0;
    assert.ok(kropotkin > 1);

    const row = items.people.find((r) => r.label === 'Peter Kropotkin');
    assert.ok(row, `people: ${items.people.map((r) => r.label).join(', ')}`);
    assert.strictEqual(row.description, `${kropotkin} mentions`);
    assert.strictEqual(row.contextValue, 'person');
    assert.strictEqual(row.tooltip, 'Russian geographer and theorist of anarchist communism. (1842-12-09–1921-02-08)');
    assert.strictEqual(row.children.length, kropotkin);
    assert.ok(row.children.every((child) => child.contextValue === 'mention' && /^line \d+$/.test(child.description) && child.command?.command === 'marginalia.revealRange'));
    assert.strictEqual(items.people[0], row, 'the most mentioned person comes first');

    const persons = items.people.filter((r) => r.contextValue === 'person');
    assert.strictEqual(persons.length, counts.size);
    assert.strictEqual(persons.reduce((sum, r) => sum + r.children.length, 0), [...counts.values()].reduce((a, b) => a + b, 0));
  });

  it('reveals and selects a footnote’s first reference', async () => {
    const editor = await showText(exampleUri);
    const items = await waitForText(exampleUri);
    const second = items.footnotes.find((row) => row.label === '[^2]');
    assert.ok(second?.command);
    editor.selection = new vscode.Selection(0, 0, 0, 0);

    await vscode.commands.executeCommand(second.command.command, ...second.command.arguments);

    const active = vscode.window.activeTextEditor;
    assert.ok(active);
    assert.strictEqual(active.document.uri.toString(), exampleUri.toString());
    const { start, end } = second.command.arguments[1];
    assert.ok(active.selection.isEqual(new vscode.Selection(start.line, start.character, end.line, end.character)), `selection ${JSON.stringify(active.selection)}`);
    assert.strictEqual(active.document.getText(active.selection), '[^2]');
  });

  it('reveals a mention from a person’s child row', async () => {
    await showText(exampleUri);
    const items = await waitForText(exampleUri);
    const lenin = items.people.find((r) => r.label === 'Vladimir Lenin');
    const last = lenin?.children[lenin.children.length - 1];
    assert.ok(last?.command);
    await vscode.commands.executeCommand(last.command.command, ...last.command.arguments);
    const active = vscode.window.activeTextEditor;
    assert.ok(active);
    assert.match(active.document.getText(active.selection), /Lenin/);
    assert.strictEqual(active.selection.start.line + 1, Number(last.description.replace('line ', '')));
  });

  it('updates the footnotes after an edit, and again after undo', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
    for (const name of ['kropotkin-meets-lenin.annot.md', 'kropotkin-meets-lenin.yaml']) fs.copyFileSync(path.join(projectRoot, 'examples', name), path.join(folder, name));
    const uri = vscode.Uri.file(path.join(folder, 'kropotkin-meets-lenin.annot.md'));
    const editor = await showText(uri);
    const before = editor.document.getText();
    await waitForText(uri);

    const edit = new vscode.WorkspaceEdit();
    const firstLineEnd = editor.document.positionAt(before.indexOf('settled nothing,') + 'settled nothing,'.length);
    edit.insert(uri, firstLineEnd, '[^added]');
    edit.insert(uri, editor.document.positionAt(before.length), '\n[^added]: A note added while the view was open.\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(editor.document.getText().includes('settled nothing,[^added]'));
    assert.ok(editor.document.getText().endsWith('[^added]: A note added while the view was open.\n'));

    const updated = await waitForItems((items) => items.footnotes.some((row) => row.label === '[^added]'), 'the added footnote', 2000);
    const added = updated.footnotes.find((row) => row.label === '[^added]');
    assert.strictEqual(added?.description, 'A note added while the view was open.');
    assert.strictEqual(added.contextValue, 'footnote');
    assert.deepStrictEqual(added.command?.arguments[1].start, { line: firstLineEnd.line, character: firstLineEnd.character });

    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(editor.document.getText(), before);
    await waitForItems((items) => items.document === uri.toString() && items.footnotes.length === 3 && !items.footnotes.some((row) => row.label === '[^added]'), 'the footnote to go after undo', 2000);
  });

  it('warns of a footnote that is never defined', async () => {
    const uri = vscode.Uri.file(path.join(fixtures, 'undefined-footnote.annot.md'));
    await showText(uri);
    const items = await waitForText(uri);
    const missing = items.footnotes.find((row) => row.label === '[^missing]');
    assert.ok(missing, `footnotes: ${items.footnotes.map((r) => r.label).join(', ')}`);
    assert.strictEqual(missing.iconId, 'warning');
    assert.strictEqual(missing.contextValue, 'footnote-undefined');
    assert.strictEqual(missing.description, 'no definition');
    const defined = items.footnotes.find((row) => row.label === '[^letters]');
    assert.strictEqual(defined?.iconId, 'note');
    assert.strictEqual(defined.contextValue, 'footnote');
    assert.strictEqual(defined.description, 'On 4 March and on 21 December 1920.');
    assert.deepStrictEqual(items.quotes, []);
    assert.deepStrictEqual(items.people.map((r) => [r.label, r.description]), [['Peter Kropotkin', '1 mention'], ['Vladimir Lenin', '1 mention']]);
  });

  it('empties the views when every editor is closed', async () => {
    await showText(exampleUri);
    await waitForText(exampleUri);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForItems(isEmpty, 'empty views after closing every editor');
  });

  it('shows nothing for plain Markdown or an untitled editor', async () => {
    await showText(exampleUri);
    await waitForText(exampleUri);
    await showText(vscode.Uri.file(path.join(fixtures, 'plain-notes.md')));
    await waitForItems(isEmpty, 'empty views for a plain Markdown file');

    await showText(exampleUri);
    await waitForText(exampleUri);
    const untitled = await vscode.workspace.openTextDocument({ language: 'markdown', content: 'Kropotkin met Lenin.[^1]\n\n[^1]: A note.\n' });
    await vscode.window.showTextDocument(untitled);
    await waitForItems(isEmpty, 'empty views for an untitled editor');
    // Closing a dirty untitled editor would ask whether to save it.
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('follows the active editor between two texts', async () => {
    const other = vscode.Uri.file(path.join(fixtures, 'undefined-footnote.annot.md'));
    await showText(exampleUri);
    await waitForText(exampleUri);
    await showText(other);
    const items = await waitForText(other);
    assert.deepStrictEqual(items.footnotes.map((r) => r.label), ['[^letters]', '[^missing]']);
    assert.ok(items.footnotes.every((r) => r.command?.arguments[0] === other.toString()));
  });

  it('refreshes on command and keeps the rows', async () => {
    await showText(exampleUri);
    await waitForText(exampleUri);
    // The rows once the text's index has settled: the views may still be taking up an index built while an earlier test ran.
    const before = await waitForItems(settled(), 'the rows to settle');
    await vscode.commands.executeCommand('marginalia.refreshAnnotations');
    const after = await waitForItems(settled(), 'the rows to settle after the refresh');
    assert.strictEqual(after.document, exampleUri.toString());
    assert.deepStrictEqual(after.footnotes, before.footnotes);
    assert.deepStrictEqual(after.people, before.people);
  });
});
