import { pathList, scanFrontMatter } from './frontMatter';
import { decodeFile, defaultLimits, refusalDiagnostic, type FileContent, type Limits, type Refusal } from './limits';
import { LineMap } from './lineMap';
import type { Registry, Sidecar } from './model';
import { resolvePath, siblingUri, stemOf } from './paths';
import { mergeRegistry, type Bibliography } from './registry';
import { parseBibliography } from './bibliography';
import { parseSidecar } from './sidecar';
import { DiagnosticCode, defaultSeverity, type Diagnostic, type Span } from './types';

/**
 * How the core reaches files. The extension reads through `vscode.workspace.fs`
 * and open editors (so unsaved sidecar edits count); the CLI reads from disk.
 */
export interface FileReader {
  /**
   * The file's bytes, or the text of an open editor; undefined when there is no
   * such file. A file over `maxBytes` is not read, only its size is returned, so
   * a huge file in a repository costs no memory. Throws when it exists but
   * cannot be read.
   */
  read(uri: string, maxBytes: number): Promise<FileContent | undefined>;
}

/**
 * Parsed sidecars and bibliographies, reused while their text is unchanged.
 * With `keepLastGood`, a sidecar that turns invalid keeps serving its last
 * good people and references, and says so, so hovers survive a half-typed edit.
 */
export class ParseCache {
  private readonly sidecars = new Map<string, { text: string; value: Sidecar }>();
  private readonly lastGood = new Map<string, Sidecar>();
  private readonly bibliographies = new Map<string, { text: string; value: Bibliography }>();
  readonly lineMaps = new Map<string, LineMap>();

  constructor(private readonly keepLastGood = false) {}

  sidecar(uri: string, text: string): Sidecar {
    const hit = this.sidecars.get(uri);
    if (hit && hit.text === text) return hit.value;
    const lines = new LineMap(text);
    const value = this.withLastGood(parseSidecar(uri, text), lines);
    this.sidecars.set(uri, { text, value });
    this.lineMaps.set(uri, lines);
    return value;
  }

  /** A sidecar that is not parsed at all (too large, binary): its last good version, if any, still serves. */
  refusedSidecar(uri: string, refusal: Refusal): Sidecar {
    this.sidecars.delete(uri);
    const lines = new LineMap('');
    this.lineMaps.set(uri, lines);
    const refused: Sidecar = { uri, people: [], references: [], bibliographies: [], diagnostics: [refusalDiagnostic(uri, refusal)], valid: false };
    return this.withLastGood(refused, lines);
  }

  private withLastGood(parsed: Sidecar, lines: LineMap): Sidecar {
    const { uri } = parsed;
    const good = this.lastGood.get(uri);
    if (parsed.valid) {
      if (this.keepLastGood) this.lastGood.set(uri, parsed);
      return parsed;
    }
    if (!good) return parsed;
    const span = parsed.diagnostics[0]?.span ?? { start: 0, end: 0 };
    const notice: Diagnostic = {
      severity: defaultSeverity[DiagnosticCode.StaleSidecar],
      code: DiagnosticCode.StaleSidecar,
      message: 'This sidecar has errors: hovers and completion use its last good version until they are fixed.',
      uri,
      span,
      range: lines.rangeOf(span),
    };
    return { ...good, diagnostics: [...parsed.diagnostics, notice], valid: false, stale: true };
  }

  refusedBibliography(uri: string, refusal: Refusal): Bibliography {
    this.bibliographies.delete(uri);
    this.lineMaps.set(uri, new LineMap(''));
    return { uri, references: [], diagnostics: [refusalDiagnostic(uri, refusal)], valid: false };
  }

  bibliography(uri: string, text: string): Bibliography {
    const hit = this.bibliographies.get(uri);
    if (hit && hit.text === text) return hit.value;
    const value = parseBibliography(uri, text);
    this.bibliographies.set(uri, { text, value });
    this.lineMaps.set(uri, new LineMap(text));
    return value;
  }

  /**
   * Drops the parsed copy of a file that changed on disk. Its last good version
   * stays: a sidecar saved broken, or overwritten with garbage, keeps serving it.
   */
  forget(uri: string): void {
    this.sidecars.delete(uri);
    this.bibliographies.delete(uri);
    this.lineMaps.delete(uri);
  }
}

export interface TextContext {
  readonly registry: Registry;
  /** Sidecars in merge order. */
  readonly sidecars: readonly string[];
  readonly bibliographies: readonly string[];
  /** Diagnostics about the text itself: no sidecar, a named file missing. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Where a path named in the front matter is written, for a diagnostic on that line. */
function spanOfValue(text: string, frontMatter: Span, value: string): Span {
  const at = text.indexOf(value, frontMatter.start);
  return at >= 0 && at < frontMatter.end ? { start: at, end: at + value.length } : { start: frontMatter.start, end: frontMatter.start + 3 };
}

/** Finds, reads and merges the sidecars and bibliographies of a text. */
export async function loadTextContext(textUri: string, text: string, reader: FileReader, cache = new ParseCache(), limits: Limits = defaultLimits): Promise<TextContext> {
  const { frontMatter, error: frontMatterError } = scanFrontMatter(text);
  // This runs on every version of the text, and most texts get no diagnostic here: map lines only when one is reported.
  let textLines: LineMap | undefined;
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, message: string, span: Span): void => {
    textLines ??= new LineMap(text);
    diagnostics.push({ severity: defaultSeverity[code], code, message, uri: textUri, span, range: textLines.rangeOf(span) });
  };
  const top: Span = { start: 0, end: 0 };
  if (frontMatterError) report(DiagnosticCode.YamlSyntax, `The front matter could not be read, so its sidecar and bibliography are ignored: ${frontMatterError.message}`, frontMatterError.span);

  const sources: (Sidecar | Bibliography)[] = [];
  /**
   * A file's text, or its refusal (too large, binary); undefined when it does
   * not exist; null when it cannot be read, which is reported at `span` in the
   * file that names it (`from`).
   */
  const read = async (uri: string, span: Span, what: string, from = textUri): Promise<string | Refusal | undefined | null> => {
    try {
      const content = await reader.read(uri, limits.maxFileBytes);
      if (content === undefined) return undefined;
      const decoded = decodeFile(content, limits, what);
      return 'text' in decoded ? decoded.text : decoded.refusal;
    } catch (error) {
      const message = `Cannot read ${uri}: ${(error as Error).message}`;
      if (from === textUri) report(DiagnosticCode.UnreadableFile, message, span);
      else sources.push(problemInSidecar(uri, from, span, cache, DiagnosticCode.UnreadableFile, message));
      return null;
    }
  };
  const sidecarOf = (uri: string, content: string | Refusal): Sidecar => (typeof content === 'string' ? cache.sidecar(uri, content) : cache.refusedSidecar(uri, content));

  const sidecarUris: string[] = [];
  const named = pathList(frontMatter?.data?.sidecar);
  if (frontMatter && named.length > 0) {
    for (const path of named) {
      const uri = resolvePath(textUri, path);
      const span = spanOfValue(text, frontMatter.span, path);
      const content = await read(uri, span, 'sidecar');
      if (content === null) continue;
      if (content === undefined) {
        report(DiagnosticCode.MissingFile, `The sidecar "${path}" named in the front matter does not exist.`, span);
        continue;
      }
      sources.push(sidecarOf(uri, content));
      sidecarUris.push(uri);
    }
  } else {
    const stem = stemOf(textUri);
    const yamlUri = siblingUri(textUri, `${stem}.yaml`);
    const ymlUri = siblingUri(textUri, `${stem}.yml`);
    const [yamlText, ymlText] = await Promise.all([read(yamlUri, top, 'sidecar'), read(ymlUri, top, 'sidecar')]);
    if (yamlText !== undefined && yamlText !== null) {
      sources.push(sidecarOf(yamlUri, yamlText));
      sidecarUris.push(yamlUri);
      if (ymlText !== undefined && ymlText !== null) report(DiagnosticCode.AmbiguousSidecar, `Both ${stem}.yaml and ${stem}.yml exist; ${stem}.yaml is used.`, top);
    } else if (ymlText !== undefined && ymlText !== null) {
      sources.push(sidecarOf(ymlUri, ymlText));
      sidecarUris.push(ymlUri);
    } else if (yamlText === undefined && ymlText === undefined) {
      report(DiagnosticCode.NoSidecar, `No sidecar found: create ${stem}.yaml next to this text to describe its people and references.`, top);
    }
  }

  // Bibliographies named in the sidecars, then in the front matter.
  const bibliographyUris: string[] = [];
  const wanted: { uri: string; span: Span; from: string }[] = [];
  for (const source of [...sources]) {
    if ('bibliographies' in source) for (const { uri, span } of source.bibliographies) wanted.push({ uri, span, from: source.uri });
  }
  if (frontMatter) {
    for (const path of pathList(frontMatter.data?.bibliography)) {
      wanted.push({ uri: resolvePath(textUri, path), span: spanOfValue(text, frontMatter.span, path), from: textUri });
    }
  }
  for (const { uri, span, from } of wanted) {
    if (bibliographyUris.includes(uri)) continue;
    const content = await read(uri, span, 'bibliography', from);
    if (content === null) continue;
    if (content === undefined) {
      const message = `The bibliography ${uri} does not exist.`;
      if (from === textUri) report(DiagnosticCode.MissingFile, message, span);
      else sources.push(problemInSidecar(uri, from, span, cache, DiagnosticCode.MissingFile, message));
      continue;
    }
    bibliographyUris.push(uri);
    sources.push(typeof content === 'string' ? cache.bibliography(uri, content) : cache.refusedBibliography(uri, content));
  }
  const registry = mergeRegistry(sources.map((s) => ('people' in s ? s : { uri: s.uri, references: s.references, diagnostics: s.diagnostics })), cache.lineMaps);
  return { registry, sidecars: sidecarUris, bibliographies: bibliographyUris, diagnostics };
}

/** A bibliography named in a sidecar that is missing or unreadable is reported on the sidecar, at the line that names it. */
function problemInSidecar(uri: string, sidecarUri: string, span: Span, cache: ParseCache, code: DiagnosticCode, message: string): Bibliography {
  const lines = cache.lineMaps.get(sidecarUri);
  const diagnostic: Diagnostic = {
    severity: defaultSeverity[code],
    code,
    message,
    uri: sidecarUri,
    span,
    range: lines ? lines.rangeOf(span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
  };
  return { uri, references: [], diagnostics: [diagnostic], valid: false };
}
