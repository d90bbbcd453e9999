import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'editor');

/** The position right after the `occurrence`-th match of `needle`. */
function after(document: vscode.TextDocument, needle: string, occurrence = 0): vscode.Position {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) {
    offset = document.getText().indexOf(needle, offset + 1);
    assert.ok(offset >= 0, `"${needle}" not found`);
  }
  return document.positionAt(offset + needle.length);
}

async function completions(document: vscode.TextDocument, position: vscode.Position, trigger?: string): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, position, trigger);
  return list.items;
}

function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

function find(items: readonly vscode.CompletionItem[], label: string): vscode.CompletionItem {
  const item = items.find((i) => labelOf(i) === label);
  assert.ok(item, `no completion "${label}" among ${items.map(labelOf).join(', ')}`);
  return item;
}

function documentationOf(item: vscode.CompletionItem): string {
  const doc = item.documentation ?? '';
  return typeof doc === 'string' ? doc : doc.value;
}

function insertTextOf(item: vscode.CompletionItem): string {
  const text = item.insertText ?? labelOf(item);
  return typeof text === 'string' ? text : text.value;
}

describe('completion', () => {
  let document: vscode.TextDocument;

  before(async () => {
    await vscode.extensions.getExtension('marginalia.marginalia')?.activate();
    document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(fixtures, 'completion.annot.md')));
  });

  it('offers citation keys after [@, with author–year, reference text and a filter text that finds authors and titles', async () => {
    const items = await completions(document, after(document, 'Cited by [@'), '@');
    const shub = find(items, 'shub1953');
    assert.strictEqual(shub.detail, 'Shub 1953');
    assert.ok(documentationOf(shub).includes('Kropotkin and Lenin'), documentationOf(shub));
    assert.ok(shub.filterText?.includes('Shub') && shub.filterText.includes('1953') && shub.filterText.includes('Kropotkin and Lenin'), shub.filterText);
    find(items, 'woodcock1950');
    assert.ok(!items.some((i) => labelOf(i) === 'kropotkin'), 'people are not offered as citations');
  });

  it('offers people keys after [[, closing the mention when nothing closes it', async () => {
    const items = await completions(document, after(document, 'A person: [['), '[');
    const kropotkin = find(items, 'kropotkin');
    assert.strictEqual(kropotkin.detail, 'Peter Kropotkin');
    assert.ok(documentationOf(kropotkin).includes('Anarchist geographer.'));
    assert.strictEqual(insertTextOf(kropotkin), 'kropotkin]]');
    assert.ok(!items.some((i) => labelOf(i) === 'shub1953'), 'references are not offered as people');
  });

  it('does not close a mention that is already closed, and replaces the typed part', async () => {
    const position = after(document, '[[ken');
    const items = await completions(document, position);
    const kenworthy = find(items, 'kenworthy');
    assert.strictEqual(insertTextOf(kenworthy), 'kenworthy');
    const range = kenworthy.range instanceof vscode.Range ? kenworthy.range : kenworthy.range?.replacing;
    assert.ok(range, 'the item replaces what was typed');
    assert.strictEqual(document.getText(range), 'ken');
  });

  it('offers defined footnote labels and the next free number after [^', async () => {
    const items = await completions(document, after(document, 'A note[^'), '^');
    const labels = items.map(labelOf).sort();
    assert.deepStrictEqual(labels, ['1', '2', 'draft']);
    assert.strictEqual(find(items, '1').detail, 'The first note, with several words in it.');
    assert.strictEqual(insertTextOf(find(items, '2')), '2]');
  });

  it('offers nothing in plain text', async () => {
    const items = await completions(document, after(document, '# Compl'));
    // VS Code's own word-based suggestions (kind Text, no detail) may list words of the document; ours always carry a detail.
    const ours = items.filter((i) => i.kind !== vscode.CompletionItemKind.Text && i.detail !== undefined);
    assert.deepStrictEqual(ours.filter((i) => ['shub1953', 'kropotkin', '1'].includes(labelOf(i))), []);
  });

  it('inserts the chosen key into the text, and undo takes it back', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
    for (const name of ['completion.annot.md', 'completion.yaml']) fs.copyFileSync(path.join(fixtures, name), path.join(folder, name));
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, 'completion.annot.md')));
    const original = editor.document.getText();
    const position = after(editor.document, 'A person: [[');
    const item = find(await completions(editor.document, position, '['), 'kropotkin');
    const range = item.range instanceof vscode.Range ? item.range : (item.range?.replacing ?? new vscode.Range(position, position));
    assert.ok(await editor.edit((e) => e.replace(range, insertTextOf(item))));
    assert.ok(editor.document.lineAt(position.line).text.startsWith('A person: [[kropotkin]] and an open one'), editor.document.lineAt(position.line).text);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(editor.document.getText(), original);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('offers no keys when there is no sidecar', async () => {
    const noSidecar = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(fixtures, 'no-sidecar.annot.md')));
    const items = await completions(noSidecar, after(noSidecar, '[@'), '@');
    assert.deepStrictEqual(items.filter((i) => labelOf(i) === 'shub1953'), []);
  });
});
