import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { pandocExport, type AnnotationIndex, type ExportFormat } from '../../src/core';
import { indexText } from './helpers';

/**
 * The export's input is checked by running Debian's pandoc on it, as the
 * command does: every citation resolves, there is one bibliography, and no
 * `[[…]]` mention is left raw.
 */

const root = path.resolve(__dirname, '..', '..', '..');
const exampleText = fs.readFileSync(path.join(root, 'examples', 'kropotkin-meets-lenin.annot.md'), 'utf8');
const exampleSidecar = fs.readFileSync(path.join(root, 'examples', 'kropotkin-meets-lenin.yaml'), 'utf8');
const havePandoc = (() => {
  try {
    execFileSync('pandoc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function exampleIndex(text = exampleText): Promise<AnnotationIndex> {
  return indexText(text, exampleSidecar, {}, 'kropotkin-meets-lenin.annot.md');
}

/** Writes the export's files to a fresh folder and runs pandoc; returns the output path and what pandoc said on stderr. */
function runExport(index: AnnotationIndex, format: ExportFormat, folder: string): { output: string; warnings: string } {
  const files = { input: path.join(folder, 'input.md'), metadata: path.join(folder, 'references.yaml'), filter: path.join(folder, 'refs.lua'), output: path.join(folder, `out.${format}`) };
  const plan = pandocExport(index, format, files);
  fs.writeFileSync(files.input, plan.input);
  fs.writeFileSync(files.metadata, plan.metadata);
  fs.writeFileSync(files.filter, plan.filter);
  const result = spawnSync('pandoc', plan.args, { encoding: 'utf8', env: { ...process.env, HOME: folder } });
  assert.strictEqual(result.status, 0, result.stderr);
  return { output: files.output, warnings: result.stderr };
}

describe('pandoc export', () => {
  const folders: string[] = [];
  const freshFolder = (): string => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-export-'));
    folders.push(folder);
    return folder;
  };
  after(() => {
    for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('turns mentions into spans that carry the key, and keeps the rest of the text', async () => {
    const index = await exampleIndex();
    const plan = pandocExport(index, 'html', { input: 'in.md', metadata: 'refs.yaml', filter: 'refs.lua', output: 'out.html' });
    assert.ok(!plan.input.includes('[['), 'no raw [[ left');
    assert.ok(plan.input.includes('[Peter Kropotkin]{.person key="kropotkin"} returned to Russia'));
    assert.ok(plan.input.includes('[@kropotkin1899, {Part Fifth}]'));
    assert.strictEqual(plan.input.split('{.person').length - 1, index.mentions.filter((m) => m.explicit || m.person !== null).filter((m) => m.explicit || !index.citations.some((c) => c.span.start <= m.span.start && m.span.end <= c.span.end)).length);
  });

  it('writes one metadata file with every reference, and strips the keys it merged from the front matter', async () => {
    const text = exampleText.replace('author: Marginalia examples\n', 'author: Marginalia examples\nbibliography: missing.json\nreferences:\n  - id: frontmatter2020\n    title: From the front matter\n');
    const index = await exampleIndex(text);
    const plan = pandocExport(index, 'html', { input: 'in.md', metadata: 'refs.yaml', filter: 'refs.lua', output: 'out.html' });
    const ids = (parseYaml(plan.metadata) as { references: { id: string }[] }).references.map((r) => r.id);
    assert.deepStrictEqual(ids, [...index.registry.references.keys(), 'frontmatter2020']);
    const frontMatter = plan.input.slice(0, plan.input.indexOf('\n---\n') + 5);
    assert.ok(frontMatter.includes('title:'));
    assert.ok(!/^(bibliography|references):/m.test(frontMatter), frontMatter);
    assert.deepStrictEqual(plan.args.slice(-3), ['--output', 'out.html', 'in.md']);
    assert.ok(plan.args.indexOf('--lua-filter') < plan.args.indexOf('--citeproc'), 'the refs div is emptied before citeproc fills it');
  });

  describe('with pandoc', () => {
    before(function () {
      if (!havePandoc) {
        console.log('      (skipped: pandoc is not installed)');
        this.skip();
      }
    });

    it('exports the example to HTML with every citation resolved and one bibliography', async () => {
      const { output, warnings } = runExport(await exampleIndex(), 'html', freshFolder());
      const html = fs.readFileSync(output, 'utf8');
      assert.ok(!/not found/i.test(warnings), warnings);
      assert.ok(!html.includes('???'));
      assert.ok(!html.includes('[['));
      assert.strictEqual(html.split('id="refs"').length - 1, 1);
      assert.ok(html.includes('<span class="person" data-key="kropotkin">Peter Kropotkin</span>'));
      assert.ok(html.includes('Shub, David. 1953.'));
    });

    it('exports a text with a References section already inserted without listing the works twice', async () => {
      const text = `${exampleText}\n## References\n\n::: {#refs}\nShub, David. 1953. “Kropotkin and Lenin.” The Russian Review 12 (4): 227–34.\n:::\n`;
      const { output } = runExport(await exampleIndex(text), 'html', freshFolder());
      const html = fs.readFileSync(output, 'utf8');
      assert.strictEqual(html.split('id="refs"').length - 1, 1);
      assert.strictEqual(html.split('Shub, David. 1953').length - 1, 1);
    });

    it('exports the example to DOCX with every citation resolved and one bibliography', async () => {
      const folder = freshFolder();
      const { output, warnings } = runExport(await exampleIndex(), 'docx', folder);
      assert.ok(!/not found/i.test(warnings), warnings);
      // Read the document back as text, as a reader of the .docx would see it.
      const text = execFileSync('pandoc', [output, '-t', 'plain', '--wrap=none'], { encoding: 'utf8', env: { ...process.env, HOME: folder } });
      assert.ok(!text.includes('???'));
      assert.ok(!text.includes('[['));
      assert.strictEqual(text.split('Shub, David. 1953').length - 1, 1);
      assert.ok(text.includes('Peter Kropotkin returned to Russia'));
    });
  });
});
