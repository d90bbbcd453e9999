import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildIndex, type AnnotationIndex } from '../../src/core';

/**
 * Pandoc is the oracle of the format: for every fixture and example, the
 * citations (key and mode), the notes and the block quotes the index finds
 * must be those `pandoc -f markdown -t json` reads.
 */

const root = path.resolve(__dirname, '..', '..', '..');
const texts = [
  ...fs.readdirSync(path.join(root, 'test/fixtures/parser')).map((f) => path.join(root, 'test/fixtures/parser', f)),
  ...fs.readdirSync(path.join(root, 'examples')).map((f) => path.join(root, 'examples', f)),
].filter((f) => f.endsWith('.annot.md'));

type PandocNode = { t: string; c?: unknown };

function pandocAst(file: string): PandocNode[] {
  const json = execFileSync('pandoc', ['-f', 'markdown', '-t', 'json', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(json) as { blocks: PandocNode[] }).blocks;
}

interface PandocFindings {
  citations: string[];
  notes: string[];
  blockQuotes: string[];
}

/** Letters and digits only, lower-cased, cut short: enough to tell notes and quotes apart across renderings. */
function fingerprint(text: string): string {
  return text
    .replace(/\]\([^)]*\)/g, ']')
    .replace(/[^\p{L}\p{N}]/gu, '')
    .toLowerCase()
    .slice(0, 16);
}

function stringify(node: unknown): string {
  if (Array.isArray(node)) return node.map(stringify).join('');
  if (node === null || typeof node !== 'object') return '';
  const { t, c } = node as PandocNode;
  if (t === 'Str') return c as string;
  if (t === 'Space' || t === 'SoftBreak' || t === 'LineBreak') return ' ';
  if (t === 'Cite') return stringify((c as unknown[])[1]);
  if (t === 'Link' || t === 'Image') return stringify((c as unknown[])[1]);
  if (t === 'Code' || t === 'Math') return String((c as unknown[])[1]);
  if (t === 'Quoted') return `"${stringify((c as unknown[])[1])}"`;
  if (t === 'Note') return '';
  return stringify(c);
}

function walkPandoc(blocks: PandocNode[]): PandocFindings {
  const found: PandocFindings = { citations: [], notes: [], blockQuotes: [] };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const { t, c } = node as PandocNode;
    if (t === 'Cite') {
      const [citations, content] = c as [{ citationId: string; citationMode: { t: string }; citationSuffix: unknown; citationPrefix: unknown }[], unknown];
      for (const citation of citations) {
        found.citations.push(`${citation.citationId}|${citation.citationMode.t}`);
        visit(citation.citationPrefix);
        visit(citation.citationSuffix);
      }
      void content;
      return;
    }
    if (t === 'Note') found.notes.push(fingerprint(stringify(c)));
    if (t === 'BlockQuote') found.blockQuotes.push(fingerprint(stringify(c)));
    if (t === 'CodeBlock' || t === 'Code' || t === 'RawBlock' || t === 'RawInline' || t === 'Math') return;
    visit(c);
  };
  visit(blocks);
  return found;
}

/** What the index says Pandoc should find: note contents count where the note is referenced, as Pandoc places them. */
function expectedFromIndex(index: AnnotationIndex): PandocFindings {
  // Pandoc drops unreferenced and overridden definitions, and places the others where they are referenced.
  const allDefinitions = index.footnotes.flatMap((f) => f.definitions);
  const inAnyDefinition = (offset: number): boolean => allDefinitions.some((d) => d.start <= offset && offset < d.end);
  const citationKeys = (list: typeof index.citations): string[] =>
    list.flatMap((c) => c.items.map((item, i) => `${item.key}|${c.inText && i === 0 ? 'AuthorInText' : item.suppressAuthor ? 'SuppressAuthor' : 'NormalCitation'}`));
  const found: PandocFindings = { citations: [], notes: [], blockQuotes: [] };
  found.citations.push(...citationKeys(index.citations.filter((c) => !inAnyDefinition(c.span.start))));
  found.blockQuotes.push(...index.quotes.filter((q) => q.kind === 'block' && !inAnyDefinition(q.span.start)).map((q) => fingerprint(q.text.replace(/^>\s?/gm, ''))));
  for (const ref of index.footnoteRefs) {
    const note = index.footnotes[ref.footnote];
    if (!note.inline && !note.definition) continue;
    found.notes.push(fingerprint(note.text));
    if (note.inline) continue;
    const def = note.definition as { start: number; end: number };
    found.citations.push(...citationKeys(index.citations.filter((c) => c.span.start >= def.start && c.span.start < def.end)));
    found.blockQuotes.push(...index.quotes.filter((q) => q.kind === 'block' && q.span.start >= def.start && q.span.start < def.end).map((q) => fingerprint(q.text)));
  }
  return found;
}

const sorted = (list: string[]): string[] => [...list].sort();

describe('differential tests against pandoc', () => {
  before(function () {
    try {
      execFileSync('pandoc', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('pandoc is not installed: run `node scripts/ensure-tools.mjs`, which npm test runs first.');
    }
  });

  for (const file of texts) {
    describe(path.relative(root, file), () => {
      const text = fs.readFileSync(file, 'utf8');
      const index = buildIndex({ uri: `file://${file}`, text });
      const pandoc = walkPandoc(pandocAst(file));
      const ours = expectedFromIndex(index);

      it('finds the citations Pandoc finds, with their modes', () => {
        assert.deepStrictEqual(sorted(ours.citations), sorted(pandoc.citations));
      });
      it('finds the notes Pandoc finds', () => {
        assert.deepStrictEqual(ours.notes, pandoc.notes);
      });
      it('finds the block quotes Pandoc finds', () => {
        assert.deepStrictEqual(sorted(ours.blockQuotes), sorted(pandoc.blockQuotes));
      });
    });
  }
});
