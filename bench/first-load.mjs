// The first load of a session, timed in a process of its own: `bench/run.mjs`
// runs this several times. In the bench's own process the loaders' code has
// run before, and the engine has optimized it, or has thrown the optimized
// code away after a full collection; in a new extension host it runs for the
// first time. Prints one line of JSON: milliseconds from the start of the
// load until the data is served and until the searches are ready, and the
// longest gap between turns of the event loop.
//
//   node --expose-gc bench/first-load.mjs sidecar PEOPLE REFERENCES
//   node --expose-gc bench/first-load.mjs library ITEMS EXAMPLE_ITEMS_JSON
//   node --expose-gc bench/first-load.mjs sidecar-file|library-file URI at-once|in-steps   (the text on stdin)
//   node --expose-gc bench/first-load.mjs sidecar-warm|library-warm … RECORD_FILE   (as sidecar or library, served from
//     the record in RECORD_FILE, as the next session in a new extension host serves it)
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { asRead, generateCslJson, generateSidecar } from './generate.mjs';
import { stallTicker } from './measure.mjs';
import { benchDigester } from './store.mjs';

const require = createRequire(import.meta.url);
const [given, count, extra, recordFile] = process.argv.slice(2);
const file = given.endsWith('-file');
const warm = given.endsWith('-warm');
const kind = warm ? given.slice(0, -'-warm'.length) : given;
const core = require(process.env.MARGINALIA_CORE);
// As the extension's store reads a record: the file's bytes, then the record they hold.
const recordBytes = warm ? require(process.env.MARGINALIA_RECORD_BYTES) : undefined;
const store = warm ? { digester: benchDigester, read: async () => recordBytes.recordOfBytes(await readFile(recordFile)), write: async () => {} } : undefined;
// The BibTeX parser's CommonJS build is in a package marked as ES modules, which plain Node cannot load; the bundle is unaffected.
if (file && count.endsWith('.bib')) require(process.env.MARGINALIA_BIBTEX_SHIM).useBibtexParserEsmBuild();
const turn = () => new Promise((resolve) => setImmediate(resolve));
/** A next session whose search was built afresh, not read back from its record, is not the load it is timed as. */
function fromRecord(search) {
  if (warm && !search.fromRecordedTables) throw new Error(`the ${kind}'s search was not read back from its record`);
}

// The input is made before the watch begins: generating it is no part of loading it.
const text = file ? readFileSync(0, 'utf8') : asRead(kind === 'sidecar' ? generateSidecar(Number(count), Number(extra)) : generateCslJson(Number(count), JSON.parse(extra)));
// The file's bytes, as the extension reads them from disk: a next session takes its text's digest from them.
const utf8 = warm ? new TextEncoder().encode(text) : undefined;
global.gc?.();

const ticker = stallTicker();
const start = performance.now();
let served;
let library;
if (kind === 'sidecar' || warm) {
  // As the extension loads a sidecar, or a library served from its record, and as `bench/run.mjs` does in its own process.
  const foreground = new core.Foreground();
  const cache = new core.ParseCache(true, store, () => foreground.idle(250).then(turn));
  await foreground.run(async () => {
    const loaded = kind === 'sidecar' ? await cache.sidecarInSteps('file:///bench/book.yaml', text, turn, { utf8 }) : await cache.bibliographyInSteps('file:///bench/library.json', text, turn, { utf8 });
    served = performance.now() - start;
    const registry = await cache.registryInSteps([loaded], turn);
    fromRecord(await core.referenceSearchFor(registry).prepareInSlices(turn));
    if (kind === 'sidecar') fromRecord(await core.peopleSearchFor(registry).prepareInSlices(turn));
  });
} else if (file) {
  // A file of the size most are, as the extension loads it, or read at once, as files under 256 K were before.
  const uri = count;
  const sidecar = kind === 'sidecar-file';
  const cache = new core.ParseCache(true);
  let precise = extra === 'at-once' || uri.endsWith('.bib');
  // A quick read is served first; the precise read follows in the background.
  cache.onDidLoadPrecisely(() => (precise = true));
  if (extra === 'at-once') {
    if (sidecar) cache.sidecar(uri, text);
    else cache.bibliography(uri, text);
  } else await (sidecar ? cache.sidecarInSteps(uri, text, turn) : cache.bibliographyInSteps(uri, text, turn));
  served = performance.now() - start;
  while (!precise) await turn();
} else {
  const { bibliography } = await core.runInSlices(core.cslJsonSteps('file:///bench/library.json', text), turn);
  served = performance.now() - start;
  await new core.ReferenceSearch(bibliography.references).prepareInSlices(turn);
  library = bibliography;
}
const searchReady = performance.now() - start;
const longest = ticker.stop();
// A library's items are parsed in the background once its search is ready (when its load kept them as text).
let itemsRead;
let longestWhileReadingItems;
if (library && core.readItemsSteps) {
  const itemsTicker = stallTicker();
  await core.runInSlices(core.readItemsSteps(library.references), turn);
  itemsRead = performance.now() - start;
  longestWhileReadingItems = itemsTicker.stop();
}
console.log(JSON.stringify({ served, searchReady, longest, itemsRead, longestWhileReadingItems }));
// The precise read of a sidecar goes on in the background for seconds; it is timed in the bench's own process.
process.exit(0);
