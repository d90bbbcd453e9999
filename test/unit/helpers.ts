import fc from 'fast-check';
import { buildIndex, loadTextContext, type AnnotationIndex, type Bibliography, type FileContent, type FileReader, type ParsedStore, type TextDigester } from '../../src/core';

/** An in-memory workspace: file URIs to texts (as an open editor gives them) or bytes (as stored on disk). */
export class MemoryReader implements FileReader {
  readonly files = new Map<string, string | Uint8Array>();

  constructor(files: Record<string, string | Uint8Array> = {}) {
    for (const [path, text] of Object.entries(files)) this.files.set(fileUri(path), text);
  }

  read(uri: string, maxBytes: number): Promise<FileContent | undefined> {
    const content = this.files.get(uri);
    if (content === undefined) return Promise.resolve(undefined);
    if (typeof content === 'string') return Promise.resolve({ kind: 'text', text: content });
    return Promise.resolve(content.byteLength > maxBytes ? { kind: 'tooLarge', size: content.byteLength } : { kind: 'bytes', bytes: content });
  }
}

export function fileUri(path: string): string {
  return `file:///work/${path.replace(/^\/+/, '')}`;
}

/** Indexes `essay.annot.md` with `essay.yaml` (when given) and any other files. */
export async function indexText(text: string, sidecar?: string, others: Record<string, string> = {}, name = 'essay.annot.md'): Promise<AnnotationIndex> {
  const files: Record<string, string> = { ...others, [name]: text };
  if (sidecar !== undefined) files[name.replace(/\.annot\.md$/, '.yaml')] = sidecar;
  const reader = new MemoryReader(files);
  const uri = fileUri(name);
  return buildIndex({ uri, text }, await loadTextContext(uri, text, reader));
}

export const people = `people:
  kropotkin:
    name: Peter Kropotkin
    aliases: [Kropotkin, Пётр Кропоткин]
    born: "1842"
    died: "1921"
    description: Anarchist geographer
  lenin:
    name: Vladimir Lenin
    aliases: [Lenin, Ленин, V. I. Lenin]
  bonch:
    name: Vladimir Bonch-Bruevich
    aliases: [Bonch-Bruevich]
  quiet:
    name: Will
    implicit: false
references:
  - id: shub1953
    type: article-journal
    title: Kropotkin and Lenin
    author: [{family: Shub, given: David}]
    issued: {date-parts: [[1953]]}
    container-title: The Russian Review
    volume: 12
    issue: 4
    page: 227-234
  - id: woodcock1950
    type: book
    title: The Anarchist Prince
    author: [{family: Woodcock, given: George}, {family: Avakumović, given: Ivan}]
    issued: {date-parts: [[1950]]}
    publisher: T. V. Boardman
    publisher-place: London
`;

/** The text at a span, for readable assertions. */
export function at(index: AnnotationIndex, span: { start: number; end: number }): string {
  return index.text.slice(span.start, span.end);
}

/**
 * A bibliography with its references as plain data: a library read in steps
 * keeps each item as its text, behind a getter, and is compared by what it gives.
 */
export function plainBibliography(bibliography: Bibliography): Bibliography {
  return { ...bibliography, references: bibliography.references.map(({ id, item, source }) => ({ id, item, source })) };
}

/** Runs `body` with every call of `JSON.parse` counted: `parses()` says how many so far. */
export async function countingJsonParses<T>(body: (parses: () => number) => T | Promise<T>): Promise<T> {
  const parse = JSON.parse;
  let count = 0;
  JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
    count++;
    return parse(...args) as unknown;
  }) as typeof JSON.parse;
  try {
    return await body(() => count);
  } finally {
    JSON.parse = parse;
  }
}

/**
 * Texts made from one of `bases` by one to `maxEdits` random edits, each
 * removing up to `maxRemoved` characters somewhere and writing one of
 * `snippets` there.
 */
export function editedTexts(bases: readonly string[], snippets: readonly string[], { maxEdits = 3, maxRemoved = 4 } = {}): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.integer({ min: 0, max: maxRemoved }), insert: fc.constantFrom(...snippets) });
  return fc.tuple(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(edit, { minLength: 1, maxLength: maxEdits })).map(([which, edits]) => {
    let text = bases[which];
    for (const { at, remove, insert } of edits) {
      const offset = Math.floor(at * text.length);
      text = text.slice(0, offset) + insert + text.slice(offset + remove);
    }
    return text;
  });
}

/** Records kept in memory as a store keeps them on disk, counting what it is asked. */
export class MemoryStore implements ParsedStore {
  readonly records = new Map<string, string>();
  reads = 0;
  writes = 0;
  /** The pieces each digest was fed, for the test of the digest in steps. */
  readonly pieces: string[][] = [];

  digester(): TextDigester {
    let hash = 0;
    let length = 0;
    const pieces: string[] = [];
    this.pieces.push(pieces);
    return {
      update(piece: string): void {
        pieces.push(piece);
        length += piece.length;
        for (let i = 0; i < piece.length; i++) hash = (Math.imul(hash, 31) + piece.charCodeAt(i)) | 0;
      },
      digest: () => `${length}:${hash}`,
    };
  }

  read(uri: string): Promise<string | undefined> {
    this.reads++;
    return Promise.resolve(this.records.get(uri));
  }

  write(uri: string, record: string): Promise<void> {
    this.writes++;
    this.records.set(uri, record);
    return Promise.resolve();
  }
}
