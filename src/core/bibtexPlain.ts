import { isLineBreak, isSpaceOrTab } from './chars';

/** An entry as the BibTeX parser gives it: its type, its key, and its fields by name in lower case. */
export interface BibtexEntry {
  readonly type: string;
  readonly key: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * How the BibTeX parser renders each field that a CSL item is made from
 * (`bibtexEntryToCsl`), by the parser's field modes. Any other field is
 * left out of a plain entry: nothing reads it.
 */
const usedFields: Readonly<Record<string, 'creators' | 'list' | 'text' | 'verbatim' | 'number' | 'month'>> = {
  author: 'creators',
  editor: 'creators',
  translator: 'creators',
  director: 'creators',
  bookauthor: 'creators',
  publisher: 'list',
  institution: 'list',
  organization: 'list',
  location: 'list',
  doi: 'verbatim',
  url: 'verbatim',
  year: 'number',
  month: 'month',
  ...Object.fromEntries(
    [
      'title',
      'subtitle',
      'series',
      'shorttitle',
      'booktitle',
      'maintitle',
      'eventtitle',
      'journaltitle',
      'journal',
      'date',
      'urldate',
      'school',
      'address',
      'pages',
      'number',
      'issue',
      'type',
      'langid',
      'language',
      'volume',
      'edition',
      'isbn',
      'issn',
      'note',
      'abstract',
      'chapter',
      'volumes',
      'pagetotal',
      'venue',
      'version',
    ].map((name) => [name, 'text'] as const),
  ),
};

/** The parser's month names; a month it does not know is kept as written. */
const monthNumbers: ReadonlyMap<string, string> = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].flatMap((short, k) => {
    const long = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'][k];
    return [
      [short, String(k + 1)],
      [long, String(k + 1)],
    ];
  }),
);

/**
 * The macros BibTeX's standard styles define, as the parser defines them
 * too, by name in upper case: each month's, as its number in two digits,
 * and the abbreviations of a few computing journals.
 */
const builtInMacroValues: ReadonlyMap<string, string> = new Map([
  ...Array.from(monthNumbers, ([name, number]): [string, string] => [name.toUpperCase(), number.padStart(2, '0')]),
  ['ACMCS', 'ACM Computing Surveys'],
  ['ACTA', 'Acta Informatica'],
  ['CACM', 'Communications of the ACM'],
  ['IBMJRD', 'IBM Journal of Research and Development'],
  ['IBMSJ', 'IBM Systems Journal'],
  ['IEEESE', 'IEEE Transactions on Software Engineering'],
  ['IEEETC', 'IEEE Transactions on Computers'],
  ['IEEETCAD', 'IEEE Transactions on Computer-Aided Design of Integrated Circuits'],
  ['IPL', 'Information Processing Letters'],
  ['JACM', 'Journal of the ACM'],
  ['JCSS', 'Journal of Computer and System Sciences'],
  ['SCP', 'Science of Computer Programming'],
  ['SICOMP', 'SIAM Journal on Computing'],
  ['TOCS', 'ACM Transactions on Computer Systems'],
  ['TODS', 'ACM Transactions on Database Systems'],
  ['TOG', 'ACM Transactions on Graphics'],
  ['TOMS', 'ACM Transactions on Mathematical Software'],
  ['TOOIS', 'ACM Transactions on Office Information Systems'],
  ['TOPLAS', 'ACM Transactions on Programming Languages and Systems'],
  ['TCS', 'Theoretical Computer Science'],
]);

/**
 * Where the parser's LaTeX reading can differ from the text as written:
 * commands, math, comments, the tie, `<` and `>` (which it reads as the
 * inverted marks `¡` and `¿`), two apostrophes left after a backslash, control
 * characters (it marks up rich text with two of them), and a paragraph
 * break. It takes a carriage return before a line feed as a paragraph break
 * too, which then neither splits names nor reads as a space in a note.
 * `&`, `#`, `^`, `_` and a lone backquote it renders as themselves.
 */
const latexSpecial = /[\\$%~<>\r\x00-\x08\x0B\x0C\x0E-\x1F\x7F]|''|\n[ \t]*\n/;

/**
 * Where the parser's reading of a verbatim field (`url`, `doi`) can differ
 * from the text as written: math, which fails the entry when not closed, a brace
 * or a quote after a backslash, which it counts otherwise than the plain
 * reading, and control characters. A `%` and other backslashes it keeps,
 * as in a percent-encoded address or an escaped one (`login\_def.html`).
 */
const verbatimSpecial = /[$\r\x00-\x08\x0B\x0C\x0E-\x1F\x7F]|\\[{}"]/;

/**
 * The fields the parser reads verbatim, LaTeX's special characters and
 * backslashes included, as Zotero's `file` field writes a path
 * (`C\:\\Users\\…`). Where nothing reads one, only what could fail the
 * parser's reading of the entry matters: math but of the plain form,
 * which fails the entry when not closed, an escaped brace, which the
 * parser counts otherwise than the plain reading, and control characters.
 */
const verbatimField = /^(?:doi|eprint|file|files|pdf|groups|ids|url|verb[abc]|keywords(?:\+duplicate-\d+)?|citeulike-linkout-\d+|bdsk-url-\d+)$/;
const unreadVerbatimSpecial = /[$\x00-\x08\x0B\x0C\x0E-\x1F\x7F]|\\[{}]/;

/**
 * Braces where a group's edges change the rendering: a group that starts or
 * ends with a space, an empty group, which keeps the spaces on either side
 * of it apart, and braces between two dashes, which the parser then does
 * not join (`a-{-}b` is `a--b`).
 */
const groupEdge = /\{[ \t\n}]|[ \t\n]\}|-[{}]+-/;

/** A run of LaTeX whitespace, which the parser renders as one space. */
const whitespaceRun = /[ \t\r\n]+/g;

/** The dash ligatures, taken greedily from the left as the parser takes them. */
const dashes = /---|--/g;

/** The combining marks of LaTeX's accents, as the parser writes them after their letter. */
const accentMarks: Readonly<Record<string, string>> = {
  '`': '\u0300',
  "'": '\u0301',
  '^': '\u0302',
  '~': '\u0303',
  '=': '\u0304',
  u: '\u0306',
  '.': '\u0307',
  '"': '\u0308',
  r: '\u030A',
  H: '\u030B',
  v: '\u030C',
  d: '\u0323',
  c: '\u0327',
  k: '\u0328',
};

/**
 * Letters and symbols LaTeX writes as commands, as the parser reads them in
 * braces (`{\ss}`, `{\textquoteright}`): the letters, the punctuation
 * Zotero's and Better BibTeX's exports write so for typographic quotes,
 * dashes and the like, and the characters LaTeX reserves, which they write
 * so in abstracts (`{\textless}jats:p{\textgreater}`), and a few symbols
 * the parser would drop (an apostrophe as `{\textquotesingle}`, the signs
 * of a genealogy). Braces are left out: written as text, they would be
 * taken for groups.
 */
export const commandCharacters: Readonly<Record<string, string>> = {
  ss: 'ß',
  o: 'ø',
  O: 'Ø',
  aa: 'å',
  AA: 'Å',
  ae: 'æ',
  AE: 'Æ',
  oe: 'œ',
  OE: 'Œ',
  l: 'ł',
  L: 'Ł',
  i: 'ı',
  dh: 'ð',
  DH: 'Ð',
  th: 'þ',
  TH: 'Þ',
  dj: 'đ',
  DJ: 'Đ',
  ng: 'ŋ',
  NG: 'Ŋ',
  textquoteleft: '‘',
  textquoteright: '’',
  textquotedblleft: '“',
  textquotedblright: '”',
  quotesinglbase: '‚',
  guillemotleft: '«',
  guillemotright: '»',
  guilsinglleft: '‹',
  guilsinglright: '›',
  textendash: '–',
  textemdash: '—',
  textellipsis: '…',
  textexclamdown: '¡',
  textquestiondown: '¿',
  textsection: '§',
  textparagraph: '¶',
  textdegree: '°',
  textbullet: '•',
  textcopyright: '©',
  textregistered: '®',
  texttrademark: '™',
  textperthousand: '‰',
  pounds: '£',
  texteuro: '€',
  textless: '<',
  textgreater: '>',
  textasciitilde: '~',
  textasciicircum: '^',
  textbackslash: '\\',
  textbar: '|',
  textunderscore: '_',
  textdollar: '$',
  textbrokenbar: '¦',
  textdagger: '†',
  textdaggerdbl: '‡',
  dag: '†',
  ddag: '‡',
  S: '§',
  P: '¶',
  copyright: '©',
  ldots: '…',
  dots: '…',
  textsterling: '£',
  textyen: '¥',
  textcent: '¢',
  textonehalf: '½',
  texttimes: '×',
  textdiv: '÷',
  textmu: 'µ',
  textpm: '±',
  textnumero: '№',
  textordfeminine: 'ª',
  textordmasculine: 'º',
  // The parser knows none of these, and renders each as nothing: the core has it render them as here (see `unknownCommand`).
  textquotesingle: "'",
  textminus: '−',
  guillemetleft: '«',
  guillemetright: '»',
  textborn: '*',
  textdied: '†',
  textmarried: '⚭',
  textdivorced: '⚮',
};

/**
 * The LaTeX an export writes for accented letters and escaped symbols, in
 * the forms whose reading is certain: an accent on one letter (`{\"u}`,
 * `\"{u}`, `{\"{u}}`, `\"u`, and for the accents named by a letter
 * `{\v c}`, `\v{c}`, `{\v{c}}`, `\v c`), a letter or symbol written as a
 * command in braces (`{\o}`, `{\textquoteright}`; `commandCharacters`) or
 * outside them, where it takes the whitespace after it (not a paragraph
 * break) or an empty group, as in LaTeX (`Stra\ss e`, `Micha\l{}`), and
 * the escaped `\&`, `\%`, `\_`, `\#` and `\$`.
 */
const latexLetters =
  /\{\\(["'`^~=.])([A-Za-z])\}|\{\\(["'`^~=.])\{([A-Za-z])\}\}|\\(["'`^~=.])\{([A-Za-z])\}|\{\\([vcuHkrd]) ([A-Za-z])\}|\{\\([vcuHkrd])\{([A-Za-z])\}\}|\\([vcuHkrd])\{([A-Za-z])\}|\{\\([A-Za-z]+)\}|\\([&%_#$])|\\(["'`^~=.])([A-Za-z])|\\([vcuHkrd])(?:[ \t]+|[ \t]*\n[ \t]*)([A-Za-z])|\\([A-Za-z]+)(?:\{\}|[ \t]*\n(?![ \t]*\n)[ \t]*|[ \t]+)?/g;

/**
 * A value's LaTeX letters and symbols: `decoded` as the parser renders them
 * (an accent as its letter and a combining mark, which the CSL item then
 * composes), and `checked` with each one as a plain letter, for the checks
 * of what else the value holds.
 */
function decodeLetters(raw: string): { decoded: string; checked: string } {
  if (!raw.includes('\\')) return { decoded: raw, checked: raw };
  // A command in braces that is not a known letter or symbol is kept as written, for the checks to refuse.
  const decoded = raw.replace(latexLetters, (...groups: (string | undefined)[]) => {
    const [match, a1, l1, a2, l2, a3, l3, a4, l4, a5, l5, a6, l6, inBraces, symbol, a7, l7, a8, l8, bare] = groups;
    const named = inBraces ?? bare;
    if (named !== undefined) return Object.hasOwn(commandCharacters, named) ? commandCharacters[named] : (match ?? '');
    if (symbol !== undefined) return symbol;
    const accent = a1 ?? a2 ?? a3 ?? a4 ?? a5 ?? a6 ?? a7 ?? a8 ?? '';
    return `${l1 ?? l2 ?? l3 ?? l4 ?? l5 ?? l6 ?? l7 ?? l8 ?? ''}${accentMarks[accent]}`;
  });
  const checked = raw.replace(latexLetters, (match: string, ...groups: (string | undefined)[]) => {
    const named = groups[12] ?? groups[18];
    return named === undefined || Object.hasOwn(commandCharacters, named) ? 'x' : match;
  });
  return { decoded, checked };
}

/**
 * The commands an export writes for rich text (Zotero's and Better BibTeX's
 * `\emph{…}` for italics, `\textbf{…}` for bold, `\texttt{…}` for code,
 * BibLaTeX's `\enquote{…}` for a quotation), by the tag the parser renders
 * each with.
 */
const markupTags: Readonly<Record<string, string>> = { emph: 'i', textit: 'i', mkbibemph: 'i', textbf: 'b', mkbibbold: 'b', textsc: 'sc', texttt: 'code', enquote: 'enquote', mkbibquote: 'enquote' };
const markupCommand = /\\(emph|textit|mkbibemph|textbf|mkbibbold|textsc|texttt|enquote|mkbibquote)\{/g;
const anyMarkupCommand = /\\(?:emph|textit|mkbibemph|textbf|mkbibbold|textsc|texttt|enquote|mkbibquote)\{/;

/**
 * A text value with its rich-text commands as the parser marks up their
 * argument while it renders (a tag between the control characters
 * `\x0E` and `\x0F`), the argument kept in braces so that the checks of
 * braces apply to it as to any group, and marked up in turn where it holds
 * rich text (`\emph{a \textbf{b}}` is `<i>a <b>b</b></i>`); values nest
 * groups a few deep at most, so the recursion is shallow. Undefined when an
 * argument is not closed.
 */
function markedUp(raw: string): string | undefined {
  return withGroupsRewritten(raw, markupCommand, (command, argument) => {
    const inner = anyMarkupCommand.test(argument) ? markedUp(argument) : argument;
    if (inner === undefined) return undefined;
    const tag = markupTags[command[1]];
    return `\x0E${tag}\x0F{${inner}}\x0E/${tag}\x0F`;
  });
}

/**
 * `raw` with each match of `opening`, a global pattern that ends inside a
 * group, and the rest of that group up to its closing brace, written as
 * `rewrite` gives them from the match and what the group holds after it.
 * Undefined where a group is not closed, or `rewrite` gives undefined.
 */
function withGroupsRewritten(raw: string, opening: RegExp, rewrite: (found: RegExpExecArray, argument: string) => string | undefined): string | undefined {
  opening.lastIndex = 0;
  let rewritten = '';
  let from = 0;
  for (let found = opening.exec(raw); found; found = opening.exec(raw)) {
    const start = opening.lastIndex;
    let end = start;
    for (let depth = 0; end < raw.length; end++) {
      const char = raw[end];
      if (char === '\\') end++;
      else if (char === '{') depth++;
      else if (char === '}' && depth-- === 0) break;
    }
    if (end >= raw.length) return undefined;
    const written = rewrite(found, raw.slice(start, end));
    if (written === undefined) return undefined;
    rewritten += raw.slice(from, found.index) + written;
    from = end + 1;
    opening.lastIndex = from;
  }
  return rewritten + raw.slice(from);
}

/**
 * LaTeX's older font switches in a group of their own (`{\em Mutual Aid}`,
 * `{\bf …}`), as hand-kept libraries write rich text: the parser renders
 * each as the command it stands for, with a space after the switch.
 */
const fontSwitch = /\{\\(em|it|sl|bf|sc)[ \t\n]+/g;
const switchedCommands: Readonly<Record<string, string>> = { em: 'emph', it: 'textit', sl: 'textit', bf: 'textbf', sc: 'textsc' };

/**
 * `raw` with each font switch's group written as the command it stands for
 * (`{\em x}` as `\emph{x}`); undefined where a group is not closed, or a
 * switch stands in a rich-text command's argument.
 */
function withoutFontSwitches(raw: string): string | undefined {
  if (!raw.includes('{\\')) return raw;
  if (switchInRichText(raw)) return undefined;
  return withGroupsRewritten(raw, fontSwitch, (found, argument) => `\\${switchedCommands[found[1]]}{${argument}}`);
}

const markupCommandAt = new RegExp(markupCommand.source, 'y');
const fontSwitchAt = new RegExp(fontSwitch.source, 'y');

/**
 * Whether a font switch stands in a rich-text command's argument
 * (`\emph{a {\em b}}`), where the parser drops a switch to a style already
 * in force; a command in a switch's group (`{\em a \emph{b}}`) it nests.
 */
function switchInRichText(raw: string): boolean {
  // For each group open, whether it is a command's argument; and how many of those are open.
  const isArgument: boolean[] = [];
  let openArguments = 0;
  for (let k = 0; k < raw.length; k++) {
    const char = raw[k];
    if (char === '\\') {
      markupCommandAt.lastIndex = k;
      if (markupCommandAt.test(raw)) {
        isArgument.push(true);
        openArguments++;
        k = markupCommandAt.lastIndex - 1;
      } else k++;
    } else if (char === '{') {
      fontSwitchAt.lastIndex = k;
      if (openArguments > 0 && fontSwitchAt.test(raw)) return true;
      isArgument.push(false);
    } else if (char === '}' && isArgument.pop()) openArguments--;
  }
  return false;
}

const markupMark = /\x0E\/?[a-z]+\x0F/g;
/** A closing tag, space, and the same tag opening again, which the parser joins. */
const collapsible = /\x0E\/([a-z]+)\x0F(\s*)\x0E\1\x0F/gi;

/** Marked-up text as the parser finally writes it: a tag closed and opened again across spaces joined, until none is left, then the tags in HTML. */
function restoredMarkup(text: string): string {
  if (!text.includes('\x0E')) return text;
  for (let joined = text.replace(collapsible, '$2'); joined !== text; joined = text.replace(collapsible, '$2')) text = joined;
  return text
    .replace(/\x0Eenquote\x0F/g, '\u201C')
    .replace(/\x0E\/enquote\x0F/g, '\u201D')
    .replace(/\x0Esc\x0F/g, '<span style="font-variant:small-caps;">')
    .replace(/\x0E\/sc\x0F/g, '</span>')
    .replace(/\x0E/g, '<')
    .replace(/\x0F/g, '>');
}

/**
 * Symbols LaTeX writes in math, as the parser renders each: the Greek
 * letters, and the relations, operators and arrows titles in the sciences
 * use most. Some come out as the parser's Unicode table has them, not as
 * the plain letter (`\mu` as mathematical italic small mu, `\epsilon`
 * as the lunate epsilon, `\neq` as `=` and a combining stroke); commands
 * it renders as nothing (`\emptyset`, `\log`) are left out, as are those it
 * cannot read (`\Alpha`, for which it drops the whole field).
 */
export const mathCommands: Readonly<Record<string, string>> = {
  alpha: 'α',
  beta: 'β',
  gamma: 'γ',
  delta: 'δ',
  epsilon: '\u03F5',
  varepsilon: 'ε',
  zeta: 'ζ',
  eta: 'η',
  theta: 'θ',
  vartheta: 'ϑ',
  iota: 'ι',
  kappa: 'κ',
  lambda: 'λ',
  mu: '\u{1D707}',
  nu: 'ν',
  xi: 'ξ',
  pi: 'π',
  varpi: 'ϖ',
  rho: 'ρ',
  varrho: 'ϱ',
  sigma: 'σ',
  varsigma: 'ς',
  tau: 'τ',
  upsilon: 'υ',
  phi: '\u03D5',
  varphi: 'φ',
  chi: 'χ',
  psi: 'ψ',
  omega: 'ω',
  Gamma: 'Γ',
  Delta: 'Δ',
  Theta: 'Θ',
  Lambda: 'Λ',
  Xi: 'Ξ',
  Pi: 'Π',
  Sigma: 'Σ',
  Upsilon: 'Υ',
  Phi: 'Φ',
  Psi: 'Ψ',
  Omega: 'Ω',
  infty: '∞',
  pm: '±',
  mp: '∓',
  times: '×',
  div: '÷',
  cdot: '⋅',
  ast: '∗',
  star: '⋆',
  circ: '∘',
  leq: '≤',
  le: '≤',
  geq: '≥',
  ge: '≥',
  neq: '=\u0338',
  ne: '=\u0338',
  approx: '≈',
  sim: '∼',
  simeq: '≃',
  cong: '≅',
  equiv: '≡',
  propto: '∝',
  ll: '≪',
  gg: '≫',
  to: '→',
  rightarrow: '→',
  leftarrow: '←',
  leftrightarrow: '↔',
  Rightarrow: '⇒',
  Leftarrow: '⇐',
  Leftrightarrow: '⇔',
  mapsto: '↦',
  in: '∈',
  notin: '∈\u0338',
  subset: '⊂',
  supset: '⊃',
  subseteq: '⊆',
  supseteq: '⊇',
  cup: '∪',
  cap: '∩',
  forall: '∀',
  exists: '∃',
  neg: '¬',
  wedge: '∧',
  vee: '∨',
  oplus: '⊕',
  otimes: '⊗',
  partial: '∂',
  aleph: 'ℵ',
  hbar: 'ħ',
  ell: 'ℓ',
  sum: '∑',
  prod: '∏',
  int: '∫',
  ldots: '…',
  cdots: '⋯',
  prime: '′',
};

/**
 * Math as titles write it (`the $\alpha$-helix`, `$O(n)$`, `H$_2$O`), in
 * the form whose rendering is certain: letters, digits, spaces, a little
 * punctuation, commands, and super- and subscripts of digits and the signs
 * Unicode has raised and lowered forms of, between a pair of single `$`. A
 * `$` after a backslash is an escaped dollar, and `$$` opens display math;
 * neither starts math here.
 */
const mathContent = String.raw`(?:[ \t]|[A-Za-z0-9+=(),./;:!?|[\]*'-]|\\[A-Za-z]+|[\^_][ \t]*(?:[0-9A-Za-z+=()-]|\{[ \t]*[0-9A-Za-z+=()-][ \t0-9A-Za-z+=()-]*\}))+`;
const plainMath = new RegExp(String.raw`(?<![\\$])\$(${mathContent})\$(?!\$)`, 'g');
/** The same at a `$` where a value's part is read: its content holds no brace or quote, so it cannot change where the part ends. */
const plainMathAt = new RegExp(String.raw`\$${mathContent}\$(?!\$)`, 'y');
const mathCommand = /\\([A-Za-z]+)/g;
const mathScript = /([\^_])[ \t]*(?:\{([^}]*)\}|(.))/g;

/**
 * The raised and lowered forms of what a script may hold, as the parser
 * renders `^` and `_` in math and `\textsuperscript` and `\textsubscript` in
 * text: Unicode's superscripts and subscripts. A script with a character
 * not here it marks up as `<sup>` or `<sub>`, which is left to the parser.
 */
const raised: Readonly<Record<string, string>> = Object.fromEntries([...'0123456789+-=()abcdefghijklmnoprstuvwxyzA'].map((char, k) => [char, [...'⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬ'][k]]));
const lowered: Readonly<Record<string, string>> = Object.fromEntries([...'0123456789+-=()aehklmnopstx'].map((char, k) => [char, [...'₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕₖₗₘₙₒₚₛₜₓ'][k]]));

/** A script's characters in their raised or lowered `forms`; undefined where one has none. */
function inForms(content: string, forms: Readonly<Record<string, string>>): string | undefined {
  const chars = [...content];
  return chars.every((char) => Object.hasOwn(forms, char)) ? chars.map((char) => forms[char]).join('') : undefined;
}

/**
 * Stands for a segment of a value rendered apart, math or an address, until
 * the value's text is final, so that nothing around it (an accent before
 * it, a dash after) joins with what it renders, and nothing in an address
 * (a `~`, a `--`) is read as LaTeX. The parser refuses the character in
 * text, and so does the plain reading.
 */
const segmentMark = '\x10';

/**
 * An address in `\url{…}`, which the parser prints as written, as a link: one
 * without whitespace, braces, a quote, or what ends or breaks the parser's
 * reading of it (a backslash, a `%`, a `$`), and with a letter or a digit:
 * an address of only `--` or `''` it prints as the dash or quotation mark.
 */
const plainUrl = String.raw`\\url\{([^\s{}\\%$"A-Za-z0-9]*[A-Za-z0-9][^\s{}\\%$"]*)\}`;
/** The segments of a value rendered apart: addresses, and math of the plain form. */
const renderedApart = new RegExp(`${plainUrl}|${plainMath.source}`, 'g');

/** Math's content as the parser renders it: its scripts raised or lowered, its commands as their symbols, its whitespace dropped; undefined for a command `mathCommands` lacks. */
function renderedMath(content: string): string | undefined {
  let known = true;
  const rendered = content
    .replace(mathScript, (_: string, mark: string, group: string | undefined, single: string | undefined) => {
      const scripted = inForms((group ?? single ?? '').replace(/[ \t]+/g, ''), mark === '^' ? raised : lowered);
      if (scripted === undefined) known = false;
      return scripted ?? '';
    })
    .replace(mathCommand, (_: string, name: string) => {
      if (Object.hasOwn(mathCommands, name)) return mathCommands[name];
      known = false;
      return '';
    })
    .replace(/[ \t]+/g, '');
  return known && rendered !== '' ? rendered : undefined;
}

const tie = /(?<!\\)~/g;
const noSegments: readonly string[] = [];

/** `raw` with each tie a no-break space, as the parser renders it; after a backslash, `~` is an accent. */
function withTies(raw: string): string {
  return raw.includes('~') ? raw.replace(tie, '\u00a0') : raw;
}

const openingQuotes = /(?<!\\)``/g;
const closingQuotes = /(?<!\\)''/g;

/** `raw` with LaTeX's quotation marks as the parser renders them: two backquotes an opening mark, two apostrophes a closing one. */
function withQuoteMarks(raw: string): string {
  if (raw.includes('``')) raw = raw.replace(openingQuotes, '\u201C');
  return raw.includes("''") ? raw.replace(closingQuotes, '\u201D') : raw;
}

/**
 * A superscript or subscript in text of letters, digits and the signs
 * (`19\textsuperscript{th}`, `H\textsubscript{2}O`), which the parser
 * renders in Unicode's raised and lowered forms where each character has
 * one; where one lacks it, it marks the whole up instead, which is left
 * to the parser.
 */
const textScript = /\\text(super|sub)script\{([A-Za-z0-9+=()-]+)\}/g;

/** `raw` with each script `textScript` finds rendered, where every character of it has a form; others are left as written, for the checks to refuse. */
function withTextScripts(raw: string): string {
  if (!raw.includes('script{')) return raw;
  return raw.replace(textScript, (written: string, kind: string, content: string) => {
    // The parser joins `--` into a dash before it raises, and a dash has no raised form.
    if (content.includes('--')) return written;
    return inForms(content, kind === 'super' ? raised : lowered) ?? written;
  });
}

interface DecodedValue {
  /** The value as the parser renders it, each segment rendered apart a `segmentMark`. */
  readonly decoded: string;
  /** The value with each letter, symbol, segment rendered apart and rich-text command a plain letter, for the checks of what else it holds. */
  readonly checked: string;
  /** What each `segmentMark` in `decoded` renders, in order. */
  readonly segments: readonly string[];
}

/**
 * A value's LaTeX, decoded as `decodeLetters` does, with its ties where
 * `ties` allows them, and its math, addresses, scripts and rich-text
 * commands rendered where `markup` allows them (in text fields). Math,
 * addresses and scripts not of the plain form are left as written, for the
 * checks to refuse. Undefined where the markup is not plain.
 */
function decodeValue(raw: string, markup: boolean, ties: boolean): DecodedValue | undefined {
  if (!markup) {
    const { decoded, checked } = decodeLetters(withQuoteMarks(ties ? withTies(raw) : raw));
    return { decoded, checked, segments: noSegments };
  }
  // Most values hold neither math nor addresses: they share one empty list rather than each making one.
  let segments = noSegments;
  if (raw.includes('$') || raw.includes('\\url{')) {
    if (raw.includes(segmentMark)) return undefined;
    const rendered: string[] = [];
    raw = raw.replace(renderedApart, (segment: string, address: string | undefined, math: string | undefined) => {
      const text = address !== undefined ? `<a href="${address}">${address}</a>` : renderedMath(math ?? '');
      if (text === undefined) return segment;
      rendered.push(text);
      return segmentMark;
    });
    segments = rendered;
  }
  // An escaped brace is a brace in the text, not a group, as Zotero escapes LaTeX in abstracts (`\$\textbackslash mathbb\{R\}\$`):
  // marked apart until the text is rendered. Math and addresses holding one were left as written above, for the checks to refuse.
  const escapedBraces = raw.includes('\\{') || raw.includes('\\}');
  if (escapedBraces) {
    if (raw.includes(escapedOpen) || raw.includes(escapedClose)) return undefined;
    raw = raw.replace(backslashPair, (pair) => (pair === '\\{' ? escapedOpen : pair === '\\}' ? escapedClose : pair));
  }
  raw = withQuoteMarks(ties ? withTies(raw) : raw);
  const commands = raw.includes('\\');
  if (commands) {
    // The parser's own marks in the text would be taken for tags.
    if (/[\x0E\x0F]/.test(raw)) return undefined;
    const switched = withoutFontSwitches(withTextScripts(raw));
    const marked = switched === undefined ? undefined : markedUp(switched);
    if (marked === undefined) return undefined;
    raw = marked;
  }
  const { decoded, checked } = decodeLetters(raw);
  // Most values have neither marks nor segments: no pass over them for either.
  const unmarked = commands ? checked.replace(markupMark, '') : checked;
  const plain = escapedBraces ? unmarked.replace(escapedBraceMark, 'x') : unmarked;
  return { decoded, checked: segments.length > 0 ? plain.replaceAll(segmentMark, 'x') : plain, segments };
}

/** Where an escaped brace stood, in a value being read: control characters, which a value read as plain never holds. */
const escapedOpen = '\x11';
const escapedClose = '\x12';
const escapedBraceMark = /[\x11\x12]/g;
/** A backslash and the character after it, one pair after another, so that `\\{` is an escaped backslash and a group. */
const backslashPair = /\\[\s\S]/g;

/** A text with its escaped braces, marked apart while it was read, written as the braces they stand for. */
function withEscapedBraces(text: string): string {
  return text.replace(escapedBraceMark, (mark) => (mark === escapedOpen ? '{' : '}'));
}

/** `text` with each `segmentMark` replaced by what it stands for, in order. */
function withSegments(text: string, segments: readonly string[]): string {
  if (segments.length === 0) return text;
  let next = 0;
  return text.replaceAll(segmentMark, () => segments[next++]);
}

/** A plain value as the parser renders its text: groups dissolved, whitespace runs made one space, dashes joined. */
function plainText(raw: string): string {
  return raw
    .replace(/[{}]/g, '')
    .replace(whitespaceRun, ' ')
    .replace(dashes, (run) => (run.length === 3 ? '\u2014' : '\u2013'));
}

/**
 * The names of a creator field, as the parser splits and reads them: split
 * at a whole word `and` outside braces, then a name that is one group in
 * braces kept whole (a corporate author, `{Freedom Press}`), and any other
 * read as `Last, First`, `Last, Suffix, First`, or `First von Last`.
 * Undefined where the parser would report a name of more than three parts,
 * or split at an `and` with nothing beside it, and where a name other than
 * one group has a group, besides an accent's or a command letter's, that
 * holds a comma or another group (`plainGroups`).
 */
function plainCreators(value: string): Record<string, string | boolean>[] | undefined {
  // A tie joins the words beside it into one: the parser splits a name only at whitespace.
  const names = splitAtAnd(withQuoteMarks(withTies(value)));
  if (!names) return undefined;
  const creators: Record<string, string | boolean>[] = [];
  for (let n = 0; n < names.length; n++) {
    // The parser's split takes the whitespace beside each `and`, not that at either end of the value.
    let written = names[n];
    if (n > 0) written = written.replace(/^[ \t\n]+/, '');
    if (n < names.length - 1) written = written.replace(/[ \t\n]+$/, '');
    if (isOneGroup(written)) {
      creators.push(withoutEmpty({ name: plainText(decodeLetters(written).decoded) }));
      continue;
    }
    const { decoded: name, checked } = decodeLetters(written);
    if (checked.includes('=')) {
      const extended = extendedName(name);
      if (!extended) return undefined;
      creators.push(extended);
      continue;
    }
    // In a name written `Last, First` the parser reads groups as if their braces were not there; in `First von Last` a group is one word.
    if (/[{}]/.test(checked) && !plainGroups(checked)) return undefined;
    if (name.includes(',')) {
      const parts = name.split(',').map((part) => plainText(part).trim());
      if (parts.length === 3 && parts[2] === '') parts.pop();
      if (parts.length > 3) return undefined;
      const [last, suffix, firstName] = parts.length === 2 ? [parts[0], undefined, parts[1]] : parts;
      // A lower-case start of the last name is its particle (`de la Fontaine`).
      const particle = /^([a-z'. ]+) (.+)/.exec(last);
      creators.push(withoutEmpty({ lastName: particle ? particle[2] : last, firstName, prefix: particle?.[1], suffix }));
    } else {
      const words = wordsOutsideGroups(name).map(plainText);
      if (words.length === 1) {
        creators.push(withoutEmpty({ lastName: words[0] }));
        continue;
      }
      const prefix = words.findIndex((word) => /^[a-z]/.test(word));
      const last = prefix <= 0 ? -1 : words.findIndex((word, k) => k > prefix && !/^[a-z]/.test(word));
      if (last === -1) creators.push(withoutEmpty({ lastName: words[words.length - 1], firstName: words.slice(0, -1).join(' ') }));
      else creators.push(withoutEmpty({ firstName: words.slice(0, prefix).join(' '), prefix: words.slice(prefix, last).join(' '), lastName: words.slice(last).join(' ') }));
    }
  }
  // The parser leaves out a name with nothing in it.
  return creators.filter((creator) => Object.keys(creator).length > 0);
}

const extendedPart = /^[ \t\n]*([A-Za-z]+(?:-[A-Za-z]+)?)=/;

/**
 * A name in BibLaTeX's extended format, as Better BibTeX writes a name
 * with a particle (`family=Gogh, given=Vincent, prefix=van, useprefix=true`),
 * its LaTeX letters decoded: the parts at each comma outside groups, each a
 * key of letters (and a hyphen and more, `given-i`), `=` and its value, read
 * as the parser reads them. Undefined unless there are two parts or more
 * and every part is so: the parser then reads a name of another form.
 */
function extendedName(name: string): Record<string, string | boolean> | undefined {
  const parts = splitOutsideGroups(name, (k) => (name[k] === ',' ? 1 : 0));
  // Without a comma, the parser reads the name in the form `First von Last`.
  if (parts.length < 2) return undefined;
  const read: Record<string, string | boolean | undefined> = {};
  for (const part of parts) {
    const found = extendedPart.exec(part);
    if (!found) return undefined;
    const key = found[1].toLowerCase();
    const value = plainText(part.slice(found[0].length)).trim();
    if (key === 'given') read.firstName = value;
    else if (key === 'family') read.lastName = value;
    else if (key === 'given-i') read.initial = value;
    else if (key === 'useprefix' || key === 'juniorcomma') read[key] = value.toLowerCase() === 'true';
    else read[key] = value;
  }
  return withoutEmpty(read);
}

/** `text` split outside groups of braces wherever `separatorAt` gives the length of a separator at an offset (0 for none). */
function splitOutsideGroups(text: string, separatorAt: (offset: number) => number): string[] {
  const parts: string[] = [];
  let from = 0;
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    const char = text[k];
    if (char === '{') depth++;
    else if (char === '}') depth--;
    else if (depth === 0) {
      const length = separatorAt(k);
      if (length > 0) {
        parts.push(text.slice(from, k));
        from = k + length;
        k = from - 1;
      }
    }
  }
  parts.push(text.slice(from));
  return parts;
}

/** Whether `checked`, a name with its LaTeX letters made plain, has only groups that hold no comma and no other group. */
function plainGroups(checked: string): boolean {
  let depth = 0;
  for (const char of checked) {
    if (char === '{') {
      if (++depth > 1) return false;
    } else if (char === '}') depth--;
    else if (char === ',' && depth > 0) return false;
  }
  return true;
}

/** A name's words, split at whitespace outside braces: a group is part of one word. */
function wordsOutsideGroups(name: string): string[] {
  return splitOutsideGroups(name, (k) => (name[k] === ' ' || name[k] === '\t' || name[k] === '\n' ? 1 : 0)).filter((word) => word !== '');
}

/** A list value split at each `and` that stands as a word between spaces outside braces; undefined when a part would be empty. */
function splitAtAnd(raw: string): string[] | undefined {
  // The parser also splits at an `and` that opens the value before a space, or ends it after a word's end; those leave an empty part.
  if (/^and[ \t\r\n]|(?:^|[\x20-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E\t\r\n])and$/i.test(raw)) return undefined;
  // A command takes the whitespace after it, and an `and` after it is then no split (`\ss and a` is one name, `ßand a`).
  if (/\\[A-Za-z]+[ \t\r\n]+and[ \t\r\n]/i.test(raw)) return undefined;
  // The parser needs whitespace on both sides of `and` to split there, and so does this; an `and` in a group is part of it.
  const parts = splitOutsideGroups(raw, (k) => ((raw[k] === 'a' || raw[k] === 'A') && isBibtexSpace(raw.charCodeAt(k - 1)) && andAt.test(raw.slice(k, k + 4)) ? 3 : 0));
  // A part left empty is the parser's edge case, not this one's.
  if (parts.some((part) => part.trim() === '')) return undefined;
  return parts;
}

const andAt = /^and[ \t\r\n]/i;

/** The parser drops a name's empty parts, and trims the rest, of any Unicode space, as `String.trim` does; it keeps its flags (`useprefix`). */
function withoutEmpty<Value extends string | boolean>(name: Record<string, Value | undefined>): Record<string, Value> {
  const kept: Record<string, Value> = {};
  for (const [part, value] of Object.entries(name)) {
    const trimmed = typeof value === 'string' ? value.trim() : value;
    if (trimmed !== undefined && trimmed !== '') kept[part] = trimmed as Value;
  }
  return kept;
}

/** Whether `text` is one group in braces, which the parser takes as a whole name, not split into parts. */
function isOneGroup(text: string): boolean {
  if (!text.startsWith('{')) return false;
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '{') depth++;
    else if (text[k] === '}' && --depth === 0) return k === text.length - 1;
  }
  return false;
}

/** One field's value as the parser renders it, or undefined when only the parser can say. */
function plainField(mode: (typeof usedFields)[string], value: string): unknown {
  if (mode === 'verbatim') {
    // The parser prints these back as written, LaTeX's special characters and groups included (Mendeley writes `{\_}` for an
    // underscore), but for one group around the whole value, which it drops; whitespace inside it would reprint its own way.
    const address = value.trim();
    if (verbatimSpecial.test(value) || /[ \t\r\n]/.test(address)) return undefined;
    if (!address.includes('{')) return address;
    // Whitespace around a group makes it not the whole value, and a comment may hide where a group closes.
    if (address !== value || address.includes('%')) return undefined;
    return isOneGroup(address) ? address.slice(1, -1) : address;
  }
  // Rich text is read only where the parser renders it as it is: not in names or lists, which it splits, nor in a number.
  // A tie is a no-break space but in a number or a month, which are left to the parser.
  const letters = decodeValue(value, mode === 'text', mode !== 'number' && mode !== 'month');
  if (!letters) return undefined;
  const { decoded: raw, checked } = letters;
  if (latexSpecial.test(checked) || groupEdge.test(checked)) return undefined;
  switch (mode) {
    case 'creators':
      return plainCreators(value);
    case 'list':
      // Split at an `and` outside groups, as names are, then each part's groups dissolved.
      return splitAtAnd(raw)?.map((part) => plainText(part).trim());
    case 'number': {
      const text = plainText(raw).trim();
      return /^-?\d+$/.test(text) ? String(parseInt(text, 10)) : text;
    }
    case 'month': {
      const text = plainText(raw).trim();
      if (/^-?\d+$/.test(text)) return String(parseInt(text, 10));
      return monthNumbers.get(text.toLowerCase());
    }
    case 'text':
      return withEscapedBraces(withSegments(restoredMarkup(plainText(raw).trim()), letters.segments));
  }
}

/**
 * The parser's whitespace between tokens: BibTeX's whitespace, and `%`
 * comments, each to the end of its line. Written so that a gap can be
 * matched one way only, which keeps the patterns that use it linear.
 */
export const bibtexGap = String.raw`(?:[ \t\r\n]|%[^\n]*(?:\n|$))*`;

/** The characters of a macro's or a directive's name, as the parser reads one. */
export const bibtexNameCharacter = String.raw`[+'\w&;:\\./\p{L}-]`;

const entryHead = new RegExp(String.raw`^${bibtexGap}@([A-Za-z]+)${bibtexGap}\{${bibtexGap}([A-Za-z0-9_:./+-]+)${bibtexGap},`, 'y');
const fieldHead = new RegExp(String.raw`${bibtexGap}([A-Za-z][A-Za-z0-9_-]*)${bibtexGap}=${bibtexGap}`, 'y');
/** A bare value: digits, or the name of a macro, in the characters the parser reads a name in. */
const bareValue = new RegExp(String.raw`${bibtexNameCharacter}+(?=[ \t\r\n,}#)%])`, 'uy');

export interface PlainBibtexOptions {
  /**
   * Whether a macro BibTeX has built in, a month's (`month = mar`, as
   * Zotero writes it) or a journal's (`journal = cacm`), stands for its
   * built-in value: only where no `@string` could define it otherwise.
   * True for all of them, or asked of each by its name in upper case.
   */
  readonly builtInMacros?: boolean | ((name: string) => boolean);
  /**
   * The value an `@string` macro is defined with, as written, by the
   * macro's name in upper case, where that value is certain at the entry;
   * undefined otherwise.
   */
  readonly macro?: (name: string) => string | undefined;
}

const stringHead = new RegExp(String.raw`^${bibtexGap}@${bibtexGap}string${bibtexGap}([{(])${bibtexGap}(${bibtexNameCharacter}+)${bibtexGap}=${bibtexGap}`, 'iuy');

/**
 * An `@string` definition of one macro whose value is plain, and nothing
 * after it that the parser reads: the macro's name in upper case, as the parser
 * keys it, and its value as written, which the parser puts in place of the
 * macro before it reads a field. The value is parts in braces, in quotes,
 * bare digits or macros that `options` give, joined with `#`
 * (`valueAt`). Undefined for any other definition, and for an empty value,
 * which the parser takes for none.
 */
export function plainStringDefinition(source: string, options: PlainBibtexOptions = {}): { name: string; value: string } | undefined {
  stringHead.lastIndex = 0;
  const head = stringHead.exec(source);
  if (!head) return undefined;
  const value = valueAt(source, stringHead.lastIndex, options);
  if (!value || value.raw === '') return undefined;
  const at = afterGap(source, value.end);
  if (source[at] !== (head[1] === '{' ? '}' : ')') || !ignoredAfter(source, at + 1)) return undefined;
  return { name: head[2].toUpperCase(), value: value.raw };
}

/**
 * An entry read without the BibTeX parser, when its text is plain enough
 * for the reading to be certain: the parser's own result, or undefined.
 * The parser reads every field value as LaTeX, through a grammar, which
 * takes about a sixth of a millisecond an entry even when the values are
 * plain text; most entries of an export are. `source` is an entry's text
 * from its `@`, after whitespace and comments; what follows the entry may
 * be only text the parser skips, as it skips comments between entries.
 *
 * Plain here means: an `@type{key,` header, `name = value` fields with
 * values in braces, in quotes, bare digits or macros, or these joined with
 * `#`, with whitespace and `%` comments between them, and no macros but
 * BibTeX's own (with `builtInMacros`) or those `macro` gives, no
 * `crossref` and no field given twice; a value without LaTeX
 * but for accents on one letter, letters and symbols written as commands
 * and escaped symbols (`latexLetters`), and outside names, lists and
 * numbers rich text that holds no other (`markedUp`) and math of the plain
 * form (`plainMath`), with braces only around plain text.
 */
export function plainBibtexEntry(source: string, options: PlainBibtexOptions = {}): BibtexEntry | undefined {
  entryHead.lastIndex = 0;
  const head = entryHead.exec(source);
  if (!head) return undefined;
  const type = head[1].toLowerCase();
  if (type === 'string' || type === 'preamble' || type === 'comment') return undefined;
  const fields: Record<string, unknown> = {};
  const seen = new Set<string>();
  let at = entryHead.lastIndex;
  for (;;) {
    fieldHead.lastIndex = at;
    const field = fieldHead.exec(source);
    if (!field) break;
    const name = field[1].toLowerCase();
    if (seen.has(name) || name === 'crossref' || name === 'xdata') return undefined;
    seen.add(name);
    const value = valueAt(source, fieldHead.lastIndex, options);
    if (!value) return undefined;
    at = value.end;
    const mode = Object.hasOwn(usedFields, name) ? usedFields[name] : undefined;
    if (mode === undefined) {
      // Nothing reads this field, but the parser must not fail on it.
      if (verbatimField.test(name)) {
        // Math of the plain form parses, and Mendeley writes each backslash of a Windows path as `$\backslash$`.
        if (unreadVerbatimSpecial.test(value.raw.includes('$') ? value.raw.replace(plainMath, '') : value.raw)) return undefined;
      } else {
        const letters = decodeValue(value.raw, true, true);
        if (!letters || /[\\$]/.test(letters.checked)) return undefined;
      }
    } else if (value.raw.trim() !== '') {
      const rendered = plainField(mode, value.raw);
      if (rendered === undefined) return undefined;
      fields[name] = rendered;
    }
    at = afterGap(source, at);
    if (source[at] !== ',') break;
    at++;
  }
  at = afterGap(source, at);
  if (source[at] !== '}' || !ignoredAfter(source, at + 1)) return undefined;
  return { type, key: head[2], fields };
}

const maxGroupDepth = 8;

/** BibTeX's whitespace: a space, a tab or a line break, but not a form feed or a no-break space. */
function isBibtexSpace(code: number): boolean {
  return isSpaceOrTab(code) || isLineBreak(code);
}

/** The end of the `%` comment at `at`: the line break that ends it, or the end of the text. */
function commentEnd(source: string, at: number): number {
  const lineEnd = source.indexOf('\n', at);
  return lineEnd < 0 ? source.length : lineEnd;
}

/** Where the text at `at` goes on past whitespace and `%` comments, as the parser goes on between tokens (`bibtexGap`). */
function afterGap(source: string, at: number): number {
  while (at < source.length) {
    if (isBibtexSpace(source.charCodeAt(at))) at++;
    else if (source[at] === '%') at = commentEnd(source, at);
    else break;
  }
  return at;
}

/**
 * Whether the parser skips the text from `at` to the end, as it skips
 * whatever comes between entries: true unless an `@` outside a `%`
 * comment would start another.
 */
function ignoredAfter(source: string, at: number): boolean {
  for (; at < source.length; at++) {
    if (source[at] === '@') return false;
    if (source[at] === '%') at = commentEnd(source, at);
  }
  return true;
}

/**
 * A value at `at` as the parser reads it, with where it ends: its parts
 * joined as written, with `#` and whitespace between them. A part is in
 * braces or quotes, bare digits, or a macro (`partAt`), which stands for
 * its value as written (`options.macro`, or a built-in value with
 * `builtInMacros`). Undefined where a part is none of these, or a macro's
 * value is not known.
 */
function valueAt(source: string, at: number, options: PlainBibtexOptions): { raw: string; end: number } | undefined {
  let raw = '';
  for (;;) {
    const part = partAt(source, at);
    if (!part) return undefined;
    const text = part.macro ? macroValue(part.raw.toUpperCase(), options) : part.raw;
    if (text === undefined) return undefined;
    raw += text;
    const next = afterGap(source, part.end);
    if (source[next] !== '#') return { raw, end: part.end };
    at = afterGap(source, next + 1);
  }
}

/** The value of the macro named `name`, in upper case: a built-in macro has its own value wherever no `@string` may define it. */
function macroValue(name: string, options: PlainBibtexOptions): string | undefined {
  const builtIn = builtInMacroValues.get(name);
  const standing = builtIn !== undefined && (typeof options.builtInMacros === 'function' ? options.builtInMacros(name) : options.builtInMacros === true);
  return standing ? builtIn : options.macro?.(name);
}

/**
 * One part of a value at `at`, with where it ends: in balanced braces, or
 * in quotes, which end at a quote outside braces, as the parser finds their
 * end; bare digits; or a bare word, which is a macro. Braces nested deeper
 * than plain text needs, math but of the plain form (`plainMath`), and in
 * quotes a closing brace that opens no group, are left to the parser.
 */
function partAt(source: string, at: number): { raw: string; end: number; macro?: boolean } | undefined {
  const open = source[at];
  if (open === '{' || open === '"') {
    let depth = 0;
    for (let k = at + 1; k < source.length; k++) {
      const char = source[k];
      if (char === '\\') k++;
      else if (char === '$') {
        // Math is read by the parser's grammar, which may end it elsewhere than plain math ends.
        plainMathAt.lastIndex = k;
        if (source[k - 1] === '$' || !plainMathAt.test(source)) return undefined;
        k = plainMathAt.lastIndex - 1;
      } else if (char === '{') {
        // Deep nesting is not plain: the parser's grammar recurses, and past its stack it fails the entry.
        if (++depth > maxGroupDepth) return undefined;
      } else if (char === '}') {
        if (depth === 0) return open === '{' ? { raw: source.slice(at + 1, k), end: k + 1 } : undefined;
        depth--;
      } else if (char === '"' && open === '"' && depth === 0) return { raw: source.slice(at + 1, k), end: k + 1 };
    }
    return undefined;
  }
  bareValue.lastIndex = at;
  const bare = bareValue.exec(source);
  if (!bare) return undefined;
  return { raw: bare[0], end: bareValue.lastIndex, macro: !/^\d+$/.test(bare[0]) };
}
