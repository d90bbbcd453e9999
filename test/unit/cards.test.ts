import * as assert from 'assert';
import {
  ambiguousNameCardMarkdown,
  citationCardMarkdown,
  escapeMarkdown,
  footnoteCardMarkdown,
  maxBioLength,
  personCardMarkdown,
  sanitizeMarkdown,
  unknownPersonCardMarkdown,
  type CitationItem,
  type Footnote,
  type Person,
  type Reference,
} from '../../src/core';

const sidecarUri = 'file:///work/essay.yaml';

function person(fields: Partial<Person> = {}): Person {
  return {
    key: 'kropotkin',
    name: 'Peter Kropotkin',
    aliases: [],
    born: '1842',
    died: '1921',
    description: 'Anarchist geographer',
    links: [],
    implicit: true,
    source: { uri: sidecarUri, span: { start: 10, end: 19 }, line: 4 },
    ...fields,
  };
}

function citationItem(fields: Partial<CitationItem> = {}): CitationItem {
  return { key: 'shub1953', keySpan: { start: 0, end: 8 }, prefix: '', locator: '', label: '', suffix: '', suppressAuthor: false, ...fields };
}

const shub: Reference = {
  id: 'shub1953',
  item: {
    id: 'shub1953',
    type: 'article-journal',
    author: [{ family: 'Shub', given: 'David' }],
    issued: { 'date-parts': [[1953]] },
    title: 'Kropotkin and Lenin',
    'container-title': 'The Russian Review',
    volume: 12,
    issue: 4,
    page: '227-234',
  },
  source: { uri: sidecarUri, span: { start: 100, end: 108 }, line: 20 },
};

function note(text: string, fields: Partial<Footnote> = {}): Footnote {
  return { label: '1', inline: false, refs: [], definition: { start: 0, end: 1 }, definitions: [], definitionLabel: { start: 0, end: 4 }, text, ...fields };
}

/** Every link and image target the Markdown would make live: inline, autolink, and reference definitions. */
function liveTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const m of markdown.matchAll(/(?<!\\)\]\(\s*<?([^)\s>]+)/g)) targets.push(m[1]);
  for (const m of markdown.matchAll(/(?<![\\&])<([a-zA-Z][\w+.-]*:[^\s>]*)>/g)) targets.push(m[1]);
  for (const m of markdown.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/gm)) targets.push(m[1]);
  return targets;
}

describe('cards', () => {
  describe('escapeMarkdown', () => {
    it('escapes every character that starts Markdown syntax', () => {
      const special = '\\`*_{}[]()#+-.!|<>$~';
      const escaped = escapeMarkdown(special);
      assert.strictEqual(escaped, [...special].map((c) => `\\${c}`).join(''));
    });

    it('leaves letters alone and folds line breaks', () => {
      assert.strictEqual(escapeMarkdown('Пётр Kropotkin\nline'), 'Пётр Kropotkin line');
    });

    it('turns a link written in a name into inert text', () => {
      const escaped = escapeMarkdown('[x](command:workbench.action.quit)');
      assert.deepStrictEqual(liveTargets(escaped), []);
    });
  });

  describe('sanitizeMarkdown', () => {
    const hostileSchemes = ['command:workbench.action.quit', 'javascript:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'vscode:extension/evil.evil'];

    for (const target of hostileSchemes) {
      const scheme = target.slice(0, target.indexOf(':'));
      it(`makes inline ${scheme}: links inert and keeps their text`, () => {
        const out = sanitizeMarkdown(`See [the details](${target}) here.`);
        assert.deepStrictEqual(liveTargets(out), []);
        assert.ok(out.includes('the details'), out);
        assert.ok(!out.includes(`](${scheme}:`), out);
      });

      it(`removes reference-style ${scheme}: definitions`, () => {
        const out = sanitizeMarkdown(`See [the details][r] here.\n\n[r]: ${target}\n`);
        assert.deepStrictEqual(liveTargets(out), []);
        assert.ok(!out.includes(`${scheme}:`), out);
      });

      it(`makes ${scheme}: autolinks inert`, () => {
        const out = sanitizeMarkdown(`Open <${target}> now.`);
        assert.deepStrictEqual(liveTargets(out), []);
        assert.ok(out.includes('&lt;'), out);
      });
    }

    it('keeps http and https links in all three forms', () => {
      const out = sanitizeMarkdown('[a](https://example.org/a) [b][r] <http://example.org/c>\n\n[r]: https://example.org/b\n');
      assert.deepStrictEqual(liveTargets(out).sort(), ['http://example.org/c', 'https://example.org/a', 'https://example.org/b']);
    });

    it('reads link targets with balanced parentheses whole', () => {
      assert.strictEqual(sanitizeMarkdown('[x](javascript:alert(1)) and [w](https://en.wikipedia.org/wiki/Mir_(station))'), 'x and [w](https://en.wikipedia.org/wiki/Mir_(station))');
    });

    it('makes links with relative or obfuscated targets inert', () => {
      const out = sanitizeMarkdown('[a](notes.md) [b](JavaScript:alert(1)) [c]( command:x )');
      assert.deepStrictEqual(liveTargets(out), []);
    });

    it('escapes raw HTML', () => {
      const out = sanitizeMarkdown('Hello <script>alert(1)</script> and <img src=x onerror=alert(1)>');
      assert.ok(!/<script|<img|<\/script/i.test(out), out);
      assert.ok(out.includes('&lt;script>'), out);
    });

    it('drops remote images, keeping their alt text, and keeps images from the workspace only', () => {
      const out = sanitizeMarkdown(
        '![portrait](https://tracker.example/p.png) ![ref][img] ![local](file:///work/p.png) ![outside](file:///etc/p.png) ![climb](file:///work/../etc/p.png) ![sibling](file:///workshop/p.png)\n\n[img]: https://tracker.example/q.png\n',
        ['file:///work'],
      );
      assert.ok(!out.includes('![portrait]'), out);
      assert.ok(!out.includes('![ref]'), out);
      assert.ok(out.includes('portrait'), out);
      assert.ok(out.includes('![local](file:///work/p.png)'), out);
      for (const dropped of ['outside', 'climb', 'sibling']) assert.ok(!out.includes(`![${dropped}]`), out);
      assert.ok(!/!\[[^\]]*\]\(https?:/.test(out), out);
      assert.ok(!sanitizeMarkdown('![local](file:///work/p.png)').includes('!['), 'no workspace, no images');
    });

    it('drops images linking to data: URIs', () => {
      const out = sanitizeMarkdown('![x](data:image/png;base64,AAAA)');
      assert.ok(!out.includes('data:'), out);
    });

    it('neutralises theme icon syntax', () => {
      const out = sanitizeMarkdown('Watch $(zap) this');
      assert.strictEqual(out, 'Watch \\$(zap) this');
    });

    it('leaves ordinary Markdown alone', () => {
      const text = 'He wrote *Mutual Aid* and **Ethics**.\n\n- one\n- two';
      assert.strictEqual(sanitizeMarkdown(text), text);
    });
  });

  describe('personCardMarkdown', () => {
    it('shows name, life dates, description, bio, links, count and the entry link', () => {
      const card = personCardMarkdown(person({ bio: 'Born in *Moscow*.', links: [{ label: 'Wikipedia', url: 'https://en.wikipedia.org/wiki/Peter_Kropotkin' }] }), 3);
      assert.ok(card.includes('**Peter Kropotkin** (1842–1921)'), card);
      assert.ok(card.includes('Anarchist geographer'), card);
      assert.ok(card.includes('Born in *Moscow*\\.') || card.includes('Born in *Moscow*.'), card);
      assert.ok(card.includes('[Wikipedia](https://en.wikipedia.org/wiki/Peter_Kropotkin)'), card);
      assert.ok(card.includes('Mentioned 3 times in this text.'), card);
      assert.ok(card.includes(`](${sidecarUri}#L5)`), card);
    });

    it('says "once" for a single mention', () => {
      assert.ok(personCardMarkdown(person(), 1).includes('Mentioned once'));
    });

    it('escapes a hostile name and description', () => {
      const card = personCardMarkdown(person({ name: '[Click](command:workbench.action.quit)', description: '<script>x</script> $(zap)' }), 1);
      assert.deepStrictEqual(liveTargets(card), [`${sidecarUri}#L5`]);
      assert.ok(!card.includes('<script>'), card);
      assert.ok(card.includes('\\$\\(zap\\)'), card);
    });

    it('shows links to anything but the web as plain text', () => {
      const card = personCardMarkdown(person({ links: [{ label: 'Evil', url: 'command:workbench.action.quit' }, { label: 'Files', url: 'file:///etc/passwd' }] }), 1);
      assert.deepStrictEqual(liveTargets(card), [`${sidecarUri}#L5`]);
      assert.ok(card.includes('Evil'), card);
    });

    it('sanitizes the bio', () => {
      const card = personCardMarkdown(person({ bio: '[x](javascript:alert(1)) ![p](https://t.example/p.png) <vscode:x> $(zap)' }), 1);
      assert.deepStrictEqual(liveTargets(card), [`${sidecarUri}#L5`]);
      assert.ok(!card.includes('https://t.example'), card);
    });

    it('cuts a long bio with a note and the entry link', () => {
      const bio = 'word '.repeat(2000);
      const card = personCardMarkdown(person({ bio }), 1);
      assert.ok(card.length < maxBioLength + 1000, `card is ${card.length} characters`);
      assert.ok(card.includes('The biography is cut here'), card.slice(-300));
      assert.strictEqual(card.split(`${sidecarUri}#L5`).length - 1, 2);
    });

    it('says when the sidecar is stale', () => {
      const card = personCardMarkdown(person(), 1, { staleSidecars: [sidecarUri] });
      assert.ok(card.startsWith('*⚠ `essay.yaml` has errors; showing its last good version.*'), card);
    });

    it('says when the card is from before a change to its sidecar or library that is still being read', () => {
      const library = 'file:///work/`refs`.json';
      const card = personCardMarkdown(person(), 1, { staleSidecars: [sidecarUri], rereading: [sidecarUri, library] });
      const [stale, rereading] = card.split('\n\n');
      assert.ok(stale.startsWith('*⚠ `essay.yaml` has errors'), card);
      // A backtick in a file name cannot end the code span.
      assert.strictEqual(rereading, '*`essay.yaml`, `refs.json` changed and is being read again; showing it as it was before.*');
      assert.ok(!personCardMarkdown(person(), 1, { rereading: [] }).includes('being read again'));
    });

    it('passes its sentences through the given translation', () => {
      const card = personCardMarkdown(person(), 2, { t: (m, ...args) => `«${m.replace('{0}', String(args[0]))}»` });
      assert.ok(card.includes('«Mentioned 2 times in this text.»'), card);
    });
  });

  describe('unknown and ambiguous people', () => {
    it('says the key is unknown and shows how to add it', () => {
      const card = unknownPersonCardMarkdown('nobody', [sidecarUri]);
      assert.ok(card.includes('Unknown person “nobody”'), card);
      assert.ok(card.includes('`essay.yaml`'), card);
      assert.ok(card.includes('people:\n  nobody:\n    name:'), card);
    });

    it('keeps a hostile key out of the code block syntax', () => {
      const card = unknownPersonCardMarkdown('x```\n[a](command:x)', []);
      assert.strictEqual(card.split('```').length - 1, 2, card);
      assert.deepStrictEqual(liveTargets(card), []);
    });

    it('lists the people who share a name', () => {
      const card = ambiguousNameCardMarkdown('Sasha', [person({ key: 'alexandra', name: 'Alexandra Kropotkina' }), person({ key: 'berkman', name: 'Alexander Berkman' })]);
      assert.ok(card.includes('Ambiguous name “Sasha”'), card);
      assert.ok(card.includes('Alexandra Kropotkina (`alexandra`)'), card);
      assert.ok(card.includes('Alexander Berkman (`berkman`)'), card);
    });
  });

  describe('citationCardMarkdown', () => {
    it('formats the reference and the locator with its label', () => {
      const card = citationCardMarkdown(citationItem({ locator: '229', label: 'page' }), shub);
      assert.ok(card.includes('**Shub 1953**'), card);
      assert.ok(card.includes('David Shub \\(1953\\)'), card);
      assert.ok(card.includes('Kropotkin and Lenin'), card);
      assert.ok(card.includes('The Russian Review 12, no\\. 4'), card);
      assert.ok(card.includes('pp\\. 227\\-234'), card);
      assert.ok(card.includes('Cited at: page 229'), card);
      assert.ok(card.includes(`](${sidecarUri}#L21)`), card);
    });

    it('names the editors of an edited work', () => {
      const edited: Reference = { ...shub, item: { id: 'k1970', type: 'book', author: [{ family: 'Kropotkin', given: 'P. A.' }], editor: [{ family: 'Miller', given: 'Martin A.' }], title: 'Selected Writings', publisher: 'MIT Press', issued: { 'date-parts': [[1970]] } } };
      assert.ok(citationCardMarkdown(citationItem(), edited).includes('Selected Writings\\. Edited by Martin A\\. Miller\\. MIT Press\\.'));
      const anthology: Reference = { ...shub, item: { id: 'a', editor: [{ family: 'Miller', given: 'Martin A.' }], title: 'Anthology', issued: { 'date-parts': [[1970]] } } };
      assert.ok(citationCardMarkdown(citationItem(), anthology).includes('Martin A\\. Miller \\(ed\\.\\) \\(1970\\)\\. Anthology\\.'));
    });

    it('omits the locator line when there is none', () => {
      assert.ok(!citationCardMarkdown(citationItem(), shub).includes('Cited at'));
    });

    it('says when the key is unknown', () => {
      const card = citationCardMarkdown(citationItem({ key: 'nosuch2000' }), undefined);
      assert.ok(card.includes('Unknown citation key “nosuch2000”'), card);
    });

    it('escapes hostile reference fields and keeps only web URLs live', () => {
      const hostile: Reference = { ...shub, item: { ...shub.item, title: '[x](command:evil)', publisher: '<script>', URL: 'javascript:alert(1)' } };
      const card = citationCardMarkdown(citationItem(), hostile);
      assert.deepStrictEqual(liveTargets(card), [`${sidecarUri}#L21`]);
      assert.ok(!card.includes('<script>'), card);
    });
  });

  describe('footnoteCardMarkdown', () => {
    it('renders the note text as Markdown', () => {
      const card = footnoteCardMarkdown(note('Dates are *New Style*.'));
      assert.ok(card.includes('Note \\[^1\\]') || card.includes('Note \\[\\^1\\]'), card);
      assert.ok(card.includes('Dates are *New Style*.'), card);
    });

    it('sanitizes the note text', () => {
      const card = footnoteCardMarkdown(note('[a](command:x) <script>alert(1)</script> ![i](https://t.example/i.png)'));
      assert.deepStrictEqual(liveTargets(card), []);
      assert.ok(!card.includes('<script>'), card);
      assert.ok(!card.includes('t.example'), card);
    });

    it('says when a note has no definition', () => {
      const card = footnoteCardMarkdown(note('', { definition: null, definitionLabel: null }));
      assert.ok(card.includes('no definition'), card);
    });

    it('names inline notes as such', () => {
      assert.ok(footnoteCardMarkdown(note('Inline text.', { inline: true, label: '^1', definition: null })).includes('Inline note'));
    });
  });
});
