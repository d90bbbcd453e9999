import * as assert from 'assert';
import { SettlingFiles } from '../../src/extension/settlingFiles';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const quietMs = 60;

/** Files whose last write (and size, 100 bytes unless set) the test sets, and the order in which they settled. */
function files(longestMs = 10_000): { settling: SettlingFiles; writtenAt: Map<string, number>; sizes: Map<string, number>; settled: string[] } {
  const writtenAt = new Map<string, number>();
  const sizes = new Map<string, number>();
  const settled: string[] = [];
  const settling = new SettlingFiles(quietMs, longestMs, (key) => {
    const mtime = writtenAt.get(key);
    return Promise.resolve(mtime === undefined ? undefined : { mtime, size: sizes.get(key) ?? 100 });
  });
  return { settling, writtenAt, sizes, settled };
}

describe('files settling after a write on disk', () => {
  it('settles at once a file written long before its change was reported', async () => {
    const { settling, writtenAt, settled } = files();
    writtenAt.set('a.yaml', Date.now() - 1000);
    settling.changed('a.yaml', () => settled.push('a.yaml'));
    assert.ok(settling.has('a.yaml'));
    await pause(5);
    assert.deepStrictEqual(settled, ['a.yaml']);
    assert.ok(!settling.has('a.yaml'));
  });

  it('settles at once a file that is gone', async () => {
    const { settling, settled } = files();
    settling.changed('gone.yaml', () => settled.push('gone.yaml'));
    await pause(5);
    assert.deepStrictEqual(settled, ['gone.yaml']);
  });

  it('waits while a file is written in pieces, then settles it once, with the last callback', async () => {
    const { settling, writtenAt, settled } = files();
    for (let piece = 0; piece < 5; piece++) {
      writtenAt.set('lib.json', Date.now());
      settling.changed('lib.json', () => settled.push(`lib.json after piece ${piece}`));
      await pause(quietMs / 2);
      assert.deepStrictEqual(settled, []);
      assert.ok(settling.has('lib.json'));
    }
    const lastWrite = writtenAt.get('lib.json') ?? 0;
    await pause(quietMs * 2);
    assert.deepStrictEqual(settled, ['lib.json after piece 4']);
    assert.ok(Date.now() - lastWrite >= quietMs);
  });

  it('counts quiet from the write, not from its late report', async () => {
    const { settling, writtenAt, settled } = files();
    // Reported two thirds of a quiet time after it was written: a third is left to wait.
    writtenAt.set('late.yaml', Date.now() - (2 * quietMs) / 3);
    settling.changed('late.yaml', () => settled.push('late.yaml'));
    await pause(quietMs / 6);
    assert.deepStrictEqual(settled, []);
    await pause(quietMs / 2);
    assert.deepStrictEqual(settled, ['late.yaml']);
  });

  it('keeps files apart', async () => {
    const { settling, writtenAt, settled } = files();
    writtenAt.set('busy.yaml', Date.now());
    writtenAt.set('done.yaml', Date.now() - 1000);
    settling.changed('busy.yaml', () => settled.push('busy.yaml'));
    settling.changed('done.yaml', () => settled.push('done.yaml'));
    await pause(5);
    assert.deepStrictEqual(settled, ['done.yaml']);
    assert.ok(settling.has('busy.yaml'));
    await pause(quietMs * 2);
    assert.deepStrictEqual(settled, ['done.yaml', 'busy.yaml']);
  });

  it('settles a file written in the future, by a clock ahead, a quiet time after its change', async () => {
    const { settling, writtenAt, settled } = files();
    writtenAt.set('skewed.yaml', Date.now() + 60_000);
    settling.changed('skewed.yaml', () => settled.push('skewed.yaml'));
    await pause(quietMs / 2);
    assert.deepStrictEqual(settled, []);
    await pause(quietMs * 2);
    assert.deepStrictEqual(settled, ['skewed.yaml']);
  });

  it('reads a file rewritten without pause once it has been changing for the longest wait', async () => {
    const longestMs = 4 * quietMs;
    const { settling, writtenAt, settled } = files(longestMs);
    const start = Date.now();
    while (settled.length === 0 && Date.now() - start < 10 * longestMs) {
      writtenAt.set('log.yaml', Date.now());
      settling.changed('log.yaml', () => settled.push('log.yaml'));
      await pause(quietMs / 3);
    }
    assert.deepStrictEqual(settled, ['log.yaml']);
    assert.ok(Date.now() - start >= longestMs);
    assert.ok(Date.now() - start < 3 * longestMs);
    settling.dispose();
  });

  it('tells the callback what the disk held once the file settled, and that a file is gone', async () => {
    const { settling, writtenAt, sizes } = files();
    const states = new Map<string, { mtime: number; size: number } | undefined>();
    writtenAt.set('lib.bib', Date.now() - 1000);
    sizes.set('lib.bib', 4321);
    settling.changed('lib.bib', (state) => states.set('lib.bib', state));
    settling.changed('gone.bib', (state) => states.set('gone.bib', state));
    await pause(5);
    assert.deepStrictEqual(states.get('lib.bib'), { mtime: writtenAt.get('lib.bib'), size: 4321 });
    assert.ok(states.has('gone.bib'));
    assert.strictEqual(states.get('gone.bib'), undefined);
  });

  it('settles a file found as it was when it last settled without its callback: reports of a change can come late', async () => {
    const { settling, writtenAt, sizes, settled } = files();
    const note = (what: string) => (): void => void settled.push(what);
    writtenAt.set('late.bib', Date.now() - 1000);
    settling.changed('late.bib', note('late.bib'));
    await pause(5);
    assert.deepStrictEqual(settled, ['late.bib']);
    // The same write, reported again seconds later.
    settling.changed('late.bib', note('late.bib reported late'));
    await pause(5);
    assert.deepStrictEqual(settled, ['late.bib']);
    assert.ok(!settling.has('late.bib'));
    // A new write, of the same size or not, is read.
    writtenAt.set('late.bib', Date.now() - 500);
    settling.changed('late.bib', note('late.bib rewritten'));
    await pause(5);
    sizes.set('late.bib', 200);
    settling.changed('late.bib', note('late.bib grown'));
    await pause(5);
    assert.deepStrictEqual(settled, ['late.bib', 'late.bib rewritten', 'late.bib grown']);
    // Gone twice is gone once.
    writtenAt.delete('late.bib');
    settling.changed('late.bib', note('late.bib gone'));
    await pause(5);
    settling.changed('late.bib', note('late.bib gone again'));
    await pause(5);
    assert.deepStrictEqual(settled, ['late.bib', 'late.bib rewritten', 'late.bib grown', 'late.bib gone']);
  });

  it('drops a file without its callback, as when the user edits it', async () => {
    const { settling, writtenAt, settled } = files();
    writtenAt.set('edited.yaml', Date.now());
    settling.changed('edited.yaml', () => settled.push('edited.yaml'));
    settling.drop('edited.yaml');
    assert.ok(!settling.has('edited.yaml'));
    await pause(quietMs * 2);
    assert.deepStrictEqual(settled, []);
  });

  it('checks the disk once at a time however many changes are reported meanwhile', async () => {
    let checks = 0;
    const writtenAt = Date.now();
    const settled: string[] = [];
    const settling = new SettlingFiles(quietMs, 10_000, async () => {
      checks++;
      await pause(20);
      return { mtime: writtenAt, size: 100 };
    });
    for (let report = 0; report < 10; report++) settling.changed('export.json', () => settled.push(`export.json after report ${report}`));
    await pause(quietMs * 3);
    assert.deepStrictEqual(settled, ['export.json after report 9']);
    // One check for the first report, one more for the nine taken up when it ended, and one when the quiet time is over.
    assert.ok(checks <= 3, `${checks} checks`);
  });

  it('forgets what was settling when disposed', async () => {
    const { settling, writtenAt, settled } = files();
    writtenAt.set('open.yaml', Date.now());
    settling.changed('open.yaml', () => settled.push('open.yaml'));
    await pause(5);
    settling.dispose();
    await pause(quietMs * 2);
    assert.deepStrictEqual(settled, []);
    assert.ok(!settling.has('open.yaml'));
  });
});
