import * as assert from 'assert';
import fc from 'fast-check';
import { bibtexEntryToCsl, bibtexSteps, parseBibliography, runNow } from '../../src/core';
import { bibtexParserOptions, parseBibtexWhole } from '../../src/core/bibliography';
import { commandCharacters, mathCommands, plainBibtexEntry, plainStringDefinition, type BibtexEntry, type PlainBibtexOptions } from '../../src/core/bibtexPlain';
import { useBibtexParserEsmBuild } from './bibtexParserEsm';

interface ParsedLibrary {
  readonly errors: readonly unknown[];
  readonly entries: readonly { readonly type: string; readonly key: string; readonly fields: Readonly<Record<string, unknown>> }[];
}
const parser = (): { parse(input: string, options: object): ParsedLibrary } =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the parser the plain reading must agree with, loaded as the core loads it
  require('@retorquere/bibtex-parser') as { parse(input: string, options: object): ParsedLibrary };

/** The parser's reading of one entry's text, with the core's options, made into a CSL item. */
function parsedItem(source: string): { key: string; item: unknown } {
  const library = parser().parse(source, bibtexParserOptions);
  assert.deepStrictEqual(library.errors, [], source);
  assert.strictEqual(library.entries.length, 1, source);
  return { key: library.entries[0].key, item: bibtexEntryToCsl(library.entries[0]) };
}

/** Checks that the plain reading of `source` is certain, and is the parser's. */
function readsAsTheParser(source: string): void {
  // A single entry's text holds no `@string` that could define a month.
  const plain = plainBibtexEntry(source, { builtInMacros: true });
  assert.ok(plain, `read as plain: ${JSON.stringify(source)}`);
  assert.deepStrictEqual({ key: plain.key, item: bibtexEntryToCsl(plain) }, parsedItem(source), JSON.stringify(source));
}

/** Multiplies the runs of each property here, for longer runs than the suite's: `MARGINALIA_PROPERTY_RUNS_SCALE=10 npx mocha …`. */
const runsScale = Number(process.env.MARGINALIA_PROPERTY_RUNS_SCALE) || 1;

/**
 * Over `numRuns` random entries (times `runsScale`), checks that the parser
 * reads each one the plain reading takes to the same key and item; the
 * entries taken, with their readings, and the runs, for the property to say
 * whether they are a fair share.
 */
function takenAsTheParserReads(entries: fc.Arbitrary<string>, numRuns: number, options: PlainBibtexOptions = {}): { taken: { source: string; plain: BibtexEntry }[]; runs: number } {
  const taken: { source: string; plain: BibtexEntry }[] = [];
  const runs = numRuns * runsScale;
  fc.assert(
    fc.property(entries, (source) => {
      const plain = plainBibtexEntry(source, options);
      if (!plain) return;
      taken.push({ source, plain });
      assert.deepStrictEqual({ key: plain.key, item: bibtexEntryToCsl(plain) }, parsedItem(source));
    }),
    { numRuns: runs },
  );
  return { taken, runs };
}

const libraryUri = 'file:///work/library.bib';

/**
 * Over `numRuns` random libraries (times `runsScale`), checks that reading
 * one in steps, and at once, gives what the parser's whole read gives; the
 * share of them read without an error, for the property to say whether it
 * tried enough: read whole, a library with an error says nothing of the
 * pieces.
 */
function readInStepsAsWhole(libraries: fc.Arbitrary<string>, numRuns: number): number {
  let clean = 0;
  const runs = numRuns * runsScale;
  fc.assert(
    fc.property(libraries, (text) => {
      const whole = parseBibtexWhole(libraryUri, text);
      if (whole.diagnostics.length === 0) clean++;
      assert.deepStrictEqual(runNow(bibtexSteps(libraryUri, text)).bibliography, whole);
      assert.deepStrictEqual(parseBibliography(libraryUri, text), whole);
    }),
    { numRuns: runs },
  );
  return clean / runs;
}

/** Random libraries: `definitions`, then up to 40 of `entries`, each `KEY` in them made a key of its own. */
function libraryAfter(definitions: readonly string[], entries: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.array(entries, { minLength: 1, maxLength: 40 }).map((chosen) => [...definitions, ...chosen.map((entry, n) => entry.replaceAll('KEY', `k${n}`))].join('\n'));
}

/** What may come between tokens: whitespace, and now and then a `%` comment, to the end of its line or of the text. */
const space = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('', ' ', '  ', '\n', '\r\n', '\t') },
  fc.constantFrom(' % a comment\n', '%\n  ', '\n% @book{x,\n', '%'),
);
const latexPart = fc.constantFrom('{\\em x}', '{\\bf M{\\"u}ller}', '{\\it x }', '{\\sc Kro}', '{\\sl a~b}', '{\\em\\"u}', '{\\em}', '{\\em {x}}', '{ \\em x}', '~', 'a~b', '\\~{}', '{\\"u}', '\\"{u}', '{\\"{U}}', '\\"o', '{\\v c}', '\\v{s}', '{\\c{c}}', '{\\ss}', '{\\o}', '\\&', '\\%', '\\_', '\\#', '\\$', "{\\'e}", "\\'E", '{\\`a}', '\\^{o}', '\\~n', '{\\=a}', '\\.z', '{\\H o}', '{\\k a}', '{\\r a}', '\\u{g}', '{\\d s}', '{\\i}', '{\\textquoteright}', '{\\textendash}', '{\\textemdash}', '{\\textquotedblleft}', '{\\guillemotright}', '{\\th}', '{\\textbackslash}', '{\\textless}', '{\\textgreater}', '{\\textasciitilde}', '{\\textdollar}', '{\\textunderscore}', '{\\ldots}', '{\\textbraceleft}', '\\emph{x}', '\\\\', '\\{', '\\ss ', '\\"', '\\textsuperscript{2}', '\\textsuperscript{th}', '\\textsubscript{2}', 'H\\textsubscript{2}O', '\\textsuperscript{-1}', '\\textsuperscript{q}', '\\textsuperscript{--}', '\\textsuperscript{}', '\\textsuperscript{a b}', '\\textsubscript{y}', '\\textsuperscript {2}', '\\l{}', '\\c c', '\\texttt{x}', '\\o b', '\\AA{}', '\\textbackslash x', '\\ss{}{}', '\\v\n s', '{\\textquotesingle}', 'D\\textquotesingle Errico', '{\\textdied}', '\\guillemetleft{}x\\guillemetright', '\\}', 'a \\{x\\} b', '\\$\\textbackslash mathbb\\{R\\}\\$', '\\\\{x}');
const plainPart = fc.constantFrom('a', 'Kro', 'e', 'Z', 'and', 'And', ' and ', ' ', '  ', '\n', '-', '--', '---', ',', '.', ':', '(', ')', "'", '"', '{', '}', '1', '9', 'é', '\u00a0', '😀', 'von ', 'de la ', 'Jr', '=', '!', '?');
/** Math as titles write it, mostly of the form read without the parser, now and then with LaTeX it leaves to the parser. */
const mathPart = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom('a', 'n', 'X', '2', ' ', '  ', '+', '=', '(', ')', ',', '.', '/', ';', ':', '!', '?', '|', '[', ']', '*', '\\alpha', '\\mu', '\\Gamma', '\\epsilon', '\\neq', '\\notin', '\\to ', '\\leq', '\\infty', '\\ldots', '-', '--', "'", '^2', '_1', '^{-1}', '_{10}', ' ^ 3', '^{ (2) }', '_=', '^n', '_n', '^{th}', '_{n+1}', '^ab', '^{ A }') },
        fc.constantFrom('\\log ', '\\Alpha', '\\emptyset', '\\mathcal{C}', '\\alphab', '^q', '_i', '_{ij}', '^B', '^{\\pi}', '^{}', '^\\alpha', '_{2a}', '^', '{x}', '"', '\t', '\n', '\\,', '\\$', '$', '%', '~', '\\'),
      ),
      { maxLength: 5 },
    ),
    fc.constantFrom('$', '$', '$', '$', '$', '$$'),
  )
  .map(([parts, fence]) => `${fence}${parts.join('')}${fence}`);
/** Rich text as exports write it, around `inner` parts. */
const markupAround = (inner: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('\\emph', '\\textit', '\\textbf', '\\textsc', '\\mkbibemph', '\\mkbibbold', '\\enquote', '\\mkbibquote'), fc.array(inner, { maxLength: 5 })).map(([command, parts]) => `${command}{${parts.join('')}}`);
/** Rich text around plain text and LaTeX letters, now and then around more rich text. */
const markupPart = markupAround(fc.oneof({ weight: 4, arbitrary: plainPart }, latexPart));
const specialPart = fc.constantFrom('\u0301', '\r\n', '\n\n', '&', '%', '\\', '$', '~', '_', '^', '#', '<', '>', '`', "''", '@', '\\"u', '{}', '\u000e');
/** Mostly text that may be plain (names, particles, dashes, braces, quotes, Unicode, LaTeX accents, escapes and rich text), some with other LaTeX or another break. */
const valueText = fc
  .oneof(
    { weight: 3, arbitrary: fc.array(plainPart, { maxLength: 10 }) },
    { weight: 2, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: plainPart }, latexPart, markupPart, mathPart), { maxLength: 10 }) },
    { weight: 1, arbitrary: fc.array(fc.oneof(plainPart, latexPart, markupPart, mathPart, specialPart), { maxLength: 10 }) },
  )
  .map((parts) => parts.join(''));
const fieldName = fc.constantFrom(
  'author',
  'editor',
  'translator',
  'bookauthor',
  'title',
  'subtitle',
  'booktitle',
  'journal',
  'publisher',
  'location',
  'address',
  'institution',
  'year',
  'month',
  'date',
  'pages',
  'doi',
  'url',
  'note',
  'abstract',
  'keywords',
  'file',
  'type',
  'langid',
  'Title',
  'crossref',
  'unknownfield',
);
const monthOrMacro = fc.constantFrom('jan', 'May', 'march', 'oct', 'DECEMBER', 'sept', 'jot', 'cacm', 'TCS');
const singleValue = fc.oneof(
  { weight: 6, arbitrary: valueText.map((text) => `{${text}}`) },
  { weight: 2, arbitrary: valueText.map((text) => `"${text}"`) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('1905', '3', '007'), monthOrMacro) },
);
/** A value in one part, or parts joined with `#` as hand-kept libraries join a macro and the rest. */
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: singleValue },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(space, fc.oneof(singleValue, monthOrMacro), space), { minLength: 2, maxLength: 3 })
      .map((parts) => parts.map(([before, part, after]) => `${before}${part}${after}`).join('#')),
  },
);
const field = fc.tuple(space, fieldName, space, space, fieldValue, space).map(([a, name, b, c, value, d]) => `${a}${name}${b}=${c}${value}${d}`);
/** One entry's text, as a cut at line starts gives it: plain or not, with what may follow it. */
const entryText = fc
  .tuple(
    fc.constantFrom('', ' ', '\n'),
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('book', 'Article', 'misc', 'incollection') }, fc.constantFrom('string', 'comment')),
    space,
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('kropotkin1892', 'a:b/c.d', 'x-y_z') }, fc.constant('')),
    fc.array(field, { maxLength: 5 }),
    fc.boolean(),
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('', '\n', '\n\n') }, fc.constantFrom(' text after', '\n% a comment\n', ' % @misc{b,\n', '\n% ---- a section ----\n\n', '} text @misc{b,}', '%')),
  )
  .map(([lead, type, gap, key, fields, trailingComma, after]) => `${lead}@${type}${gap}{${key},${fields.join(',')}${trailingComma ? ',' : ''}}${after}`);

describe('BibTeX entries read without the parser', () => {
  before(useBibtexParserEsmBuild);

  it('reads what a reference manager writes as the parser does', () => {
    readsAsTheParser('@book{kropotkin1892,\n  author = {Kropotkin, Peter and de la Fontaine, Jean and Emma Goldman and Marx, Jr., Karl},\n  title = {The {Conquest} of {Bread}},\n  year = 1892,\n  month = {March},\n  pages = {12--34},\n  publisher = {P.-V. Stock and Freedom Press},\n  location = {Paris and London},\n  doi = {10.1000/182},\n  url = {https://example.org/conquest},\n}\n\n');
    readsAsTheParser('@Article{lenin1917, journaltitle = "Pravda", date = {1917-04-07}, title = {{April Theses}}, number = {26}, langid = {russian},}');
    // As Zotero's own BibTeX export writes an article: tabs, braces for capitals, and the month as a macro.
    readsAsTheParser('@article{shub_kropotkin_1953,\n\ttitle = {Kropotkin and {Lenin}},\n\tvolume = {12},\n\tissn = {00365343},\n\turl = {http://www.jstor.org/stable/125924},\n\tdoi = {10.2307/125924},\n\tnumber = {4},\n\tjournal = {The Russian Review},\n\tauthor = {Shub, David},\n\tmonth = oct,\n\tyear = {1953},\n\tpages = {227--234},\n}\n');
    // Parts joined with `#`, as hand-kept libraries join a macro and the rest; a month's macro stands for its number.
    readsAsTheParser('@inproceedings{goldman1911,\n  title = "Anarchism" # { and Other } # "Essays",\n  booktitle = {Mother Earth} #" "# 1911,\n  pages = 1 # "--" # 20,\n  month = jun,\n  note = {issued} # { } # may # {, reissued } # dec,\n}\n');
    // BibTeX's styles abbreviate a few journals by macros of their own.
    readsAsTheParser('@article{knuth1974,\n  journal = cacm,\n  title = {Computer Programming as an Art},\n  year = 1974,\n  month = dec,\n}\n');
    // A name in one group is kept whole, as Zotero exports a corporate author; an `and` inside it does not split it.
    readsAsTheParser('@report{ifs1936,\n  author = {{Institut f{\\"u}r Sozialforschung} and Horkheimer, Max and {Freedom  and {P}ress}},\n  editor = {{\\"U}},\n  title = {Studien {\\"u}ber Autorit{\\"a}t und Familie},\n}\n');
    // Groups in a name, as hand-kept libraries protect a compound name or a suffix: written `Last, First`, read as if the braces were not there;
    // written `First von Last`, each group one word.
    readsAsTheParser('@book{vangogh1914,\n  author = {{Van Gogh}, Vincent and {van Gogh}, Theo and {de la Fontaine}, Jean and Smith, {Jr.}, John and {Smith and Sons}, Ltd. and Kropotkin, {P}{\\\'e}tr},\n  editor = {Vincent {van Gogh} and Jean {de la} Fontaine and {Freedom} {Press} and {\\O}stergaard {Hansen}},\n}\n');
    // A group after a space that opens the list is not the whole name, and is read as a last name of one word.
    readsAsTheParser('@book{a, author = { {Freedom Press}}}');
    readsAsTheParser('@book{goldman1931,\n  title = "Living My {Life}: {\\"U}ber {"}Anarchie{"}",\n  author = "M{\\"u}ller, Hans",\n}\n');
    // Comments between fields and after the entry, as hand-kept libraries write them, are skipped as the parser skips them.
    readsAsTheParser('% My library, kept by hand\n@book{kropotkin1902, % the London edition\n  author = {Kropotkin, Peter},\n  % title = {Mutual Aid},\n  title = {Mutual Aid: A Factor of Evolution} # % joined\n    { (1902)},\n  year = 1902 %, month = jan\n}\n% ---- Anarchism, 1900-1920 ---- write to me@example.org\n\n');
    readsAsTheParser('@incollection{avrich1988,\n  author    = {Avrich, Paul},\n  title     = {Kropotkin in America},\n  booktitle = {Anarchist Portraits},\n  note      = {A long note\n    that wraps, with an em dash---and an en dash: 1917--1921},\n  file      = {Full Text:/home/reader/avrich.pdf:application/pdf},\n}');
  });

  it('reads the LaTeX an export writes for accented letters, symbols and rich text as the parser does', () => {
    readsAsTheParser('@book{mueller1953,\n  author = {M{\\"u}ller, J{\\\'e}r{\\^o}me and {\\O}stergaard, S{\\o}ren and \\v{C}apek, Karel and Ga{\\l}{\\k a}zka, Ewa},\n  title = {{\\"U}ber die Anarchie \\& {\\v C}ech Stra{\\ss}e, 50\\% \\#1},\n  publisher = {Chapman \\& Hall},\n  address = {K\\"oln},\n  note = {Fran{\\c{c}}ais, {\\aa}, {\\AE}, {\\oe}, {\\i}, \\u{g}, {\\H o}, {\\r a}, {\\d s}, \\~n, {\\=a}, \\.z, {\\`a}},\n}\n');
    // Zotero's and Better BibTeX's exports write typographic punctuation as commands in braces.
    readsAsTheParser('@book{obrien1970,\n  author = {O{\\textquoteright}Brien, Se{\\\'a}n and {\\TH}orsson, {\\DH}{\\\'o}ra},\n  title = {Kropotkin{\\textquoteright}s {\\textquotedblleft}Bread{\\textquotedblright}, 1892{\\textendash}1906 {\\textemdash} a {\\textquoteleft}study{\\textquoteright}{\\textellipsis}},\n  note = {{\\guillemotleft}{\\guilsinglleft}x{\\guilsinglright}{\\guillemotright} {\\quotesinglbase} {\\textexclamdown}{\\textquestiondown} {\\textsection}{\\textparagraph} {\\textdegree}{\\textbullet} {\\textcopyright}{\\textregistered}{\\texttrademark} {\\textperthousand}{\\pounds}{\\texteuro} {\\dh}{\\th}{\\dj}{\\DJ}{\\ng}{\\NG}},\n}\n');
    // Rich text in rich text nests; runs of one style still join across spaces.
    readsAsTheParser('@book{nested,\n  title = {\\emph{Mutual \\textbf{Aid}} \\emph{and} \\enquote{\\emph{Bread}}, {\\em Fields \\textbf{and} Factories}, \\textbf{\\textit{\\textsc{x}}}},\n}\n');
    readsAsTheParser('@book{mutual1902,\n  title = {\\emph{Mutual Aid}: A Factor of \\textit{Evolution}, with \\textbf{bold} and \\textsc{small capitals}},\n  booktitle = {\\mkbibemph{Essays} \\emph{{\\"U}ber} \\emph{Anarchie}},\n  note = {\\mkbibbold{One}\\textbf{Two} -- \\emph{x}},\n  keywords = {\\emph{anarchism}},\n}\n');
    // Math as titles in the sciences write it: Greek letters, symbols, letters and digits; the parser drops the spaces inside.
    // Hand-kept libraries write ties, the older font switches, and addresses with LaTeX's special characters in them, which the parser keeps.
    readsAsTheParser('@book{kropotkin1902b,\n  title = {{\\em Mutual Aid}: {\\bf A} {\\sc Factor} of {\\it Evolution}, Vol.~2, pp.~1--20},\n  note = {{\\sl See} {\\em M{\\"u}ller} \\emph{and} {\\em Lenin}},\n  url = {http://example.org/~kropotkin/mutual_aid.html?part=2&lang=en#ch1},\n  doi = {10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O},\n}\n');
    // As written for BibLaTeX: quotations, ordinals and formulas in scripts, and ties between initials and in particles.
    readsAsTheParser('@book{shatz1995,\n  author = {Shatz, M.~S. and Jean de~La~Fontaine and van~der Heide, A. and {Freedom}~Press},\n  title = {Kropotkin{\\textquoteright}s \\enquote{Bread} and the \\mkbibquote{Conquest} in the 19\\textsuperscript{th} Century: \\emph{\\"Uber} CO\\textsubscript{2}, 10\\textsuperscript{-3} and 1\\textsuperscript{er}},\n  publisher = {Chapman~\\&~Hall and Freedom~Press},\n  note = {\\enquote{a} \\enquote{b}, \\textsuperscript{A}\\textsubscript{x}},\n}\n');
    // As Zotero and Better BibTeX export: words in braces beside a hyphen, publishers in double braces, a percent-encoded address, and the
    // paths of attachments, which the parser keeps as written.
    readsAsTheParser('@online{arte2024,\n  title = {Est-il vrai que les fronti{\\`e}res sont anciennes ? {\\textbar} {Est}-il vrai que... {\\textbar} {ARTE}},\n  shorttitle = {Migration in the {Age} of the {Nation}-state, zk-{SNARK}s and {COVID}-19},\n  publisher = {{Friedrich-Ebert-Stiftung, Forum Berlin}},\n  location = {Springer Science and Business Media {LLC} and {Paris and London}},\n  url = {https://www.example.org/immigration-malgr%C3%A9-les-critiques},\n  file = {Snapshot:C\\:\\\\Users\\\\reader\\\\Zotero\\\\storage\\\\TLD5GN23\\\\arte.html:text/html;Full Text PDF:/home/reader/Zotero/storage/a b/x~y.pdf:application/pdf},\n  keywords = {migration, C\\#, 50\\%},\n}\n');
    // Letters and symbols written as commands outside braces take the whitespace after them, or an empty group, as in LaTeX; so does an
    // accent named by a letter. Code is marked up.
    readsAsTheParser('@book{lecons,\n  title = {Le\\c cons sur la g\\\'eom\\\'etrie, Gegenma\\ss{}nahmen, Stra\\ss e, \\AA{}ngstr\\"om and \\texttt{tokensToSend}},\n  author = {Micha\\l{} Pilipczuk and Pawe\\l{} Gawrychowski and Jakub \\L{}opusza\\\'nski},\n  abstract = {Let \\$\\textbackslash chi\\$ be},\n}\n');
    readsAsTheParser('@misc{linfo, url = {http://www.example.org/login\\_def.html?a=1\\&b=2}, doi = {10.1000/a\\_b\\%20}}');
    // As Mendeley Desktop exports: the backslashes of a Windows path as math, an underscore or an ampersand in an address in a group, which
    // the parser keeps as written, and an address in one group, which it drops.
    readsAsTheParser('@article{Ainsworth2003,\nauthor = {Ainsworth, Shaaron},\ndoi = {{10.1016/S0364-0213(03)00033-8}},\nfile = {:C$\\backslash$:/Users/reader/AppData/Local/Mendeley Ltd./Mendeley Desktop/Downloaded/Ainsworth - 2003 - Self-explaining.pdf:pdf},\ntitle = {{The effects of self-explaining {\\&} diagrams}},\nurl = {http://www.example.org/Teaching{\\_}files/a{\\_}b.pdf?x=1{\\&}q=2},\nyear = {2003}\n}\n');
    // As Zotero escapes LaTeX in the abstract of a paper from arXiv: braces escaped are braces in the text, not groups.
    readsAsTheParser('@article{sphere2019,\n  title = {Packing {\\textbackslash}\\{spheres\\} and \\emph{\\{x\\}}},\n  abstract = {We show there exists a packing of identical spheres in \\$\\textbackslash mathbb\\{R\\}{\\textasciicircum}n\\$ with density \\$(1-x)\\$, for \\{a, {\\{}b\\}.},\n}\n');
    // Names in BibLaTeX's extended format, as Better BibTeX writes names with particles.
    readsAsTheParser('@article{verclos2019,\n  author = {Dostert, Maria and family=Laat, given=David, prefix=de, useprefix=true and family=Verclos, given=R{\\\'e}mi de Joannis, prefix=de, useprefix=true and family=Tuza, given=Zs., given-i={{Zs}} and family={Smith, Jones}, given=A, suffix=Jr.},\n}\n');
    // LaTeX's special characters written bare, as hand-kept libraries do, render as themselves.
    readsAsTheParser("@book{rd,\n  title = {R&D and `{{Big Data}}': C# for x^2 and snake_case},\n  publisher = {Smith & Sons},\n  author = {Smith & Sons, A.},\n}\n");
    // LaTeX's quotation marks, two backquotes and two apostrophes, in text and in names.
    readsAsTheParser("@book{gefahr,\n  title = {,,Eine Gefahr f\\\"ur die Demokratie`` and ``Bread'' and ``\\emph{Aid}''},\n  author = {O''Brien, Se{\\'a}n and ``Red'' Emma Goldman},\n}\n");
    // Addresses in text, as hand-kept libraries write a web page's.
    readsAsTheParser('@misc{kropotkin1899,\n  title = {Memoirs of a Revolutionist},\n  howpublished = {\\url{https://example.org/~kropotkin/memoirs_1899.html?part=2&lang=en#ch1}},\n  note = {See \\url{http://example.org/a--b} -- and \\emph{\\url{x}}, with $\\alpha$ after~it},\n}\n');
    readsAsTheParser('@article{keeling1960,\n  title = {The Concentration and Isotopic Abundances of CO$_2$ in the Atmosphere: $^{14}$C, $10^{-3}$ and $x_1^2 - y\'$},\n}\n');
    readsAsTheParser('@article{pauling1951,\n  title = {The Structure of Proteins: the $\\alpha$-Helix and $\\beta$-Sheet, $O(n)$ and $\\mu$ in $ a \\to b $},\n  journal = "Proc. of \\emph{$\\Gamma$-Sets}",\n  note = {$\\alpha$--$\\omega$, \\$5 and $n+1\\leq 2$},\n}\n');
    const rich = bibtexEntryToCsl(plainBibtexEntry('@book{a, title = {\\emph{Mutual} \\textit{Aid}: A \\textbf{Factor}}}') ?? assert.fail('not read as plain'));
    // The parser joins two runs of one style across the space between them.
    assert.strictEqual(rich.title, '<i>Mutual Aid</i>: A <b>Factor</b>');
    const item = bibtexEntryToCsl(plainBibtexEntry('@book{a, author = {M{\\"u}ller, Hans}, title = {{\\"U}ber \\& mehr}}') ?? assert.fail('not read as plain'));
    // Composed, as people type and search for them.
    assert.deepStrictEqual(item.author, [{ family: 'Müller', given: 'Hans' }]);
    assert.strictEqual(item.title, 'Über & mehr');
  });

  it('renders each command of math it knows as the parser does', () => {
    const names = Object.keys(mathCommands);
    const library = parser().parse(names.map((name, n) => `@book{k${n}, title = {x $\\${name}$ y}}\n`).join(''), bibtexParserOptions);
    assert.deepStrictEqual(library.errors, []);
    for (const [n, name] of names.entries()) {
      assert.strictEqual(library.entries[n].fields.title, `x ${mathCommands[name]} y`, name);
      readsAsTheParser(`@book{k, title = {x $\\${name}$ y}}`);
    }
  });

  it('renders each letter and symbol written as a command in braces as the parser does', () => {
    for (const [name, char] of Object.entries(commandCharacters)) {
      assert.strictEqual((parsedItem(`@book{k, title = {x{\\${name}}y}}`).item as { title?: string }).title, `x${char}y`, name);
      readsAsTheParser(`@book{k, title = {x{\\${name}}y}, author = {A{\\${name}}, B}}`);
      // Outside braces, taking the whitespace or the empty group after it.
      readsAsTheParser(`@book{k, title = {x\\${name} y and x\\${name}{}y}, note = {\\${name}}}`);
    }
    // As Better BibTeX writes the tags of an abstract from Crossref.
    readsAsTheParser('@article{a, abstract = {{\\textless}jats:p{\\textgreater}Mutual aid in {\\textless}i{\\textgreater}Homo sapiens{\\textless}/i{\\textgreater}, 50\\% of {\\textasciitilde}10{\\textasciicircum}3 {\\textdollar} at C:{\\textbackslash}x{\\textless}/jats:p{\\textgreater}}}');
  });

  it('renders the symbols the parser does not know as their characters, not as nothing, read with the parser or without', () => {
    const written = "@book{derrico2009,\n  author = {D{\\textquotesingle}Errico, Chiara and Bakunin, Mikhail},\n  note = {{\\textborn} 1814, {\\textdied} 1876, {\\textmarried} 1858; {\\guillemetleft}Dieu et l{\\textquotesingle}{\\'E}tat{\\guillemetright}, 2{\\textminus}1},\n}\n";
    const expected = { author: [{ family: "D'Errico", given: 'Chiara' }, { family: 'Bakunin', given: 'Mikhail' }], note: "* 1814, † 1876, ⚭ 1858; «Dieu et l'État», 2−1" };
    const plain = bibtexEntryToCsl(plainBibtexEntry(written) ?? assert.fail('not read as plain')) as Record<string, unknown>;
    assert.deepStrictEqual({ author: plain.author, note: plain.note }, expected);
    // The same entry with a command only the parser reads goes to it, and reads the symbols alike.
    const withParser = parseBibliography('file:///library.bib', written.replace('note = {', 'note = {\\href{https://example.org}{x} '));
    const item = withParser.references[0].item as Record<string, unknown>;
    assert.deepStrictEqual({ author: item.author, note: (item.note as string).replace(/^<a [^>]*>x<\/a> /, '') }, expected);
  });

  it('renders each character a script in text or math may hold as the parser does', () => {
    for (const char of [...'abcdefghijklmnoprstuvwxyzA0123456789+-=()']) readsAsTheParser(`@book{k, title = {x\\textsuperscript{${char}} y}}`);
    for (const char of [...'aehklmnopstx0123456789+-=()']) readsAsTheParser(`@book{k, title = {x\\textsubscript{${char}} y}}`);
    // In math, `^` and `_` the same.
    for (const char of [...'abcdefghijklmnoprstuvwxyzA0123456789+-=()']) readsAsTheParser(`@book{k, title = {$x^{${char}}$ y}}`);
    for (const char of [...'aehklmnopstx0123456789+-=()']) readsAsTheParser(`@book{k, title = {$x_${char}$ y}}`);
  });

  it('leaves to the parser whatever it cannot read with certainty', () => {
    const notPlain: Record<string, string> = {
      'a LaTeX command other than an accent, an escaped symbol, rich text, a script or an address': '@book{a, note = {See \\href{https://example.org}{the site}}}',
      'an address with a percent, which the parser reads as a comment': '@book{a, note = {\\url{https://example.org/a%20b}}}',
      'an address with a space before it': '@book{a, note = {\\url {https://example.org}}}',
      'an empty address': '@book{a, note = {\\url{}}}',
      'an address with a quote': '@book{a, note = {\\url{https://example.org/"a"}}}',
      'an address after an accent': '@book{a, note = {\\"\\url{https://example.org}}}',
      'an address in a name': '@book{a, author = {\\url{https://example.org}, Ann}}',
      'a superscript of a letter with no raised form, which the parser marks up': '@book{a, title = {x\\textsuperscript{q}}}',
      'a superscript of a dash': '@book{a, title = {x\\textsuperscript{--}}}',
      'a superscript with a space in it': '@book{a, title = {x\\textsuperscript{a b}}}',
      'a superscript holding a command': '@book{a, title = {x\\textsuperscript{\\emph{2}}}}',
      'an empty superscript in text': '@book{a, title = {x\\textsuperscript{}}}',
      'a superscript in a name': '@book{a, author = {Smith\\textsuperscript{2}, John}}',
      'an empty quotation': '@book{a, title = {On \\enquote{} Bread}}',
      'a tie in a year': '@book{a, year = {19~17}}',
      'a superscript in math of a letter with no raised form, which the parser marks up': '@book{a, title = {The $x^q$ law}}',
      'a subscript in math of a letter with no lowered form': '@book{a, title = {The $x_i$ law}}',
      'a superscript in math of a command': '@book{a, title = {$e^{i\\pi}$}}',
      'an empty superscript': '@book{a, title = {The $x^{}$ law}}',
      'a square root in math': '@book{a, title = {$\\sqrt{2}$}}',
      'a command in math that the parser renders as nothing': '@book{a, title = {$O(n \\log n)$}}',
      'a command in math that the parser cannot read': '@book{a, title = {$\\Alpha$}}',
      'display math': '@book{a, title = {$$x$$}}',
      'math right after math': '@book{a, title = {$a$$b$}}',
      'math with only spaces in it': '@book{a, title = {$ $}}',
      'math not closed': '@book{a, title = {$\\alpha}}',
      'math holding a quote, which may end a value in quotes elsewhere than plain text would': '@book{a, title = "$a"$"}',
      'math after an accent, which would take its letter': "@book{a, title = {\\'$a$}}",
      'math in a name': '@book{a, author = {$\\alpha$, Ann}}',
      'a font switch in rich text, which the parser drops where its style is in force': '@book{a, title = {On \\emph{Mutual {\\em Aid}}}}',
      'rich text in a name, which the parser splits into parts': '@book{a, author = {\\emph{Kropotkin}, Peter}}',
      'rich text in a list': '@book{a, publisher = {\\textsc{Freedom} Press}}',
      'a rich-text command with a space before its argument': '@book{a, title = {On \\emph {Mutual} Aid}}',
      'rich text starting with a space': '@book{a, title = {On\\emph{ Mutual} Aid}}',
      'empty rich text': '@book{a, title = {On \\emph{} Aid}}',
      'an accent named by a letter on a command outside braces': '@book{a, title = {Le\\c \\i}}',
      'a command in braces that is neither a letter nor a symbol the reading knows': '@book{a, title = {The {\\LaTeX} Companion}}',
      'a brace written as a command, which would be taken for a group': '@book{a, title = {{\\textbraceleft}x{\\textbraceright}}}',
      // The parser reads it as a high reversed quotation mark (U+201F), not a low one.
      'a low double quotation mark': '@book{a, title = {{\\quotedblbase}Brot{\\textquotedblleft}}}',
      'an accent on a dotless i': '@book{a, author = {Gonz{\\\'\\i}lez, Ana}}',
      'an escaped brace in an address': '@book{a, url = {https://example.org/\\{a}}',
      'braces between two dashes, which the parser does not join': '@book{a, title = {a-{-}b}}',
      'an escaped brace in a field read verbatim': '@book{a, file = {C\\:\\\\a\\{b.pdf}}',
      'math not closed in a field read verbatim, which fails the parser\'s reading of the entry': '@book{a, file = {a$b.pdf}}',
      'math not closed in an address, which fails the parser\'s reading of the entry': '@book{a, url = {https://example.org/a$b}}',
      'an escaped brace in a name': '@book{a, author = {A \\{B\\}, C}}',
      'an escaped brace in math': '@book{a, title = {$\\{x\\}$}}',
      'an escaped brace in an address in text': '@book{a, note = {\\url{a\\{b}}}',
      'a network path, whose math the parser may read as display math': '@book{a, file = {:$\\backslash$$\\backslash$server/a.pdf:pdf}}',
      'a group in an address with a percent, which the parser reads as a comment': '@book{a, url = {https://example.org/{\\_}a%20b}}',
      'an address in a group with a space before it, which the parser keeps': '@book{a, url = { {https://example.org}}}',
      'a font switch whose group ends in a space': '@book{a, title = {{\\em Mutual }Aid}}',
      'a font switch without a space after it': '@book{a, title = {{\\em\\"U}ber}}',
      'a macro': '@book{a, journal = jot}',
      'a month macro in a library where an @string may define it': '@article{a, month = mar}',
      'a macro that is not a month, where a month is': '@article{a, month = sept}',
      'a concatenation with a macro no definition gives': '@book{a, title = "A" # jot}',
      'a concatenation with a part missing': '@book{a, title = "A" # }',
      'a concatenation whose parts join into LaTeX the reading leaves': '@book{a, title = {\\} # {emph}}',
      'an inheritance': '@book{a, crossref = {b}}',
      'a field given twice': '@book{a, title = {A}, title = {B}}',
      'a string definition': '@string{jot = {Journal of Things}}',
      'text after the entry, where the parser would find another': '@book{a, title = {A}} see @misc{b}',
      'a comment in a value, which the parser reads as LaTeX': '@book{a, title = {A % B\n}}',
      'a paragraph break': '@book{a, note = {one\n\ntwo}}',
      'a paragraph break after a letter written as a command': '@book{a, note = {Stra\\ss \n\ne}}',
      'a less-than sign, which the parser reads as an inverted mark': '@book{a, title = {x < 4000}}',
      'a line break written CR LF inside a value': '@book{a, author = {Emma\r\nGoldman}}',
      'braces nested deeper than plain text needs': `@book{a, title = {${'{'.repeat(9)}x${'}'.repeat(9)}}}`,
      'an empty group': '@book{a, title = {A {} B}}',
      'an "and" ending a name list': '@book{a, author = {Goldman,and}}',
      'a group holding a comma in a name written Last, First': '@book{a, author = {{Smith, Jones}, John}}',
      'a group in a group in a name': '@book{a, author = {{{Smith}}, John}}',
      'a group holding a comma in a name written First Last': '@book{a, author = {John {Smith, Jones}}}',
      'a name in BibLaTeX\'s extended format with a space before an =': '@book{a, author = {family = Goldman, given = Emma}}',
      'a name in BibLaTeX\'s extended format with a part of another form': '@book{a, author = {family=Goldman, Emma}}',
      'a name with an = and no comma': '@book{a, author = {family=Goldman}}',
      'a letter written as a command before an "and", which takes the space before it': '@book{a, author = {Stra\\ss and Smith}}',
      'an unclosed value': '@book{a, title = {A}',
    };
    for (const [what, source] of Object.entries(notPlain)) assert.strictEqual(plainBibtexEntry(source, { builtInMacros: !what.includes('@string') }), undefined, what);
  });

  it('reads a macro an @string defines plainly as the value written there, and only such a definition', () => {
    assert.deepStrictEqual(plainStringDefinition('@string{jpe = {Journal of Political {E}conomy}}\n\n'), { name: 'JPE', value: 'Journal of Political {E}conomy' });
    assert.deepStrictEqual(plainStringDefinition('@STRING( Tf = "Taylor and Francis" )'), { name: 'TF', value: 'Taylor and Francis' });
    assert.deepStrictEqual(plainStringDefinition('@string{tf = {Taylor \\& Francis}}'), { name: 'TF', value: 'Taylor \\& Francis' });
    assert.deepStrictEqual(plainStringDefinition('@string{n = 12}'), { name: 'N', value: '12' });
    assert.deepStrictEqual(plainStringDefinition('@string{a = {x} # "y" # 1}'), { name: 'A', value: 'xy1' });
    assert.deepStrictEqual(plainStringDefinition('@string{ % the journal\n a = {x} % or y\n } % a@b\n'), { name: 'A', value: 'x' });
    // In quotes, a quote in braces or after a backslash does not end the value.
    assert.deepStrictEqual(plainStringDefinition('@string{a = "x {"y"} {\\"u}"}'), { name: 'A', value: 'x {"y"} {\\"u}' });
    assert.deepStrictEqual(plainStringDefinition('@string{eurocrypt2019-name.2 = {Part II}}'), { name: 'EUROCRYPT2019-NAME.2', value: 'Part II' });
    // A definition joining macros takes their values where it stands, as the parser does; a month's is its number.
    const before = (name: string): string | undefined => ({ CRYPTO: 'Advances in Cryptology -- {CRYPTO}' })[name];
    assert.deepStrictEqual(plainStringDefinition('@string{crypto19 = crypto # " 2019"}', { macro: before }), { name: 'CRYPTO19', value: 'Advances in Cryptology -- {CRYPTO} 2019' });
    assert.deepStrictEqual(plainStringDefinition('@string(day = may # " 1")', { builtInMacros: true }), { name: 'DAY', value: '05 1' });
    assert.strictEqual(plainStringDefinition('@string(day = may # " 1")'), undefined, 'a month where an @string may define it');
    for (const other of ['@string{a = b}', '@string{a = {x} # b}', '@string{a = {} # ""}', '@string{a = {}}', '@string{a = {x}} see @misc{b}', '@string{a = {x})', '@string{a = "x }{ y"}', '@string{a = "x {y"}']) {
      assert.strictEqual(plainStringDefinition(other), undefined, other);
    }
    const macro = (name: string): string | undefined => ({ JPE: 'Journal of Political {E}conomy', TF: 'Taylor \\& Francis', MAR: 'March' })[name];
    const entry = plainBibtexEntry('@article{a, journal = jpe, publisher = tf, month = mar, year = 1917}', { macro });
    assert.ok(entry, 'read as plain');
    assert.deepStrictEqual(bibtexEntryToCsl(entry), parsedItem('@string{jpe = {Journal of Political {E}conomy}}\n@string{tf = {Taylor \\& Francis}}\n@string{mar = {March}}\n@article{a, journal = jpe, publisher = tf, month = mar, year = 1917}').item);
    assert.strictEqual(plainBibtexEntry('@article{a, journal = other}', { macro }), undefined, 'a macro with no plain value');
  });

  it('agrees with the parser on every entry it reads, over random entries plain and not', () => {
    const { taken, runs } = takenAsTheParserReads(entryText, 3000, { builtInMacros: true });
    // The property says nothing unless a fair share of the entries are read without the parser.
    assert.ok(taken.length > runs / 10, `${taken.length} of ${runs} read as plain`);
  });

  it('agrees with the parser on every entry with rich text, quotations or scripts it reads, over random text fields', () => {
    const richValue = fc.array(fc.oneof({ weight: 4, arbitrary: plainPart }, latexPart, { weight: 2, arbitrary: markupPart }, markupAround(fc.oneof(plainPart, markupPart))), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
    const textField = fc.tuple(fc.constantFrom('title', 'booktitle', 'note', 'journal', 'pages', 'keywords'), richValue).map(([name, value]) => `${name} = {${value}}`);
    const richEntry = fc.array(textField, { minLength: 1, maxLength: 3 }).map((fields) => `@book{rich,\n  ${fields.join(',\n  ')},\n}\n`);
    const { taken, runs } = takenAsTheParserReads(richEntry, 2000);
    const withRichText = taken.filter(({ source }) => /\\(?:emph|textit|textbf|textsc|mkbibemph|mkbibbold|enquote|mkbibquote)\{/.test(source));
    const withQuotations = withRichText.filter(({ source }) => /\\(?:enquote|mkbibquote)\{/.test(source));
    const withScripts = taken.filter(({ source }) => /\\text(?:super|sub)script\{/.test(source));
    const nested = withRichText.filter(({ source }) => /\\[a-z]+\{[^{}]*\\(?:emph|textit|textbf|textsc|mkbibemph|mkbibbold|enquote|mkbibquote)\{/.test(source));
    const withEscapedBraces = taken.filter(({ source }) => /\\[{}]/.test(source));
    // About 9.5% hold rich text, 4% a quotation, 2.5% rich text in rich text, 1.5% a script, and 0.65% an escaped brace.
    assert.ok(
      withRichText.length > runs / 14 && withQuotations.length > runs / 40 && nested.length > runs / 80 && withScripts.length > runs / 200 && withEscapedBraces.length > runs / 1000,
      `${withRichText.length} of ${runs} with rich text read as plain, ${withQuotations.length} with a quotation, ${nested.length} with rich text in rich text, ${withScripts.length} with a script, ${withEscapedBraces.length} with an escaped brace`,
    );
  });

  it('agrees with the parser on every entry with math it reads, over random text fields', () => {
    const mathValue = fc
      .array(fc.oneof({ weight: 4, arbitrary: plainPart }, latexPart, { weight: 3, arbitrary: mathPart }, markupAround(fc.oneof(plainPart, mathPart))), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join(''));
    const textField = fc.tuple(fc.constantFrom('title', 'booktitle', 'note', 'journal', 'keywords', 'unknownfield'), mathValue, fc.boolean()).map(([name, value, quoted]) => (quoted ? `${name} = "${value}"` : `${name} = {${value}}`));
    const mathEntry = fc.array(textField, { minLength: 1, maxLength: 3 }).map((fields) => `@book{math,\n  ${fields.join(',\n  ')},\n}\n`);
    const { taken, runs } = takenAsTheParserReads(mathEntry, 2000);
    const withMath = taken.filter(({ source }) => source.includes('$'));
    assert.ok(withMath.length > runs / 20, `${withMath.length} of ${runs} with math read as plain`);
  });

  it('agrees with the parser on every entry with addresses it reads, over random addresses, DOIs and addresses in text', () => {
    // Mendeley writes an underscore or an ampersand in an address in a group (`{\_}`), and each backslash of a Windows path as math.
    const addressPart = fc.constantFrom('https://example.org/', '10.1002/', 'a', '~user', '_', '#frag', '?q=1&r=2', '^', '<693::AID>', "''", '`', '--', '-', '(SICI)', ';', '%20', '\\_', '\\%', '\\\\', '\\&', '\\{', '\\}', '\\"', '\\', '$', '{', '}', ' ', '\n', '\r', '{\\_}', '{\\&}', '{}', '{a}', '{\\url}', '$\\backslash$', '$x$');
    const address = fc
      .array(fc.oneof({ weight: 12, arbitrary: fc.constantFrom('https://example.org/', 'a', '~user', '_', '#frag', '?q=1&r=2', '^', '<693::AID>', "''", '`', '--', '(SICI)', ';') }, { weight: 2, arbitrary: fc.constantFrom('{\\_}', '{\\&}') }, addressPart), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join(''));
    const inGroup = fc.oneof({ weight: 4, arbitrary: address }, address.map((value) => `{${value}}`), address.map((value) => ` {${value}}`));
    const path = fc.array(fc.constantFrom(':C$\\backslash$:/Users/', 'Mendeley Ltd./', '$\\backslash$', 'a b.pdf:pdf', '{\\_}', ':', '$', '$$', '\\$', '{', '}', '%'), { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));
    const addressEntry = fc.tuple(inGroup, inGroup, path, fc.boolean()).map(([url, doi, file, quoted]) => (quoted ? `@misc{a, url = "${url}", doi = "${doi}", file = "${file}"}` : `@misc{a, url = {${url}}, doi = {${doi}}, file = {${file}}}`));
    // An address in text, as hand-kept libraries write `howpublished = {\url{…}}` and notes.
    const textWithAddress = fc
      .array(fc.oneof({ weight: 3, arbitrary: plainPart }, latexPart, address.map((url) => `\\url{${url}}`), fc.constantFrom('\\url{}', '\\url {a}', '\\url{a', '\\url{https://example.org/x}', '$\\alpha$')), { minLength: 1, maxLength: 5 })
      .map((parts) => parts.join(''));
    const noteEntry = fc.tuple(fc.constantFrom('note', 'howpublished', 'title'), textWithAddress, fc.boolean()).map(([name, text, quoted]) => (quoted ? `@misc{a, ${name} = "${text}"}` : `@misc{a, ${name} = {${text}}}`));
    const { taken, runs } = takenAsTheParserReads(fc.oneof(addressEntry, noteEntry), 2000);
    const inText = taken.filter(({ source }) => source.includes('\\url{'));
    const withGroups = taken.filter(({ source }) => /(?:url|doi) = \{[^,]*\{/.test(source));
    const withMathInPath = taken.filter(({ source }) => /file = .*\$/.test(source));
    assert.ok(
      taken.length > runs / 4 && inText.length > runs / 20 && withGroups.length > runs / 50 && withMathInPath.length > runs / 50,
      `${taken.length} of ${runs} read as plain, ${inText.length} with an address in text, ${withGroups.length} with a group in an address, ${withMathInPath.length} with math in a path`,
    );
  });

  it('agrees with the parser on every entry it reads, over random values joined with #', () => {
    const text = fc.array(fc.oneof({ weight: 4, arbitrary: plainPart }, latexPart), { maxLength: 4 }).map((parts) => parts.join(''));
    const part = fc.oneof(
      text.map((value) => `{${value}}`),
      text.map((value) => `"${value}"`),
      fc.constantFrom('1917', '07', 'jan', 'May', 'DECEMBER', 'sept', 'Jacm'),
    );
    const joined = fc.array(fc.tuple(space, part, space), { minLength: 2, maxLength: 4 }).map((parts) => parts.map(([before, value, after]) => `${before}${value}${after}`).join('#'));
    const joinedField = fc.tuple(fc.constantFrom('title', 'author', 'publisher', 'month', 'year', 'pages', 'url', 'note', 'keywords'), joined).map(([name, value]) => `${name} =${value}`);
    const joinedEntry = fc.uniqueArray(joinedField, { minLength: 1, maxLength: 3, selector: (field) => field.split(' ')[0] }).map((fields) => `@book{joined,\n  ${fields.join(',\n  ')},\n}\n`);
    const { taken, runs } = takenAsTheParserReads(joinedEntry, 1000, { builtInMacros: true });
    // About 27% are, from run to run 24% to 30%.
    assert.ok(taken.length > runs / 5, `${taken.length} of ${runs} read as plain`);
  });

  it('agrees with the parser on every entry it reads, over random lists of names, some in one group, some with groups or ties in them, some in the extended format', () => {
    const word = fc.constantFrom('Kropotkin', 'Peter', 'de', 'la', 'Fontaine', 'Jr.', 'M{\\"u}ller', 'Press', 'Freedom', '{\\o}', 'x--y', '-', 'D.~E.', 'van~der', '~');
    /** Words as a name writes them, now and then with what is written in a group only: braces, an `and`, a comma. */
    const words = (inGroup: boolean) =>
      fc
        .array(fc.tuple(inGroup ? fc.oneof({ weight: 4, arbitrary: word }, fc.constantFrom('and', 'AND', ',', '{P}ress', '{\\"U}')) : word, fc.constantFrom(' ', ' ', ' ', '  ', '\n', '', '~')), { minLength: 1, maxLength: 4 })
        .map((parts) => parts.map(([text, after]) => `${text}${after}`).join('').trim());
    /** Words with groups among them, as hand-kept libraries protect a compound name or a particle: around a word, a letter or several words. */
    const groupedWords = fc
      .array(
        fc.tuple(
          fc.oneof({ weight: 3, arbitrary: word }, fc.constantFrom('{van Gogh}', '{P}eter', '{Du}four', '{de}', '{D}e', '{Smith and Sons}', '{Jr.}', '{Kropotkin}', '{de la Fontaine}', '{M{\\"u}ller}', '{x, y}', '{{Nested}}', '{}', '{ Edge}', '{x--y}')),
          fc.constantFrom(' ', ' ', ' ', '  ', '\n', '', '~'),
        ),
        { minLength: 1, maxLength: 3 },
      )
      .map((parts) => parts.map(([text, after]) => `${text}${after}`).join('').trim());
    /** Names in BibLaTeX's extended format, as Better BibTeX writes names with particles, now and then with a part of another form. */
    const extendedPart = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom('family', 'given', 'prefix', 'suffix', 'useprefix', 'given-i', 'Family', 'juniorcomma', 'other'), groupedWords).map(([key, value]) => `${key}=${value}`) },
      fc.constantFrom('useprefix=true', 'useprefix=False', 'family = X', 'given=', 'family={Smith, Jones}', 'given=a=b', 'x2=y', 'given-=x', 'Goldman'),
    );
    const extended = fc.array(fc.tuple(fc.constantFrom(' ', '', '\n  '), extendedPart), { minLength: 1, maxLength: 4 }).map((parts) => parts.map(([space, part]) => `${space}${part}`).join(',').trim());
    const name = fc.oneof(
      { weight: 2, arbitrary: extended },
      { weight: 3, arbitrary: words(true).map((text) => `{${text}}`) },
      { weight: 2, arbitrary: fc.tuple(words(false), words(false)).map(([last, first]) => `${last}, ${first}`) },
      { weight: 2, arbitrary: fc.tuple(groupedWords, groupedWords).map(([last, first]) => `${last}, ${first}`) },
      fc.tuple(groupedWords, groupedWords, groupedWords).map(([last, suffix, first]) => `${last}, ${suffix}, ${first}`),
      { weight: 2, arbitrary: groupedWords },
      words(false),
      fc.tuple(words(true), words(false)).map(([a, b]) => `{${a}} ${b}`),
    );
    const names = fc
      .array(fc.tuple(name, fc.constantFrom(' and ', '  and\n', ' AND ', ' and  ', 'and ')), { minLength: 1, maxLength: 4 })
      .chain((parts) => fc.tuple(fc.constantFrom('', '', '', ' ', '\n'), fc.constantFrom('', '', ' ')).map(([lead, trail]) => `${lead}${parts.map(([text, joint], k) => (k === parts.length - 1 ? text : `${text}${joint}`)).join('')}${trail}`));
    const creatorEntry = fc.tuple(fc.constantFrom('author', 'editor', 'translator'), names).map(([field, value]) => `@book{names,\n  ${field} = {${value}},\n}\n`);
    const { taken, runs } = takenAsTheParserReads(creatorEntry, 2000);
    const grouped = taken.filter(({ plain }) => Object.values(plain.fields).some((names) => Array.isArray(names) && names.some((name) => 'name' in name)));
    const withGroups = taken.filter(({ source, plain }) => /\{(?:van Gogh|P|Du|de|D|Smith and Sons|Jr\.|de la Fontaine)\}/.test(source) && Object.values(plain.fields).some((names) => Array.isArray(names) && names.some((name) => 'lastName' in name)));
    const withTies = taken.filter(({ source }) => source.includes('~'));
    const withExtended = taken.filter(({ source }) => /(?:family|given)=/.test(source));
    assert.ok(
      taken.length > runs / 4 && grouped.length > runs / 10 && withGroups.length > runs / 20 && withTies.length > runs / 20 && withExtended.length > runs / 40,
      `${taken.length} of ${runs} read as plain, ${grouped.length} with a name in one group, ${withGroups.length} with groups in a name, ${withTies.length} with ties, ${withExtended.length} in the extended format`,
    );
  });

  it('reads a large library of plain entries in many short steps, without the parser', () => {
    const entries = Array.from({ length: 1500 }, (_, n) => `@book{key${n},\n  author = {M{\\"u}ller, Hans and Other, Person${n}},\n  title = {On {Mutual} Aid, part ${n}},\n  year = {${1900 + (n % 120)}},\n}\n`);
    const text = entries.join('\n');
    assert.ok(entries.every((entry) => plainBibtexEntry(entry) !== undefined));
    let steps = 0;
    const generator = bibtexSteps(libraryUri, text);
    let next = generator.next();
    for (; !next.done; next = generator.next()) steps++;
    assert.deepStrictEqual(next.value.bibliography, parseBibtexWhole(libraryUri, text));
    // Plain entries are read 64 to a step, and the passes over the whole text that find the entries and their keys take steps too.
    assert.ok(steps >= 1500 / 64 + 2, `${steps} steps`);
  });

  it('reads macros and commands defined in one piece and used in others, in text and verbatim fields, as the whole read does', () => {
    const definitions = [
      '@preamble{ "\\newcommand{\\noopsort}[1]{} \\newcommand{\\series}{Collected Works}" }',
      '@string{jot = {Journal of {T}hings}}',
      '@string{yr = 1917}',
      '@string{mar = "March"}',
      '@string{pct = {50\\% off}}',
      '@string{em = {\\emph{A} {B}--C}}',
      '@string(paren = "In {Q}uotes")',
      '@string{gap = {two  spaces}}',
      '@string{both = pct # " and " # em}',
    ];
    const redefinition = fc.constantFrom(
      '@string{pct = {{R}edefined}}',
      '@string{em = em # { \\& more}}',
      '@STRING{Gap = "x~y"}',
      '@string{jot = {Journal of {O}ther Things}}',
      '@string{jot = jot # { Quarterly}}',
      // Not a piece of its own: the macros after it are the parser's to read.
      '@book{KEY, title = {Plain}} @string{jot = {Mid-line}}',
    );
    const use = fc
      .tuple(fc.constantFrom('title', 'publisher', 'url', 'doi', 'note', 'journal'), fc.constantFrom('pct', 'em', 'paren', 'gap', 'both', 'PCT'), fc.boolean())
      .map(([field, macro, more]) => `@book{KEY, ${field} = ${macro}${more ? ' # {, more}' : ''}}`);
    const other = fc.constantFrom(
      '@book{KEY, title = {E = mc\\textsuperscript{2}}}',
      '@book{KEY, title = {Plain}}',
      '@book{KEY, title = {{\\noopsort{b}}\\series, volume 2}}',
      // Plain but for macros a plain definition may give.
      '@article{KEY, journal = jot, year = yr, month = mar, title = {Plain}}',
      '@article{KEY, journal = JOT, url = jot}',
    );
    const library = libraryAfter(definitions, fc.oneof({ weight: 3, arbitrary: use }, { weight: 3, arbitrary: other }, redefinition));
    // A preamble after an entry on its line is not a piece of its own: the library is read whole.
    const others = Array.from({ length: 10 }, (_, n) => `@book{other${n}, title = {E = mc\\textsuperscript{${n}}}}`).join('\n');
    const inline = `@book{a, title = {A}} @preamble{"\\newcommand{\\series}{Collected Works}"}\n${others}\n@book{b, title = {\\series}}\n`;
    assert.strictEqual(runNow(bibtexSteps(libraryUri, inline)).bibliography.references.find((reference) => reference.id === 'b')?.item.title, 'Collected Works');
    // Whitespace or a comment between `@` and `preamble` or `string` hides no definition from the pieces after it.
    for (const gap of ['\n', ' % a comment\n ']) {
      const preamble = `@book{a, title = {A}}\n@${gap}preamble{"\\newcommand{\\series}{Collected Works}"}\n${others}\n@book{b, title = {\\series}}\n`;
      const macro = `@book{a, title = {A}}\n@${gap}string{jot = {Journal of {T}hings}}\n${others}\n@book{b, journal = jot}\n`;
      for (const [hidden, item] of [
        [preamble, { id: 'b', type: 'book', title: 'Collected Works' }],
        [macro, { id: 'b', type: 'book', 'container-title': 'Journal of Things' }],
      ] as const) {
        const read = runNow(bibtexSteps(libraryUri, hidden)).bibliography;
        assert.deepStrictEqual(read, parseBibtexWhole(libraryUri, hidden));
        assert.deepStrictEqual(read.references.find((reference) => reference.id === 'b')?.item, item, JSON.stringify(hidden));
      }
    }
    const clean = readInStepsAsWhole(library, 200);
    assert.ok(clean > 0.75, `${clean} of the libraries read without an error`);
  });

  it('reads a library whose macros join others and months with #, as hand-kept libraries do, in steps as the whole read does', () => {
    const definitions = [
      '@string{ac = "Advances in Cryptology"}',
      '@string{crypto = ac # " -- {CRYPTO}"}',
      '@string{crypto19 = crypto # " 2019"}',
      '@string{lncs = {Lecture Notes in Computer Science}}',
      '@string(day = may # { 1})',
      '@string{pct = {50\\% off}}',
      '@string{both = pct # " and " # crypto}',
      '@string{site = {https://example.org}}',
    ];
    const redefinition = fc.constantFrom('@string{crypto = {CRYPTO}}', '@string{crypto = crypto # " (again)"}', '@string{lncs = lncs # { } # 11}');
    // Rare in a library, each makes a built-in macro stand for its own value from there on.
    const monthDefinition = fc.constantFrom(
      '@string{ % a comment\n jan = {the first}}',
      '@ % a comment\n STRING(May = "the fifth")',
      '@misc{KEY, note = {@string{ %}}, title = {t}} @string{jan = {mid-line}}',
      '@string{december = {the last}}',
      '@string{cacm = {Comms}}',
    );
    const entry = fc.constantFrom(
      '@inproceedings{KEY, booktitle = crypto19, series = lncs, month = aug, year = 2019}',
      '@inproceedings{KEY, title = {On} # " " # crypto, month = jan, year = 1917, note = day}',
      '@book{KEY, pages = 1 # "--" # 9, month = may, year = 1921, note = {Reissued } # dec # {.}}',
      '@misc{KEY, title = both, month = december, year = {1936}}',
      '@misc{KEY, url = site # "/x", doi = {10.1000/} # 182, note = crypto}',
      '@article{KEY, journal = ac # { } # lncs, month = may # " 1", year = 1902}',
      '@book{KEY, title = {E = mc\\textsuperscript{2}}, month = jan}',
      '@article{KEY, journal = cacm, volume = 17 # { } # "(10)", month = oct, year = 1974}',
    );
    const library = libraryAfter(definitions, fc.oneof({ weight: 8, arbitrary: entry }, { weight: 2, arbitrary: redefinition }, monthDefinition));
    const months = Array.from({ length: 20 }, (_, n) => `@book{m${n}, title = {Plain}, month = ${['jan', 'may', 'dec'][n % 3]}, year = 1917}`).join('\n');
    // A comment between `@` and `string` hides no definition of a month from the pieces.
    for (const hidden of ['@ %{ a comment\nstring{jan = {the first}}', '@misc{a, note = {@string{%}}, title = {t}} @string{jan = {the first}}']) {
      const text = `${definitions.join('\n')}\n${months}\n${hidden}\n${months.replaceAll('{m', '{n')}\n`;
      const read = runNow(bibtexSteps(libraryUri, text)).bibliography;
      assert.deepStrictEqual(read, parseBibtexWhole(libraryUri, text), hidden);
      // Defined, the macro is no longer the month.
      assert.deepStrictEqual(read.references.find((reference) => reference.id === 'n0')?.item.issued, { 'date-parts': [[1917]] }, hidden);
    }
    const clean = readInStepsAsWhole(library, 200);
    assert.ok(clean > 0.75, `${clean} of the libraries read without an error`);
  });

  it('reads a library of plain entries and others in steps as the whole read does', () => {
    // Macros whose values the parser renders otherwise than as written, used in text and in verbatim fields, in other pieces.
    const macros = fc.constantFrom(
      '@string{jot = {Journal of {T}hings}}',
      '@book{m, journal = jot, title = {Macro}}',
      '@string{mar = {the third}}',
      '@article{month, month = mar, year = 1917}',
      '@string{pct = {50\\% off}}',
      '@book{p, publisher = pct, url = pct # {/x}}',
      '@string{em = {\\emph{A} {B}--C}}',
      '@misc{e, title = em, doi = em}',
      '@string{both = pct # " and " # em}',
      '@book{b2, note = both, url = both}',
    );
    const library = fc
      .array(fc.oneof(entryText, macros, fc.constantFrom('@misc{c1, crossref = {kropotkin1892}, pages = {1--9}}', '@misc{c2, crossref % a comment\n = {kropotkin1892}}', '% a comment\n')), { maxLength: 30 })
      .map((entries) => entries.join('\n'));
    // A comment in an entry's header or before a `crossref`'s `=` hides neither the parent's key given twice nor the inheritance.
    for (const text of [
      '@book{kropotkin1892,}\n@book % a comment\n{kropotkin1892,author={a}}\n@misc{c1, crossref = {kropotkin1892}, pages = {1--9}}',
      `@book{kropotkin1892, author = {a}}\n@misc{c1, crossref % a comment\n = {kropotkin1892}, pages = {1--9}}\n${Array.from({ length: 10 }, (_, n) => `@book{other${n}, title = {E = mc\\textsuperscript{${n}}}}`).join('\n')}`,
    ]) {
      const inherited = runNow(bibtexSteps(libraryUri, text)).bibliography;
      assert.deepStrictEqual(inherited, parseBibtexWhole(libraryUri, text));
      assert.deepStrictEqual(inherited.references.find((reference) => reference.id === 'c1')?.item.author, [{ family: 'a' }], text);
    }
    // A comment left open before an entry's parent swallows the parent appended to the piece, as the whole read swallows the rest.
    const openComment = '@misc{c1, crossref = {kropotkin1892}, pages = {1--9}}\n@comment{x-y_z,author={{}}\n@book{x-y_z,}\n@book{kropotkin1892,author="}"}';
    assert.deepStrictEqual(runNow(bibtexSteps(libraryUri, openComment)).bibliography, parseBibtexWhole(libraryUri, openComment));
    // A macro defined in one piece and used in another has its value as written: rendered twice, `50\% off` would end at its `%`.
    const others = Array.from({ length: 10 }, (_, n) => `@book{other${n}, title = {E = mc\\textsuperscript{${n}}}}`).join('\n');
    const defined = `@string{pct = {50\\% off}}\n${others}\n@book{p, publisher = pct, url = pct}\n`;
    const read = runNow(bibtexSteps(libraryUri, defined)).bibliography;
    assert.deepStrictEqual(read, parseBibtexWhole(libraryUri, defined));
    assert.deepStrictEqual(
      read.references.find((reference) => reference.id === 'p')?.item,
      { id: 'p', type: 'book', publisher: '50% off', URL: '50\\% off' },
    );
    readInStepsAsWhole(library, 300);
  });
});
