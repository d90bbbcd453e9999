import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { waitFor } from '../vscodeSupport';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixture = (...parts: string[]): vscode.Uri => vscode.Uri.file(path.join(projectRoot, 'test', 'fixtures', ...parts));

async function hoverText(document: vscode.TextDocument, needle: string): Promise<string> {
  const offset = document.getText().indexOf(needle);
  assert.ok(offset >= 0, `${needle} not in ${document.uri.fsPath}`);
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[] | undefined>('vscode.executeHoverProvider', document.uri, document.positionAt(offset + 2))) ?? [];
  return hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
}

function codesOf(uri: vscode.Uri): string[] {
  return vscode.languages.getDiagnostics(uri).map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));
}

interface IndexJson {
  mentions: { person: string | null }[];
  citations: { items: { key: string }[] }[];
  diagnostics: { code: string }[];
}

describe('restricted mode', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension('marginalia.marginalia');
    assert.ok(extension);
    await extension.activate();
  });

  it('runs in an untrusted workspace', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
  });

  it('activates, since it declares untrusted workspaces supported', () => {
    assert.strictEqual(vscode.extensions.getExtension('marginalia.marginalia')?.isActive, true);
  });

  it('shows hover cards for people and citations', async () => {
    const document = await vscode.workspace.openTextDocument(fixture('restricted', 'unknown-keys.annot.md'));
    await vscode.window.showTextDocument(document);
    const person = await waitFor(async () => {
      const text = await hoverText(document, 'Peter Kropotkin');
      return text.includes('Anarchist geographer') ? text : undefined;
    }, 'a hover card for Kropotkin');
    assert.match(person, /Peter Kropotkin/);
    assert.match(await hoverText(document, 'shub1953'), /Kropotkin and Lenin/);
  });

  it('reports diagnostics for unknown keys', async () => {
    const document = await vscode.workspace.openTextDocument(fixture('restricted', 'unknown-keys.annot.md'));
    await vscode.window.showTextDocument(document);
    const codes = await waitFor(() => {
      const found = codesOf(document.uri);
      return found.includes('unknown-person') && found.includes('unknown-citation') ? found : undefined;
    }, 'diagnostics on the untrusted text');
    assert.deepStrictEqual([...codes].sort(), ['unknown-citation', 'unknown-person']);
  });

  it('answers the index API', async () => {
    const api = (await vscode.extensions.getExtension('marginalia.marginalia')?.activate()) as { index(uri: vscode.Uri): Promise<IndexJson> };
    const json = await api.index(fixture('restricted', 'unknown-keys.annot.md'));
    assert.deepStrictEqual(json.mentions.map((m) => m.person), ['lenin', 'kropotkin', null]);
    assert.deepStrictEqual(json.citations.flatMap((c) => c.items.map((i) => i.key)), ['shub1953', 'missing2000']);
  });

  it('reads a hostile sidecar safely: a limit diagnostic, and the people still serve', async () => {
    const document = await vscode.workspace.openTextDocument(fixture('hostile', 'alias-bomb.annot.md'));
    await vscode.window.showTextDocument(document);
    const sidecar = fixture('hostile', 'alias-bomb.yaml');
    await waitFor(() => (codesOf(sidecar).includes('limit-reached') ? true : undefined), 'the alias budget diagnostic');
    assert.match(await hoverText(document, 'Peter Kropotkin'), /Peter Kropotkin/);
  });
});

describe('restricted mode: hover cards from a hostile sidecar', () => {
  async function cardAt(document: vscode.TextDocument, needle: string): Promise<vscode.MarkdownString> {
    const offset = document.getText().indexOf(needle);
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[] | undefined>('vscode.executeHoverProvider', document.uri, document.positionAt(offset + 3))) ?? [];
    const cards = hovers.flatMap((h) => h.contents).filter((c): c is vscode.MarkdownString => c instanceof vscode.MarkdownString);
    assert.strictEqual(cards.length, 1, `one card over ${needle}`);
    return cards[0];
  }

  function liveTargets(markdown: string): string[] {
    return [...markdown.matchAll(/(?<!\\)\]\(\s*<?([^)\s>]+)/g)].map((m) => m[1]);
  }

  it('keeps data:, vscode: and command: links, HTML, icons and remote images inert, in an untrusted card', async () => {
    const document = await vscode.workspace.openTextDocument(fixture('restricted', 'hostile-bio.annot.md'));
    const card = await cardAt(document, '[[eve]]');
    assert.ok(!card.isTrusted && !card.supportHtml && !card.supportThemeIcons, 'the card must be untrusted, without HTML or theme icons');
    assert.match(card.value, /\*\*Eve\*\*/);
    assert.deepStrictEqual(liveTargets(card.value).filter((t) => !t.startsWith('file:')), [], card.value);
    for (const inert of ['](data:', ']: data:', '<data:', '<vscode:', '](vscode:', '](command:', '<script>', 'tracker.example']) assert.ok(!card.value.includes(inert), `${inert} in ${card.value}`);
    assert.ok(!/(?<!\\)\$\(zap\)/.test(card.value), card.value);
  });

  it('cuts a very long bio, with a link to the entry in the sidecar', async () => {
    const document = await vscode.workspace.openTextDocument(fixture('restricted', 'hostile-bio.annot.md'));
    const card = await cardAt(document, '[[long]]');
    assert.ok(!card.value.includes('THE-END-MARKER'), 'the end of a 12,000-character bio is not shown');
    assert.ok(card.value.length < 6000, `card is ${card.value.length} characters`);
    const sidecar = fixture('restricted', 'hostile-bio.yaml').toString();
    assert.ok(liveTargets(card.value).some((t) => t.startsWith(`${sidecar}#L`)), card.value);
  });
});
