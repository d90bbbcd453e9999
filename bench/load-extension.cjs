// Loads a bundle of the extension in this new process, as the extension host
// loads it before calling `activate`, and prints the milliseconds it took:
// reading the file, compiling it and running its top level. `vscode` is a
// stand-in, as only the extension host has the real one.
//
//   node bench/load-extension.cjs BUNDLE
const fs = require('node:fs');
const Module = require('node:module');
const { performance } = require('node:perf_hooks');

const bundle = process.argv[2];
// Every namespace and class the bundle reads from `vscode`, each a stand-in that takes any use.
const anything = () => new Proxy(function () {}, { get: (_, key) => (key === Symbol.toPrimitive ? () => '' : anything()), apply: () => anything(), construct: () => anything() });
const source = fs.readFileSync(bundle, 'utf8');
const names = new Set([...source.matchAll(/\bvscode\d*\.([A-Za-z]+)/g)].map((match) => match[1]));
const vscode = Object.fromEntries([...names].map((name) => [name, anything()]));
// Node's own modules are loaded in the extension host before any extension is: here too, before the clock starts.
for (const [, builtin] of source.matchAll(/\brequire\("([a-z_/]+)"\)/g)) if (builtin !== 'vscode' && Module.isBuiltin(builtin)) require(builtin);
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? vscode : load.call(this, request, ...rest);
};
const start = performance.now();
require(bundle);
console.log(JSON.stringify({ loaded: performance.now() - start }));
