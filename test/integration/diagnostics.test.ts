import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MarginaliaApi } from '../../src/extension/extension';
import { waitFor } from '../vscodeSupport';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'editor');

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'marginalia');
}

/** Our diagnostics on a file once one with `code` is there. */
function waitForCode(uri: vscode.Uri, code: string, timeoutMs?: number): Promise<vscode.Diagnostic[]> {
  return waitFor(
    () => {
      const list = ours(uri);
      return list.some((d) => d.code === code) ? list : undefined;
    },
    `a ${code} diagnostic on ${path.basename(uri.fsPath)}`,
    timeoutMs,
  );
}

/** Copies fixtures into a fresh folder, for tests that edit or close files. */
function copyFixtures(...names: string[]): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
  for (const name of names) fs.copyFileSync(path.join(fixtures, name), path.join(folder, name));
  return folder;
}

describe('diagnostics', () => {
  before(async () => {
    await vscode.extensions.getExtension('marginalia.marginalia')?.activate();
  });

  it('reports unknown keys on the text, with code, severity, source and range', async () => {
    const uri = vscode.Uri.file(path.join(fixtures, 'unknown-keys.annot.md'));
    const document = await vscode.workspace.openTextDocument(uri);
    const list = await waitForCode(uri, 'unknown-citation');
    const person = list.find((d) => d.code === 'unknown-person');
    assert.ok(person, JSON.stringify(list));
    assert.strictEqual(person.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(document.getText(person.range), 'nobody');
    const citation = list.find((d) => d.code === 'unknown-citation');
    assert.ok(citation);
    assert.strictEqual(document.getText(citation.range), 'nosuch2000');
    assert.ok(citation.message.includes('nosuch2000'), citation.message);
    // The known key and the known person raise nothing.
    assert.strictEqual(list.filter((d) => d.code === 'unknown-person' || d.code === 'unknown-citation').length, 2, JSON.stringify(list));
  });

  it('puts the sidecar’s own diagnostics on the sidecar', async () => {
    const text = vscode.Uri.file(path.join(fixtures, 'unknown-keys.annot.md'));
    await vscode.workspace.openTextDocument(text);
    const sidecar = vscode.Uri.file(path.join(fixtures, 'unknown-keys.yaml'));
    const list = await waitForCode(sidecar, 'shared-alias');
    const shared = list.find((d) => d.code === 'shared-alias');
    assert.ok(shared);
    assert.strictEqual(shared.severity, vscode.DiagnosticSeverity.Warning);
    assert.ok(!ours(text).some((d) => d.code === 'shared-alias'), 'the sidecar warning is not on the text');
  });

  it('reports a YAML error in the sidecar at its line', async () => {
    await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(fixtures, 'broken-sidecar.annot.md')));
    const sidecar = vscode.Uri.file(path.join(fixtures, 'broken-sidecar.yaml'));
    const list = await waitForCode(sidecar, 'yaml-syntax');
    const error = list.find((d) => d.code === 'yaml-syntax');
    assert.ok(error);
    assert.strictEqual(error.severity, vscode.DiagnosticSeverity.Error);
    // Line 4 is "  lenin" without its colon (0-based 3).
    assert.strictEqual(error.range.start.line, 3);
    assert.strictEqual(fs.readFileSync(sidecar.fsPath, 'utf8').split('\n')[3], '  lenin');
  });

  it('warns when a text has no sidecar', async () => {
    const uri = vscode.Uri.file(path.join(fixtures, 'no-sidecar.annot.md'));
    await vscode.workspace.openTextDocument(uri);
    const list = await waitForCode(uri, 'no-sidecar');
    assert.strictEqual(list.find((d) => d.code === 'no-sidecar')?.severity, vscode.DiagnosticSeverity.Warning);
    assert.ok(list.some((d) => d.code === 'unknown-person'));
  });

  it('reports nothing for an empty text but the missing sidecar', async () => {
    const uri = vscode.Uri.file(path.join(fixtures, 'empty.annot.md'));
    await vscode.workspace.openTextDocument(uri);
    const list = await waitForCode(uri, 'no-sidecar');
    assert.deepStrictEqual(list.map((d) => d.code), ['no-sidecar']);
  });

  it('reports a sidecar shared by two texts once', async () => {
    const a = vscode.Uri.file(path.join(fixtures, 'shared-a.annot.md'));
    const b = vscode.Uri.file(path.join(fixtures, 'shared-b.annot.md'));
    await vscode.workspace.openTextDocument(a);
    await vscode.workspace.openTextDocument(b);
    const sidecar = vscode.Uri.file(path.join(fixtures, 'shared.yaml'));
    // Each text has an error of its own, published with its report on the sidecar: once both show, both reports are in.
    await waitForCode(a, 'unknown-person');
    await waitForCode(b, 'unknown-person');
    await waitForCode(sidecar, 'person-without-name');
    assert.strictEqual(ours(sidecar).filter((d) => d.code === 'person-without-name').length, 1, JSON.stringify(ours(sidecar)));
  });

  it('follows edits of the text, and undo', async () => {
    const folder = copyFixtures('stale-sidecar.annot.md', 'stale-sidecar.yaml');
    const uri = vscode.Uri.file(path.join(folder, 'stale-sidecar.annot.md'));
    const editor = await vscode.window.showTextDocument(uri);
    await waitFor(() => (ours(uri).length === 0 ? true : undefined), 'a clean start');
    const original = editor.document.getText();
    assert.ok(await editor.edit((e) => e.insert(new vscode.Position(2, 0), '[[nobody]] ')));
    assert.ok(editor.document.getText().startsWith('# A text whose sidecar breaks while open\n\n[[nobody]] [[kropotkin]]'));
    const list = await waitForCode(uri, 'unknown-person');
    assert.strictEqual(editor.document.getText(list[0].range), 'nobody');
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(editor.document.getText(), original);
    await waitFor(() => (ours(uri).length === 0 ? true : undefined), 'the diagnostic to go after undo');
  });

  it('follows edits of an open sidecar', async () => {
    const folder = copyFixtures('stale-sidecar.annot.md', 'stale-sidecar.yaml');
    const text = vscode.Uri.file(path.join(folder, 'stale-sidecar.annot.md'));
    const sidecar = vscode.Uri.file(path.join(folder, 'stale-sidecar.yaml'));
    await vscode.workspace.openTextDocument(text);
    const sidecarDocument = await vscode.workspace.openTextDocument(sidecar);
    // Index the text first, so the service knows the sidecar is one of its dependencies.
    const api = (await vscode.extensions.getExtension('marginalia.marginalia')?.activate()) as { index(uri: vscode.Uri): Promise<{ sidecars: string[] }> };
    assert.strictEqual((await api.index(text)).sidecars.length, 1);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(sidecar, new vscode.Range(4, 0, 4, '  lenin:'.length), '  lenin');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.strictEqual(sidecarDocument.lineAt(4).text, '  lenin');
    const list = await waitForCode(sidecar, 'yaml-syntax');
    assert.ok(list.some((d) => d.code === 'stale-sidecar'), JSON.stringify(list));
    const fix = new vscode.WorkspaceEdit();
    fix.replace(sidecar, new vscode.Range(4, 0, 4, '  lenin'.length), '  lenin:');
    assert.ok(await vscode.workspace.applyEdit(fix));
    await waitFor(() => (ours(sidecar).length === 0 ? true : undefined), 'the sidecar diagnostics to clear');
  });

  it('reports a large sidecar’s problems as it is typed in, and reads nothing again when it is saved', async function () {
    this.timeout(90_000);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-large-'));
    const lines = ['people:'];
    for (let n = 0; n < 3000; n++) {
      lines.push(`  person${n}:`, `    name: Person Number${n}`, `    aliases: [P${n}]`, `    description: A correspondent of the exiles, number ${n}.`);
      if (n === 7) lines.push('    colour: red');
    }
    fs.writeFileSync(path.join(folder, 'essay.yaml'), `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(folder, 'essay.annot.md'), '# Letters\n\n[[person12]] wrote to [[person2999]].\n');
    // Saved only when the test says: VS Code for the Web saves each edit a moment later by default.
    const files = vscode.workspace.getConfiguration('files');
    await files.update('autoSave', 'off', vscode.ConfigurationTarget.Global);
    try {
      const api = (await vscode.extensions.getExtension('marginalia.marginalia')?.activate()) as MarginaliaApi;
      const text = vscode.Uri.file(path.join(folder, 'essay.annot.md'));
      const sidecar = vscode.Uri.file(path.join(folder, 'essay.yaml'));
      await vscode.workspace.openTextDocument(text);
      // Only the precise read reports the unknown field: the quick read has no diagnostics.
      const unknown = (await waitForCode(sidecar, 'unknown-field', 60_000)).find((d) => d.code === 'unknown-field');
      assert.strictEqual(unknown?.range.start.line, 33);
      // A quote opened in a name: the file no longer reads in pieces, and is read whole.
      const editor = await vscode.window.showTextDocument(sidecar);
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(2, '    name: '.length), '"')));
      const broken = await waitForCode(sidecar, 'yaml-syntax', 60_000);
      assert.ok(broken.some((d) => d.code === 'stale-sidecar'), JSON.stringify(broken.map((d) => d.code)));
      assert.ok(await editor.edit((e) => e.delete(new vscode.Range(2, '    name: '.length, 2, '    name: "'.length))));
      await waitFor(() => (ours(sidecar).every((d) => d.code === 'unknown-field') && ours(sidecar).length === 1 ? true : undefined), 'the syntax error to go', 60_000);
      // Saved: the text is the one read already, and nothing is read or indexed again.
      const builds = api.indexStats().fullBuilds;
      assert.ok(editor.document.isDirty);
      assert.ok(await editor.document.save());
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.strictEqual(api.indexStats().fullBuilds, builds);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await files.update('autoSave', undefined, vscode.ConfigurationTarget.Global);
    }
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('publishes nothing while marginalia.diagnostics.enabled is false', async () => {
    const uri = vscode.Uri.file(path.join(fixtures, 'unknown-keys.annot.md'));
    await vscode.workspace.openTextDocument(uri);
    await waitForCode(uri, 'unknown-person');
    const config = vscode.workspace.getConfiguration('marginalia');
    try {
      await config.update('diagnostics.enabled', false, vscode.ConfigurationTarget.Global);
      await waitFor(() => (ours(uri).length === 0 ? true : undefined), 'diagnostics to clear when disabled');
    } finally {
      await config.update('diagnostics.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitForCode(uri, 'unknown-person');
  });
});
