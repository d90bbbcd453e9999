/** Binary searches over lists kept in order of position. */

/** The first element of a list in order of `startOf` that starts at or after `offset`. */
export function firstStartingFrom<T>(list: readonly T[], offset: number, startOf: (item: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (startOf(list[mid]) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** In offsets kept as start and end pairs, in order of start: the first pair (counted in pairs) that starts at or after `offset`. */
export function firstPairStartingFrom(pairs: readonly number[], offset: number): number {
  let lo = 0;
  let hi = pairs.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pairs[2 * mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
