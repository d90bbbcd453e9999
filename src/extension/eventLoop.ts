/**
 * Lets the extension host run whatever is waiting (other requests, other
 * extensions) before long work goes on: the scheduler the core's stepped
 * loads, index builds and search builds pause with.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
