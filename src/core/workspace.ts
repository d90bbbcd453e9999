import { bibliographyFormat, bibtexSteps, parseBibliography } from './bibliography';
import { cslJsonSteps } from './cslJsonSteps';
import { cslYamlSteps } from './cslYamlSteps';
import { pathList, scanFrontMatter } from './frontMatter';
import { decodeFile, defaultLimits, refusalDiagnostic, type FileContent, type Limits, type Refusal } from './limits';
import { LineMap } from './lineMap';
import type { Reference, Registry, Sidecar } from './model';
import { resolvePath, siblingUri, stemOf } from './paths';
import { mergeRegistrySteps, type Bibliography } from './registry';
import { parseSidecar } from './sidecar';
import { digestSteps, libraryRecord, recordedLibrary, recordedSidecar, sidecarRecord, type ParsedStore, type RecordedLibrary } from './parsedStore';
import { keepRegistrySources, keepRecordedSearchTables, type RecordedSearchTables } from './search';
import { sidecarSteps } from './sidecarPieces';
import { runInSlices, runNow, StepsCancelled, type Scheduler, type SliceOptions, type Steps } from './steps';
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
 * Files at least this long (in UTF-16 code units) are read in steps when a
 * scheduler is given, whatever their format, and, with a store, have their
 * precise reads kept for later sessions.
 */
export const steppedLoadChars = 256 * 1024;

/**
 * The shortest file of each format read in steps when a scheduler is given: a
 * shorter one is read at once in about 50 ms or less. On a machine of two
 * shared cores, the `yaml` package reads a sidecar or a CSL-YAML library at
 * 3 to 5 µs a character (a 24 K sidecar took 88 to 115 ms), the BibTeX parser
 * takes 2 ms or more an entry in a small file (30 entries, 5 K: 53 to 75 ms),
 * and `JSON.parse` reads a CSL-JSON library of 256 K in about 15 ms.
 */
const steppedFrom: Readonly<Record<'sidecar' | ReturnType<typeof bibliographyFormat>, number>> = {
  sidecar: 12 * 1024,
  'csl-yaml': 12 * 1024,
  bibtex: 2 * 1024,
  'csl-json': steppedLoadChars,
};

/** A load in steps of one file's text, shared by everyone who asks for that text while it runs. */
class PendingLoad<T> {
  /** Set when a newer text or `forget` replaced this load: its result is not stored. */
  detached = false;
  private settled = false;
  private resolveReady!: (value: T | Promise<T>) => void;
  private rejectReady!: (error: unknown) => void;
  readonly ready = new Promise<T>((resolve, reject) => {
    this.resolveReady = resolve;
    this.rejectReady = reject;
  });

  constructor(readonly text: string) {}

  settle(value: T | Promise<T>): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveReady(value);
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectReady(error);
  }

  /** A detached load stops once nobody waits for it any more. */
  get cancelled(): boolean {
    return this.detached && this.settled;
  }
}

/**
 * How a load in steps hands over its quick read: in a turn of its own, so
 * that what is built on it starts afresh rather than at the end of the
 * step's turn; from then on the rest of the load, the precise read, is
 * background work.
 */
class QuickHandover {
  private served = false;
  private justServed = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly background: Scheduler,
  ) {}

  serve<T>(load: PendingLoad<T>, value: T): void {
    this.served = this.justServed = true;
    void this.scheduler().then(() => load.settle(value));
  }

  /** The turn between the load's slices. */
  readonly turn: Scheduler = () => (this.served ? this.background() : this.scheduler());

  /** Ends the slice in which the quick read was served. */
  readonly options: SliceOptions = {
    endSlice: () => {
      const end = this.justServed;
      this.justServed = false;
      return end;
    },
  };
}

/**
 * Parsed sidecars and bibliographies, reused while their text is unchanged.
 * With `keepLastGood`, a sidecar that turns invalid keeps serving its last
 * good people and references, and says so, so hovers survive a half-typed edit.
 *
 * Large files can be read in steps (`sidecarInSteps`, `bibliographyInSteps`,
 * or `loadTextContext` with a scheduler). A large sidecar or CSL-YAML library
 * is served first from a quick read, with its people and references but no
 * diagnostics; when the precise read replaces it, `onDidLoadPrecisely`
 * listeners hear the file's uri, so that whoever indexed texts against the
 * quick read can index them again.
 */
export class ParseCache {
  private readonly sidecars = new Map<string, { text: string; value: Sidecar; quick: boolean }>();
  private readonly lastGood = new Map<string, Sidecar>();
  private readonly bibliographies = new Map<string, { text: string; value: Bibliography; quick: boolean }>();
  private readonly sidecarLoads = new Map<string, PendingLoad<Sidecar>>();
  private readonly bibliographyLoads = new Map<string, PendingLoad<Bibliography>>();
  private readonly preciseListeners = new Set<(uri: string) => void>();
  readonly lineMaps = new Map<string, LineMap>();
  /** Registries merged lately, by the parsed files they came from. */
  private readonly merged: { sources: readonly (Sidecar | Bibliography)[]; registry: Registry }[] = [];

  constructor(
    private readonly keepLastGood = false,
    /** Keeps the precise reads of large sidecars for later sessions, and serves them while their text is unchanged. */
    private readonly store?: ParsedStore,
    /**
     * The turn taken between steps of work nobody waits for: the precise read
     * of a large sidecar once its quick read is served, and its record. By
     * default the load's own scheduler; the extension's waits for its
     * foreground work (see `Foreground`).
     */
    private readonly background?: Scheduler,
  ) {}

  /**
   * The registry of these parsed files, merged once while they stay the same
   * objects: a text asks on each of its versions, and what hangs off a
   * registry (the name matcher, the searches) is built once per registry.
   */
  registryOf(sources: readonly (Sidecar | Bibliography)[]): Registry {
    return this.mergedAlready(sources) ?? this.keepMerged(sources, runNow(this.mergeSteps(sources)));
  }

  /** `registryOf`, merged in steps between turns of the event loop: tens of thousands of entries take tens of milliseconds. */
  async registryInSteps(sources: readonly (Sidecar | Bibliography)[], scheduler: Scheduler): Promise<Registry> {
    const already = this.mergedAlready(sources);
    if (already) return already;
    const registry = await runInSlices(this.mergeSteps(sources), scheduler);
    // Another text with the same files may have merged them meanwhile: one registry serves both.
    return this.mergedAlready(sources) ?? this.keepMerged(sources, registry);
  }

  private mergedAlready(sources: readonly (Sidecar | Bibliography)[]): Registry | undefined {
    return this.merged.find((m) => m.sources.length === sources.length && m.sources.every((s, k) => s === sources[k]))?.registry;
  }

  private mergeSteps(sources: readonly (Sidecar | Bibliography)[]): Steps<Registry> {
    return mergeRegistrySteps(
      sources.map((s) => ('people' in s ? s : { uri: s.uri, references: s.references, diagnostics: s.diagnostics })),
      this.lineMaps,
    );
  }

  private keepMerged(sources: readonly (Sidecar | Bibliography)[], registry: Registry): Registry {
    keepRegistrySources(registry, sources);
    // A few texts open at once, each with its own files.
    this.merged.unshift({ sources: [...sources], registry });
    this.merged.length = Math.min(this.merged.length, 8);
    return registry;
  }

  sidecar(uri: string, text: string): Sidecar {
    const hit = this.sidecars.get(uri);
    const value = hit && hit.text === text && !hit.quick ? hit.value : this.storeSidecar(uri, text, parseSidecar(uri, text), new LineMap(text), false);
    // Whatever a load under way would give is older than this, or no more than it.
    this.detach(this.sidecarLoads, uri, value);
    if (hit && hit.text === text && hit.quick) this.loadedPrecisely(uri);
    return value;
  }

  /**
   * The sidecar of `text`, read in steps between turns of the event loop
   * unless it is short enough to read at once (`steppedFrom`). Resolves with the quick read
   * as soon as it is there (or with the precise read, for a file that cannot be
   * read in pieces); the precise read follows in the background, replaces it
   * in the cache and is announced through `onDidLoadPrecisely`. With a store
   * that holds the record of this very text (one is kept of a text of
   * `steppedLoadChars` or more), the precise read comes from the record, at
   * once, and nothing follows. Callers asking
   * for the same text meanwhile share one load; a newer text supersedes it,
   * and its callers get the newer sidecar.
   */
  sidecarInSteps(uri: string, text: string, scheduler: Scheduler, options: StepsLoadOptions = {}): Promise<Sidecar> {
    const running = this.sidecarLoads.get(uri);
    if (running && running.text === text) return running.ready;
    const hit = this.sidecars.get(uri);
    if (hit && hit.text === text) {
      // A load under way here is for another text, older or newer: this one is what the caller has now.
      this.detach(this.sidecarLoads, uri, hit.value);
      return Promise.resolve(hit.value);
    }
    if (text.length < steppedFrom.sidecar) return Promise.resolve(this.sidecar(uri, text));
    const load = new PendingLoad<Sidecar>(text);
    this.detach(this.sidecarLoads, uri, load.ready);
    this.sidecarLoads.set(uri, load);
    void this.loadSidecar(uri, text, load, scheduler, options);
    return load.ready;
  }

  /** A load in steps: from the store's record of this very text if it has one, otherwise a quick read, then the precise one. */
  private async loadSidecar(uri: string, text: string, load: PendingLoad<Sidecar>, scheduler: Scheduler, options: StepsLoadOptions): Promise<void> {
    const keepsRecord = this.keepsRecordOf(text, options);
    const record = keepsRecord ? this.readRecord(uri, scheduler) : Promise.resolve(undefined);
    const digest = keepsRecord ? await this.digestOf(text, options.utf8, scheduler) : undefined;
    const recorded = digest === undefined ? undefined : await this.recall(uri, text, digest, await record, scheduler);
    if (recorded) {
      if (load.detached) {
        load.settle(recorded.sidecar);
        return;
      }
      this.sidecarLoads.delete(uri);
      keepRecordedSearchTables(recorded.sidecar, recorded.tables);
      load.settle(this.storeSidecar(uri, text, recorded.sidecar, recorded.lines, false));
      return;
    }
    // Once the quick read is served, the precise read is background work: what is built on the quick read goes first.
    const background = this.background ?? scheduler;
    const handover = new QuickHandover(scheduler, background);
    const steps = sidecarSteps(uri, text, {
      quick: (sidecar, lines) => handover.serve(load, load.detached ? sidecar : this.storeSidecar(uri, text, sidecar, lines, true)),
    });
    await this.runLoad(this.sidecarLoads, uri, load, steps, handover.turn, handover.options, ({ sidecar, lines }, keep) => {
      if (!keep) return sidecar;
      const quickServed = this.sidecars.get(uri)?.quick === true;
      const value = this.storeSidecar(uri, text, sidecar, lines, false);
      if (quickServed) this.loadedPrecisely(uri);
      if (digest !== undefined && this.store) void this.remember(uri, sidecarRecord(sidecar, digest, text.length, this.store), background);
      return value;
    });
  }

  /** Whether a text's precise read is kept for later sessions: only one that takes seconds to read again, and that is saved. */
  private keepsRecordOf(text: string, options: StepsLoadOptions): boolean {
    return this.store !== undefined && text.length >= steppedLoadChars && options.unsaved !== true;
  }

  /** The store's digest of a text, taken in steps; undefined without a store, when it fails, or once `options` cancel it. */
  private async digestOf(text: string, utf8: Uint8Array | undefined, scheduler: Scheduler, options?: SliceOptions): Promise<string | undefined> {
    try {
      return this.store ? await runInSlices(digestSteps(this.store, text, utf8), scheduler, options) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The store's record of a file, read while the text's digest is taken:
   * reading a record of megabytes from disk overlaps hashing the text.
   * Undefined for none, and for a store that fails, which costs only the
   * time it took. A record is handed on after a turn of the event loop: the
   * store has just made it from megabytes of bytes, 20 ms in a new extension
   * host, and its check, run on in the same turn, held the loop past 40 ms.
   */
  private readRecord(uri: string, scheduler: Scheduler): Promise<string | undefined> {
    const { store } = this;
    if (!store) return Promise.resolve(undefined);
    return (async () => {
      const record = await store.read(uri);
      if (record !== undefined) await scheduler();
      return record;
    })().catch(() => undefined);
  }

  /** The sidecar a record of this text holds; undefined for none. */
  private async recall(uri: string, text: string, digest: string, record: string | undefined, scheduler: Scheduler): Promise<{ sidecar: Sidecar; lines: LineMap; tables: RecordedSearchTables } | undefined> {
    const { store } = this;
    try {
      return record === undefined || !store ? undefined : await runInSlices(recordedSidecar(record, uri, digest, text, store), scheduler);
    } catch {
      return undefined;
    }
  }

  /** What the record of a large library of this very text holds; undefined for none. */
  private async recallLibrary(uri: string, digest: string, text: string, record: string | undefined, scheduler: Scheduler): Promise<RecordedLibrary | undefined> {
    const { store } = this;
    try {
      return record === undefined || !store ? undefined : await runInSlices(recordedLibrary(record, uri, digest, text, store), scheduler);
    } catch {
      return undefined;
    }
  }

  /** Hands the store a record made in the background; a record only saves time, so a failure is let go. */
  private async remember(uri: string, steps: Steps<string | undefined>, scheduler: Scheduler): Promise<void> {
    try {
      // Not in the turn the file is served in: by the time this background work runs, the searches over the file are
      // made, whose tables the record shares when the file alone gives their entries (see `searchTablesSteps`).
      await scheduler();
      const record = await runInSlices(steps, scheduler);
      if (record !== undefined) await this.store?.write(uri, record);
    } catch {
      // Nothing to do: the next session reads the file again.
    }
  }

  /**
   * Calls `listener` with a sidecar's or library's uri each time its precise
   * read replaces the quick read that was served for the same text.
   */
  onDidLoadPrecisely(listener: (uri: string) => void): { dispose(): void } {
    this.preciseListeners.add(listener);
    return { dispose: () => this.preciseListeners.delete(listener) };
  }

  private loadedPrecisely(uri: string): void {
    for (const listener of this.preciseListeners) listener(uri);
  }

  /** A sidecar that is not parsed at all (too large, binary): its last good version, if any, still serves. */
  refusedSidecar(uri: string, refusal: Refusal): Sidecar {
    this.sidecars.delete(uri);
    const lines = new LineMap('');
    this.lineMaps.set(uri, lines);
    const refused: Sidecar = { uri, people: [], references: [], bibliographies: [], diagnostics: [refusalDiagnostic(uri, refusal)], valid: false };
    const value = this.withLastGood(refused, lines);
    this.detach(this.sidecarLoads, uri, value);
    return value;
  }

  private storeSidecar(uri: string, text: string, parsed: Sidecar, lines: LineMap, quick: boolean): Sidecar {
    const value = this.withLastGood(parsed, lines);
    this.sidecars.set(uri, { text, value, quick });
    this.lineMaps.set(uri, lines);
    return value;
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
    const value: Bibliography = { uri, references: [], diagnostics: [refusalDiagnostic(uri, refusal)], valid: false };
    this.detach(this.bibliographyLoads, uri, value);
    return value;
  }

  bibliography(uri: string, text: string): Bibliography {
    const hit = this.bibliographies.get(uri);
    let value: Bibliography;
    if (hit && hit.text === text && !hit.quick) {
      value = hit.value;
    } else {
      value = this.storeBibliography(uri, text, parseBibliography(uri, text), new LineMap(text), false);
    }
    // Whatever a load under way would give is older than this, or no more than it.
    this.detach(this.bibliographyLoads, uri, value);
    if (hit && hit.text === text && hit.quick) this.loadedPrecisely(uri);
    return value;
  }

  /**
   * The bibliography of `text`, read in steps between turns of the event loop
   * unless it is short enough to read at once (`steppedFrom`), with the same result
   * as `bibliography`. A CSL-YAML library resolves with its quick read, and
   * its precise read follows as a sidecar's does. Callers asking for the same
   * text meanwhile share one load; a newer text supersedes it.
   */
  bibliographyInSteps(uri: string, text: string, scheduler: Scheduler, options: StepsLoadOptions = {}): Promise<Bibliography> {
    const running = this.bibliographyLoads.get(uri);
    if (running && running.text === text) return running.ready;
    const hit = this.bibliographies.get(uri);
    if (hit && hit.text === text) {
      // A load under way here is for another text, older or newer: this one is what the caller has now.
      this.detach(this.bibliographyLoads, uri, hit.value);
      return Promise.resolve(hit.value);
    }
    if (text.length < steppedFrom[bibliographyFormat(uri)]) return Promise.resolve(this.bibliography(uri, text));
    const load = new PendingLoad<Bibliography>(text);
    this.detach(this.bibliographyLoads, uri, load.ready);
    this.bibliographyLoads.set(uri, load);
    void this.loadBibliography(uri, text, load, scheduler, options);
    return load.ready;
  }

  /**
   * A library's load in steps. With a store, its record is read first: a
   * record of this very text serves the library without a parse, with its
   * search's tables.
   */
  private async loadBibliography(uri: string, text: string, load: PendingLoad<Bibliography>, scheduler: Scheduler, options: StepsLoadOptions): Promise<void> {
    const background = this.background ?? scheduler;
    const format = bibliographyFormat(uri);
    const keepsRecord = this.keepsRecordOf(text, options);
    let digest: string | undefined;
    if (keepsRecord) {
      const record = this.readRecord(uri, scheduler);
      digest = await this.digestOf(text, options.utf8, scheduler, { cancelled: () => load.cancelled });
      const recalled = digest === undefined ? undefined : await this.recallLibrary(uri, digest, text, await record, scheduler);
      if (recalled) {
        const { bibliography } = recalled;
        keepRecordedSearchTables(bibliography, recalled.tables);
        if (load.detached) {
          load.settle(bibliography);
          return;
        }
        this.bibliographyLoads.delete(uri);
        // The line map is made when first asked for: the record holds every line the references need.
        load.settle(this.storeBibliography(uri, text, bibliography, new LineMap(text), false));
        void this.readItemsInBackground(uri, bibliography, background);
        return;
      }
    }
    const handover = new QuickHandover(scheduler, background);
    const quick = (bibliography: Bibliography, lines: LineMap): void => handover.serve(load, load.detached ? bibliography : this.storeBibliography(uri, text, bibliography, lines, true));
    const steps = format === 'bibtex' ? bibtexSteps(uri, text) : format === 'csl-yaml' ? cslYamlSteps(uri, text, { quick }) : cslJsonSteps(uri, text);
    await this.runLoad(this.bibliographyLoads, uri, load, steps, handover.turn, handover.options, ({ bibliography, lines }, keep) => {
      if (!keep) return bibliography;
      const quickServed = this.bibliographies.get(uri)?.quick === true;
      const value = this.storeBibliography(uri, text, bibliography, lines, false);
      if (quickServed) this.loadedPrecisely(uri);
      if (digest !== undefined && this.store) void this.remember(uri, libraryRecord(value, digest, text.length, this.store), background);
      // A CSL-JSON library read in steps keeps its items as text too, parsed when first read.
      if (format === 'csl-json') void this.readItemsInBackground(uri, value, background);
      return value;
    });
  }

  /**
   * Parses, in the background, the items of a library served from its record
   * or read in steps, which are otherwise parsed one by one when first read:
   * so that whatever reads them all later (completion, the citation picker)
   * does not pay for all of them at once. Stops once the library is no longer the cache's.
   */
  private async readItemsInBackground(uri: string, bibliography: Bibliography, background: Scheduler): Promise<void> {
    try {
      // Not in the turn the library is served in: what waits for it goes first.
      await background();
      await runInSlices(readItemsSteps(bibliography.references), background, { cancelled: () => this.bibliographies.get(uri)?.value !== bibliography });
    } catch {
      // Cancelled: the items left are parsed when read.
    }
  }

  private storeBibliography(uri: string, text: string, value: Bibliography, lines: LineMap, quick: boolean): Bibliography {
    this.bibliographies.set(uri, { text, value, quick });
    this.lineMaps.set(uri, lines);
    return value;
  }

  /** The text of a file's last read that was kept, sidecar or bibliography; undefined when none is. */
  lastReadText(uri: string): string | undefined {
    return this.sidecars.get(uri)?.text ?? this.bibliographies.get(uri)?.text;
  }

  /**
   * Drops the parsed copy of a file that changed on disk. Its last good version
   * stays: a sidecar saved broken, or overwritten with garbage, keeps serving it.
   */
  forget(uri: string): void {
    this.sidecars.delete(uri);
    this.bibliographies.delete(uri);
    this.lineMaps.delete(uri);
    // A load under way finishes for whoever waits for it, without storing what it read.
    const sidecarLoad = this.sidecarLoads.get(uri);
    if (sidecarLoad) sidecarLoad.detached = true;
    const bibliographyLoad = this.bibliographyLoads.get(uri);
    if (bibliographyLoad) bibliographyLoad.detached = true;
    this.sidecarLoads.delete(uri);
    this.bibliographyLoads.delete(uri);
  }

  /** Ends a file's load under way, if any: its callers get `successor`, what replaced it. */
  private detach<T>(loads: Map<string, PendingLoad<T>>, uri: string, successor: T | Promise<T>): void {
    const running = loads.get(uri);
    if (!running) return;
    running.detached = true;
    running.settle(successor);
    loads.delete(uri);
  }

  /**
   * Runs a load's steps and settles it with what `store` makes of the result;
   * `keep` is false when a newer text or `forget` replaced the load
   * meanwhile, and the result must not be stored.
   */
  private async runLoad<T, R>(loads: Map<string, PendingLoad<T>>, uri: string, load: PendingLoad<T>, steps: Steps<R>, scheduler: Scheduler, options: SliceOptions, store: (result: R, keep: boolean) => T): Promise<void> {
    try {
      const result = await runInSlices(steps, scheduler, { ...options, cancelled: () => load.cancelled });
      const keep = !load.detached;
      if (keep) loads.delete(uri);
      load.settle(store(result, keep));
    } catch (error) {
      if (loads.get(uri) === load) loads.delete(uri);
      if (!(error instanceof StepsCancelled)) load.fail(error);
    }
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

/** How a file read in steps was read. */
export interface StepsLoadOptions {
  /** Its text is an editor's, with changes not yet saved: no record is read or kept for it (see `FileContent`). */
  readonly unsaved?: boolean;
  /**
   * The file's bytes, when the text is exactly their UTF-8 (see `decodeFile`):
   * the text's digest is taken from them (see `TextDigester.updateBytes`).
   * Held while the file loads.
   */
  readonly utf8?: Uint8Array;
}

export interface LoadOptions {
  /**
   * Gives the event loop a turn. With it, sidecars and bibliographies too long
   * to read at once are read in steps between turns (see
   * `ParseCache.sidecarInSteps`), and the context is ready as soon as their
   * quick reads are.
   */
  readonly scheduler?: Scheduler;
}

/** Finds, reads and merges the sidecars and bibliographies of a text. */
export async function loadTextContext(textUri: string, text: string, reader: FileReader, cache = new ParseCache(), limits: Limits = defaultLimits, options: LoadOptions = {}): Promise<TextContext> {
  const { scheduler } = options;
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
  // How each file was read, for its load in steps: an editor's text with changes not yet saved, or the bytes it is the UTF-8 of.
  const readAs = new Map<string, StepsLoadOptions>();
  /**
   * Each file's read, started as soon as the file is known to be needed and
   * shared by whoever needs it: in an editor, each read waits a turn of the
   * window's process, which takes hundreds of milliseconds while it opens a
   * large text, so the reads wait together rather than one after another.
   */
  const reads = new Map<string, Promise<FileRead>>();
  const startReading = (uri: string): Promise<FileRead> => {
    let started = reads.get(uri);
    if (!started) {
      started = (async () => reader.read(uri, limits.maxFileBytes))().then(
        (content) => ({ content }),
        (error: unknown) => ({ error }),
      );
      reads.set(uri, started);
    }
    return started;
  };
  /**
   * A file's text, or its refusal (too large, binary); undefined when it does
   * not exist; null when it cannot be read, which is reported at `span` in the
   * file that names it (`from`).
   */
  const read = async (uri: string, span: Span, what: string, from = textUri): Promise<string | Refusal | undefined | null> => {
    const done = await startReading(uri);
    if ('error' in done) {
      const message = `Cannot read ${uri}: ${(done.error as Error).message}`;
      if (from === textUri) report(DiagnosticCode.UnreadableFile, message, span);
      else sources.push(problemInSidecar(uri, from, span, cache, DiagnosticCode.UnreadableFile, message));
      return null;
    }
    const { content } = done;
    if (content === undefined) return undefined;
    const decoded = decodeFile(content, limits, what);
    readAs.set(uri, { unsaved: content.kind === 'text' && content.unsaved === true, utf8: 'utf8' in decoded ? decoded.utf8 : undefined });
    return 'text' in decoded ? decoded.text : decoded.refusal;
  };
  const sidecarOf = async (uri: string, content: string | Refusal): Promise<Sidecar> => {
    if (typeof content !== 'string') return cache.refusedSidecar(uri, content);
    return scheduler ? cache.sidecarInSteps(uri, content, scheduler, readAs.get(uri)) : cache.sidecar(uri, content);
  };
  const bibliographyOf = async (uri: string, content: string | Refusal): Promise<Bibliography> => {
    if (typeof content !== 'string') return cache.refusedBibliography(uri, content);
    return scheduler ? cache.bibliographyInSteps(uri, content, scheduler, readAs.get(uri)) : cache.bibliography(uri, content);
  };

  // The front matter's bibliographies need no sidecar read first.
  const namedBibliographies = frontMatter ? pathList(frontMatter.data?.bibliography).map((path) => ({ uri: resolvePath(textUri, path), span: spanOfValue(text, frontMatter.span, path), from: textUri })) : [];
  for (const { uri } of namedBibliographies) void startReading(uri);

  const sidecarUris: string[] = [];
  const named = pathList(frontMatter?.data?.sidecar).map((path) => ({ path, uri: resolvePath(textUri, path) }));
  if (frontMatter && named.length > 0) {
    for (const { uri } of named) void startReading(uri);
    for (const { path, uri } of named) {
      const span = spanOfValue(text, frontMatter.span, path);
      const content = await read(uri, span, 'sidecar');
      if (content === null) continue;
      if (content === undefined) {
        report(DiagnosticCode.MissingFile, `The sidecar "${path}" named in the front matter does not exist.`, span);
        continue;
      }
      sources.push(await sidecarOf(uri, content));
      sidecarUris.push(uri);
    }
  } else {
    const stem = stemOf(textUri);
    const yamlUri = siblingUri(textUri, `${stem}.yaml`);
    const ymlUri = siblingUri(textUri, `${stem}.yml`);
    const [yamlText, ymlText] = await Promise.all([read(yamlUri, top, 'sidecar'), read(ymlUri, top, 'sidecar')]);
    if (yamlText !== undefined && yamlText !== null) {
      sources.push(await sidecarOf(yamlUri, yamlText));
      sidecarUris.push(yamlUri);
      if (ymlText !== undefined && ymlText !== null) report(DiagnosticCode.AmbiguousSidecar, `Both ${stem}.yaml and ${stem}.yml exist; ${stem}.yaml is used.`, top);
    } else if (ymlText !== undefined && ymlText !== null) {
      sources.push(await sidecarOf(ymlUri, ymlText));
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
  wanted.push(...namedBibliographies);
  for (const { uri } of wanted) void startReading(uri);
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
    sources.push(await bibliographyOf(uri, content));
  }
  const registry = scheduler ? await cache.registryInSteps(sources, scheduler) : cache.registryOf(sources);
  return { registry, sidecars: sidecarUris, bibliographies: bibliographyUris, diagnostics };
}

/** A file's content as its reader gave it, undefined when it does not exist, or what the reader threw. */
type FileRead = { readonly content: FileContent | undefined } | { readonly error: unknown };

/** Items read between two steps. */
const itemsPerStep = 128;

/** Reads the item of every reference, in steps. */
export function* readItemsSteps(references: readonly Reference[]): Steps<void> {
  for (let r = 0; r < references.length; r++) {
    void references[r].item;
    if (r % itemsPerStep === itemsPerStep - 1) yield;
  }
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
