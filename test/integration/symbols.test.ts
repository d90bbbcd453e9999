import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'editor');
const exampleText = vscode.Uri.file(path.join(projectRoot, 'examples', 'kropotkin-meets-lenin.annot.md'));

async function symbolsOf(uri: vscode.Uri): Promise<vscode.DocumentSymbol[]> {
  await vscode.workspace.openTextDocument(uri);
  return (await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>('vscode.executeDocumentSymbolProvider', uri)) ?? [];
}

/** The tree as nested names, `name > child > grandchild`. */
function outline(symbols: readonly vscode.DocumentSymbol[], prefix = ''): string[] {
  return symbols.flatMap((s) => [`${prefix}${s.name}`, ...outline(s.children, `${prefix}${s.name} > `)]);
}

describe('document symbols', () => {
  before(async () => {
    await vscode.extensions.getExtension('marginalia.marginalia')?.activate();
  });

  it('nests the example text’s headings by level, with its footnote definitions', async () => {
    const symbols = await symbolsOf(exampleText);
    assert.strictEqual(symbols.length, 1, outline(symbols).join('\n'));
    const [title] = symbols;
    assert.strictEqual(title.name, 'The Anarchist and the Chairman');
    assert.strictEqual(title.kind, vscode.SymbolKind.String);
    const sections = title.children.filter((s) => s.kind === vscode.SymbolKind.String).map((s) => s.name);
    assert.deepStrictEqual(sections, ['An exile comes home', 'A meeting arranged by Bonch-Bruevich', 'Letters from Dmitrov', 'Visitors from America', 'The funeral', 'Sources']);
    const sources = title.children.find((s) => s.name === 'Sources');
    assert.ok(sources);
    const notes = sources.children.filter((s) => s.kind === vscode.SymbolKind.Field);
    assert.deepStrictEqual(notes.map((s) => s.name), ['[^1]', '[^2]']);
    assert.ok(notes[0].detail.startsWith('Dates after February 1918'), notes[0].detail);
    assert.ok(notes[0].detail.endsWith('…'), 'the detail is the first words only');
  });

  it('gives each symbol a range that holds its selection, as breadcrumbs need', async () => {
    const document = await vscode.workspace.openTextDocument(exampleText);
    const symbols = await symbolsOf(exampleText);
    const all = (list: readonly vscode.DocumentSymbol[]): vscode.DocumentSymbol[] => list.flatMap((s) => [s, ...all(s.children)]);
    for (const symbol of all(symbols)) {
      assert.ok(symbol.range.contains(symbol.selectionRange), symbol.name);
      for (const child of symbol.children) assert.ok(symbol.range.contains(child.range), `${child.name} in ${symbol.name}`);
    }
    const funeral = all(symbols).find((s) => s.name === 'The funeral');
    assert.ok(funeral);
    // A setext heading: the selection covers the title and its underline.
    assert.strictEqual(document.lineAt(funeral.selectionRange.start.line).text, 'The funeral');
    const note = all(symbols).find((s) => s.name === '[^2]');
    assert.ok(note);
    assert.strictEqual(document.getText(note.selectionRange), '[^2]');
  });

  it('nests deeper levels and closes sections at the next heading of the same level', async () => {
    const symbols = await symbolsOf(vscode.Uri.file(path.join(fixtures, 'nested-headings.annot.md')));
    assert.deepStrictEqual(outline(symbols), [
      'Part One',
      'Part One > Chapter 1',
      'Part One > Chapter 1 > Section 1.1',
      'Part One > Chapter 2',
      'Part Two',
      'Part Two > [^a]',
      'Part Two > [^b]',
    ]);
  });

  it('follows each edit, typed in place or not, however often it is asked for one version', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
    const uri = vscode.Uri.file(path.join(folder, 'edited.annot.md'));
    fs.copyFileSync(path.join(fixtures, 'nested-headings.annot.md'), uri.fsPath);
    const document = await vscode.workspace.openTextDocument(uri);
    const first = await symbolsOf(uri);
    assert.strictEqual((await symbolsOf(uri))[0]?.name, 'Part One');
    assert.deepStrictEqual(outline(await symbolsOf(uri)), outline(first));
    // One character typed into a heading: an edit the index takes in place.
    const typed = new vscode.WorkspaceEdit();
    typed.insert(uri, document.positionAt(document.getText().indexOf('Part One') + 'Part One'.length), '!');
    assert.ok(await vscode.workspace.applyEdit(typed));
    assert.strictEqual((await symbolsOf(uri))[0]?.name, 'Part One!');
    const pasted = new vscode.WorkspaceEdit();
    pasted.insert(uri, new vscode.Position(0, 0), '# Preface\n\n');
    assert.ok(await vscode.workspace.applyEdit(pasted));
    assert.deepStrictEqual(outline(await symbolsOf(uri)).slice(0, 2), ['Preface', 'Part One!']);
  });

  it('returns no symbols for an empty document', async () => {
    assert.deepStrictEqual(await symbolsOf(vscode.Uri.file(path.join(fixtures, 'empty.annot.md'))), []);
  });
});
