import { pathList, scanFrontMatter } from './frontMatter';
import { LineMap } from './lineMap';
import type { Registry, Sidecar } from './model';
import { resolvePath, siblingUri, stemOf } from './paths';
import { mergeRegistry, parseCslJson, type Bibliography } from './registry';
import { parseSidecar } from './sidecar';
import { DiagnosticCode, defaultSeverity, type Diagnostic, type Span } from './types';

/**
 * How the core reaches files. The extension reads through `vscode.workspace.fs`
 * and open editors (so unsaved sidecar edits count); the CLI reads from disk.
 */
export interface FileReader {
  /** The file's text, or undefined when there is no such file. Throws when it exists but cannot be read. */
  readText(uri: string): Promise<string | undefined>;
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
    const parsed = parseSidecar(uri, text);
    let value = parsed;
    const good = this.lastGood.get(uri);
    if (parsed.valid) {
      if (this.keepLastGood) this.lastGood.set(uri, parsed);
    } else if (good) {
      const lines = new LineMap(text);
      const span = parsed.diagnostics[0]?.span ?? { start: 0, end: 0 };
      const notice: Diagnostic = {
        severity: defaultSeverity[DiagnosticCode.StaleSidecar],
        code: DiagnosticCode.StaleSidecar,
        message: 'This sidecar has errors: hovers and completion use its last good version until they are fixed.',
        uri,
        span,
        range: lines.rangeOf(span),
      };
      value = { ...good, diagnostics: [...parsed.diagnostics, notice], valid: false, stale: true };
    }
    this.sidecars.set(uri, { text, value });
    this.lineMaps.set(uri, new LineMap(text));
    return value;
  }

  bibliography(uri: string, text: string): Bibliography {
    const hit = this.bibliographies.get(uri);
    if (hit && hit.text === text) return hit.value;
    const value = parseCslJson(uri, text);
    this.bibliographies.set(uri, { text, value });
    this.lineMaps.set(uri, new LineMap(text));
    return value;
  }

  forget(uri: string): void {
    this.sidecars.delete(uri);
    this.lastGood.delete(uri);
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
export async function loadTextContext(textUri: string, text: string, reader: FileReader, cache = new ParseCache()): Promise<TextContext> {
  const { frontMatter } = scanFrontMatter(text);
  const textLines = new LineMap(text);
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, message: string, span: Span): void => {
    diagnostics.push({ severity: defaultSeverity[code], code, message, uri: textUri, span, range: textLines.rangeOf(span) });
  };
  const top: Span = { start: 0, end: 0 };

  const read = async (uri: string, span: Span): Promise<string | undefined> => {
    try {
      return await reader.readText(uri);
    } catch (error) {
      report(DiagnosticCode.UnreadableFile, `Cannot read ${uri}: ${(error as Error).message}`, span);
      return undefined;
    }
  };

  const sources: (Sidecar | Bibliography)[] = [];
  const sidecarUris: string[] = [];
  const named = pathList(frontMatter?.data?.sidecar);
  if (frontMatter && named.length > 0) {
    for (const path of named) {
      const uri = resolvePath(textUri, path);
      const span = spanOfValue(text, frontMatter.span, path);
      const content = await read(uri, span);
      if (content === undefined) {
        if (!diagnostics.some((d) => d.span === span)) report(DiagnosticCode.MissingFile, `The sidecar "${path}" named in the front matter does not exist.`, span);
        continue;
      }
      sources.push(cache.sidecar(uri, content));
      sidecarUris.push(uri);
    }
  } else {
    const stem = stemOf(textUri);
    const yamlUri = siblingUri(textUri, `${stem}.yaml`);
    const ymlUri = siblingUri(textUri, `${stem}.yml`);
    const [yamlText, ymlText] = await Promise.all([read(yamlUri, top), read(ymlUri, top)]);
    if (yamlText !== undefined) {
      sources.push(cache.sidecar(yamlUri, yamlText));
      sidecarUris.push(yamlUri);
      if (ymlText !== undefined) report(DiagnosticCode.AmbiguousSidecar, `Both ${stem}.yaml and ${stem}.yml exist; ${stem}.yaml is used.`, top);
    } else if (ymlText !== undefined) {
      sources.push(cache.sidecar(ymlUri, ymlText));
      sidecarUris.push(ymlUri);
    } else {
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
    const content = await read(uri, span);
    if (content === undefined) {
      if (from === textUri) report(DiagnosticCode.MissingFile, `The bibliography ${uri} does not exist.`, span);
      else sources.push(missingFromSidecar(uri, from, span, cache));
      continue;
    }
    bibliographyUris.push(uri);
    sources.push(cache.bibliography(uri, content));
  }
  const registry = mergeRegistry(sources.map((s) => ('people' in s ? s : { uri: s.uri, references: s.references, diagnostics: s.diagnostics })), cache.lineMaps);
  return { registry, sidecars: sidecarUris, bibliographies: bibliographyUris, diagnostics };
}

/** A missing bibliography named in a sidecar is reported on the sidecar, at the line that names it. */
function missingFromSidecar(uri: string, sidecarUri: string, span: Span, cache: ParseCache): Bibliography {
  const lines = cache.lineMaps.get(sidecarUri);
  const diagnostic: Diagnostic = {
    severity: defaultSeverity[DiagnosticCode.MissingFile],
    code: DiagnosticCode.MissingFile,
    message: `The bibliography ${uri} does not exist.`,
    uri: sidecarUri,
    span,
    range: lines ? lines.rangeOf(span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
  };
  return { uri, references: [], diagnostics: [diagnostic], valid: false };
}
