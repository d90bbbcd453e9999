import * as vscode from 'vscode';
import { buildIndexInSteps, Foreground, limitsFromMegabytes, loadTextContext, ParseCache, peopleSearchFor, referenceSearchFor, refusedIndex, StepsCancelled, textRefusal, updateIndex, updatesInPlace, type AnnotationIndex, type FileReader, type Limits, type ParsedStore, type Registry, type TextContext } from '../core';
import { yieldToEventLoop } from './eventLoop';
import { DependencyChanges, type OpenEditor } from './dependencyChanges';
import { openDocument, WorkspaceReader } from './workspaceReader';

export const languageId = 'annotated-text';
/** Longest a step of background work waits for foreground work to end: it is held back, never starved. */
const backgroundWaitMs = 250;
/**
 * A file changed on disk is read once it has not been written for this long,
 * or once it has been changing for the second figure. LaTeX Workshop waits
 * 250 ms by default for a write to finish.
 */
const diskQuietMs = 250;
const diskLongestMs = 10_000;
/** Files a text can depend on: sidecars and bibliographies. */
const dependencyGlob = '**/*.{yaml,yml,json,bib}';

export function isAnnotatedText(document: vscode.TextDocument): boolean {
  return document.languageId === languageId || document.uri.path.endsWith('.annot.md');
}

function editorState(document: vscode.TextDocument): OpenEditor {
  return { dirty: document.isDirty, version: document.version, text: () => document.getText() };
}

interface Entry {
  version: number;
  /** The service's generation when the build of this index began. */
  generation: number;
  promise: Promise<AnnotationIndex>;
  index?: AnnotationIndex;
  /** Sidecars and bibliographies this text was built from. */
  dependencies: Set<string>;
  /** The size limit the index was built under. */
  limits?: Limits;
  /**
   * While this version's index is built again because a file it reads
   * changed: the one built before, of the same text, for a glance.
   */
  earlier?: { readonly index: AnnotationIndex; readonly generation: number };
}

/** How indexes were made: for the extension's API, which tests and `npm run bench:vscode` read. */
export interface IndexStats {
  fullBuilds: number;
  inPlaceUpdates: number;
  inPlaceMs: number;
  /** Of the edits applied in place, the milliseconds spent getting each new text from its document. */
  inPlaceTextMs: number;
  /**
   * The last full build, on the extension host's `performance.now()` clock:
   * when it started, the milliseconds until its sidecars and bibliographies
   * were at hand (of which until the last of their files was read), then
   * until its index was, and how many of those the index's slices ran (the
   * rest went to others' work between them).
   */
  lastBuild: { readonly uri: string; readonly startedAt: number; readonly contextMs: number; readonly readsMs: number; readonly indexMs: number; readonly indexBusyMs: number } | null;
  /** The last hover asked of the provider, on the same clock: when it was asked, and when it answered. */
  lastHover: { readonly askedAt: number; readonly answeredAt: number } | null;
}

/**
 * Owns the one index of each open annotated text. Every feature asks it for
 * the index of a document; it parses once per document version, and again
 * only when a sidecar or bibliography the text depends on changes.
 */
export class AnnotationService implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly cache: ParseCache;
  private readonly dependencyChanges = new DependencyChanges(
    {
      editor: (key) => {
        const open = openDocument(key);
        return open && editorState(open);
      },
      lastReadText: (key) => this.cache.lastReadText(key),
      changed: (key) => this.dependencyChanged(key),
      forget: (key) => this.cache.forget(key),
      buildsEnded: async (key) => {
        await Promise.all(this.dependentsOf(key).flatMap((uri) => this.entries.get(uri.toString())?.promise.catch(() => undefined) ?? []));
      },
    },
    diskQuietMs,
    diskLongestMs,
    async (key) => await vscode.workspace.fs.stat(vscode.Uri.parse(key)),
  );
  private readonly reader = new WorkspaceReader({
    whileWritten: (uri) => (this.dependencyChanges.whileWritten(uri) ? this.cache.lastReadText(uri) : undefined),
    fromDisk: (uri) => this.dependencyChanges.fromDisk(uri),
  });
  /** Counts the changes of dependencies; an index is stale once one of its own changed after its build began. */
  private generation = 0;
  /** The generation in which each dependency last changed. */
  private readonly changedIn = new Map<string, number>();
  /** The generation in which each dependency's text last changed: not when only its precise read arrived. */
  private readonly textChangedIn = new Map<string, number>();
  /** The generation in which every index was last made stale: settings changed, or a refresh was asked for. */
  private allChangedIn = 0;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly watchedFolders = new Set<string>();
  /** Index builds and search preparations: the precise reads of large sidecars wait while they run. */
  private readonly foreground = new Foreground();

  readonly stats: IndexStats = { fullBuilds: 0, inPlaceUpdates: 0, inPlaceMs: 0, inPlaceTextMs: 0, lastBuild: null, lastHover: null };

  /** Fires, debounced, when the index of an open text may have changed: its own edits or a dependency's. */
  readonly onDidChangeIndex = this.changed.event;

  constructor(
    /** Keeps the precise reads of large sidecars for the next session. */
    store?: ParsedStore,
    private readonly debounceMs = 150,
  ) {
    this.cache = new ParseCache(true, store, () => this.foreground.idle(backgroundWaitMs).then(yieldToEventLoop));
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.documentChanged(e)),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (isAnnotatedText(d)) this.schedule(d.uri);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        const key = d.uri.toString();
        if (this.isDependency(key)) this.dependencyChanged(key);
        this.entries.delete(key);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('marginalia')) this.invalidateAll();
      }),
    );
    // A large sidecar or library is served first from a quick read; its exact positions come later.
    this.disposables.push(this.cache.onDidLoadPrecisely((uri) => this.dependencyChanged(uri, false)));
    // Sidecars and bibliographies change on disk too: saves, git checkouts, Zotero exports.
    this.watch(vscode.workspace.createFileSystemWatcher(dependencyGlob));
  }

  private watch(watcher: vscode.FileSystemWatcher): void {
    const onDisk = (uri: vscode.Uri): void => {
      const key = uri.toString();
      if (!this.isDependency(key) && !this.couldBeDefaultSidecar(key)) return;
      // A file may be written in pieces, each reported as a change; until it settles, the text read before stands.
      this.dependencyChanges.onDisk(key);
    };
    this.disposables.push(watcher, watcher.onDidChange(onDisk), watcher.onDidCreate(onDisk), watcher.onDidDelete(onDisk));
  }

  /**
   * A glob watcher sees workspace folders only, so a text opened from elsewhere
   * would keep a deleted or rewritten sidecar until its next edit. Its folders
   * get a watcher of their own, once.
   */
  private watchOutsideWorkspace(dependencies: Iterable<string>): void {
    for (const dependency of dependencies) {
      const uri = vscode.Uri.parse(dependency);
      if (uri.scheme !== 'file' || vscode.workspace.getWorkspaceFolder(uri)) continue;
      const folder = vscode.Uri.joinPath(uri, '..');
      if (this.watchedFolders.has(folder.toString())) continue;
      this.watchedFolders.add(folder.toString());
      this.watch(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, dependencyGlob)));
    }
  }

  /** The index of a document's current version. */
  getIndex(document: vscode.TextDocument): Promise<AnnotationIndex> {
    const key = document.uri.toString();
    const entry = this.entries.get(key);
    if (entry && entry.version === document.version && !this.isStale(entry)) return entry.promise;
    const version = document.version;
    const text = document.getText();
    const generation = this.generation;
    const earlier = entry?.version === version ? (entry.index ? { index: entry.index, generation: entry.generation } : entry.earlier) : undefined;
    const fresh: Entry = { version, generation, dependencies: entry?.dependencies ?? new Set(), promise: Promise.resolve(undefined as never), earlier };
    // The text's own folder, where its sidecar and libraries usually are, is watched before the first build ends:
    // a watcher takes a moment to start, and a file saved meanwhile would not be seen to change.
    this.watchOutsideWorkspace(this.defaultSidecarCandidates(key));
    fresh.promise = this.foreground.run(() => this.build(key, version, text)).then((result) => {
      fresh.index = result.index;
      fresh.earlier = undefined;
      fresh.limits = result.limits;
      this.prepareSearches(result.index.registry);
      fresh.dependencies = new Set([...result.context.sidecars, ...result.context.bibliographies, ...this.defaultSidecarCandidates(key)]);
      this.watchOutsideWorkspace(fresh.dependencies);
      return result.index;
    });
    this.entries.set(key, fresh);
    return fresh.promise;
  }

  /**
   * The index for a glance, as a hover: the current one; or, while a sidecar
   * or library the text reads is read again after a change and the new index
   * is not ready within `graceMs`, the one built before, of the same text.
   * `rereading` names the changed files that index is from before.
   */
  async indexForGlance(document: vscode.TextDocument, graceMs: number): Promise<{ index: AnnotationIndex; rereading: readonly string[] }> {
    const current = this.getIndex(document);
    const entry = this.entries.get(document.uri.toString());
    const earlier = entry && !entry.index ? entry.earlier : undefined;
    // Settings change what an index holds, not just what it reads: an index from before them is not shown.
    if (!entry || !earlier || earlier.generation < this.allChangedIn) return { index: await current, rereading: [] };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), graceMs)));
    const ready = await Promise.race([current, late]);
    clearTimeout(timer);
    if (ready) return { index: ready, rereading: [] };
    const rereading = [...entry.dependencies].filter((uri) => (this.textChangedIn.get(uri) ?? -1) > earlier.generation);
    return { index: earlier.index, rereading };
  }

  /**
   * Whether an index is still the one this service holds for its text. An
   * index applied in place to a later edit is not: its lists now describe the
   * later version, so whoever kept it must ask again.
   */
  isCurrent(index: AnnotationIndex): boolean {
    return this.entries.get(index.uri)?.index === index;
  }

  /**
   * Builds the citation and people searches of a registry in the background,
   * in slices, so the pickers open ready. A registry replaced meanwhile (a
   * sidecar changed) is not worth finishing.
   */
  private prepareSearches(registry: Registry): void {
    const cancelled = (): boolean => ![...this.entries.values()].some((e) => e.index?.registry === registry);
    const prepare = async (): Promise<void> => {
      await referenceSearchFor(registry).prepareInSlices(yieldToEventLoop, { cancelled });
      await peopleSearchFor(registry).prepareInSlices(yieldToEventLoop, { cancelled });
    };
    this.foreground.run(prepare).catch((error: unknown) => {
      if (!(error instanceof StepsCancelled)) console.error('marginalia: could not build the searches', error);
    });
  }

  /** The last index built for a document, whatever its version, without waiting. */
  peekIndex(uri: vscode.Uri): AnnotationIndex | undefined {
    return this.entries.get(uri.toString())?.index;
  }

  /** The sidecar texts depend on, as the first one a text names or its default `<stem>.yaml`. */
  async sidecarsOf(document: vscode.TextDocument): Promise<readonly string[]> {
    return (await this.getIndex(document)).sidecars;
  }

  /** All open texts that depend on a file. */
  dependentsOf(uri: string): vscode.Uri[] {
    return [...this.entries.entries()].filter(([, e]) => e.dependencies.has(uri)).map(([k]) => vscode.Uri.parse(k));
  }

  refresh(): void {
    this.invalidateAll();
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.dependencyChanges.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }

  private async build(uri: string, version: number, text: string): Promise<{ index: AnnotationIndex; context: TextContext; limits: Limits }> {
    const startedAt = performance.now();
    const settings = vscode.workspace.getConfiguration('marginalia', vscode.Uri.parse(uri));
    const limits = limitsFromMegabytes(settings.get<number>('maxFileSize'));
    // Each file read waits a turn of the window's process: while it opens a large text, that is most of the wait.
    let readsEndedAt = startedAt;
    const reader: FileReader = {
      read: async (fileUri, maxBytes) => {
        try {
          return await this.reader.read(fileUri, maxBytes);
        } finally {
          readsEndedAt = Math.max(readsEndedAt, performance.now());
        }
      },
    };
    const context = await loadTextContext(uri, text, reader, this.cache, limits, { scheduler: yieldToEventLoop });
    const contextAt = performance.now();
    const implicitMentions = settings.get<boolean>('implicitMentions', true);
    this.stats.fullBuilds++;
    // Over the size limit, or binary, the text is not scanned: its index holds only a diagnostic that says so.
    const refusal = textRefusal(text, limits);
    // A whole book is indexed in slices, so hovers, completion and other extensions are not held up meanwhile.
    // The time the index's slices run, without the turns others get between them.
    let busyMs = 0;
    let sliceStart = performance.now();
    const timedYield = async (): Promise<void> => {
      busyMs += performance.now() - sliceStart;
      await yieldToEventLoop();
      sliceStart = performance.now();
    };
    const index = refusal ? refusedIndex({ uri, version, text }, context, refusal) : await buildIndexInSteps({ uri, version, text }, context, { implicitMentions }, timedYield);
    busyMs += performance.now() - sliceStart;
    this.stats.lastBuild = { uri, startedAt, contextMs: contextAt - startedAt, readsMs: readsEndedAt - startedAt, indexMs: performance.now() - contextAt, indexBusyMs: busyMs };
    return { index, context, limits };
  }

  private defaultSidecarCandidates(uri: string): string[] {
    const stem = uri.replace(/\.annot\.md$/i, '');
    return [`${stem}.yaml`, `${stem}.yml`];
  }

  private couldBeDefaultSidecar(uri: string): boolean {
    return [...this.entries.keys()].some((k) => this.defaultSidecarCandidates(k).includes(uri));
  }

  private isDependency(uri: string): boolean {
    for (const entry of this.entries.values()) if (entry.dependencies.has(uri)) return true;
    return false;
  }

  private documentChanged(e: vscode.TextDocumentChangeEvent): void {
    const { document } = e;
    const key = document.uri.toString();
    // A save changes the dirty state alone, and is announced as a change without content changes: nothing to read or
    // index again, and nothing to tell the sidebar and diagnostics, which VS Code for the Web would hear after each edit.
    if (e.contentChanges.length === 0) {
      this.dependencyChanges.onEditor(key, false, editorState(document));
      return;
    }
    if (isAnnotatedText(document)) {
      this.updateInPlace(e);
      this.schedule(document.uri);
    }
    if (this.isDependency(key)) this.dependencyChanges.onEditor(key, true, editorState(document));
  }

  /**
   * A keystroke in a whole book must not cost a parse of the whole book: when
   * the index of the version just before is at hand and one edit leads from it
   * to this one, only the blocks around the edit are scanned again. Anything
   * else (several edits at once, a pending parse, an edit of the front matter,
   * a changed sidecar) takes the full path on the next request.
   */
  private updateInPlace(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const entry = this.entries.get(key);
    if (!entry?.index || !entry.limits || e.contentChanges.length !== 1) return;
    if (entry.version !== e.document.version - 1 || this.isStale(entry)) return;
    const edit = e.contentChanges[0];
    const change = { start: edit.rangeOffset, end: edit.rangeOffset + edit.rangeLength, text: edit.text };
    if (!updatesInPlace(entry.index, change)) return;
    // The document's own text: one string, which VS Code joins from its lines once a version, for whichever extension
    // asks first (its merge-conflict decorator asks after every edit). The previous text with the change spliced in
    // would be a rope, which the engine copies whole at the first read of a character: for a whole book, a second
    // copy of 20 MB on every keystroke, tens of milliseconds on a slow machine.
    const textStarted = performance.now();
    const text = e.document.getText();
    this.stats.inPlaceTextMs += performance.now() - textStarted;
    if (textRefusal(text, entry.limits)) return;
    // The old index is consumed by the update: the entry is replaced before anything can read it again.
    const started = performance.now();
    const index = updateIndex(entry.index, change, text, { version: e.document.version });
    this.stats.inPlaceMs += performance.now() - started;
    this.stats.inPlaceUpdates++;
    this.entries.set(key, { version: e.document.version, generation: entry.generation, dependencies: entry.dependencies, limits: entry.limits, index, promise: Promise.resolve(index) });
  }

  /**
   * Whether a dependency of the entry changed after its build began. Only its
   * own count: a whole book is not parsed again because another text's
   * sidecar was saved. A build under way is checked against the dependencies
   * it found once it is done, so a change it read too early still counts.
   */
  private isStale(entry: Entry): boolean {
    if (this.allChangedIn > entry.generation) return true;
    for (const dependency of entry.dependencies) if ((this.changedIn.get(dependency) ?? -1) > entry.generation) return true;
    return false;
  }

  /** `textChanged` is false when only the precise read of an unchanged file arrived. */
  private dependencyChanged(uri: string, textChanged = true): void {
    this.changedIn.set(uri, ++this.generation);
    if (textChanged) this.textChangedIn.set(uri, this.generation);
    for (const dependent of this.dependentsOf(uri)) this.schedule(dependent);
  }

  private invalidateAll(): void {
    this.allChangedIn = ++this.generation;
    for (const key of this.entries.keys()) this.schedule(vscode.Uri.parse(key));
  }

  private schedule(uri: vscode.Uri): void {
    const key = uri.toString();
    const existing = this.pending.get(key);
    if (existing) clearTimeout(existing);
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.changed.fire(uri);
      }, this.debounceMs),
    );
  }
}
