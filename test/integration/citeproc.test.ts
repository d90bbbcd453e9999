import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

/**
 * Citation styles, libraries and Pandoc export, driven through the real
 * extension. Formatting is compared with `pandoc --citeproc`, a second CSL
 * processor, given the same style file.
 */

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(projectRoot, 'test', 'fixtures', 'citeproc');
const examples = path.join(projectRoot, 'examples');
const cslFolder = path.resolve(projectRoot, '..', 'shared', 'csl');
const haveCsl = fs.existsSync(path.join(cslFolder, 'modern-language-association.csl'));
const havePandoc = (() => {
  try {
    execFileSync('pandoc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function activate(): Promise<void> {
  const extension = vscode.extensions.getExtension('marginalia.marginalia');
  assert.ok(extension, 'extension not found');
  await extension.activate();
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const temps: string[] = [];
function copyToTemp(files: readonly string[]): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-'));
  temps.push(folder);
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

function placeCursor(editor: vscode.TextEditor, offset: number): void {
  const position = editor.document.positionAt(offset);
  editor.selection = new vscode.Selection(position, position);
}

async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

async function undoUntil(editor: vscode.TextEditor, text: string): Promise<void> {
  await vscode.window.showTextDocument(editor.document);
  await vscode.commands.executeCommand('undo');
  await waitFor('undo', () => editor.document.getText() === text);
}

/**
 * What pandoc writes as the bibliography of `keys` from the example sidecar,
 * in Pandoc Markdown, with the style file `style`.
 */
function pandocBibliography(style: string, keys: readonly string[]): string[] {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-pandoc-'));
  temps.push(folder);
  const sidecar = fs.readFileSync(path.join(examples, 'kropotkin-meets-lenin.yaml'), 'utf8');
  const input = path.join(folder, 'input.md');
  fs.writeFileSync(input, `---\n${sidecar.slice(sidecar.indexOf('\nreferences:') + 1)}\nnocite: "${keys.map((k) => `@${k}`).join(', ')}"\n---\n`);
  const out = execFileSync('pandoc', ['--citeproc', '--csl', style, '-t', 'markdown-smart-citations', '--wrap=none', input], { encoding: 'utf8', env: { ...process.env, HOME: folder } });
  return out
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(':::'))
    .map((line) => line.trim());
}

/**
 * Differences between the two processors that are not the style's: pandoc
 * 2.17 prints page ranges in full where citeproc-js applies CSL 1.0.2's
 * page-range-format ("227–34"), so ranges are compared by their first page;
 * non-breaking spaces count as spaces.
 */
function normalise(text: string): string {
  return text
    .replace(/\u00a0/g, ' ')
    .replace(/(\d+)[–-](\d+)/g, '$1–')
    .trim();
}

describe('Scholarly interop', function () {
  this.timeout(60000);

  before(activate);
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const folder of temps) fs.rmSync(folder, { recursive: true, force: true });
  });

  describe('in a trusted workspace', () => {
    before(function () {
      if (!vscode.workspace.isTrusted) this.skip();
    });

    it('shows a citation hover in Chicago author-date, the default style', async () => {
      const editor = await openEditor(path.join(examples, 'kropotkin-meets-lenin.annot.md'));
      const at = editor.document.getText().indexOf('@shub1953') + 2;
      const text = await hoverText(editor.document.uri, editor.document.positionAt(at));
      assert.ok(text.includes('Shub, David. 1953. “Kropotkin and Lenin.” *The Russian Review* 12 (4): 227–34.'), text);
    });

    it('follows the marginalia.citationStyle setting, including the path of a .csl file', async function () {
      if (!haveCsl) {
        console.log(`      (skipped: the CSL styles are not at ${cslFolder})`);
        this.skip();
      }
      const editor = await openEditor(path.join(examples, 'kropotkin-meets-lenin.annot.md'));
      const position = editor.document.positionAt(editor.document.getText().indexOf('@shub1953') + 2);
      const settings = vscode.workspace.getConfiguration('marginalia');
      try {
        // User settings, so the examples folder is never written to.
        await settings.update('citationStyle', path.join(cslFolder, 'modern-language-association.csl'), vscode.ConfigurationTarget.Global);
        const mla = 'Shub, David. “Kropotkin and Lenin.” *The Russian Review*, vol. 12, no. 4, 1953, pp. 227–34.';
        await waitFor('an MLA hover', async () => (await hoverText(editor.document.uri, position)).includes(mla));
        await settings.update('citationStyle', 'apa', vscode.ConfigurationTarget.Global);
        await waitFor('an APA hover', async () => (await hoverText(editor.document.uri, position)).includes('Shub, D. (1953). Kropotkin and Lenin. *The Russian Review*, *12*(4), 227–234.'));
      } finally {
        await settings.update('citationStyle', undefined, vscode.ConfigurationTarget.Global);
      }
    });

    it('inserts a formatted reference at the cursor, in the style asked for, and undoes it', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const before = editor.document.getText();
      const offset = before.indexOf('## Sources');
      placeCursor(editor, offset);
      const done = await vscode.commands.executeCommand<boolean>('marginalia.insertFormattedCitation', { keys: ['shub1953'], style: 'modern-language-association' });
      assert.strictEqual(done, true);
      const inserted = 'Shub, David. “Kropotkin and Lenin.” *The Russian Review*, vol. 12, no. 4, 1953, pp. 227–34.';
      assert.strictEqual(editor.document.getText(), before.slice(0, offset) + inserted + before.slice(offset));
      await undoUntil(editor, before);
    });

    it('refuses an unknown key and an unknown style without changing the text', async () => {
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const before = editor.document.getText();
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.insertFormattedCitation', { keys: ['nobody2000'] }), false);
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.insertBibliography', { style: 'no-such-style' }), false);
      assert.strictEqual(editor.document.getText(), before);
    });

    it('inserts a References section with every cited work inside a #refs div, as pandoc formats them', async function () {
      if (!haveCsl || !havePandoc) {
        console.log(`      (skipped: needs pandoc and the CSL styles at ${cslFolder})`);
        this.skip();
      }
      const editor = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const before = editor.document.getText();
      placeCursor(editor, before.length);
      const style = path.join(cslFolder, 'modern-language-association.csl');
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.insertBibliography', { style }), true);
      const after = editor.document.getText();
      assert.ok(after.startsWith(before));
      const section = after.slice(before.length);
      assert.match(section, /^\n## References\n\n::: \{#refs\}\n[\s\S]*\n:::\n?$/);
      const entries = section
        .slice(section.indexOf('::: {#refs}\n') + 12, section.lastIndexOf('\n:::'))
        .split('\n\n')
        .map((entry) => entry.trim());
      // Every work the text cites, once: the example cites all nine of its references.
      const cited = ['kropotkin1899', 'shub1953', 'woodcock1950', 'kropotkin1970', 'goldman1923', 'goldman1924', 'berkman1925', 'avrich1967', 'miller1976'];
      assert.deepStrictEqual(entries.map(normalise), pandocBibliography(style, cited).map(normalise));
      await undoUntil(editor, before);
    });

    it('exports the example to HTML with pandoc: citations resolved, one bibliography, no raw [[', async function () {
      if (!havePandoc) {
        console.log('      (skipped: pandoc is not installed)');
        this.skip();
      }
      const folder = copyExample();
      await openEditor(path.join(folder, 'kropotkin-meets-lenin.annot.md'));
      const output = path.join(folder, 'out', 'kropotkin.html');
      fs.mkdirSync(path.dirname(output));
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.exportWithPandoc', { format: 'html', output }), true);
      const html = fs.readFileSync(output, 'utf8');
      assert.ok(!html.includes('???'));
      assert.ok(!html.includes('[['));
      assert.strictEqual(html.split('id="refs"').length - 1, 1);
      assert.ok(html.includes('(Shub 1953'), 'in-text citations in Chicago author-date');
      assert.ok(html.includes('<span class="person" data-key="kropotkin">Peter Kropotkin</span>'));
    });

    it('exports to DOCX in the style asked for', async function () {
      if (!havePandoc) {
        console.log('      (skipped: pandoc is not installed)');
        this.skip();
      }
      const folder = copyExample();
      await openEditor(path.join(folder, 'kropotkin-meets-lenin.annot.md'));
      const output = path.join(folder, 'kropotkin.docx');
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.exportWithPandoc', { format: 'docx', output, style: 'modern-language-association' }), true);
      const text = execFileSync('pandoc', [output, '-t', 'plain', '--wrap=none'], { encoding: 'utf8', env: { ...process.env, HOME: folder } });
      assert.ok(!text.includes('???'));
      assert.ok(!text.includes('[['));
      assert.strictEqual(text.split('Shub, David.').length - 1, 1);
      assert.ok(text.includes('(Shub'), 'MLA in-text citations');
    });

    it('reads BibTeX and CSL-YAML libraries and updates the text live when the .bib file changes', async () => {
      const folder = copyToTemp(['library-essay.annot.md', 'library-essay.yaml', 'library.bib', 'library.yaml'].map((f) => path.join(fixtures, f)));
      const editor = await openEditor(path.join(folder, 'library-essay.annot.md'));
      const uri = editor.document.uri;
      const codes = (): string[] => vscode.languages.getDiagnostics(uri).map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));
      await waitFor('the text to be checked', () => vscode.languages.getDiagnostics(uri) !== undefined && !codes().includes('unknown-citation'));
      const at = editor.document.getText().indexOf('@mueller1953') + 2;
      const hover = await hoverText(uri, editor.document.positionAt(at));
      assert.ok(hover.includes('Müller, Jérôme, and Jean de la Fontaine. 1953. “Über die *Anarchie*.” *Zeitschrift für Geschichte* 12 (4): 227–34.'), hover);
      const bib = path.join(folder, 'library.bib');
      fs.writeFileSync(bib, fs.readFileSync(bib, 'utf8').replace('@article{mueller1953,', '@article{mueller1954,'));
      await waitFor('an unknown-citation problem for the renamed key', () => codes().includes('unknown-citation'));
      fs.writeFileSync(bib, fs.readFileSync(bib, 'utf8').replace('@article{mueller1954,', '@article{mueller1953,'));
      await waitFor('the problem to go away', () => !codes().includes('unknown-citation'));
    });

    it('reads a large BibTeX library as an export writes it, in steps, entries with accents, escaped symbols, emphasis or a macro alike', async () => {
      const folder = copyToTemp(['library-essay.annot.md', 'library-essay.yaml', 'library.bib', 'library.yaml'].map((f) => path.join(fixtures, f)));
      const bib = path.join(folder, 'library.bib');
      // Entries as an export encodes accents and symbols, enough of them for the library to be read in steps.
      const exported = Array.from({ length: 200 }, (_, n) => `@book{exile${n},\n  author = {M{\\"u}ller, J{\\'e}r{\\^o}me and {\\O}stergaard, S{\\o}ren},\n  title = {Letters from {Exile}, Volume ${n}},\n  publisher = {Chapman \\& Hall},\n  address = {K{\\"o}ln},\n  year = {${1890 + (n % 30)}},\n  pages = {${n}--${n + 9}},\n}\n`);
      fs.writeFileSync(bib, `${fs.readFileSync(bib, 'utf8')}\n${exported.join('\n')}`);
      const essay = path.join(folder, 'library-essay.annot.md');
      fs.writeFileSync(essay, fs.readFileSync(essay, 'utf8').replace('[@shub1953]', '[@shub1953; @exile42]'));
      const editor = await openEditor(essay);
      const uri = editor.document.uri;
      const codes = (): string[] => vscode.languages.getDiagnostics(uri).map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));
      await waitFor('the text to be checked', () => vscode.languages.getDiagnostics(uri) !== undefined && !codes().includes('unknown-citation'));
      const hoverOn = async (key: string): Promise<string> => hoverText(uri, editor.document.positionAt(editor.document.getText().indexOf(`@${key}`) + 2));
      const plain = await hoverOn('exile42');
      assert.ok(plain.includes('Müller, Jérôme, and Søren Østergaard. 1902. *Letters from Exile, Volume 42*. Köln: Chapman & Hall.'), plain);
      // An entry with emphasis, read without the parser too, and one with a macro, read by the parser, in the same library.
      const parsed = await hoverOn('mueller1953');
      assert.ok(parsed.includes('Müller, Jérôme, and Jean de la Fontaine. 1953. “Über die *Anarchie*.” *Zeitschrift für Geschichte* 12 (4): 227–34.'), parsed);
      assert.ok((await hoverOn('kropotkin1899bib')).includes('Houghton, Mifflin'));
    });
  });

  describe('in Restricted Mode', () => {
    before(function () {
      if (vscode.workspace.isTrusted) this.skip();
    });

    it('refuses to run pandoc, and still formats hovers and inserts references', async () => {
      const editor = await openEditor(path.join(examples, 'kropotkin-meets-lenin.annot.md'));
      const output = path.join(os.tmpdir(), `marginalia-restricted-${process.pid}.html`);
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.exportWithPandoc', { format: 'html', output }), false);
      assert.ok(!fs.existsSync(output));
      const at = editor.document.getText().indexOf('@shub1953') + 2;
      assert.ok((await hoverText(editor.document.uri, editor.document.positionAt(at))).includes('Shub, David. 1953.'));
      const copy = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const before = copy.document.getText();
      placeCursor(copy, 0);
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.insertFormattedCitation', { keys: ['miller1976'] }), true);
      // The bundled Chicago author-date (17th edition) still names the place of publication.
      const inserted = 'Miller, Martin A. 1976. *Kropotkin*. Chicago: University of Chicago Press.';
      assert.strictEqual(copy.document.getText().slice(0, inserted.length + 20), (inserted + before).slice(0, inserted.length + 20));
      await undoUntil(copy, before);
    });

    it('does not read a style file in Restricted Mode', async function () {
      if (!haveCsl) this.skip();
      const copy = await openEditor(path.join(copyExample(), 'kropotkin-meets-lenin.annot.md'));
      const before = copy.document.getText();
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('marginalia.insertBibliography', { style: path.join(cslFolder, 'modern-language-association.csl') }), false);
      assert.strictEqual(copy.document.getText(), before);
    });
  });
});
