/** What the disk says of a file: when it was last written, and its size in bytes. */
export interface DiskState {
  readonly mtime: number;
  readonly size: number;
}

export interface ChangeOptions {
  /**
   * The file must also have been quiet since the change was reported: VS
   * Code reports its reload of an open file once it has read it, some time
   * after the write.
   */
  readonly quietSinceReport?: boolean;
  /**
   * Whether what is read of the file (an editor's text) is as long as its
   * `size` bytes on disk: an editor reloads it some time after each write,
   * and may not yet hold the last.
   */
  readonly holds?: (size: number) => boolean;
}

/**
 * Files being written on disk, each settled once it has been quiet for a
 * moment. A large file is often written in pieces, by VS Code's own saves and
 * by exporters, and each piece is reported as a change: read at once, the file
 * would be read half-written, its errors shown, and read again for each piece.
 */
export class SettlingFiles {
  private readonly settling = new Map<
    string,
    {
      readonly firstChangeAt: number;
      lastChangeAt: number;
      quietSinceReport: boolean;
      holds?: (size: number) => boolean;
      timer?: ReturnType<typeof setTimeout>;
      /** A check of the disk under way: a change meanwhile is taken up when it ends, not with a check of its own. */
      checking: boolean;
      settled: () => void;
    }
  >();

  constructor(
    /** Quiet time after a file's last write before it counts as written. */
    private readonly quietMs: number,
    /** Longest a file keeps changing before it is read anyway: a file rewritten without pause must still be seen. */
    private readonly longestMs: number,
    /** Longest an editor is waited for, after its last reload, to hold what is on disk: sizes can differ for good, as when an editor normalizes line ends. */
    private readonly catchUpMs: number,
    /**
     * The file's state on disk, or undefined if it cannot be told. Changes are
     * reported a hundred milliseconds or more after the write, unevenly, so the
     * time between two reports says little of the time between two writes.
     */
    private readonly diskState: (key: string) => Promise<DiskState | undefined>,
  ) {}

  /** Notes a change of `key`; `settled` runs once the file has settled, in place of any callback given before for it. */
  changed(key: string, settled: () => void, options: ChangeOptions = {}): void {
    const now = Date.now();
    const current = this.settling.get(key);
    if (current) {
      clearTimeout(current.timer);
      current.settled = settled;
      current.lastChangeAt = now;
      current.quietSinceReport ||= options.quietSinceReport === true;
      current.holds = options.holds ?? current.holds;
      // A large write is reported as many changes, and each check is a round trip to the file system.
      if (current.checking) return;
    } else this.settling.set(key, { firstChangeAt: now, lastChangeAt: now, quietSinceReport: options.quietSinceReport === true, holds: options.holds, checking: false, settled });
    void this.settleIfQuiet(key);
  }

  /** Stops waiting for `key`, without its callback: what it was waiting for is overtaken, as by the user's own edit. */
  drop(key: string): void {
    clearTimeout(this.settling.get(key)?.timer);
    this.settling.delete(key);
  }

  /** Whether `key` changed lately and has not settled yet. */
  has(key: string): boolean {
    return this.settling.has(key);
  }

  /**
   * Settles `key` once it has not been written for `quietMs`: at once if it
   * was written long enough before its change was reported, as a file saved
   * whole usually is. A check overtaken by a later change checks again.
   */
  private async settleIfQuiet(key: string): Promise<void> {
    const checked = this.settling.get(key);
    if (!checked) return;
    const changeAt = checked.lastChangeAt;
    checked.checking = true;
    const state = await this.diskState(key).catch(() => undefined);
    checked.checking = false;
    const current = this.settling.get(key);
    if (current !== checked) return;
    if (current.lastChangeAt !== changeAt) {
      void this.settleIfQuiet(key);
      return;
    }
    const now = Date.now();
    const waitedEnough = now - current.firstChangeAt >= this.longestMs;
    // Gone (or its time unknown), the file has nothing left to write. Written in the future, by a clock ahead of ours,
    // it is quiet since its change was reported.
    const sinceWritten = state === undefined ? Infinity : state.mtime > now ? now - changeAt : now - state.mtime;
    const quietFor = current.quietSinceReport ? Math.min(sinceWritten, now - changeAt) : sinceWritten;
    if (quietFor < this.quietMs && !waitedEnough) {
      current.timer = setTimeout(() => void this.settleIfQuiet(key), this.quietMs - quietFor);
      return;
    }
    if (state && current.holds && !current.holds(state.size) && now - changeAt < this.catchUpMs && !waitedEnough) {
      current.timer = setTimeout(() => void this.settleIfQuiet(key), this.quietMs);
      return;
    }
    this.settling.delete(key);
    current.settled();
  }

  dispose(): void {
    for (const { timer } of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
  }
}
