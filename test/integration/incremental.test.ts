import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MarginaliaApi } from '../../src/extension/extension';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

async function api(): Promise<MarginaliaApi> {
  return (await vscode.extensions.getExtension('marginalia.marginalia')?.activate()) as MarginaliaApi;
}

/** Edits at fixed places of the example text: typing, deleting, splitting paragraphs, notes, mentions, a code fence opened and closed. */
function editsFor(text: string): { at: number; remove: number; insert: string }[] {
  // Past the front matter: an edit there may name another sidecar, which needs a full parse.
  const body = text.indexOf('\n---\n', 3) + 5;
  const after = (needle: string): number => {
    const at = text.indexOf(needle, body);
    assert.ok(at >= 0, `"${needle}" is not in the example`);
    return at + needle.length;
  };
  const paragraph = after('In May');
  return [
    { at: paragraph + 5, remove: 0, insert: 'x' },
    { at: paragraph + 6, remove: 0, insert: 'y' },
    { at: paragraph + 5, remove: 2, insert: '' },
    { at: after('Kropotkin'), remove: 0, insert: ' and [[lenin]]' },
    { at: after('Kropotkin'), remove: 0, insert: '[^added]' },
    { at: text.length, remove: 0, insert: '\n\n[^added]: A note typed at the end.\n' },
    { at: after('Lenin'), remove: 0, insert: '\n\n' },
    { at: after('Lenin'), remove: 0, insert: '\n```\n' },
    { at: after('Lenin'), remove: 0, insert: '“A quotation” [@shub1953, p. 4]' },
  ];
}

describe('in-place re-indexing in the editor', () => {
  let folder: string;
  before(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-incremental-'));
    for (const name of ['kropotkin-meets-lenin.annot.md', 'kropotkin-meets-lenin.yaml']) fs.copyFileSync(path.join(projectRoot, 'examples', name), path.join(folder, name));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // VS Code may still be writing into the folder as its editors close: a removal that meets a new entry tries again.
    fs.rmSync(folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  it('applies single edits to the index in place, and the result equals a fresh parse after each', async () => {
    const marginalia = await api();
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'kropotkin-meets-lenin.annot.md')));
    const editor = await vscode.window.showTextDocument(document);
    await marginalia.index(document.uri);
    const before = marginalia.indexStats().inPlaceUpdates;
    const edits = editsFor(document.getText());
    for (const edit of edits) {
      const start = document.positionAt(edit.at);
      assert.ok(await editor.edit((b) => b.replace(new vscode.Range(start, document.positionAt(edit.at + edit.remove)), edit.insert)));
      const inPlace = await marginalia.index(document.uri);
      // The refresh command drops every index, so the next request parses the text afresh.
      await vscode.commands.executeCommand('marginalia.refreshAnnotations');
      const fresh = await marginalia.index(document.uri);
      assert.deepStrictEqual(inPlace, fresh, `after inserting ${JSON.stringify(edit.insert)} at ${edit.at}`);
    }
    const inPlaceUpdates = marginalia.indexStats().inPlaceUpdates - before;
    assert.strictEqual(inPlaceUpdates, edits.length, 'every edit was applied in place');
  });

  it("keeps applying edits in place while another text's sidecar changes, which that text sees", async () => {
    const marginalia = await api();
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-other-'));
    for (const name of ['kropotkin-meets-lenin.annot.md', 'kropotkin-meets-lenin.yaml']) fs.copyFileSync(path.join(projectRoot, 'examples', name), path.join(other, name));
    const otherText = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(other, 'kropotkin-meets-lenin.annot.md')));
    const otherSidecar = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(other, 'kropotkin-meets-lenin.yaml')));
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'kropotkin-meets-lenin.annot.md')));
      const editor = await vscode.window.showTextDocument(document);
      const unknownField = (index: { diagnostics: readonly { code: string }[] }): boolean => index.diagnostics.some((d) => d.code === 'unknown-field');
      assert.ok(!unknownField(await marginalia.index(otherText.uri)));
      await marginalia.index(document.uri);
      // An unsaved edit of the other sidecar counts at once, as a save would: the other text depends on it, this one does not.
      const field = otherSidecar.getText().indexOf('    name: Peter Kropotkin\n');
      assert.ok(field >= 0);
      const change = new vscode.WorkspaceEdit();
      change.insert(otherSidecar.uri, otherSidecar.positionAt(field), '    colour: red\n');
      assert.ok(await vscode.workspace.applyEdit(change));
      const { inPlaceUpdates } = marginalia.indexStats();
      assert.ok(await editor.edit((b) => b.insert(document.positionAt(document.getText().indexOf('In May') + 2), 'x')));
      const inPlace = await marginalia.index(document.uri);
      assert.strictEqual(marginalia.indexStats().inPlaceUpdates, inPlaceUpdates + 1, 'the edit was applied in place');
      assert.ok(unknownField(await marginalia.index(otherText.uri)), 'the other text was built again, with its changed sidecar');
      await vscode.commands.executeCommand('marginalia.refreshAnnotations');
      assert.deepStrictEqual(inPlace, await marginalia.index(document.uri));
    } finally {
      // The unsaved edit goes with the document: the folder is removed without asking to save it.
      await vscode.window.showTextDocument(otherSidecar);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('parses afresh when an edit changes the front matter, so a newly named sidecar counts', async () => {
    const marginalia = await api();
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'kropotkin-meets-lenin.annot.md')));
    const editor = await vscode.window.showTextDocument(document);
    await marginalia.index(document.uri);
    const { inPlaceUpdates } = marginalia.indexStats();
    assert.ok(await editor.edit((b) => b.insert(new vscode.Position(1, 0), 'sidecar: missing.yaml\n')));
    const index = await marginalia.index(document.uri);
    assert.ok(
      index.diagnostics.some((d) => d.code === 'missing-file'),
      'the sidecar named in the front matter is looked for',
    );
    assert.strictEqual(marginalia.indexStats().inPlaceUpdates, inPlaceUpdates, 'the edit was not applied in place');
  });
});
