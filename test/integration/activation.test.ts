import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'marginalia.marginalia';
const projectRoot = path.resolve(__dirname, '..', '..', '..');

describe('extension activation', () => {
  it('is found by its id and activates', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    await extension.activate();
    assert.strictEqual(extension.isActive, true);
  });

  it('exports the index API', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const api: unknown = await extension.activate();
    assert.strictEqual(typeof (api as { index?: unknown } | undefined)?.index, 'function');
  });

  it('opens the examples folder as the workspace', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.strictEqual(folders.length, 1);
    assert.strictEqual(folders[0].uri.scheme, 'file');
    assert.strictEqual(folders[0].uri.fsPath, path.join(projectRoot, 'examples'));
  });
});
