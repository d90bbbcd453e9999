/** What the disk says of a file: when it was last written, and its size in bytes. */
export interface DiskState {
  readonly mtime: number;
  readonly size: number;
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
      timer?: ReturnType<typeof setTimeout>;
      /** A check of the disk under way: a change meanwhile is taken up when it ends, not with a check of its own. */
      checking: boolean;
      settled: (state: DiskState | undefined) => void;
    }
  >();
  /**
   * What the disk held when each file last settled. Reports of a change can
   * come seconds late, in a burst, after the file has settled and been read:
   * one that finds the file as it was then settles it without its callback.
   * Modification time and size are what VS Code's own etag of a file is made of.
   */
  private readonly lastSettled = new Map<string, DiskState | undefined>();

  constructor(
    /** Quiet time after a file's last write before it counts as written. */
    private readonly quietMs: number,
    /** Longest a file keeps changing before it is read anyway: a file rewritten without pause must still be seen. */
    private readonly longestMs: number,
    /**
     * The file's state on disk, or undefined if it cannot be told. Changes are
     * reported a hundred milliseconds or more after the write, unevenly, so the
     * time between two reports says little of the time between two writes.
     */
    private readonly diskState: (key: string) => Promise<DiskState | undefined>,
  ) {}

  /**
   * Notes a change of `key`; `settled` runs once the file has settled, in
   * place of any callback given before for it, with the file's state on disk
   * then (undefined if it is gone).
   */
  changed(key: string, settled: (state: DiskState | undefined) => void): void {
    const now = Date.now();
    const current = this.settling.get(key);
    if (current) {
      clearTimeout(current.timer);
      current.settled = settled;
      current.lastChangeAt = now;
      // A large write is reported as many changes, and each check is a round trip to the file system.
      if (current.checking) return;
    } else this.settling.set(key, { firstChangeAt: now, lastChangeAt: now, checking: false, settled });
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
    // Gone (or its time unknown), the file has nothing left to write. Written in the future, by a clock ahead of ours,
    // it is quiet since its change was reported.
    const quietFor = state === undefined ? Infinity : state.mtime > now ? now - changeAt : now - state.mtime;
    if (quietFor < this.quietMs && now - current.firstChangeAt < this.longestMs) {
      current.timer = setTimeout(() => void this.settleIfQuiet(key), this.quietMs - quietFor);
      return;
    }
    this.settling.delete(key);
    const before = this.lastSettled.get(key);
    const unchanged = this.lastSettled.has(key) && before?.mtime === state?.mtime && before?.size === state?.size;
    this.lastSettled.set(key, state);
    if (!unchanged) current.settled(state);
  }

  dispose(): void {
    for (const { timer } of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
    this.lastSettled.clear();
  }
}
