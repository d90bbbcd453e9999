// Deterministic inputs for the benchmarks: nothing is downloaded, and the same
// size always gives the same bytes, so runs on different days compare.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const exampleTextPath = path.join(root, 'examples/kropotkin-meets-lenin.annot.md');
export const exampleSidecarPath = path.join(root, 'examples/kropotkin-meets-lenin.yaml');

/**
 * A generated text as the extension would be handed it: a file's text is decoded from its bytes, an editor's joined
 * from its lines, one flat string either way. Joined from pieces, a generated text is a rope: the engine copies it into
 * one string at the first search in it, and every later read of a character goes through the rope's first piece.
 */
export function asRead(generated) {
  return new TextDecoder().decode(Buffer.from(generated, 'utf8'));
}

/** A small seeded generator (mulberry32), so every run builds the same data. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const syllables = ['ka', 'lo', 'min', 'ter', 'vas', 'ri', 'dol', 'sen', 'mar', 'tov', 'bel', 'qui', 'nor', 'zek', 'har', 'pul', 'gri', 'fen', 'sto', 'wex', 'yan', 'dru', 'cel', 'jor', 'ob', 'ul', 'ist', 'ech'];
const titleWords = ['history', 'revolution', 'theory', 'letters', 'memoirs', 'society', 'state', 'labour', 'freedom', 'empire', 'peasants', 'cities', 'science', 'nature', 'exile', 'war', 'peace', 'bread', 'commune', 'federation', 'prison', 'journey', 'essays', 'origins', 'studies', 'chronicle', 'archive', 'reform', 'mutual', 'aid', 'northern', 'siberian', 'geography', 'ethics', 'anarchy', 'politics', 'power', 'reason', 'faith', 'land'];

function capitalize(word) {
  return word[0].toUpperCase() + word.slice(1);
}

/** A word of two to four syllables: the n-th one, so names are distinct by construction. */
function nthWord(n, minSyllables) {
  const parts = [];
  let k = n;
  do {
    parts.push(syllables[k % syllables.length]);
    k = Math.floor(k / syllables.length);
  } while (k > 0 || parts.length < minSyllables);
  return parts.join('');
}

/**
 * The example text repeated until it reaches `size` characters. Each copy gets
 * fresh footnote labels, so the notes stay distinct and the density of notes,
 * quotes, citations and mentions stays the example's.
 */
export function generateText(size) {
  const example = readFileSync(exampleTextPath, 'utf8');
  const closing = example.indexOf('\n---\n', 4);
  const head = example.slice(0, closing + 5);
  const body = example.slice(closing + 5);
  const parts = [head];
  let length = head.length;
  for (let copy = 0; length < size; copy++) {
    const part = (copy === 0 ? body : body.replace(/\[\^([^\]\s]+)\]/g, (_, label) => `[^${label}-${copy}]`)) + '\n';
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

function yamlString(s) {
  return JSON.stringify(s);
}

/** Generated people with distinct names and aliases, written as sidecar YAML entries. */
function personYaml(n, rnd) {
  const given = capitalize(nthWord(n % 500, 2));
  const family = capitalize(nthWord(n + 1000, 3));
  const born = 1700 + Math.floor(rnd() * 250);
  return [
    `  person${n}:`,
    `    name: ${given} ${family}`,
    `    aliases: [${family} ${given[0]}., ${given[0]}. ${family}]`,
    `    born: "${born}"`,
    `    died: "${born + 30 + Math.floor(rnd() * 50)}"`,
    `    description: ${capitalize(titleWords[n % titleWords.length])} writer.`,
    // One in ten has a biography and a link, as a registry grown over years has.
    ...(n % 10 === 0 ? [`    bio: |`, `      ${given} ${family} wrote on ${titleWords[(n * 7) % titleWords.length]}.`, `    links:`, `      Wikipedia: https://example.org/wiki/${given}_${family}`] : []),
    '',
  ].join('\n');
}

/** The n-th generated CSL item. Families repeat across items now and then, as in a real library. */
export function cslItem(n, rnd) {
  const family = capitalize(nthWord(Math.floor(n * 0.7), 2));
  const given = capitalize(nthWord((n * 13) % 400, 2));
  const year = 1800 + Math.floor(rnd() * 220);
  const words = [];
  const count = 3 + Math.floor(rnd() * 5);
  for (let w = 0; w < count; w++) words.push(titleWords[Math.floor(rnd() * titleWords.length)]);
  const title = capitalize(words.join(' '));
  return {
    id: `${family.toLowerCase()}${year}-${n}`,
    type: n % 3 === 0 ? 'article-journal' : 'book',
    author: [{ family, given }],
    issued: { 'date-parts': [[year]] },
    title,
    publisher: `${capitalize(nthWord(n % 90, 2))} Press`,
    'publisher-place': 'London',
  };
}

function referenceYaml(item) {
  return [
    `  - id: ${item.id}`,
    `    type: ${item.type}`,
    `    author:`,
    `      - family: ${item.author[0].family}`,
    `        given: ${item.author[0].given}`,
    `    issued:`,
    `      date-parts: [[${item.issued['date-parts'][0][0]}]]`,
    `    title: ${yamlString(item.title)}`,
    `    publisher: ${item.publisher}`,
    '',
  ].join('\n');
}

/** The example sidecar's people and references, then generated ones up to the counts asked. */
export function generateSidecar(peopleCount, referenceCount) {
  const example = readFileSync(exampleSidecarPath, 'utf8');
  const referencesAt = example.indexOf('\nreferences:\n');
  const examplePeople = example.slice(0, referencesAt + 1);
  const exampleReferences = example.slice(referencesAt + '\nreferences:\n'.length);
  const examplePeopleCount = (examplePeople.match(/^ {2}[\w-]+:\s*$/gm) ?? []).length;
  const exampleReferenceCount = (exampleReferences.match(/^ {2}- id:/gm) ?? []).length;
  const rnd = random(1);
  const out = [examplePeople];
  for (let n = 0; n < peopleCount - examplePeopleCount; n++) out.push(personYaml(n, rnd));
  out.push('references:\n', exampleReferences.replace(/\n*$/, '\n\n'));
  for (let n = 0; n < referenceCount - exampleReferenceCount; n++) out.push(referenceYaml(cslItem(n, rnd)));
  return out.join('');
}

/** A CSL-JSON library of `count` items, as Zotero exports it, with the example's works among them. */
export function generateCslJson(count, exampleItems) {
  const rnd = random(2);
  const items = [...exampleItems];
  for (let n = 0; items.length < count; n++) items.push(cslItem(n, rnd));
  return JSON.stringify(items, null, 2);
}

/** A CSL-YAML library of `count` generated items, laid out as Pandoc writes one: `references:` between `---` and `...`. */
export function generateCslYaml(count) {
  const rnd = random(4);
  const lines = ['---', 'references:'];
  for (let n = 0; n < count; n++) {
    const item = cslItem(n, rnd);
    lines.push(`- id: ${item.id}`, `  type: ${item.type}`, '  author:');
    for (const { family, given } of item.author) lines.push(`  - family: ${JSON.stringify(family)}`, `    given: ${JSON.stringify(given)}`);
    lines.push(
      '  issued:',
      `    date-parts: [[${item.issued['date-parts'][0][0]}]]`,
      `  title: ${JSON.stringify(item.title)}`,
      `  publisher: ${JSON.stringify(item.publisher)}`,
      `  publisher-place: ${JSON.stringify(item['publisher-place'])}`,
    );
  }
  lines.push('...', '');
  return lines.join('\n');
}

/**
 * A BibTeX library of `count` generated entries, as a reference manager exports one. With `latexEvery`, every
 * so many entries have a title written with LaTeX: `accents`, an accented letter and an escaped symbol, as an export
 * that encodes them gives them; `markup`, an emphasis besides; `math`, a Greek letter in math besides; or
 * `root`, a square root in math besides, which only the parser reads. With
 * `placeMacros`, the library first defines that many places with `@string`, as hand-kept libraries define journals,
 * and each entry gives its place by one of them. With `joined` besides, written as hand-kept libraries are: each
 * place joins one of 20 cities and a number with `#`, each entry joins its place and a district, gives its month by
 * the month's macro, and its title in quotes; a comment heads every 25th entry, and every 10th has a field commented
 * out. With `older`, in the older style hand-kept libraries have: every other title set in `{\em …}` with a tie
 * before its volume, every third author's family name in braces, written `First {Last}` or `{Last}, First` in
 * turn, pages with a tie, and every fourth entry an address on a personal page (`~name`) with a query. With
 * `biblatex`, as written for BibLaTeX: every third title in `\enquote{…}`, every other with a century in
 * `\textsuperscript{th}`, every other author's given names as initials joined by a tie (`Last, A.~B.`), every
 * fifth written `First van~der Last`, and every fourth entry an abstract in the JATS tags of Crossref, written
 * as Better BibTeX writes LaTeX's reserved characters (`{\textless}jats:p{\textgreater}`). With `mendeley`, as
 * Mendeley Desktop exports on Windows: titles in double braces, three entries in four with the path of their
 * attachment (`:C$\backslash$:/Users/…:pdf`, each backslash written as math), every other with an address with
 * underscores in groups (`{\_}`), and the reader's groups and keywords.
 */
export function generateBibtex(count, { latexEvery = 0, latex = 'markup', placeMacros = 0, joined = false, older = false, biblatex = false, mendeley = false } = {}) {
  const written = { accents: ' \\& {\\"U}bersicht', markup: ' \\& \\emph{{\\"U}bersicht}', math: ' \\& {\\"U}bersicht of $\\alpha$', root: ' \\& {\\"U}bersicht of $\\sqrt{2}$' }[latex];
  const rnd = random(3);
  // BibTeX macros are named in letters: the n-th place is `placeaa`, `placeba`, ….
  const place = (n) => `place${String.fromCharCode(97 + (n % 26))}${String.fromCharCode(97 + (Math.floor(n / 26) % 26))}`;
  const city = (n) => `city${String.fromCharCode(97 + (n % 20))}`;
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const entries = joined ? Array.from({ length: 20 }, (_, n) => `@string{${city(n)} = "City of {${String.fromCharCode(65 + n)}}"}\n`) : [];
  for (let n = 0; n < placeMacros; n++) {
    entries.push(joined ? `@string{${place(n)} = ${city(n)} # ", {N}umber " # ${n}}\n` : `@string{${place(n)} = {City {N}umber ${n}}}\n`);
  }
  for (let n = 0; n < count; n++) {
    const item = cslItem(n, rnd);
    const [{ family, given }] = item.author;
    let title = latexEvery && n % latexEvery === 0 ? `${item.title}${written}` : item.title;
    let author = `${family}, ${given}`;
    if (older) {
      title = n % 2 === 0 ? `{\\em ${title}}, Vol.~${(n % 5) + 1}` : `${title}, Vol.~${(n % 5) + 1}`;
      if (n % 3 === 0) author = n % 2 === 0 ? `${given} {${family}}` : `{${family}}, ${given}`;
    }
    if (biblatex) {
      if (n % 3 === 0) title = `\\enquote{${title}}`;
      if (n % 2 === 0) title = `${title} in the ${(n % 9) + 11}\\textsuperscript{th} Century`;
      if (n % 5 === 0) author = `${given} van~der ${family}`;
      else if (n % 2 === 0) author = `${family}, ${given[0]}.~${given[given.length - 1].toUpperCase()}.`;
    }
    const year = item.issued['date-parts'][0][0];
    if (mendeley) title = `{${title}}`;
    entries.push(
      [
        ...(joined && n % 25 === 0 ? [`% ---- ${item.publisher}, from ${year} ----`, ''] : []),
        `@${item.type === 'book' ? 'book' : 'article'}{${item.id},`,
        ...(joined && n % 10 === 0 ? [`  % note = {to check},`] : []),
        `  author = {${author}},`,
        joined ? `  title = "${title}",` : `  title = {${title}},`,
        `  year = {${year}},`,
        `  publisher = {${item.publisher}},`,
        placeMacros ? `  address = ${place(n % placeMacros)}${joined ? ' # ", " # {North}' : ''},` : `  address = {London},`,
        ...(joined ? [`  month = ${months[n % 12]},`] : []),
        ...(biblatex && n % 4 === 0 ? [`  abstract = {{\\textless}jats:p{\\textgreater}A study of ${item.title.toLowerCase()}, 50\\% of it on {\\textless}i{\\textgreater}${family}{\\textless}/i{\\textgreater}.{\\textless}/jats:p{\\textgreater}},`] : []),
        ...(older ? [`  pages = {pp.~${n % 300}--${(n % 300) + 20}},`, ...(n % 4 === 0 ? [`  url = {http://example.org/~${family.toLowerCase()}/${item.id}.html?lang=en&part=${n % 7}#top},`] : [])] : []),
        ...(mendeley
          ? [
              ...(n % 4 === 0 ? [] : [`  file = {:C$\\backslash$:/Users/reader/AppData/Local/Mendeley Ltd./Mendeley Desktop/Downloaded/${family} - ${year} - ${item.title}.pdf:pdf},`]),
              ...(n % 2 === 0 ? [`  url = {http://www.example.org/${family.toLowerCase()}{\\_}${year}{\\_}${n}.pdf},`] : []),
              `  keywords = {anarchism,mutual aid},`,
              `  mendeley-groups = {Thesis/Chapter ${(n % 5) + 1}},`,
            ]
          : []),
        '}',
        '',
      ].join('\n'),
    );
  }
  return entries.join('\n');
}
