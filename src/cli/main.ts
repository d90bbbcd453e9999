import { promises as fs } from 'fs';
import * as path from 'path';
import { pathToFileURL, fileURLToPath } from 'url';
import { buildIndex, indexToJson, loadTextContext, ParseCache, type AnnotationIndex, type FileReader } from '../core';

const usage = `Usage:
  marginalia index FILE --json     print the index of an annotated text as JSON
  marginalia check FILE|DIR...     print diagnostics; exit 1 if there is any error
`;

class UsageError extends Error {}

const diskReader: FileReader = {
  async readText(uri) {
    try {
      const bytes = await fs.readFile(fileURLToPath(uri));
      return new TextDecoder('utf-8').decode(bytes);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  },
};

function displayName(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  const relative = path.relative(process.cwd(), fileURLToPath(uri));
  return relative.startsWith('..') || path.isAbsolute(relative) ? fileURLToPath(uri) : relative;
}

async function indexFile(file: string, cache: ParseCache): Promise<AnnotationIndex> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    const stat = await fs.stat(absolute);
    if (stat.isDirectory()) throw new UsageError(`${file} is a folder; give an annotated text.`);
    text = new TextDecoder('utf-8').decode(await fs.readFile(absolute));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file.` : `${file}: cannot be read (${code ?? (error as Error).message}).`);
  }
  const uri = pathToFileURL(absolute).toString();
  const context = await loadTextContext(uri, text, diskReader, cache);
  return buildIndex({ uri, text }, context);
}

async function findTexts(target: string): Promise<string[]> {
  let stat;
  try {
    stat = await fs.stat(target);
  } catch {
    throw new UsageError(`${target}: no such file or folder.`);
  }
  if (!stat.isDirectory()) return [target];
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.annot.md')) found.push(full);
    }
  };
  await walk(target);
  return found;
}

async function check(targets: string[]): Promise<number> {
  if (targets.length === 0) throw new UsageError('check needs at least one file or folder.');
  const cache = new ParseCache();
  const seen = new Set<string>();
  let errors = 0;
  let files = 0;
  for (const target of targets) {
    for (const file of await findTexts(target)) {
      files++;
      const index = await indexFile(file, cache);
      for (const d of index.diagnostics) {
        // A sidecar shared by several texts is reported once.
        const id = `${d.uri}:${d.span.start}:${d.code}:${d.message}`;
        if (seen.has(id)) continue;
        seen.add(id);
        if (d.severity === 'error') errors++;
        process.stdout.write(`${displayName(d.uri)}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}\n`);
      }
    }
  }
  if (files === 0) process.stderr.write('marginalia: no *.annot.md files found.\n');
  return errors > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given.');
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  if (command === 'index') {
    const files = rest.filter((a) => a !== '--json');
    if (files.length !== 1) throw new UsageError('index takes exactly one file.');
    const index = await indexFile(files[0], new ParseCache());
    process.stdout.write(JSON.stringify(indexToJson(index, displayName), null, 2) + '\n');
    return 0;
  }
  if (command === 'check') return check(rest);
  throw new UsageError(`unknown command "${command}".`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`marginalia: ${error.message}\n${usage}`);
    else process.stderr.write(`marginalia: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
