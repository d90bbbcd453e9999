// Timing helpers: medians and 99th percentiles of repeated runs, and the table.
import { performance } from 'node:perf_hooks';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Runs `fn` `runs` times after `warmup` untimed runs; returns milliseconds per
 * run, and with `keep` the last run's result. A result nobody reads is let go,
 * so that the loads timed after it do not collect a heap the extension would
 * never hold (a peer's parse of a whole library, say).
 */
export function measure(fn, { runs = 5, warmup = 1, setup, keep = false } = {}) {
  for (let i = 0; i < warmup; i++) {
    const arg = setup ? setup(i) : undefined;
    fn(arg, i);
  }
  const samples = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const arg = setup ? setup(i + warmup) : undefined;
    const t0 = performance.now();
    last = fn(arg, i + warmup);
    samples.push(performance.now() - t0);
  }
  return summarize(samples, keep ? last : undefined);
}

/**
 * Watches the event loop from now until `stop()`, which gives the longest gap
 * between turns of a `setImmediate` ticker, finer than monitorEventLoopDelay's
 * histogram. The stretch from the last turn to the stop counts too: a load that
 * never yields gives the ticker no turn at all.
 */
export function stallTicker() {
  let longest = 0;
  let last = performance.now();
  let ticking = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      ticking = false;
      return Math.max(longest, performance.now() - last);
    },
  };
}

export function summarize(samples, result) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), runs: samples.length, samples, result };
}

export function ms(value) {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (value < 0.01) return `${(value * 1000).toFixed(2)} µs`;
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  return `${Math.round(value)} ms`;
}

export function ratio(ours, theirs) {
  if (!ours || !theirs) return '—';
  return theirs >= ours ? `${(theirs / ours).toFixed(1)}× faster` : `${(ours / theirs).toFixed(1)}× slower`;
}

/** Prints rows as an aligned Markdown table, so the output can be pasted into the docs as it is. */
export function printTable(headers, rows) {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => `| ${cells.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
