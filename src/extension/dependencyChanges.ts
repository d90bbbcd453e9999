import { EditorsBehind, type EditorState } from './editorsBehind';
import { SettlingFiles, type DiskState } from './settlingFiles';

/** An open file's editor, with the version of its text. */
export interface OpenEditor extends EditorState {
  readonly version: number;
}

/** What `DependencyChanges` asks of the service that reads the files. */
export interface DependencyReads {
  /** The open editor of a file, if it has one. */
  editor(key: string): OpenEditor | undefined;
  /** The text of a file as last read, if it was. */
  lastReadText(key: string): string | undefined;
  /** A file reads as changed: the texts that depend on it are indexed again. */
  changed(key: string): void;
  /** A closed file changed on disk: what was read of it no longer stands. */
  forget(key: string): void;
  /** Settles once the builds under way that read a file have ended. */
  buildsEnded(key: string): Promise<void>;
}

/**
 * Turns the reports about a sidecar or bibliography, from the disk and from
 * its editor, into reads of it: once, when what it holds is whole. Kept apart
 * from VS Code, so that the order in which VS Code reports things, which
 * varies, can be played in tests.
 */
export class DependencyChanges {
  private readonly settling: SettlingFiles;
  private readonly editorsBehind = new EditorsBehind();

  constructor(
    private readonly reads: DependencyReads,
    quietMs: number,
    longestMs: number,
    diskState: (key: string) => Promise<DiskState | undefined>,
  ) {
    this.settling = new SettlingFiles(quietMs, longestMs, diskState);
  }

  /** Whether `key` is being written on disk: the text read before stands until it settles. */
  whileWritten(key: string): boolean {
    return this.settling.has(key);
  }

  /** Whether `key` is read from disk although its editor is open: the editor is behind the disk. */
  fromDisk(key: string): boolean {
    return this.editorsBehind.has(key);
  }

  /** The file watcher reported a change of `key` on disk. */
  onDisk(key: string): void {
    const open = this.reads.editor(key);
    if (!open) {
      this.settling.changed(key, () => {
        this.reads.forget(key);
        this.reads.changed(key);
      });
      return;
    }
    // An open file is read from its editor, which VS Code reloads from disk after each piece, late, while it holds
    // no changes of its own. A save is seen too, and most say nothing new: in VS Code for the Web each edit is
    // saved a moment later, and a large file's save is seen as a write in several pieces.
    if (!open.dirty) this.settling.changed(key, (state) => this.openFileSettled(key, state));
  }

  /**
   * The editor of `key` reported a change: of its content, or, with
   * `contentChanged` false, of its dirty state alone, as after a save.
   */
  onEditor(key: string, contentChanged: boolean, editor: OpenEditor): void {
    if (!contentChanged) {
      // A keystroke can be reported before its editor is marked changed, and then taken for a reload of a file
      // still settling on disk, or not yet reloaded: it is read once the editor is marked.
      if (editor.dirty && (this.settling.has(key) || this.editorsBehind.has(key))) this.userEdited(key);
      return;
    }
    if (editor.dirty) {
      this.userEdited(key);
      return;
    }
    // While the file is written on disk, a change that leaves it clean is VS Code's reload of it, perhaps
    // half-written: the text read before serves until the file settles.
    if (this.settling.has(key)) return;
    const reload = this.editorsBehind.reloaded(key, editor);
    if (reload === 'ignored') return;
    if (reload === 'read') {
      this.reads.changed(key);
      return;
    }
    // Caught up: read from the editor from now on, the same text as the disk's, which the builds that read the disk
    // may not have stored yet. It is compared once they end.
    const { version } = editor;
    void this.reads.buildsEnded(key).then(() => {
      const now = this.reads.editor(key);
      if (now && now.version === version && !now.dirty && now.text() !== this.reads.lastReadText(key)) this.reads.changed(key);
    });
  }

  dispose(): void {
    this.settling.dispose();
  }

  /** The user's own edit wins over the disk. */
  private userEdited(key: string): void {
    this.settling.drop(key);
    this.editorsBehind.edited(key);
    this.reads.changed(key);
  }

  /** An open file without changes of its own has settled on disk: read from disk if its editor is behind, without waiting for VS Code. */
  private openFileSettled(key: string, state: DiskState | undefined): void {
    const open = this.reads.editor(key);
    if (!open) this.reads.forget(key);
    else if (!this.editorsBehind.settled(key, state?.size, open, this.reads.lastReadText(key))) return;
    this.reads.changed(key);
  }
}
