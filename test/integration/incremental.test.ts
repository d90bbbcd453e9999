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
    fs.rmSync(folder, { recursive: true, force: true });
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
