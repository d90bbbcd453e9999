import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/navigation');

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The position `offset` characters into the first occurrence of `needle`. */
function positionOf(document: vscode.TextDocument, needle: string, offset = 0): vscode.Position {
  const at = document.getText().indexOf(needle);
  assert.ok(at >= 0, `"${needle}" not in ${document.uri.fsPath}`);
  return document.positionAt(at + offset);
}

interface SharedTexts {
  first: vscode.TextDocument;
  second: vscode.TextDocument;
  sidecar: vscode.TextDocument;
  library: vscode.TextDocument;
  /** The texts as copied, to compare after undo. */
  original: Map<vscode.TextDocument, string>;
}

/** A fresh temp copy of the two texts sharing `shared.yaml`, all four files open. */
async function openSharedTexts(): Promise<SharedTexts> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
  fs.cpSync(path.join(fixtures, 'shared-sidecar'), folder, { recursive: true });
  const openFile = (name: string): Thenable<vscode.TextDocument> => vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, name)));
  const sidecar = await openFile('shared.yaml');
  const library = await openFile('library.json');
  const second = await openFile('second.annot.md');
  const first = await openFile('first.annot.md');
  await vscode.window.showTextDocument(first);
  const original = new Map([first, second, sidecar, library].map((d) => [d, d.getText()]));
  return { first, second, sidecar, library, original };
}

async function renameEdit(document: vscode.TextDocument, position: vscode.Position, newName: string): Promise<vscode.WorkspaceEdit> {
  const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit | undefined>('vscode.executeDocumentRenameProvider', document.uri, position, newName);
  assert.ok(edit, 'no rename edit');
  return edit;
}

async function rename(document: vscode.TextDocument, position: vscode.Position, newName: string): Promise<void> {
  assert.strictEqual(await vscode.workspace.applyEdit(await renameEdit(document, position, newName)), true, 'the edit was not applied');
}

/** Undoes the last edit in each document, from its own editor, and checks it is back as copied. */
async function undoEach(texts: SharedTexts, documents: readonly vscode.TextDocument[]): Promise<void> {
  for (const document of documents) {
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    const original = texts.original.get(document);
    await waitFor(`undo in ${path.basename(document.uri.fsPath)}`, () => document.getText() === original);
  }
}

async function assertRefused(promise: Thenable<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(Promise.resolve(promise), (error: unknown) => {
    assert.match(error instanceof Error ? error.message : String(error), message);
    return true;
  });
}

describe('rename', () => {
  before(async () => {
    await vscode.extensions.getExtension('marginalia.marginalia')?.activate();
  });

  describe('prepare', () => {
    it('offers the key of an explicit mention, with the key selected', async () => {
      const { first } = await openSharedTexts();
      const prepared = await vscode.commands.executeCommand<{ range: vscode.Range; placeholder: string }>('vscode.prepareRename', first.uri, positionOf(first, '[[lenin', 3));
      assert.strictEqual(prepared.placeholder, 'lenin');
      assert.strictEqual(first.getText(prepared.range), 'lenin');
    });

    it('offers the key behind an implicit mention, although the name is what is selected', async () => {
      const { first } = await openSharedTexts();
      const prepared = await vscode.commands.executeCommand<{ range: vscode.Range; placeholder: string }>('vscode.prepareRename', first.uri, positionOf(first, 'Kropotkin spoke', 2));
      assert.strictEqual(prepared.placeholder, 'kropotkin');
      assert.strictEqual(first.getText(prepared.range), 'Kropotkin');
    });

    it('refuses an inline note, an unknown key, plain text and an empty document', async () => {
      const { first } = await openSharedTexts();
      await assertRefused(vscode.commands.executeCommand('vscode.prepareRename', first.uri, positionOf(first, 'An inline note', 3)), /inline note/i);
      await assertRefused(vscode.commands.executeCommand('vscode.prepareRename', first.uri, positionOf(first, '[[nobody]]', 4)), /not defined/);
      await assertRefused(vscode.commands.executeCommand('vscode.prepareRename', first.uri, positionOf(first, '@nowhere2000', 4)), /not defined/);
      await assertRefused(vscode.commands.executeCommand('vscode.prepareRename', first.uri, positionOf(first, 'in Moscow', 4)), /Only a person key/);
      const empty = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(fixtures, 'empty.annot.md')));
      await assertRefused(vscode.commands.executeCommand('vscode.prepareRename', empty.uri, new vscode.Position(0, 0)), /Only a person key/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', empty.uri, new vscode.Position(0, 0), 'x'), /Only a person key/);
    });
  });

  describe('person keys', () => {
    it('renames the key in both texts and the sidecar, leaving names, comments and layout alone, and undoes per file', async () => {
      const texts = await openSharedTexts();
      const { first, second, sidecar } = texts;
      await rename(first, positionOf(first, '[[kropotkin]]', 4), 'peter');
      assert.strictEqual(first.lineAt(7).text, '[[peter]] met [[lenin|the chairman]] in Moscow. Kropotkin spoke first.[^talk]');
      assert.strictEqual(second.lineAt(5).text, 'Later [[peter|Peter]] wrote to Lenin [-@shub1953].[^talk]');
      assert.strictEqual(sidecar.getText(), texts.original.get(sidecar)?.replace('  kropotkin:   # the anarchist', '  peter:   # the anarchist'));
      await undoEach(texts, [first, second, sidecar]);
    });

    it('renames the key from an implicit mention, which keeps the name', async () => {
      const texts = await openSharedTexts();
      const { first, second, sidecar } = texts;
      await rename(first, positionOf(first, 'Kropotkin spoke', 2), 'pk');
      assert.ok(first.getText().includes('[[pk]] met'), first.getText());
      assert.ok(first.getText().includes('Moscow. Kropotkin spoke'));
      assert.ok(second.getText().includes('[[pk|Peter]]'));
      assert.ok(sidecar.getText().includes('\n  pk:   # the anarchist\n'));
      await undoEach(texts, [first, second, sidecar]);
    });

    it('refuses a key that already exists, and keys [[…]] cannot hold', async () => {
      const { first, original } = await openSharedTexts();
      const at = positionOf(first, '[[kropotkin]]', 4);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, at, 'lenin'), /already exists/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, at, 'peter kropotkin'), /spaces/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, at, 'a|b'), /cannot contain/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, positionOf(first, '[[nobody]]', 4), 'somebody'), /not defined/);
      assert.strictEqual(first.getText(), original.get(first));
    });

    it('refuses while the sidecar is broken, rather than guess where the key is written', async () => {
      const { first, sidecar } = await openSharedTexts();
      const at = positionOf(first, '[[kropotkin]]', 4);
      // Sanity check: the same rename is offered while the sidecar is sound.
      assert.ok(await renameEdit(first, at, 'peter'));
      const breakIt = new vscode.WorkspaceEdit();
      breakIt.insert(sidecar.uri, new vscode.Position(0, 0), 'people: [unclosed\n');
      assert.strictEqual(await vscode.workspace.applyEdit(breakIt), true);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, at, 'peter'), /has errors/);
    });
  });

  describe('from the sidecar', () => {
    it('renames a person key where the sidecar defines it, and in every text', async () => {
      const texts = await openSharedTexts();
      const { first, second, sidecar } = texts;
      const at = positionOf(sidecar, 'lenin:', 2);
      const prepared = await vscode.commands.executeCommand<{ range: vscode.Range; placeholder: string }>('vscode.prepareRename', sidecar.uri, at);
      assert.strictEqual(prepared.placeholder, 'lenin');
      assert.strictEqual(sidecar.getText(prepared.range), 'lenin');
      await rename(sidecar, at, 'ulyanov');
      assert.ok(first.getText().includes(' met [[ulyanov|the chairman]] in Moscow'));
      assert.ok(sidecar.getText().includes('\n  ulyanov:\n    name: Vladimir Lenin\n'));
      // The second text names Lenin only implicitly, by name, so it does not change.
      assert.strictEqual(second.getText(), texts.original.get(second));
      await undoEach(texts, [first, sidecar]);
    });

    it('renames a reference id in a CSL-JSON bibliography and its citations', async () => {
      const texts = await openSharedTexts();
      const { first, library } = texts;
      await rename(library, positionOf(library, 'woodcock1950', 2), 'woodcock:prince');
      assert.ok(first.getText().includes('and @woodcock:prince.^['));
      assert.ok(library.getText().includes('"id": "woodcock:prince"'));
      await undoEach(texts, [first, library]);
    });

    it('refuses an existing key, and a rename where no key is defined', async () => {
      const { sidecar } = await openSharedTexts();
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', sidecar.uri, positionOf(sidecar, 'lenin:', 2), 'kropotkin'), /already exists/);
      await assertRefused(vscode.commands.executeCommand('vscode.prepareRename', sidecar.uri, positionOf(sidecar, 'Vladimir Lenin', 3)), /only a person key or a reference id/);
    });
  });

  describe('citation keys', () => {
    it('renames every citation of a key in both texts and the reference id in the sidecar', async () => {
      const texts = await openSharedTexts();
      const { first, second, sidecar } = texts;
      await rename(first, positionOf(first, '@shub1953', 3), 'shub53');
      assert.strictEqual(first.lineAt(8).text, 'Shub tells it [@shub53, p. 228]; see also @{shub53} and @woodcock1950.^[An inline note.]');
      assert.strictEqual(second.lineAt(5).text, 'Later [[kropotkin|Peter]] wrote to Lenin [-@shub53].[^talk]');
      assert.ok(sidecar.getText().includes('  - id: shub53   # The Russian Review, 1953\n'));
      await undoEach(texts, [first, second, sidecar]);
    });

    it('writes a key with unusual characters in braces, and quotes it in the sidecar', async () => {
      const texts = await openSharedTexts();
      const { first, second, sidecar } = texts;
      await rename(second, positionOf(second, '@shub1953', 3), 'shub,1953');
      assert.strictEqual(first.lineAt(8).text, 'Shub tells it [@{shub,1953}, p. 228]; see also @{shub,1953} and @woodcock1950.^[An inline note.]');
      assert.strictEqual(second.lineAt(5).text, 'Later [[kropotkin|Peter]] wrote to Lenin [-@{shub,1953}].[^talk]');
      assert.ok(sidecar.getText().includes('  - id: "shub,1953"   # The Russian Review, 1953\n'));
      await undoEach(texts, [first, second, sidecar]);
    });

    it('renames an id defined in a CSL-JSON bibliography', async () => {
      const texts = await openSharedTexts();
      const { first, library } = texts;
      await rename(first, positionOf(first, '@woodcock1950', 3), 'woodcock1962');
      assert.ok(first.getText().includes('and @woodcock1962.^['));
      assert.strictEqual(library.getText(), texts.original.get(library)?.replace('"id": "woodcock1950"', '"id": "woodcock1962"'));
      await undoEach(texts, [first, library]);
    });

    it('refuses an id that already exists and a key with spaces', async () => {
      const { first } = await openSharedTexts();
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, positionOf(first, '@shub1953', 3), 'woodcock1950'), /already exists/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, positionOf(first, '@shub1953', 3), 'shub 1953'), /spaces/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, positionOf(first, '@nowhere2000', 3), 'somewhere'), /not defined/);
    });
  });

  describe('footnote labels', () => {
    it('renames the references and the definition in this text only, and undoes in one step', async () => {
      const texts = await openSharedTexts();
      const { first, second } = texts;
      const edit = await renameEdit(first, positionOf(first, '[^talk]', 3), 'bonch');
      assert.deepStrictEqual(
        edit.entries().map(([uri]) => uri.toString()),
        [first.uri.toString()],
      );
      assert.strictEqual(await vscode.workspace.applyEdit(edit), true);
      assert.strictEqual(first.lineAt(7).text, '[[kropotkin]] met [[lenin|the chairman]] in Moscow. Kropotkin spoke first.[^bonch]');
      assert.strictEqual(first.lineAt(10).text, '[[nobody]] cites @nowhere2000 here.[^bonch] A second note.[^other]');
      assert.strictEqual(first.lineAt(12).text, '[^bonch]: As Bonch-Bruevich remembered it.');
      assert.strictEqual(second.getText(), texts.original.get(second));
      await undoEach(texts, [first]);
    });

    it('renames from the definition label too', async () => {
      const texts = await openSharedTexts();
      const { first } = texts;
      await rename(first, positionOf(first, '[^other]:', 3), 'another');
      assert.ok(first.getText().includes('A second note.[^another]\n'));
      assert.ok(first.getText().includes('\n[^another]: Another note.\n'));
      await undoEach(texts, [first]);
    });

    it('refuses a label in use, a label with spaces, and inline notes', async () => {
      const { first } = await openSharedTexts();
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, positionOf(first, '[^talk]', 3), 'other'), /already exists/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, positionOf(first, '[^talk]', 3), 'a b'), /spaces/);
      await assertRefused(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', first.uri, positionOf(first, 'An inline note', 3), 'x'), /inline note/i);
    });
  });
});
