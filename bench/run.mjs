// `npm run bench`: the performance targets of docs/PERFORMANCE.md, measured
// against peers run in the same process on the same inputs, so a noisy machine
// shows in both columns and the ratios stay meaningful.
//
//   node --expose-gc bench/run.mjs            full size (10 MB text, 10,000 people, 50,000 references)
//   node bench/run.mjs --smoke                tiny inputs, a few seconds: checks that the bench runs, never a threshold
//
// It reads the compiled core from out/ (run `npm run build` first).
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { asRead, generateBibtex, generateCslJson, generateCslYaml, generateSidecar, generateText, random } from './generate.mjs';
import { measure, ms, printTable, ratio, stallTicker, summarize } from './measure.mjs';
import { benchDigester } from './store.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const smoke = process.argv.includes('--smoke');

if (!global.gc && !process.execArgv.includes('--expose-gc')) {
  // Heap figures need a collection before and after: run again with --expose-gc.
  const { spawnSync } = await import('node:child_process');
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

// MARGINALIA_CORE points the bench at another compiled core, e.g. a build in a separate out directory.
const corePath = process.env.MARGINALIA_CORE ?? path.join(root, 'out/src/core/index.js');
if (!existsSync(corePath)) {
  console.error(`bench: ${corePath} is missing; run \`npm run build\` first.`);
  process.exit(1);
}
const core = require(corePath);
const MarkdownIt = require('markdown-it');
const Fuse = require('fuse.js');
const YAML = require('yaml');
const jsYaml = require('js-yaml');

const size = smoke
  ? { text: 60_000, people: 200, references: 200, library: 1_000, bibtex: 100, yaml: 100, runs: 2, lookups: 200 }
  : { text: 10_000_000, people: 10_000, references: 10_000, library: 50_000, bibtex: 17_500, yaml: 10_000, runs: 7, lookups: 20_000 };

const textUri = 'file:///bench/book.annot.md';
const sidecarUri = 'file:///bench/book.yaml';
const libraryUri = 'file:///bench/library.json';

console.log(`Marginalia bench${smoke ? ' (smoke: tiny inputs, no thresholds)' : ''}`);
console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${new Date().toISOString()}`);

const t0 = performance.now();
// Every input is handed over as the extension gets it: one flat string (see `asRead`).
const text = asRead(generateText(size.text));
const sidecarText = asRead(generateSidecar(size.people, size.references));
// A file's bytes, as the extension reads them from disk: a load in steps that keeps a record takes its text's digest from them.
const utf8Of = (text) => new TextEncoder().encode(text);
const sidecarBytes = utf8Of(sidecarText);
console.log(`inputs: text ${(text.length / 1e6).toFixed(2)} M chars, sidecar ${(sidecarText.length / 1e6).toFixed(2)} MB (${size.people} people, ${size.references} references), generated in ${ms(performance.now() - t0)}`);

const rows = [];
const notes = [];
/** One row: what, our median and p99, target, peer, and the ratio to the peer. */
function row(what, result, target, peerName, peer) {
  rows.push([what, ms(result.median), ms(result.p99), target, peerName ?? '', peer ? ms(peer.median) : '', peer ? ratio(result.median, peer.median) : '']);
}

// ---------------------------------------------------------------- sidecar load
// The `yaml` package takes seconds on the full sidecar: one cold run each is all the time allows.
const yamlPeer = measure(() => YAML.parse(sidecarText), { runs: 1, warmup: 0 });
const jsYamlPeer = measure(() => jsYaml.load(sidecarText, { schema: jsYaml.CORE_SCHEMA }), { runs: size.runs, warmup: 1 });
const sidecarCold = measure(() => core.parseSidecar(sidecarUri, sidecarText), { runs: 1, warmup: 0, keep: true });
const sidecar = sidecarCold.result;
row('sidecar load, cold (parser of record)', sidecarCold, '≤ 500 ms', '`yaml`', yamlPeer);
rows.push(['', '', '', '', 'js-yaml (core schema)', ms(jsYamlPeer.median), ratio(sidecarCold.median, jsYamlPeer.median)]);
if (core.quickSidecar) {
  const quick = measure(() => core.quickSidecar(sidecarUri, sidecarText), { runs: size.runs, warmup: 1 });
  row('sidecar quick read, at once (in pieces, read from their characters)', quick, '≤ 500 ms', 'js-yaml', jsYamlPeer);
}

/**
 * Runs `load(turn)` `runs` times, as the extension host runs a stepped load:
 * between turns of the event loop. Also keeps the event loop's longest stall
 * during each run, two ways: monitorEventLoopDelay's histogram, whose 10 ms
 * resolution is coarse, and a setImmediate ticker of our own.
 */
async function watchedLoads(runs, load, prepare = () => undefined) {
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const out = { histogram: [], ticker: [], heap: [] };
  for (let run = 0; run < runs; run++) {
    // What the load is handed is made before the watch begins: copying a text of megabytes is no part of loading it.
    const input = prepare();
    // Garbage the peers left (the `yaml` documents of the whole sidecar) would be collected during the load, and counted against it.
    global.gc();
    // What the collector has to mark during the load, besides the load's own objects: the stalls grow with it.
    out.heap.push(process.memoryUsage().heapUsed);
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const ticker = stallTicker();
    const times = await load(turn, input);
    out.ticker.push(ticker.stop());
    histogram.disable();
    for (const [key, value] of Object.entries(times)) (out[key] ??= []).push(value);
    // A load shorter than the histogram's first tick leaves it empty, and an empty histogram's max reads 0: no stall
    // it could have seen, so not counted as one.
    if (histogram.count > 0) out.histogram.push(histogram.max / 1e6);
    else out.unsampled = (out.unsampled ?? 0) + 1;
  }
  return out;
}

// How the extension's store turns a record into its file's bytes and back; absent from a core built before records were ASCII.
const recordBytesPath = path.join(path.dirname(corePath), '..', 'extension', 'recordBytes.js');
const recordBytes = existsSync(recordBytesPath) ? require(recordBytesPath) : undefined;

/**
 * A store of records in memory, with the extension's digest. Each record is
 * kept as its file's bytes, and read back from them as the extension reads
 * it, so that the warm rows count that read, and load from the same kind of
 * string as in the extension.
 */
async function memoryStore() {
  const records = new Map();
  const files = new Map();
  const store = {
    digester: benchDigester,
    read: async (uri) => (recordBytes && files.has(uri) ? recordBytes.recordOfBytes(files.get(uri)) : records.get(uri)),
    write: async (uri, record) => {
      records.set(uri, record);
      if (recordBytes) files.set(uri, recordBytes.bytesOfRecord(record));
    },
  };
  return { store, records };
}

/** Writes a record's bytes to a file of the bench's cache, for a load in a new process to read as the extension's store does; gives its path. */
function recordFile(name, record) {
  const file = path.join(root, '.cache', 'bench', `${name}.record`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, recordBytes.bytesOfRecord(record));
  return file;
}

/** A record read from its file's bytes, as the extension's store reads it before the load begins (and as the warm rows count it). */
function recordReads(record) {
  const bytes = recordBytes.bytesOfRecord(record);
  const times = [];
  for (let run = 0; run < size.runs; run++) {
    global.gc?.();
    const start = performance.now();
    const back = recordBytes.recordOfBytes(bytes);
    times.push(performance.now() - start);
    if (back !== record) notes.push('a record read back from its bytes is not the record written');
  }
  return summarize(times);
}

/** The people and citation searches of a sidecar's registry, merged and built in slices as the extension builds them once a text is indexed. */
async function searchesReady(cache, loaded, turn) {
  const registry = cache.registryInSteps ? await cache.registryInSteps([loaded], turn) : cache.registryOf([loaded]);
  await core.referenceSearchFor(registry).prepareInSlices(turn);
  await core.peopleSearchFor(registry).prepareInSlices(turn);
}

/**
 * The same load as the first of a session, each run in a new process
 * (`bench/first-load.mjs`), whose loaders' code has not run before.
 */
async function firstLoads(kind, args, input, loadedCore = corePath) {
  const { spawnSync } = await import('node:child_process');
  const out = { served: [], searchReady: [], longest: [], itemsRead: [], longestWhileReadingItems: [] };
  const env = { ...process.env, MARGINALIA_CORE: loadedCore, MARGINALIA_RECORD_BYTES: recordBytesPath, MARGINALIA_BIBTEX_SHIM: path.join(root, 'out', 'test', 'unit', 'bibtexParserEsm.js') };
  for (let run = 0; run < (smoke ? 1 : 5); run++) {
    const child = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'bench/first-load.mjs'), kind, ...args.map(String)], { encoding: 'utf8', env, input });
    if (child.status !== 0) throw new Error(`bench/first-load.mjs ${kind} failed: ${child.stderr}`);
    const times = JSON.parse(child.stdout);
    for (const key of Object.keys(out)) if (times[key] !== undefined) out[key].push(times[key]);
  }
  return out;
}

/**
 * The core bundled as the extension bundles it, for loads that load a module
 * on the way: from a bundle a module is one file to read, and the BibTeX
 * parser and its tables are bundles of their own beside it.
 */
async function bundledCore() {
  const esbuild = await import('esbuild');
  const { bundleWithLazyModules } = await import('../scripts/esbuild-plugins.mjs');
  const outfile = path.join(root, '.cache', 'bench', 'core.js');
  const metafiles = await bundleWithLazyModules(esbuild, { entry: corePath, outfile });
  // Two builds of unicode2latex would each be evaluated, and loading its tables first would save the parser nothing.
  const builds = new Set(metafiles.flatMap((metafile) => Object.keys(metafile.inputs).flatMap((input) => /unicode2latex\/dist\/(\w+)\//.exec(input)?.[1] ?? [])));
  if (builds.size !== 1) throw new Error(`the bundles of the core hold ${builds.size} builds of unicode2latex: ${[...builds].join(', ')}`);
  return outfile;
}

function firstLoadRows(first, what, inProcess, target = '≤ 500 ms') {
  row(`${what}, first load in a new process: served`, summarize(first.served), target, 'in this process', inProcess.served);
  row('  then search ready', summarize(first.searchReady), target, 'in this process', inProcess.searchReady);
  row('  longest event-loop stall (setImmediate ticker)', summarize(first.longest), '≤ 50 ms', '', undefined);
  if (first.itemsRead.length > 0) {
    row('  then every item parsed, as in the background', summarize(first.itemsRead), '', 'search ready', summarize(first.searchReady));
    row('  longest event-loop stall meanwhile (setImmediate ticker)', summarize(first.longestWhileReadingItems), '≤ 50 ms', '', undefined);
  }
}

/** A sidecar loaded in steps by a new cache, its served read checked: when that read is served, and when the precise read is done. */
async function servedThenPrecise(text, turn, check) {
  const start = performance.now();
  const cache = new core.ParseCache(true);
  const precise = new Promise((resolve) => cache.onDidLoadPrecisely(() => resolve(performance.now() - start)));
  const served = await cache.sidecarInSteps(sidecarUri, text, turn);
  const quick = performance.now() - start;
  check(served);
  // A sidecar too small to read in steps is read precisely at once.
  return { quick, precise: text.length < core.steppedLoadChars ? quick : await precise };
}

/** A variant of the bench's sidecar loaded in steps a few times, each load checked: its quick and precise rows against `peer`, and its stalls. */
async function variantRows(text, check, [quickLabel, preciseLabel], peerName, peer) {
  const watched = await watchedLoads(smoke ? 1 : 3, (turn) => servedThenPrecise(text, turn, check));
  row(quickLabel, summarize(watched.quick), '≤ 500 ms', peerName, peer);
  row(preciseLabel, summarize(watched.precise), '(background)', peerName, peer);
  stallRows(watched);
}

function stallRows(watched) {
  const unsampled = watched.unsampled ? ` (${watched.unsampled} of ${watched.ticker.length} runs too short to sample)` : '';
  row(`  longest event-loop stall (monitorEventLoopDelay max)${unsampled}`, summarize(watched.histogram), '≤ 50 ms', '', undefined);
  row('  longest event-loop stall (setImmediate ticker)', summarize(watched.ticker), '≤ 50 ms', '', undefined);
  rows.push(['  heap in use as the load began, after a collection', `${(summarize(watched.heap).median / 1e6).toFixed(0)} MB`, '', '', '', '', '']);
}

let sidecarQuick;
if (core.sidecarSteps) {
  // A fresh read each run, the file's first load: the quick read serves hovers and search, the precise read follows.
  const watched = await watchedLoads(smoke ? 2 : 3, async (turn) => {
    const start = performance.now();
    // As the extension loads it: the precise read stands back while the searches over the quick read are built.
    const foreground = core.Foreground ? new core.Foreground() : undefined;
    const cache = new core.ParseCache(true, undefined, foreground && (() => foreground.idle(250).then(turn)));
    const precise = new Promise((resolve) => cache.onDidLoadPrecisely(() => resolve(performance.now() - start)));
    let quick;
    // The load and what is built on it are foreground work, as the extension's index build is.
    const build = async () => {
      const served = await cache.sidecarInSteps(sidecarUri, sidecarText, turn);
      quick = performance.now() - start;
      await searchesReady(cache, served, turn);
    };
    await (foreground ? foreground.run(build) : build());
    // A sidecar too small to read in steps is read precisely at once.
    return { quick, search: performance.now() - start, precise: sidecarText.length < core.steppedLoadChars ? quick : await precise };
  });
  sidecarQuick = summarize(watched.quick);
  row('sidecar load in steps, cold: quick read ready', sidecarQuick, '≤ 500 ms', 'parser of record', sidecarCold);
  row('  then people and citation search built in slices: search ready', summarize(watched.search), '≤ 500 ms', 'quick read', sidecarQuick);
  row('sidecar load in steps, cold: precise read ready', summarize(watched.precise), '(background)', 'parser of record', sidecarCold);
  stallRows(watched);
  firstLoadRows(await firstLoads('sidecar', [size.people, size.references]), 'sidecar load in steps', { served: sidecarQuick, searchReady: summarize(watched.search) });
}
if (core.sidecarSteps) {
  // An entry being typed: a quote opened and not yet closed, which runs on to the next quote; only the whole file says where.
  const at = sidecarText.indexOf('name: ', sidecarText.length >> 2);
  const typing = asRead(sidecarText.slice(0, at) + 'name: "Unclosed ' + sidecarText.slice(at + 6));
  // What the load did before a broken file was read whole in steps: the parser of record at once.
  const atOnce = measure(() => core.parseSidecar(sidecarUri, typing), { runs: 1, warmup: 0 });
  await variantRows(typing, (served) => {
    if (typing.length >= core.steppedLoadChars && served.valid) notes.push('the quick read of a sidecar with a syntax error was marked valid');
  }, ['sidecar with an entry being typed (a quote not closed), in steps: quick read ready', '  then the whole file read, in steps, with its syntax error'], 'read at once', atOnce);
  // The same file marked as one YAML document, a `---` line before it and a `...` line after, as many YAML files are.
  const marked = asRead(`---\n${sidecarText}...\n`);
  await variantRows(marked, (served) => {
    if (served.people.length !== sidecar.people.length) notes.push('the quick read of a sidecar between --- and ... missed people');
  }, ['sidecar between `---` and `...` lines, in steps: quick read ready', '  then the precise read, in steps'], 'parser of record', sidecarCold);
  // A value written once and used again through aliases, as a press several works share: one anchor, and an alias in one reference of a thousand.
  let publishers = 0;
  let press;
  const anchored = asRead(sidecarText.replace(/^( {4}publisher: )(.*)$/gm, (line, key, value) => {
    if (publishers++ === 0) {
      press = value;
      return `${key}&press ${value}`;
    }
    return publishers % 1000 === 0 ? `${key}*press` : line;
  }));
  const pressUses = Math.floor(publishers / 1000) + 1;
  // What the load did before an alias could point into an earlier piece: the parser of record at once.
  const anchoredAtOnce = measure(() => core.parseSidecar(sidecarUri, anchored), { runs: 1, warmup: 0 });
  await variantRows(anchored, (served) => {
    const pressed = served.references.filter(({ item }) => item.publisher === press).length;
    if (served.references.length !== sidecar.references.length || pressed < pressUses) notes.push(`the quick read of a sidecar with aliases gave ${served.references.length} references, ${pressed} of them with the aliased press`);
  }, ['sidecar with an anchor and aliases, in steps: quick read ready', '  then the precise read, in steps'], 'read at once', anchoredAtOnce);
}
const cache = new core.ParseCache(true);
cache.sidecar(sidecarUri, sidecarText);
// A fresh copy of the same text, as a re-read from disk gives: the cache must compare contents, not identities.
const warm = measure((copy) => cache.sidecar(sidecarUri, copy), { runs: size.runs, warmup: 1, setup: () => asRead(sidecarText) });
row('sidecar load, warm (unchanged)', warm, '≤ 150 ms', '`yaml`', yamlPeer);
// Only a sidecar read in steps is kept: the smoke run's is read at once.
if (core.sidecarRecord && sidecarText.length >= core.steppedLoadChars) {
  // The next session: a new cache, whose store holds the record of the last precise read, as the extension keeps it in its storage.
  const { store, records } = await memoryStore();
  const first = new core.ParseCache(true, store);
  await first.sidecarInSteps(sidecarUri, sidecarText, () => new Promise((resolve) => setImmediate(resolve)), { utf8: sidecarBytes });
  while (!records.has(sidecarUri)) await new Promise((resolve) => setImmediate(resolve));
  // A fresh copy of the same text each time, as a re-read from disk gives: the cache must compare contents, not identities.
  const watched = await watchedLoads(size.runs, async (turn, copy) => {
    const start = performance.now();
    const cache = new core.ParseCache(true, store);
    const served = await cache.sidecarInSteps(sidecarUri, copy, turn, { utf8: sidecarBytes });
    if (served.diagnostics.length !== sidecar.diagnostics.length) notes.push('the record did not give the precise read back');
    const ready = performance.now() - start;
    await searchesReady(cache, served, turn);
    return { ready, search: performance.now() - start };
  }, () => asRead(sidecarText));
  row(`sidecar load in steps, warm in a new session (its record, ${(records.get(sidecarUri).length / 1e6).toFixed(1)} M chars)`, summarize(watched.ready), '≤ 150 ms', 'cold: quick read', sidecarQuick);
  row('  then people and citation search built in slices: search ready', summarize(watched.search), '≤ 150 ms', 'record read', summarize(watched.ready));
  stallRows(watched);
  if (recordBytes) {
    row('  of which: its record read from its file’s bytes, as the extension reads it', recordReads(records.get(sidecarUri)), '', '', undefined);
    // The next session's load is the first in a new extension host, whose loaders' code has not run before.
    const first = await firstLoads('sidecar-warm', [size.people, size.references, recordFile('sidecar', records.get(sidecarUri))]);
    firstLoadRows(first, 'sidecar load in steps, warm in a new session', { served: summarize(watched.ready), searchReady: summarize(watched.search) }, '≤ 150 ms');
  }
}

// A registry of exactly the sidecar's people and references, as the extension builds it.
const lineMaps = new Map([[sidecarUri, new core.LineMap(sidecarText)]]);
const registry = core.mergeRegistry([sidecar], lineMaps);
const context = { registry, sidecars: [sidecarUri], bibliographies: [], diagnostics: [] };
if (registry.people.size !== size.people) notes.push(`registry holds ${registry.people.size} people, not ${size.people}`);

const library = [...sidecar.references.slice(0, 6).map((r) => r.item)];
const libraryText = asRead(generateCslJson(size.library, library));
const libraryBytes = utf8Of(libraryText);
const cslCold = measure(() => core.parseCslJson(libraryUri, libraryText), { runs: size.runs, warmup: 0 });
const jsonPeer = measure(() => JSON.parse(libraryText), { runs: size.runs, warmup: 0 });
row(`CSL-JSON load, cold (${size.library} items, ${(libraryText.length / 1e6).toFixed(1)} MB)`, cslCold, '≤ 500 ms', 'JSON.parse', jsonPeer);
cache.bibliography(libraryUri, libraryText);
const cslWarm = measure((copy) => cache.bibliography(libraryUri, copy), { runs: size.runs, warmup: 1, setup: () => asRead(libraryText) });
row('CSL-JSON load, warm (unchanged)', cslWarm, '≤ 150 ms', 'JSON.parse', jsonPeer);
// The whole-file reads are timed: from here on the cache holds what the extension's would, the sidecar's last good version, and no second copy of the library.
cache.forget(sidecarUri);
cache.forget(libraryUri);
if (core.cslJsonSteps) {
  const watched = await watchedLoads(size.runs, async (turn) => {
    const start = performance.now();
    const { bibliography } = await core.runInSlices(core.cslJsonSteps(libraryUri, libraryText), turn);
    const ready = performance.now() - start;
    // Then the citation search over it, built in slices as the extension builds it once a library is loaded.
    await new core.ReferenceSearch(bibliography.references).prepareInSlices(turn);
    return { ready, searchReady: performance.now() - start };
  });
  row('CSL-JSON load in steps, cold', summarize(watched.ready), '≤ 500 ms', 'at once', cslCold);
  const coldSearch = summarize(watched.searchReady);
  row('  then citation search built in slices: search ready', coldSearch, '≤ 500 ms', 'load in steps', summarize(watched.ready));
  stallRows(watched);
  firstLoadRows(await firstLoads('library', [size.library, JSON.stringify(library)]), 'CSL-JSON load in steps', { served: summarize(watched.ready), searchReady: coldSearch });
  // Only a library read in steps, and large enough for the search's prefilter, keeps its search tables: not the smoke run's.
  if (core.libraryRecord && !smoke) {
    // The next session: the library is served from the record the first session wrote, and its search tables are read back from it.
    const { store, records } = await memoryStore();
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await new core.ParseCache(true, store).bibliographyInSteps(libraryUri, libraryText, turn, { utf8: libraryBytes });
    while (!records.has(libraryUri)) await turn();
    const warm = await watchedLoads(size.runs, async (turn, copy) => {
      const start = performance.now();
      // As the extension loads it: what is left for the background (the items not read yet) stands back while the search is made.
      const foreground = new core.Foreground();
      const cache = new core.ParseCache(true, store, () => foreground.idle(250).then(turn));
      let ready;
      const search = await foreground.run(async () => {
        const library = await cache.bibliographyInSteps(libraryUri, copy, turn, { utf8: libraryBytes });
        ready = performance.now() - start;
        const registry = await cache.registryInSteps([library], turn);
        return core.referenceSearchFor(registry).prepareInSlices(turn);
      });
      const searchReady = performance.now() - start;
      if (!search.fromRecordedTables) notes.push('the library’s search tables were not read back from its record');
      if (search.search('woodcock 1950', 3)[0]?.id !== 'woodcock1950') notes.push('the library served from its record did not find woodcock1950');
      // The items left are parsed in the background; the next run starts once they are, with the loop still watched.
      await new Promise((resolve) => setTimeout(resolve, 600));
      return { ready, searchReady };
    }, () => asRead(libraryText));
    row(`CSL-JSON load in steps, warm in a new session (its record, ${(records.get(libraryUri).length / 1e6).toFixed(1)} M chars)`, summarize(warm.ready), '≤ 150 ms', 'cold', summarize(watched.ready));
    row('  then citation search read back: search ready', summarize(warm.searchReady), '≤ 150 ms', 'cold: search ready', coldSearch);
    stallRows(warm);
    if (recordBytes) {
      row('  of which: its record read from its file’s bytes, as the extension reads it', recordReads(records.get(libraryUri)), '', '', undefined);
      const first = await firstLoads('library-warm', [size.library, JSON.stringify(library), recordFile('library', records.get(libraryUri))]);
      firstLoadRows(first, 'CSL-JSON load in steps, warm in a new session', { served: summarize(warm.ready), searchReady: summarize(warm.searchReady) }, '≤ 150 ms');
    }
  }
  // As a session with a sidecar beside the library runs: the search built once the library is served, then the library's
  // record made in the background; then the sidecar edited, and the registry merged again over the same references; then
  // the next session, which reads the library's search tables back from its record.
  const sessionRows = async (what, sidecarUri, sidecarText, edited) => {
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const [searchReady, recordAfter, again, warmReady] = [[], [], [], []];
    // One session's load: the library served, the registry merged beside the sidecar, its citation search ready.
    const load = async (store) => {
      const foreground = new core.Foreground();
      const cache = new core.ParseCache(true, store, () => foreground.idle(250).then(turn));
      const copy = asRead(libraryText);
      global.gc?.();
      const start = performance.now();
      const loaded = await foreground.run(async () => {
        const library = await cache.bibliographyInSteps(libraryUri, copy, turn, { utf8: libraryBytes });
        const registry = await cache.registryInSteps([cache.sidecar(sidecarUri, sidecarText), library], turn);
        return { library, search: await core.referenceSearchFor(registry).prepareInSlices(turn) };
      });
      return { ...loaded, foreground, cache, start, ready: performance.now() };
    };
    for (let run = 0; run < (smoke ? 1 : 3); run++) {
      const { store, records } = await memoryStore();
      const { foreground, cache, library, start, ready } = await load(store);
      searchReady.push(ready - start);
      if (!smoke) {
        while (!records.has(libraryUri)) await turn();
        recordAfter.push(performance.now() - ready);
      }
      // The items are parsed in the background too: the edits, and the next run, start once they are.
      await new Promise((resolve) => setTimeout(resolve, 600));
      for (let edit = 0; edit < 3; edit++) {
        const sidecar = cache.sidecar(sidecarUri, edited(`${run}.${edit}`));
        const editStart = performance.now();
        await foreground.run(async () => core.referenceSearchFor(await cache.registryInSteps([sidecar, library], turn)).prepareInSlices(turn));
        again.push(performance.now() - editStart);
      }
      if (smoke) continue;
      const next = await load(store);
      warmReady.push(next.ready - next.start);
      const { search } = next;
      if (!search.fromRecordedTables) notes.push(`beside ${what}, the library’s search tables were not read back from its record`);
      if (search.search('woodcock 1950', 3)[0]?.id !== 'woodcock1950') notes.push(`beside ${what}, the search did not find woodcock1950`);
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
    // With the digest of the library's text, which the cold loads above do not take, as they keep no record.
    row(`CSL-JSON library beside ${what}, cold, as a session runs: search ready`, summarize(searchReady), '≤ 500 ms', 'load in steps: search ready', coldSearch);
    if (!smoke) row('  then its record made and written, in the background, after', summarize(recordAfter), '', '', undefined);
    row('  then the sidecar edited: registry merged again and citation search ready', summarize(again), '', 'cold: search ready', summarize(searchReady));
    if (!smoke) row('  then the next session, from the library’s record: search ready', summarize(warmReady), '≤ 150 ms', 'cold: search ready', summarize(searchReady));
  };
  const peopleText = 'people:\n  kropotkin:\n    name: Peter Kropotkin\n';
  await sessionRows('a sidecar of people', 'file:///bench/people.yaml', peopleText, (edit) => peopleText.replace('Peter', `Peter ${edit}`));
  // The example's sidecar gives references of its own, and the library holds its works too: the sidecar's come first.
  const exampleText = readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.yaml'), 'utf8');
  await sessionRows('the example’s sidecar, with references the library holds too', 'file:///bench/example.yaml', exampleText, (edit) => exampleText.replace('name: Peter Kropotkin', `name: Peter Kropotkin ${edit}`));
}

/**
 * A library read at once, then in steps with the event loop watched: one run of each, as they take seconds; and with
 * `warm`, as the next session serves it, from the record the first wrote.
 */
async function libraryRows(what, uri, text, count, unit, steps, warm = false) {
  // A BibTeX library's peer is the parser's read of the whole text, as every read of it was before plain entries were read without it.
  const withParser = uri.endsWith('.bib');
  const atOnce = measure(() => (withParser ? core.parseBibtexWhole(uri, text) : core.parseBibliography(uri, text)), { runs: 1, warmup: 0, keep: true });
  row(`${what} load, ${withParser ? 'the parser ' : ''}at once (${count} ${unit}, ${(text.length / 1e6).toFixed(1)} MB)`, atOnce, '', '', undefined);
  if (!steps) return;
  const watched = await watchedLoads(1, async (turn) => {
    const start = performance.now();
    let quick;
    // A format with a quick read (CSL-YAML) hands it over first.
    const { bibliography } = await core.runInSlices(steps(uri, text, { quick: () => (quick = performance.now() - start) }), turn);
    if (bibliography.references.length !== atOnce.result.references.length) notes.push(`the ${what} read in steps lost ${unit}`);
    return quick === undefined ? { ready: performance.now() - start } : { quick, ready: performance.now() - start };
  });
  const peer = withParser ? 'parser at once' : 'at once';
  if (watched.quick) row(`${what} load in steps: quick read ready`, summarize(watched.quick), '', peer, atOnce);
  row(`${what} load in steps${watched.quick ? ': precise read ready' : ''}`, summarize(watched.ready), '', peer, atOnce);
  stallRows(watched);
  if (!warm || !core.libraryRecord || text.length < core.steppedLoadChars) return;
  const { store, records } = await memoryStore();
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const bytes = utf8Of(text);
  await new core.ParseCache(true, store).bibliographyInSteps(uri, text, turn, { utf8: bytes });
  while (!records.has(uri)) await turn();
  const served = await watchedLoads(smoke ? 1 : 3, async (turn, copy) => {
    const start = performance.now();
    const cache = new core.ParseCache(true, store);
    const library = await cache.bibliographyInSteps(uri, copy, turn, { utf8: bytes });
    const ready = performance.now() - start;
    if (JSON.stringify(library.references[count >> 1]) !== JSON.stringify(atOnce.result.references[count >> 1]) || library.references.length !== atOnce.result.references.length) notes.push(`the ${what} library served from its record is not the one read`);
    const registry = await cache.registryInSteps([library], turn);
    const search = await core.referenceSearchFor(registry).prepareInSlices(turn);
    if (!search.fromRecordedTables) notes.push(`the ${what} library’s search tables were not read back from its record`);
    return { ready, searchReady: performance.now() - start };
  }, () => asRead(text));
  row(`${what} load, warm in a new session (its record, ${(records.get(uri).length / 1e6).toFixed(1)} M chars)`, summarize(served.ready), '≤ 150 ms', 'in steps', summarize(watched.ready));
  row('  then citation search read back: search ready', summarize(served.searchReady), '≤ 150 ms', '', undefined);
  stallRows(served);
}

// A BibTeX library of the size at which LaTeX Workshop is reported to take 10 s.
// The parser's CommonJS build is in a package marked as ES modules, which plain Node cannot load; the bundle is unaffected.
require(path.join(root, 'out', 'test', 'unit', 'bibtexParserEsm.js')).useBibtexParserEsmBuild();
await libraryRows('BibTeX', 'file:///bench/library.bib', asRead(generateBibtex(size.bibtex)), size.bibtex, 'entries', core.bibtexSteps, true);
// The same library with LaTeX in its titles: accents, escaped symbols, emphasis and plain math are read without the
// parser; an entry with other LaTeX, a square root in math here, is read by the parser. Then with its places given by
// macros, which entries read without the parser take from their plain definitions; as hand-kept libraries write
// them, joined with `#`; in the older style of hand-kept libraries; as written for BibLaTeX; and as Mendeley exports.
for (const [what, options] of [
  ['BibTeX with a LaTeX accent and an escaped symbol in every title:', { latexEvery: 1, latex: 'accents' }],
  ['BibTeX with a LaTeX emphasis in every title:', { latexEvery: 1, latex: 'markup' }],
  ['BibTeX with LaTeX math in one title in 4:', { latexEvery: 4, latex: 'math' }],
  ['BibTeX with LaTeX math in every title:', { latexEvery: 1, latex: 'math' }],
  ['BibTeX with a square root in math in one title in 4:', { latexEvery: 4, latex: 'root' }],
  ['BibTeX with a square root in math in every title:', { latexEvery: 1, latex: 'root' }],
  ['BibTeX with each place given by one of 200 @string macros:', { placeMacros: 200 }],
  ['BibTeX as kept by hand: places joined from macros with #, month macros, titles in quotes, comments:', { placeMacros: 200, joined: true }],
  ['BibTeX as kept by hand in the older style: {\\em …} titles, ties, names with groups, addresses on personal pages:', { older: true }],
  ['BibTeX as written for BibLaTeX: \\enquote{…} and \\textsuperscript{th} in titles, ties in names, abstracts with {\\textless}jats:p{\\textgreater}:', { biblatex: true }],
  ['BibTeX as Mendeley Desktop exports it: attachments\' paths with $\\backslash$, {\\_} in addresses:', { mendeley: true }],
]) {
  await libraryRows(what, 'file:///bench/library.bib', asRead(generateBibtex(size.bibtex, options)), size.bibtex, 'entries', core.bibtexSteps);
}
// A CSL-YAML library, as Pandoc writes one: `yaml` takes about a fifth of a millisecond an item.
const cslYamlText = asRead(generateCslYaml(size.yaml));
await libraryRows('CSL-YAML', 'file:///bench/library.yaml', cslYamlText, size.yaml, 'items', core.cslYamlSteps, true);
// An item being typed: a title's closing quote not written yet, so the file does not parse, in pieces or whole.
const openTitle = cslYamlText.indexOf('  title: "', cslYamlText.length >> 2);
const cslYamlTyping = asRead(cslYamlText.slice(0, openTitle) + cslYamlText.slice(openTitle).replace(/"\n/, '\n'));
await libraryRows('CSL-YAML being typed into (a quote not closed):', 'file:///bench/library.yaml', cslYamlTyping, size.yaml, 'items', core.cslYamlSteps);

// Files of the size most sidecars and libraries have, loaded through the cache as the extension loads them: too long
// to read at once in 50 ms (`yaml` takes 3 to 5 µs a character, the BibTeX parser 2 ms or more an entry in a small file).
for (const [what, uri, fileText, sidecarFile] of [
  ['sidecar, 60 people and 60 references', 'file:///bench/mid.yaml', asRead(generateSidecar(60, 60)), true],
  ['CSL-YAML library, 100 items', 'file:///bench/mid-library.yaml', asRead(generateCslYaml(100)), false],
  ['BibTeX library, 100 entries', 'file:///bench/mid-library.bib', asRead(generateBibtex(100)), false],
]) {
  const atOnce = measure(() => (sidecarFile ? core.parseSidecar(uri, fileText) : core.parseBibliography(uri, fileText)), { runs: size.runs, warmup: 1 });
  const watched = await watchedLoads(size.runs, async (turn) => {
    const start = performance.now();
    const cache = new core.ParseCache(true);
    let precise = false;
    cache.onDidLoadPrecisely(() => (precise = true));
    await (sidecarFile ? cache.sidecarInSteps(uri, fileText, turn) : cache.bibliographyInSteps(uri, fileText, turn));
    const served = performance.now() - start;
    // YAML is served from a quick read, and read precisely in the background; BibTeX has no quick read.
    if (uri.endsWith('.yaml')) {
      for (let turns = 0; !precise; turns++) {
        if (turns === 100_000) throw new Error(`the precise read of ${uri} never came`);
        await turn();
      }
    }
    return { served, done: performance.now() - start };
  });
  row(`${what} (${(fileText.length / 1024).toFixed(0)} K chars) at once`, atOnce, '', '', undefined);
  row('  in steps, as the extension loads it: served', summarize(watched.served), '', 'at once', atOnce);
  row('  in steps: precise read done', summarize(watched.done), '', 'at once', atOnce);
  row('  longest event-loop stall (setImmediate ticker)', summarize(watched.ticker), '≤ 50 ms', '', undefined);
  // Here the parsers' code is warm from the large files above; in a new extension host it runs for the first time.
  const kind = sidecarFile ? 'sidecar-file' : 'library-file';
  const firstAtOnce = await firstLoads(kind, [uri, 'at-once'], fileText);
  const firstInSteps = await firstLoads(kind, [uri, 'in-steps'], fileText);
  row('  first load in a new process, at once: longest stall', summarize(firstAtOnce.longest), '≤ 50 ms', '', undefined);
  row('  first load in a new process, in steps: longest stall', summarize(firstInSteps.longest), '≤ 50 ms', 'at once', summarize(firstAtOnce.longest));
  row('  first load in a new process, in steps: served', summarize(firstInSteps.served), '', 'at once', summarize(firstAtOnce.served));
  if (!sidecarFile && uri.endsWith('.bib')) {
    // The BibTeX parser is loaded during the load, from module files above; the extension loads it from its bundle.
    const fromBundle = await firstLoads(kind, [uri, 'in-steps'], fileText, await bundledCore());
    row('  the same from a bundle of the core, as the extension: longest stall', summarize(fromBundle.longest), '≤ 50 ms', 'from module files', summarize(firstInSteps.longest));
    row('  the same from a bundle of the core: served', summarize(fromBundle.served), '', 'from module files', summarize(firstInSteps.served));
  }
}

// ---------------------------------------------------------------- the extension's bundle
// What the extension host does before `activate` runs: read, compile and run the bundle. The peer is the
// same extension bundled whole, with the modules it loads only when first needed (see scripts/esbuild-plugins.mjs).
const extensionBundle = path.join(root, 'dist', 'extension.js');
if (existsSync(extensionBundle)) {
  const esbuild = await import('esbuild');
  const { bibtexParserEsm, nodeBundle } = await import('../scripts/esbuild-plugins.mjs');
  const whole = path.join(root, '.cache', 'bench', 'extension-whole.js');
  await esbuild.build({ ...nodeBundle, entryPoints: [path.join(root, 'src', 'extension', 'extension.ts')], outfile: whole, external: ['vscode'], plugins: [bibtexParserEsm] });
  const { spawnSync } = await import('node:child_process');
  const loads = (bundle) => {
    const times = [];
    for (let run = 0; run < (smoke ? 1 : 7); run++) {
      const child = spawnSync(process.execPath, [path.join(root, 'bench', 'load-extension.cjs'), bundle], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`bench/load-extension.cjs ${bundle} failed: ${child.stderr}`);
      times.push(JSON.parse(child.stdout).loaded);
    }
    return summarize(times);
  };
  // Alternated, so that the machine's load falls on both alike.
  const [split, together] = [[], []];
  for (let round = 0; round < (smoke ? 1 : 3); round++) {
    split.push(...loads(extensionBundle).samples);
    together.push(...loads(whole).samples);
  }
  row('extension bundle loaded in a new process, before activate runs', summarize(split), '', 'bundled whole', summarize(together));
} else {
  notes.push('dist/extension.js is missing (npm run build): the bundle\'s load is not timed.');
}

// ---------------------------------------------------------------- index
const markdownIt = new MarkdownIt();
const mdPeer = measure(() => markdownIt.parse(text, {}), { runs: smoke ? 2 : 3, warmup: 1 });
const pattern = /\[\^[^\]\s]+\]|\[\[[^\]]+\]\]|-?@[\w:.#$%&+?<>~/-]+|[“”«»„"‘’]|^#{1,6} |^> /gm;
const regexPeer = measure(() => {
  let n = 0;
  pattern.lastIndex = 0;
  while (pattern.exec(text)) n++;
  return n;
}, { runs: size.runs, warmup: 1 });
const source = { uri: textUri, version: 1, text };
const indexRun = measure(() => core.buildIndex(source, context), { runs: size.runs, warmup: 1, keep: true });
const index = indexRun.result;
row(`index ${(text.length / 1e6).toFixed(1)} M chars, ${registry.people.size} people`, indexRun, '≤ 60 ms', 'markdown-it', mdPeer);
rows.push(['', '', '', '(≥ 5× faster; ≤ 3× regex)', 'regex pass', ms(regexPeer.median), ratio(indexRun.median, regexPeer.median)]);
if (core.buildIndexInSteps) {
  /** The extension builds an index in slices with a pause between them: the whole build, and its slices' lengths. */
  const slicedBuild = async (buildContext) => {
    const lengths = [];
    let sliceStart = performance.now();
    const pause = () => {
      lengths.push(performance.now() - sliceStart);
      return new Promise((resolve) => setImmediate(resolve)).then(() => {
        sliceStart = performance.now();
      });
    };
    const t = performance.now();
    await core.buildIndexInSteps(source, buildContext, {}, pause);
    lengths.push(performance.now() - sliceStart);
    return { total: performance.now() - t, lengths };
  };
  const totals = [];
  const longest = [];
  let slices = 0;
  for (let run = 0; run < (smoke ? 2 : 3); run++) {
    const { total, lengths } = await slicedBuild(context);
    totals.push(total);
    longest.push(Math.max(...lengths));
    slices = lengths.length;
  }
  row(`index in slices, as the extension builds it (${slices} slices)`, summarize(totals), '', 'index at once', indexRun);
  rows.push(['longest slice of that build', ms(summarize(longest).median), ms(Math.max(...longest)), '≤ 50 ms', '', '', '']);
  // A registry not seen before, as after each change to a sidecar: the names' matcher is built for it first.
  const freshLongest = [];
  for (let run = 0; run < (smoke ? 1 : 3); run++) {
    const { lengths } = await slicedBuild({ ...context, registry: core.mergeRegistry([sidecar], lineMaps) });
    freshLongest.push(Math.max(...lengths));
  }
  row('  the same on a registry not seen before, as after a sidecar changes: longest slice', summarize(freshLongest), '≤ 50 ms', 'registry seen before', summarize(longest));
}
console.log(`index holds ${index.mentions.length} mentions, ${index.citations.length} citations, ${index.footnotes.length} footnotes, ${index.quotes.length} quotes, ${index.headings.length} headings`);

// ---------------------------------------------------------------- incremental re-index
if (core.updateIndex) {
  // A one-character edit in a paragraph, typed and then deleted, alternately: in the middle of the
  // book, and near its start, where the most spans follow the edit.
  const places = [
    ['re-index after a one-character edit', text.indexOf('\nIn May 1919', Math.floor(text.length / 2)) + 4],
    ['re-index after a one-character edit near the start', text.indexOf('\nIn May 1919') + 4],
  ];
  for (const [what, at] of places) {
    // An index of its own: an update consumes the index it starts from, and the rows below read `index`.
    let current = core.buildIndex(source, context);
    const typed = measure(
      (next, i) => {
        const inserting = i % 2 === 0;
        const change = inserting ? { start: at, end: at, text: 'x' } : { start: at, end: at + 1, text: '' };
        current = core.updateIndex(current, change, next, { version: current.version + 1 });
        return current;
      },
      {
        runs: size.runs * 4,
        warmup: 2,
        // The editor hands over the new text joined from its lines, one flat string: a concatenation would be a rope.
        // It is built before the clock starts. `updateIndex` consumes the index it is given.
        setup: (i) => {
          const inserting = i % 2 === 0;
          return (inserting ? [current.text.slice(0, at), 'x', current.text.slice(at)] : [current.text.slice(0, at), current.text.slice(at + 1)]).join('');
        },
      },
    );
    row(what, typed, '≤ 5 ms', 'full index', indexRun);
    current = null;
  }
} else {
  notes.push('re-index after an edit: no incremental updateIndex in the core yet');
}

// ---------------------------------------------------------------- hover lookup
{
  const rnd = random(3);
  const offsets = Array.from({ length: size.lookups }, () => Math.floor(rnd() * text.length));
  // Half the lookups land on something, as hovers over names and citations do.
  index.mentions.forEach((m, i) => {
    if (i % 2 === 0 && i / 2 < offsets.length) offsets[i / 2] = m.span.start + 1;
  });
  const samples = [];
  let found = 0;
  for (let round = 0; round < 2; round++) {
    for (const offset of offsets) {
      const t = performance.now();
      const hit = core.findAt(index, offset);
      const elapsed = performance.now() - t;
      if (round === 1) {
        samples.push(elapsed);
        if (hit) found++;
      }
    }
  }
  row(`hover lookup findAt (${found} of ${offsets.length} hits)`, summarize(samples), '≤ 0.1 ms, p99 ≤ 1 ms', '', undefined);
}

// ---------------------------------------------------------------- sidebar
if (core.footnoteOutline && core.quoteOutline && core.peopleOutline) {
  const outline = measure(() => [core.footnoteOutline(index), core.quoteOutline(index, { minimumQuoteLength: 12 }), core.peopleOutline(index)], { runs: smoke ? 2 : 3, warmup: 1, keep: true });
  row('sidebar tree data (footnotes, quotes, people)', outline, '≤ 100 ms', '', undefined);
  // A person's mention rows are made when the person is expanded: the most mentioned one is the worst case.
  const mostMentioned = outline.result[2][0];
  if (mostMentioned && mostMentioned.childCount !== undefined) {
    const expand = measure(() => core.peopleOutline(index)[0].children.length, { runs: smoke ? 2 : 3, warmup: 1 });
    row(`sidebar: expanding the most mentioned person (${mostMentioned.childCount} mentions)`, expand, '', '', undefined);
  }
} else {
  notes.push('sidebar: src/core/outline.ts is not there, skipped');
}

// ---------------------------------------------------------------- memory
{
  global.gc();
  global.gc();
  const before = process.memoryUsage().heapUsed;
  const kept = core.buildIndex(source, context);
  global.gc();
  global.gc();
  const growth = process.memoryUsage().heapUsed - before;
  const budget = 3 * 2 * text.length;
  rows.push(['index heap growth after GC', `${(growth / 1e6).toFixed(1)} MB`, '', `≤ ${(budget / 1e6).toFixed(1)} MB (3× UTF-16)`, 'text (UTF-16)', `${((2 * text.length) / 1e6).toFixed(1)} MB`, `${(growth / (2 * text.length)).toFixed(2)}× the text`]);
  if (kept.text.length !== text.length) throw new Error('index lost its text');
}

// ---------------------------------------------------------------- citation search
{
  // Parsed again here rather than kept since its load was timed: the loads timed in between would have collected it.
  const bibliography = core.parseCslJson(libraryUri, libraryText);
  const references = bibliography.references;
  // The search builds on first use; `prepare` builds it at once, as the first keystroke would.
  const build = measure(() => new core.ReferenceSearch(references).prepare?.() ?? new core.ReferenceSearch(references), { runs: smoke ? 2 : 3, warmup: 0, keep: true });
  const search = build.result;
  row(`citation search index build, at once (${references.length} references)`, build, '(part of load)', '', undefined);
  if (core.ReferenceSearch.prototype.prepareInSlices) {
    // The same build in slices, as it runs in the extension host while a text opens: in total, and the longest slice between turns of the event loop.
    const totals = [];
    const longest = [];
    for (let run = 0; run < (smoke ? 2 : 3); run++) {
      const slices = [];
      const start = performance.now();
      let sliceStart = start;
      const turn = () => {
        slices.push(performance.now() - sliceStart);
        return new Promise((resolve) => setImmediate(() => {
          sliceStart = performance.now();
          resolve();
        }));
      };
      await new core.ReferenceSearch(references).prepareInSlices(turn);
      slices.push(performance.now() - sliceStart);
      totals.push(performance.now() - start);
      longest.push(Math.max(...slices));
    }
    row('citation search index build, in slices (total)', summarize(totals), '(part of load)', 'at once', build);
    row('citation search index build, longest slice', summarize(longest), '≤ 50 ms', '', undefined);
  }

  // The quality queries, written before any tuning: author plus year, an author with one
  // letter wrong, title words, a key prefix; and the same kinds for a generated item.
  const families = new Map();
  for (const r of references) families.set(r.item.author?.[0]?.family, (families.get(r.item.author?.[0]?.family) ?? 0) + 1);
  const generated = references.find((r, i) => i > references.length / 2 && families.get(r.item.author?.[0]?.family) === 1) ?? references[references.length - 1];
  const family = generated.item.author[0].family;
  const year = String(generated.item.issued['date-parts'][0][0]);
  const typo = family.slice(0, 2) + (family[2] === 'a' ? 'e' : 'a') + family.slice(3);
  const queries = [
    { query: 'woodcock 1950', expect: 'woodcock1950', kind: 'author + year' },
    { query: 'woodcok', expect: 'woodcock1950', kind: 'author, one letter wrong' },
    { query: 'anarchist prince', expect: 'woodcock1950', kind: 'title words' },
    { query: 'shub19', expect: 'shub1953', kind: 'key prefix' },
    { query: `${family.toLowerCase()} ${year}`, expect: generated.id, kind: 'author + year (generated)' },
    { query: `${typo.toLowerCase()} ${year}`, expect: generated.id, kind: 'author one letter wrong + year (generated)' },
    { query: generated.id.slice(0, generated.id.indexOf('-')), expect: generated.id, kind: 'key prefix (generated)' },
  ];
  const keystrokes = [];
  for (const { query } of queries) for (let n = 1; n <= query.length; n++) keystrokes.push(query.slice(0, n));
  search.search(keystrokes[0]);
  const samples = [];
  for (const q of keystrokes) {
    const t = performance.now();
    search.search(q);
    samples.push(performance.now() - t);
  }
  const fuse = new Fuse(
    references.map((r) => ({ id: r.id, title: r.item.title ?? '', year: String(r.item.issued?.['date-parts']?.[0]?.[0] ?? ''), author: (r.item.author ?? []).map((a) => `${a.given ?? ''} ${a.family ?? ''}`).join(' ') })),
    { keys: ['author', 'year', 'title', 'id'], ignoreLocation: true },
  );
  const peerSamples = [];
  const peerTop = [];
  for (const { query } of smoke ? queries : queries.slice(0, 4)) {
    const t = performance.now();
    const hits = fuse.search(query, { limit: 3 });
    peerSamples.push(performance.now() - t);
    peerTop.push(hits.map((h) => h.item.id));
  }
  row(`citation search per keystroke (${keystrokes.length} keystrokes)`, summarize(samples), '≤ 16 ms', 'plain fuse.js', summarize(peerSamples));
  const quality = [];
  for (const [i, { query, expect, kind }] of queries.entries()) {
    const top = search.search(query, 3).map((r) => r.id);
    quality.push([kind, `"${query}"`, expect, top.join(', '), top.includes(expect) ? 'yes' : 'NO', peerTop[i] ? (peerTop[i].includes(expect) ? 'yes' : 'no') : '(not run)']);
  }
  console.log('');
  printTable(['what', 'median', 'p99', 'target', 'peer', 'peer median', 'ratio'], rows);
  console.log('\nCitation search ranking (expected item in the top 3):');
  printTable(['query kind', 'query', 'expected', 'our top 3', 'ours', 'plain fuse.js'], quality);
}

for (const note of notes) console.log(`note: ${note}`);
console.log(`\nbench finished in ${ms(performance.now() - t0)}${smoke ? ' (smoke run: sizes are tiny, figures mean nothing)' : ''}`);
