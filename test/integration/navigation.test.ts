import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/navigation');

/** A fresh copy of the two texts that share `shared.yaml`, so nothing in the tree is touched. */
function copySharedSidecarFixture(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
  fs.cpSync(path.join(fixtures, 'shared-sidecar'), folder, { recursive: true });
  return folder;
}

async function open(file: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  await vscode.window.showTextDocument(document);
  return document;
}

/** The position `offset` characters into the `occurrence`-th (0-based) occurrence of `needle`. */
function positionOf(document: vscode.TextDocument, needle: string, offset = 0, occurrence = 0): vscode.Position {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = document.getText().indexOf(needle, at + 1);
    assert.ok(at >= 0, `"${needle}" (#${occurrence}) not in ${document.uri.fsPath}`);
  }
  return document.positionAt(at + offset);
}

async function textAt(uri: vscode.Uri, range: vscode.Range): Promise<string> {
  return (await vscode.workspace.openTextDocument(uri)).getText(range);
}

async function definitions(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.LocationLink[]> {
  const result = await vscode.commands.executeCommand<(vscode.LocationLink | vscode.Location)[]>('vscode.executeDefinitionProvider', document.uri, position);
  return (result ?? []).map((r) => {
    assert.ok('targetUri' in r, 'expected LocationLinks');
    return r;
  });
}

async function references(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Location[]> {
  return (await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', document.uri, position)) ?? [];
}

/** References as `file:text` strings, sorted, for readable comparisons. */
async function describeLocations(locations: readonly vscode.Location[]): Promise<string[]> {
  const described = await Promise.all(locations.map(async (l) => `${path.basename(l.uri.fsPath)}:${l.range.start.line}:${await textAt(l.uri, l.range)}`));
  return described.sort();
}

describe('navigation', () => {
  let folder: string;
  let first: vscode.TextDocument;
  let second: vscode.TextDocument;

  before(async () => {
    await vscode.extensions.getExtension('marginalia.marginalia')?.activate();
    folder = copySharedSidecarFixture();
    second = await open(path.join(folder, 'second.annot.md'));
    first = await open(path.join(folder, 'first.annot.md'));
  });

  describe('go to definition', () => {
    it('goes from an explicit mention to the person key in the sidecar', async () => {
      const [link, ...rest] = await definitions(first, positionOf(first, '[[kropotkin]]', 4));
      assert.strictEqual(rest.length, 0);
      assert.strictEqual(path.basename(link.targetUri.fsPath), 'shared.yaml');
      assert.strictEqual(await textAt(link.targetUri, link.targetRange), 'kropotkin');
      assert.strictEqual(link.targetRange.start.line, 2);
      assert.ok(link.originSelectionRange);
      assert.strictEqual(first.getText(link.originSelectionRange), 'kropotkin');
    });

    it('goes from an implicit mention (a name) to the person key', async () => {
      const [link] = await definitions(first, positionOf(first, 'Kropotkin spoke', 3));
      assert.ok(link, 'no definition for an implicit mention');
      assert.strictEqual(await textAt(link.targetUri, link.targetRange), 'kropotkin');
      assert.ok(link.originSelectionRange);
      assert.strictEqual(first.getText(link.originSelectionRange), 'Kropotkin');
    });

    it('goes from a citation key to the reference id in the sidecar, braced or not', async () => {
      for (const needle of ['@shub1953', '@{shub1953}']) {
        const [link] = await definitions(first, positionOf(first, needle, needle.length - 2));
        assert.ok(link, `no definition for ${needle}`);
        assert.strictEqual(path.basename(link.targetUri.fsPath), 'shared.yaml');
        assert.strictEqual(await textAt(link.targetUri, link.targetRange), 'shub1953');
        assert.strictEqual(link.targetRange.start.line, 12);
        assert.ok(link.originSelectionRange);
        assert.strictEqual(first.getText(link.originSelectionRange), 'shub1953');
      }
    });

    it('goes from a citation key to its id in a CSL-JSON bibliography', async () => {
      const [link] = await definitions(first, positionOf(first, '@woodcock1950', 3));
      assert.ok(link);
      assert.strictEqual(path.basename(link.targetUri.fsPath), 'library.json');
      assert.strictEqual(await textAt(link.targetUri, link.targetRange), 'woodcock1950');
    });

    it('goes from a footnote reference to its definition label', async () => {
      const [link] = await definitions(first, positionOf(first, '[^talk]', 3));
      assert.ok(link);
      assert.strictEqual(link.targetUri.toString(), first.uri.toString());
      assert.strictEqual(first.getText(link.targetRange), '[^talk]');
      assert.strictEqual(link.targetRange.start.line, 12);
      assert.ok(link.originSelectionRange);
      assert.strictEqual(first.getText(link.originSelectionRange), '[^talk]');
    });

    it('finds nothing for unknown keys, inline notes and plain text', async () => {
      assert.deepStrictEqual(await definitions(first, positionOf(first, '[[nobody]]', 4)), []);
      assert.deepStrictEqual(await definitions(first, positionOf(first, '@nowhere2000', 3)), []);
      assert.deepStrictEqual(await definitions(first, positionOf(first, 'An inline note', 3)), []);
      assert.deepStrictEqual(await definitions(first, positionOf(first, 'in Moscow', 4)), []);
    });

    it('finds nothing in an empty document', async () => {
      const empty = await open(path.join(fixtures, 'empty.annot.md'));
      assert.strictEqual(empty.getText(), '');
      assert.deepStrictEqual(await definitions(empty, new vscode.Position(0, 0)), []);
      assert.deepStrictEqual(await references(empty, new vscode.Position(0, 0)), []);
      await vscode.window.showTextDocument(first);
    });
  });

  describe('find all references', () => {
    it('lists every mention of a person in the texts that share the sidecar, and the sidecar entry', async () => {
      const expected = ['first.annot.md:7:Kropotkin', 'first.annot.md:7:[[kropotkin]]', 'second.annot.md:5:[[kropotkin|Peter]]', 'shared.yaml:2:kropotkin'];
      assert.deepStrictEqual(await describeLocations(await references(first, positionOf(first, '[[kropotkin]]', 4))), expected);
      // The same from an implicit mention, and from the other text.
      assert.deepStrictEqual(await describeLocations(await references(first, positionOf(first, 'Kropotkin spoke', 1))), expected);
      assert.deepStrictEqual(await describeLocations(await references(second, positionOf(second, 'kropotkin', 2))), expected);
    });

    it('lists every citation of a key, braced or not, in both texts and the sidecar', async () => {
      assert.deepStrictEqual(await describeLocations(await references(first, positionOf(first, '@{shub1953}', 4))), [
        'first.annot.md:8:shub1953',
        'first.annot.md:8:shub1953',
        'second.annot.md:5:shub1953',
        'shared.yaml:12:shub1953',
      ]);
    });

    it('lists the references to a footnote and its definition, in this text only', async () => {
      assert.deepStrictEqual(await describeLocations(await references(first, positionOf(first, '[^talk]', 2))), [
        'first.annot.md:10:[^talk]',
        'first.annot.md:12:[^talk]',
        'first.annot.md:7:[^talk]',
      ]);
      // From the definition label as well.
      assert.strictEqual((await references(first, positionOf(first, '[^talk]:', 3))).length, 3);
    });

    it('works from where the sidecar or bibliography defines a key', async () => {
      const sidecar = await open(path.join(folder, 'shared.yaml'));
      assert.deepStrictEqual(await describeLocations(await references(sidecar, positionOf(sidecar, 'kropotkin:', 3))), [
        'first.annot.md:7:Kropotkin',
        'first.annot.md:7:[[kropotkin]]',
        'second.annot.md:5:[[kropotkin|Peter]]',
        'shared.yaml:2:kropotkin',
      ]);
      assert.deepStrictEqual(await describeLocations(await references(sidecar, positionOf(sidecar, 'shub1953', 3))), [
        'first.annot.md:8:shub1953',
        'first.annot.md:8:shub1953',
        'second.annot.md:5:shub1953',
        'shared.yaml:12:shub1953',
      ]);
      assert.deepStrictEqual(await references(sidecar, positionOf(sidecar, 'Peter Kropotkin', 3)), []);
      const library = await open(path.join(folder, 'library.json'));
      assert.deepStrictEqual(await describeLocations(await references(library, positionOf(library, 'woodcock1950', 3))), ['first.annot.md:8:woodcock1950', 'library.json:2:woodcock1950']);
      await vscode.window.showTextDocument(first);
    });

    it('lists the other uses of an unknown person key, and nothing for plain text', async () => {
      assert.deepStrictEqual(await describeLocations(await references(first, positionOf(first, '[[nobody]]', 3))), ['first.annot.md:10:[[nobody]]']);
      assert.deepStrictEqual(await references(first, positionOf(first, 'in Moscow', 4)), []);
    });
  });
});
