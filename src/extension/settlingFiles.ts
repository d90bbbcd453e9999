/**
 * Files being written on disk, each settled once it has been quiet for a
 * moment. A large file is often written in pieces, by VS Code's own saves and
 * by exporters, and each piece is reported as a change: read at once, the file
 * would be read half-written, its errors shown, and read again for each piece.
 */
export class SettlingFiles {
  private readonly settling = new Map<string, { readonly firstChangeAt: number; lastChangeAt: number; quietSinceReport: boolean; timer?: ReturnType<typeof setTimeout>; settled: () => void }>();

  constructor(
    /** Quiet time after a file's last write before it counts as written. */
    private readonly quietMs: number,
    /** Longest a file keeps changing before it is read anyway: a file rewritten without pause must still be seen. */
    private readonly longestMs: number,
    /**
     * When the file was last written, by its modification time, or undefined
     * if that cannot be told. Changes are reported a hundred milliseconds or
     * more after the write, unevenly, so the time between two reports says
     * little of the time between two writes.
     */
    private readonly lastWrittenAt: (key: string) => Promise<number | undefined>,
  ) {}

  /**
   * Notes a change of `key`; `settled` runs once the file has settled, in
   * place of any callback given before for it. With `quietSinceReport`, the
   * file must also have been quiet since the change was reported: VS Code
   * reports its reload of an open file once it has read it, some time after
   * the write.
   */
  changed(key: string, settled: () => void, quietSinceReport = false): void {
    const now = Date.now();
    const current = this.settling.get(key);
    if (current) {
      clearTimeout(current.timer);
      current.settled = settled;
      current.lastChangeAt = now;
      current.quietSinceReport ||= quietSinceReport;
    } else this.settling.set(key, { firstChangeAt: now, lastChangeAt: now, quietSinceReport, settled });
    void this.settleIfQuiet(key, now);
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
   * whole usually is. A check overtaken by a later change leaves it to that
   * change's.
   */
  private async settleIfQuiet(key: string, changeAt: number): Promise<void> {
    const written = await this.lastWrittenAt(key).catch(() => undefined);
    const current = this.settling.get(key);
    if (!current || current.lastChangeAt !== changeAt) return;
    const now = Date.now();
    // Gone (or its time unknown), the file has nothing left to write. Written in the future, by a clock ahead of ours,
    // it is quiet since its change was reported.
    const sinceWritten = written === undefined ? Infinity : written > now ? now - changeAt : now - written;
    const quietFor = current.quietSinceReport ? Math.min(sinceWritten, now - changeAt) : sinceWritten;
    if (quietFor < this.quietMs && now - current.firstChangeAt < this.longestMs) {
      current.timer = setTimeout(() => void this.settleIfQuiet(key, changeAt), this.quietMs - quietFor);
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
