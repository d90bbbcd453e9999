import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { waitFor } from '../vscodeSupport';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'editor');
const exampleText = vscode.Uri.file(path.join(projectRoot, 'examples', 'kropotkin-meets-lenin.annot.md'));
const exampleSidecar = vscode.Uri.file(path.join(projectRoot, 'examples', 'kropotkin-meets-lenin.yaml'));

async function open(uri: vscode.Uri): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument(uri);
}

/** The position `delta` characters into the `occurrence`-th match of `needle`. */
function positionOf(document: vscode.TextDocument, needle: string, delta = 1, occurrence = 0): vscode.Position {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) {
    offset = document.getText().indexOf(needle, offset + 1);
    assert.ok(offset >= 0, `"${needle}" (#${occurrence}) not found in ${document.uri.fsPath}`);
  }
  return document.positionAt(offset + delta);
}

async function hoversAt(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover[]> {
  return (await vscode.commands.executeCommand<vscode.Hover[] | undefined>('vscode.executeHoverProvider', document.uri, position)) ?? [];
}

function markdownOf(hovers: readonly vscode.Hover[]): vscode.MarkdownString[] {
  return hovers.flatMap((h) => h.contents).filter((c): c is vscode.MarkdownString => c instanceof vscode.MarkdownString);
}

/** The one card at a position, checked to be untrusted, and its text. */
async function cardAt(document: vscode.TextDocument, position: vscode.Position): Promise<string> {
  const cards = markdownOf(await hoversAt(document, position));
  assert.strictEqual(cards.length, 1, `expected one card at ${position.line}:${position.character}, got ${cards.length}`);
  const card = cards[0];
  assert.ok(!card.isTrusted, 'a card built from user files must not be trusted');
  assert.ok(!card.supportHtml, 'a card built from user files must not render HTML');
  assert.ok(!card.supportThemeIcons, 'a card built from user files must not render theme icons');
  return card.value;
}

/** Link targets that Markdown would make live in a card. */
function linkTargets(markdown: string): string[] {
  return [...markdown.matchAll(/(?<!\\)\]\(\s*<?([^)\s>]+)/g)].map((m) => m[1]);
}

describe('hover cards', () => {
  before(async () => {
    await vscode.extensions.getExtension('marginalia.marginalia')?.activate();
  });

  describe('in the example text', () => {
    let document: vscode.TextDocument;
    before(async () => {
      document = await open(exampleText);
    });

    it('shows a person card over an implicit mention, with the mention count and the sidecar entry', async () => {
      const card = await cardAt(document, positionOf(document, 'There Kropotkin worked', 'There '.length + 2));
      assert.ok(card.includes('**Peter Kropotkin** (1842\\-12\\-09–1921\\-02\\-08)'), card);
      assert.ok(card.includes('Russian geographer and theorist of anarchist communism\\.'), card);
      assert.ok(card.includes('*Mutual Aid*'), 'the bio is rendered as Markdown');
      assert.ok(card.includes('[Wikipedia](https://en.wikipedia.org/wiki/Peter_Kropotkin)'), card);
      const api = (await vscode.extensions.getExtension('marginalia.marginalia')?.activate()) as { index(uri: vscode.Uri): Promise<{ mentions: { person: string | null }[] }> };
      const count = (await api.index(exampleText)).mentions.filter((m) => m.person === 'kropotkin').length;
      assert.ok(count > 5, `the example mentions Kropotkin ${count} times`);
      assert.ok(card.includes(`Mentioned ${count} times in this text.`), card);
      const sidecarText = fs.readFileSync(exampleSidecar.fsPath, 'utf8');
      const line = sidecarText.split('\n').findIndex((l) => l === '  kropotkin:');
      assert.ok(linkTargets(card).includes(`${exampleSidecar.toString()}#L${line + 1}`), card);
    });

    it('opens the sidecar at the person entry when the card link is followed', async () => {
      const card = await cardAt(document, positionOf(document, '[[lenin|the Bolshevik leader]]', 3));
      const target = linkTargets(card).find((t) => t.startsWith('file:'));
      assert.ok(target, card);
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.parse(target));
      const expectedLine = fs.readFileSync(exampleSidecar.fsPath, 'utf8').split('\n').findIndex((l) => l === '  lenin:');
      const editor = await waitFor(() => {
        const active = vscode.window.activeTextEditor;
        return active?.document.uri.fsPath === exampleSidecar.fsPath && active.selection.active.line === expectedLine ? active : undefined;
      }, 'the sidecar editor at the entry');
      assert.strictEqual(editor.document.lineAt(expectedLine).text, '  lenin:');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('shows the person card over an explicit mention with shown text', async () => {
      const card = await cardAt(document, positionOf(document, '[[lenin|the Bolshevik leader]]', 12));
      assert.ok(card.includes('**Vladimir Lenin** (1870\\-04\\-22–1924\\-01\\-21)'), card);
      assert.ok(card.includes('*N. Lenin*'), card);
      assert.ok(/Mentioned \d+ times/.test(card), card);
    });

    it('formats a bracketed citation', async () => {
      const card = await cardAt(document, positionOf(document, '[@shub1953]', 3));
      assert.ok(card.includes('**Shub 1953**'), card);
      assert.ok(card.includes('Kropotkin and Lenin'), card);
      // Formatted by citeproc-js in Chicago author-date, the default style.
      assert.ok(card.includes('*The Russian Review* 12 (4): 227–34'), card);
      assert.ok(!card.includes('Cited at'), 'no locator was given');
    });

    it('shows the locator of an in-text citation with its label', async () => {
      const card = await cardAt(document, positionOf(document, '@berkman1925 [chap. 10]', 3));
      assert.ok(card.includes('The Bolshevik Myth'), card);
      assert.ok(card.includes('Cited at: chapter 10'), card);
    });

    it('shows the page locator of a citation item', async () => {
      const card = await cardAt(document, positionOf(document, '[@goldman1924, p. 56]', 4));
      assert.ok(card.includes('My Further Disillusionment in Russia'), card);
      assert.ok(card.includes('Cited at: page 56'), card);
    });

    it('names the editor of an edited work', async () => {
      const card = await cardAt(document, positionOf(document, '[@kropotkin1970]', 4));
      assert.ok(card.includes('Selected Writings on Anarchism and Revolution'), card);
      assert.ok(card.includes('Edited by Martin A. Miller'), card);
    });

    it('shows the note text over a footnote reference', async () => {
      const card = await cardAt(document, positionOf(document, 'left between them.[^1]', 'left between them.'.length + 2));
      assert.ok(card.includes('Dates after February 1918 are given in the New Style'), card);
    });

    it('shows an inline note over its reference', async () => {
      const card = await cardAt(document, positionOf(document, '^[The', 1));
      assert.ok(card.includes('Inline note'), card);
      assert.ok(card.includes('Miller’s translation'), card);
    });

    it('shows nothing over plain text', async () => {
      assert.deepStrictEqual(markdownOf(await hoversAt(document, positionOf(document, 'settled nothing', 2))), []);
    });
  });

  describe('failure paths', () => {
    it('says a person key or a citation key is unknown', async () => {
      const document = await open(vscode.Uri.file(path.join(fixtures, 'unknown-keys.annot.md')));
      const person = await cardAt(document, positionOf(document, '[[nobody]]', 4));
      assert.ok(person.includes('Unknown person “nobody”'), person);
      assert.ok(person.includes('people:\n  nobody:'), person);
      const citation = await cardAt(document, positionOf(document, '[@nosuch2000', 4));
      assert.ok(citation.includes('Unknown citation key “nosuch2000”'), citation);
      const known = await cardAt(document, positionOf(document, '[@known2000', 4));
      assert.ok(known.includes('Cited at: page 12'), known);
    });

    it('names the people who share an ambiguous name', async () => {
      const document = await open(vscode.Uri.file(path.join(fixtures, 'unknown-keys.annot.md')));
      const card = await cardAt(document, positionOf(document, 'about Sasha', 'about '.length + 1));
      assert.ok(card.includes('Ambiguous name “Sasha”'), card);
      assert.ok(card.includes('Peter Kropotkin (`kropotkin`)'), card);
      assert.ok(card.includes('Alexandra Kropotkina (`alexandra`)'), card);
    });

    it('keeps a hostile sidecar entry inert', async () => {
      const document = await open(vscode.Uri.file(path.join(fixtures, 'unknown-keys.annot.md')));
      const card = await cardAt(document, positionOf(document, '[[mallory]]', 4));
      const targets = linkTargets(card);
      assert.ok(targets.includes('https://example.org/mallory'), card);
      assert.deepStrictEqual(targets.filter((t) => !/^(https:|file:)/.test(t)), [], card);
      for (const hostile of ['](command:', '](javascript:', '[evil]: command', 'tracker.example']) assert.ok(!card.includes(hostile), `${hostile} in ${card}`);
      // Angle brackets survive only escaped, as text.
      assert.ok(!/(?<!\\)<(img|vscode:)/.test(card), card);
    });

    it('keeps a hostile footnote inert', async () => {
      const document = await open(vscode.Uri.file(path.join(fixtures, 'unknown-keys.annot.md')));
      const card = await cardAt(document, positionOf(document, '.[^hostile]', 3));
      assert.ok(card.includes('the site'), card);
      assert.deepStrictEqual(linkTargets(card), [], card);
      assert.ok(!card.includes('<script>'), card);
      assert.ok(!card.includes('tracker.example'), card);
      assert.ok(card.includes('\\$(zap)'), card);
    });

    it('works without a sidecar', async () => {
      const document = await open(vscode.Uri.file(path.join(fixtures, 'no-sidecar.annot.md')));
      const person = await cardAt(document, positionOf(document, '[[kropotkin]]', 4));
      assert.ok(person.includes('Unknown person “kropotkin”'), person);
      const citation = await cardAt(document, positionOf(document, '[@shub1953]', 4));
      assert.ok(citation.includes('Unknown citation key “shub1953”'), citation);
    });

    it('still shows the people a broken sidecar defines before its error', async () => {
      const document = await open(vscode.Uri.file(path.join(fixtures, 'broken-sidecar.annot.md')));
      const card = await cardAt(document, positionOf(document, '[[kropotkin]]', 4));
      assert.ok(card.includes('**Peter Kropotkin**'), card);
      const lenin = await cardAt(document, positionOf(document, '[[lenin]]', 4));
      assert.ok(lenin.includes('Unknown person “lenin”'), lenin);
    });

    it('shows the last good sidecar, with a notice, while the open sidecar is broken', async () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
      for (const name of ['stale-sidecar.annot.md', 'stale-sidecar.yaml']) fs.copyFileSync(path.join(fixtures, name), path.join(folder, name));
      const sidecar = await open(vscode.Uri.file(path.join(folder, 'stale-sidecar.yaml')));
      const document = await open(vscode.Uri.file(path.join(folder, 'stale-sidecar.annot.md')));
      const at = positionOf(document, '[[kropotkin]]', 4);
      const good = await cardAt(document, at);
      assert.ok(good.includes('**Peter Kropotkin**'), good);
      assert.ok(!good.includes('has errors'), good);

      const edit = new vscode.WorkspaceEdit();
      edit.replace(sidecar.uri, new vscode.Range(4, 0, 4, '  lenin:'.length), '  lenin');
      assert.ok(await vscode.workspace.applyEdit(edit));
      assert.ok(sidecar.getText().includes('\n  lenin\n'), 'the sidecar buffer is broken');

      const stale = await waitFor(async () => {
        const card = await cardAt(document, at);
        return card.includes('has errors') ? card : undefined;
      }, 'the stale notice');
      assert.ok(stale.includes('`stale-sidecar.yaml` has errors; showing its last good version.'), stale);
      assert.ok(stale.includes('**Peter Kropotkin**'), stale);
      assert.ok(stale.includes('Anarchist geographer\\.'), stale);
      // The implicit "Lenin" still resolves through the last good version.
      const lenin = await cardAt(document, positionOf(document, 'Lenin', 2));
      assert.ok(lenin.includes('**Vladimir Lenin**'), lenin);
      assert.ok(lenin.includes('has errors'), lenin);

      const fix = new vscode.WorkspaceEdit();
      fix.replace(sidecar.uri, new vscode.Range(4, 0, 4, '  lenin'.length), '  lenin:');
      assert.ok(await vscode.workspace.applyEdit(fix));
      const fixed = await waitFor(async () => {
        const card = await cardAt(document, at);
        return card.includes('has errors') ? undefined : card;
      }, 'the stale notice to go away');
      assert.ok(fixed.includes('**Peter Kropotkin**'), fixed);
      assert.strictEqual(fs.readFileSync(path.join(folder, 'stale-sidecar.yaml'), 'utf8'), fs.readFileSync(path.join(fixtures, 'stale-sidecar.yaml'), 'utf8'), 'the file on disk is untouched');
    });

    it('shows the card from before a sidecar change while a long text is indexed again, saying so, then the new one', async () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
      // Long enough that indexing it again takes longer than a hover waits.
      const example = fs.readFileSync(exampleText.fsPath, 'utf8');
      fs.writeFileSync(path.join(folder, 'long.annot.md'), example + example.slice(example.indexOf('\n---\n', 4) + 5).repeat(400));
      fs.copyFileSync(exampleSidecar.fsPath, path.join(folder, 'long.yaml'));
      const sidecar = await open(vscode.Uri.file(path.join(folder, 'long.yaml')));
      const document = await open(vscode.Uri.file(path.join(folder, 'long.annot.md')));
      const at = positionOf(document, '[[kropotkin]]', 4);
      const before = await cardAt(document, at);
      assert.ok(before.includes('Russian geographer') && !before.includes('being read again'), before);

      const edit = new vscode.WorkspaceEdit();
      edit.insert(sidecar.uri, sidecar.positionAt(sidecar.getText().indexOf('Russian geographer')), 'Celebrated ');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const glance = await cardAt(document, at);
      assert.ok(glance.includes('*`long.yaml` changed and is being read again; showing it as it was before.*'), glance);
      assert.ok(glance.includes('**Peter Kropotkin**') && !glance.includes('Celebrated'), glance);

      const after = await waitFor(async () => {
        const card = await cardAt(document, at);
        return card.includes('Celebrated') ? card : undefined;
      }, 'the card with the change');
      assert.ok(!after.includes('being read again'), after);
      const undo = new vscode.WorkspaceEdit();
      const inserted = sidecar.getText().indexOf('Celebrated ');
      undo.delete(sidecar.uri, new vscode.Range(sidecar.positionAt(inserted), sidecar.positionAt(inserted + 'Celebrated '.length)));
      assert.ok(await vscode.workspace.applyEdit(undo));
    });

    it('shows a value that comes through an alias in a sidecar large enough to be read in pieces, and places an unknown alias', async () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
      const people = ['people:', '  first:', '    name: First Comer', '    description: &shared Written once, used again.'];
      // Some 20 K characters between the anchor and its alias: read in pieces, not at once.
      for (let n = 0; n < 200; n++) people.push(`  filler${n}:`, `    name: Filler Person${n}`, `    description: An entry that only fills the file, number ${n}.`);
      people.push('  late:', '    name: Late Comer', '    description: *shared', '  lost:', '    name: Lost Soul', '    description: *nowhere', '');
      fs.writeFileSync(path.join(folder, 'aliased.yaml'), people.join('\n'));
      fs.writeFileSync(path.join(folder, 'aliased.annot.md'), 'Met [[late]] and [[first]].\n');
      const document = await open(vscode.Uri.file(path.join(folder, 'aliased.annot.md')));
      const late = await cardAt(document, positionOf(document, '[[late]]', 4));
      assert.ok(late.includes('**Late Comer**') && late.includes('Written once, used again'), late);
      const sidecarUri = vscode.Uri.file(path.join(folder, 'aliased.yaml'));
      const unknown = await waitFor(() => vscode.languages.getDiagnostics(sidecarUri).find((d) => d.message.includes('Unknown alias *nowhere')), 'the unknown alias reported');
      assert.strictEqual(unknown.range.start.line, people.indexOf('    description: *nowhere'));
    });

    it('shows nothing in an empty document, and does not fail', async () => {
      const document = await open(vscode.Uri.file(path.join(fixtures, 'empty.annot.md')));
      assert.strictEqual(document.getText(), '');
      assert.deepStrictEqual(markdownOf(await hoversAt(document, new vscode.Position(0, 0))), []);
    });
  });
});
