/**
 * Work cut into steps: a generator that yields between units of a few
 * milliseconds each, so that a caller can give the event loop a turn between
 * them. The same steps run to the end at once in tests and the CLI.
 */
export type Steps<T> = Generator<void, T, void>;

/**
 * Gives the event loop a turn, and resolves when work may go on. In Node and
 * the extension host: `() => new Promise((resolve) => setImmediate(resolve))`.
 */
export type Scheduler = () => Promise<void>;

/** Longest stretch of steps run without a turn of the event loop. */
export const defaultSliceMs = 8;

/** Raised by `runInSlices` when its work is no longer wanted. */
export class StepsCancelled extends Error {
  constructor() {
    super('Cancelled');
  }
}

const clock: () => number = typeof performance !== 'undefined' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now();

/** Runs steps to the end without yielding. */
export function runNow<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

export interface SliceOptions {
  /** Longest stretch of steps between turns of the event loop, in milliseconds. */
  readonly sliceMs?: number;
  /** Asked at each turn; when true, the work stops and the promise rejects with `StepsCancelled`. */
  readonly cancelled?: () => boolean;
  /** Asked after each step; when true, the slice ends there, so that what the step settled is taken up before more steps run. */
  readonly endSlice?: () => boolean;
}

/**
 * When the slice under way in this turn of the event loop began, if one is:
 * work in slices that starts where other work's last slice ended (a file
 * served, then its registry merged, then its searches built) goes on in the
 * same slice rather than opening one of its own, so that the two together
 * still hand the event loop a turn in time.
 */
let openSlice: number | undefined;

/** The slice under way, or one opened now, closed once the turn ends (a timer runs only after it). */
function sliceUnderWay(): number {
  if (openSlice === undefined) {
    openSlice = clock();
    setTimeout(() => (openSlice = undefined), 0);
  }
  return openSlice;
}

/**
 * Runs steps in slices of about `sliceMs`, handing the event loop a turn
 * through `scheduler` between slices. A slice overruns by at most one step,
 * so steps are kept to a few milliseconds each. The first slice is the one
 * under way, if other steps ran in this turn: when it is spent, the turn
 * comes before the first step.
 */
export async function runInSlices<T>(steps: Steps<T>, scheduler: Scheduler, options: SliceOptions = {}): Promise<T> {
  const sliceMs = options.sliceMs ?? defaultSliceMs;
  let sliceStart = sliceUnderWay();
  let turnDue = clock() - sliceStart >= sliceMs;
  for (;;) {
    if (turnDue) {
      await scheduler();
      if (options.cancelled?.()) {
        steps.return(undefined as never);
        throw new StepsCancelled();
      }
      openSlice = undefined;
      sliceStart = sliceUnderWay();
    }
    const next = steps.next();
    if (next.done) return next.value;
    turnDue = clock() - sliceStart >= sliceMs || options.endSlice?.() === true;
  }
}

/**
 * Work someone waits for (an index being built, a search being prepared), so
 * that work nobody waits for (the precise read of a sidecar whose quick read
 * is already served) can stand back while it runs: the two in turn would
 * share the event loop, and what is awaited would take twice as long.
 */
export class Foreground {
  private running = 0;
  private waiting: (() => void)[] = [];

  /** Runs `work`, counted as foreground until it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      if (--this.running === 0) this.release();
    }
  }

  /** Resolves once no foreground work runs, or after `maxWaitMs`, so that background work is held back, never starved. */
  idle(maxWaitMs: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxWaitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiting.push(done);
    });
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const done of waiting) done();
  }
}

/** Characters of text scanned in one step where the work per character is a comparison or two. */
export const scanChunk = 1 << 18;
