import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { IndexJson } from '../../src/core';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'commands');
const examples = path.join(projectRoot, 'examples');

interface Api {
  readonly index: (uri: vscode.Uri) => Promise<IndexJson>;
}

async function api(): Promise<Api> {
  const extension = vscode.extensions.getExtension('marginalia.marginalia');
  assert.ok(extension, 'extension not found');
  return (await extension.activate()) as Api;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Copies files into a fresh temp folder, so no test ever changes the tree. */
function copyToTemp(files: readonly string[]): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
  for (const file of files) fs.copyFileSync(file, path.join(folder, path.basename(file)));
  return folder;
}

function copyExample(): string {
  return copyToTemp([path.join(examples, 'kropotkin-meets-lenin.annot.md'), path.join(examples, 'kropotkin-meets-lenin.yaml')]);
}

async function openEditor(file: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  return vscode.window.showTextDocument(document, { preview: false });
}

/** The offset `delta` characters into the first occurrence of `needle`. */
function offsetOf(document: vscode.TextDocument, needle: string, delta = 0): number {
  const at = document.getText().indexOf(needle);
  assert.ok(at >= 0, `"${needle}" not in ${document.uri.fsPath}`);
  return at + delta;
}

function placeCursor(editor: vscode.TextEditor, offset: number): void {
  const position = editor.document.positionAt(offset);
  editor.selection = new vscode.Selection(position, position);
}

function select(editor: vscode.TextEditor, needle: string): { start: number; end: number } {
  const start = offsetOf(editor.document, needle);
  editor.selection = new vscode.Selection(editor.document.positionAt(start), editor.document.positionAt(start + needle.length));
  return { start, end: start + needle.length };
}

/** Undo from the text's own editor, and check it is back as it was. */
async function undoTo(editor: vscode.TextEditor, original: string): Promise<void> {
  await vscode.window.showTextDocument(editor.document, { preview: false });
  await vscode.commands.executeCommand('undo');
  await waitFor('undo', () => editor.document.getText() === original);
  assert.strictEqual(editor.document.getText(), original);
}

function insertAt(text: string, offset: number, inserted: string): string {
  return text.slice(0, offset) + inserted + text.slice(offset);
}

describe('commands', function () {
  this.timeout(30000);

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  describe('marginalia.insertCitation', () => {
    const example = path.join('kropotkin-meets-lenin.annot.md');

    it('inserts one key with a locator at the cursor, and undo restores the text', async () => {
      const editor = await openEditor(path.join(copyExample(), example));
      const original = editor.document.getText();
      const at = offsetOf(editor.document, ' settled nothing');
      placeCursor(editor, at);
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.insertCitation', { keys: ['shub1953'], locator: 'p. 229' }), true);
      assert.strictEqual(editor.document.getText(), insertAt(original, at, '[@shub1953, p. 229]'));
      assert.strictEqual(editor.document.offsetAt(editor.selection.active), at + '[@shub1953, p. 229]'.length, 'cursor after the citation');
      await undoTo(editor, original);
    });

    it('cites two keys together, replacing the selection', async () => {
      const editor = await openEditor(path.join(copyExample(), example));
      const original = editor.document.getText();
      const selected = select(editor, 'settled nothing');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.insertCitation', { keys: ['shub1953', 'woodcock1950'] }), true);
      assert.strictEqual(editor.document.getText(), original.slice(0, selected.start) + '[@shub1953; @woodcock1950]' + original.slice(selected.end));
      await undoTo(editor, original);
    });

    it('adds to the bracketed citation the cursor is in', async () => {
      const editor = await openEditor(path.join(copyExample(), example));
      const original = editor.document.getText();
      const existing = offsetOf(editor.document, 'civil war [@shub1953]', 'civil war '.length);
      placeCursor(editor, existing + 4);
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.insertCitation', { keys: ['woodcock1950'] }), true);
      assert.strictEqual(editor.document.getText(), original.slice(0, existing) + '[@shub1953; @woodcock1950]' + original.slice(existing + '[@shub1953]'.length));
      await undoTo(editor, original);
    });

    it('changes nothing for an unknown key', async () => {
      const editor = await openEditor(path.join(copyExample(), example));
      const original = editor.document.getText();
      const version = editor.document.version;
      placeCursor(editor, offsetOf(editor.document, ' settled nothing'));
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.insertCitation', { keys: ['shub1953', 'nobody2000'] }), false);
      assert.strictEqual(editor.document.getText(), original);
      assert.strictEqual(editor.document.version, version);
    });
  });

  describe('marginalia.insertFootnote', () => {
    it('inserts the next number and its definition at the end, and puts the cursor on the definition', async () => {
      const folder = copyToTemp([path.join(fixtures, 'two-footnotes.annot.md'), path.join(fixtures, 'two-footnotes.yaml')]);
      const editor = await openEditor(path.join(folder, 'two-footnotes.annot.md'));
      const original = editor.document.getText();
      const at = offsetOf(editor.document, 'source.', 'source.'.length);
      placeCursor(editor, at);
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.insertFootnote'), true);
      const expected = insertAt(original, at, '[^3]').replace(/\n*$/, '\n\n[^3]: \n');
      assert.strictEqual(editor.document.getText(), expected);
      const cursor = editor.selection.active;
      assert.ok(editor.selection.isEmpty);
      assert.strictEqual(editor.document.lineAt(cursor.line).text, '[^3]: ');
      assert.strictEqual(cursor.character, '[^3]: '.length);
      await undoTo(editor, original);
    });
  });

  describe('marginalia.annotatePerson', () => {
    it('wraps the selection as a mention of an existing person, and undo restores it', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const original = editor.document.getText();
      const selected = select(editor, 'the man who arranged it');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'bonch-bruevich' }), true);
      assert.strictEqual(editor.document.getText(), original.slice(0, selected.start) + '[[bonch-bruevich|the man who arranged it]]' + original.slice(selected.end));
      await undoTo(editor, original);
    });

    it('leaves a selection that is already the name of the person', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const original = editor.document.getText();
      const version = editor.document.version;
      select(editor, 'Vladimir Lenin');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'lenin' }), false);
      assert.strictEqual(editor.document.getText(), original);
      assert.strictEqual(editor.document.version, version);
    });

    it('accepts one line break: a wrapped name stays as it is, other text becomes a one-line mention', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const original = editor.document.getText();
      select(editor, 'Vladimir\nBonch-Bruevich');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'bonch-bruevich' }), false);
      assert.strictEqual(editor.document.getText(), original, 'a name wrapped over two lines is already a mention');

      const selected = select(editor, 'the\nold anarchist');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'kropotkin' }), true);
      assert.strictEqual(editor.document.getText(), original.slice(0, selected.start) + '[[kropotkin|the old anarchist]]' + original.slice(selected.end));
      await undoTo(editor, original);
    });

    it('refuses a selection across paragraphs or inside an existing mention', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const original = editor.document.getText();
      select(editor, 'between them.[^1]\n\n## An exile');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'lenin' }), false);
      assert.strictEqual(editor.document.getText(), original);
      select(editor, 'Bolshevik leader]]');
      const inside = editor.selection;
      editor.selection = new vscode.Selection(inside.start, inside.end.translate(0, -2));
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'lenin' }), false);
      assert.strictEqual(editor.document.getText(), original);
    });

    it('adds a new person to the sidecar, keeping its comments, and wraps the text', async () => {
      const folder = copyToTemp([path.join(fixtures, 'new-person.annot.md'), path.join(fixtures, 'new-person.yaml')]);
      const sidecarFile = path.join(folder, 'new-person.yaml');
      const editor = await openEditor(path.join(folder, 'new-person.annot.md'));
      const original = editor.document.getText();
      const selected = select(editor, 'The commissar');
      const result = await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'lunacharsky', name: 'Anatoly Lunacharsky' });
      assert.strictEqual(result, true);
      assert.strictEqual(editor.document.getText(), original.slice(0, selected.start) + '[[lunacharsky|The commissar]]' + original.slice(selected.end));

      const onDisk = fs.readFileSync(sidecarFile, 'utf8');
      assert.ok(onDisk.includes('  lunacharsky:\n    name: Anatoly Lunacharsky\n'), onDisk);
      assert.ok(onDisk.includes('# People of the Dmitrov letters.'), 'the file comment is kept');
      assert.ok(onDisk.includes('  # The subject of every letter below.'), 'the comment inside people is kept');

      // The text's index learns the new person: the explicit mention and the name in running text.
      const { index } = await api();
      await waitFor('the new person in the index', async () => {
        const json = await index(editor.document.uri);
        return json.mentions.filter((m) => m.person === 'lunacharsky').length === 2 && !json.diagnostics.some((d) => d.code === 'unknown-person');
      });

      await undoTo(editor, original);
      assert.ok(fs.readFileSync(sidecarFile, 'utf8').includes('lunacharsky:'), 'undo in the text leaves the sidecar alone');
    });

    it('adds a new person named by the selection without changing the text', async () => {
      const folder = copyToTemp([path.join(fixtures, 'new-person.annot.md'), path.join(fixtures, 'new-person.yaml')]);
      const editor = await openEditor(path.join(folder, 'new-person.annot.md'));
      const original = editor.document.getText();
      select(editor, 'Maxim Gorky');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'gorky', name: 'Maxim Gorky' }), true);
      assert.strictEqual(editor.document.getText(), original, 'the name is already an implicit mention');
      assert.ok(fs.readFileSync(path.join(folder, 'new-person.yaml'), 'utf8').includes('  gorky:\n    name: Maxim Gorky\n'));
      const { index } = await api();
      await waitFor('an implicit mention of the new person', async () => (await index(editor.document.uri)).mentions.some((m) => m.person === 'gorky' && !m.explicit));
    });

    it('refuses an unknown key without a name', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const original = editor.document.getText();
      select(editor, 'the man who arranged it');
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'nobody' }), false);
      assert.strictEqual(editor.document.getText(), original);
    });
  });

  describe('marginalia.openSidecar', () => {
    it('creates <stem>.yaml from the template for a text without one, opens it, and it has no errors', async () => {
      const folder = copyToTemp([path.join(fixtures, 'no-sidecar.annot.md')]);
      const text = vscode.Uri.file(path.join(folder, 'no-sidecar.annot.md'));
      const sidecar = path.join(folder, 'no-sidecar.yaml');
      await openEditor(text.fsPath);
      assert.strictEqual(fs.existsSync(sidecar), false);
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.openSidecar'), true);
      assert.ok(fs.existsSync(sidecar), 'the sidecar was created');
      assert.strictEqual(vscode.window.activeTextEditor?.document.uri.fsPath, sidecar);
      assert.ok(fs.readFileSync(sidecar, 'utf8').includes('people:'));

      const { index } = await api();
      await waitFor('the index to read the new sidecar', async () => (await index(text)).sidecars.length === 1);
      const json = await index(text);
      assert.deepStrictEqual(json.diagnostics.filter((d) => d.severity === 'error'), []);
      assert.ok(!json.diagnostics.some((d) => d.code === 'no-sidecar'), 'no-sidecar is gone');
    });

    it('opens an existing sidecar without changing it', async () => {
      const folder = copyExample();
      const sidecar = path.join(folder, 'kropotkin-meets-lenin.yaml');
      const before = fs.readFileSync(sidecar, 'utf8');
      await openEditor(path.join(folder, 'kropotkin-meets-lenin.annot.md'));
      assert.strictEqual(await vscode.commands.executeCommand('marginalia.openSidecar'), true);
      assert.strictEqual(vscode.window.activeTextEditor?.document.uri.fsPath, sidecar);
      assert.strictEqual(vscode.window.activeTextEditor?.document.getText(), before);
      assert.strictEqual(fs.readFileSync(sidecar, 'utf8'), before);
    });
  });

  it('does nothing without an annotated text in the editor', async () => {
    const folder = copyExample();
    const sidecar = path.join(folder, 'kropotkin-meets-lenin.yaml');
    const editor = await openEditor(sidecar);
    const before = editor.document.getText();
    assert.strictEqual(await vscode.commands.executeCommand('marginalia.insertFootnote'), false);
    assert.strictEqual(await vscode.commands.executeCommand('marginalia.insertCitation', { keys: ['shub1953'] }), false);
    assert.strictEqual(await vscode.commands.executeCommand('marginalia.annotatePerson', { key: 'lenin' }), false);
    assert.strictEqual(await vscode.commands.executeCommand('marginalia.openSidecar'), false);
    assert.strictEqual(await vscode.commands.executeCommand('marginalia.openSidecar', editor.document.uri), false);
    assert.strictEqual(editor.document.getText(), before);
  });

  describe('while the document changes', () => {
    it('lands each insertion where the cursor is, however the edits interleave, and never corrupts the text', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const original = editor.document.getText();
      const anchor = 'settled nothing';
      placeCursor(editor, offsetOf(editor.document, anchor, anchor.length));
      // Start the commands and an edit of the user's without waiting in between: the extension host
      // runs them interleaved, so each command sees the text change under it.
      const typed = new vscode.WorkspaceEdit();
      typed.insert(editor.document.uri, new vscode.Position(0, 0), '<!-- typed first -->\n');
      const results = await Promise.all([
        vscode.commands.executeCommand<boolean>('marginalia.insertCitation', { keys: ['shub1953'] }),
        vscode.workspace.applyEdit(typed),
        vscode.commands.executeCommand<boolean>('marginalia.insertFootnote'),
      ]);
      const text = editor.document.getText();
      assert.ok(text.startsWith('<!-- typed first -->\n'), 'the user’s edit is kept');
      assert.strictEqual(results[1], true);
      // Each command either inserted exactly once at the cursor, or refused and changed nothing.
      const citations = text.split('[@shub1953]').length - 1 - (original.split('[@shub1953]').length - 1);
      assert.strictEqual(citations, results[0] ? 1 : 0, text.slice(0, 2000));
      if (results[0]) assert.ok(text.includes(`${anchor}[@shub1953]`) || text.includes(`${anchor}[^3][@shub1953]`) || text.includes(`${anchor}[@shub1953][^3]`), 'the citation follows the cursor');
      const notes = (text.match(/\[\^3\]/g) ?? []).length;
      assert.strictEqual(notes, results[2] ? 2 : 0, 'a footnote reference and its definition, or nothing');
      // Removing what was inserted, at the cursor and at the end, gives back the original text exactly.
      const at = text.indexOf(anchor) + anchor.length;
      let after = text.slice(at);
      for (const inserted of ['[@shub1953]', '[^3]', '[@shub1953]']) {
        if (after.startsWith(inserted) && (inserted === '[^3]' ? results[2] : results[0])) after = after.slice(inserted.length);
      }
      const restored = (text.slice(0, at) + after).replace('<!-- typed first -->\n', '').replace(/\n*\[\^3\]: *\n?$/, '\n');
      assert.strictEqual(restored.trimEnd(), original.trimEnd());
    });
  });
});
