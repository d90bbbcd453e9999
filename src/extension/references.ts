import * as vscode from 'vscode';
import { citationsOf, entriesInOrder, entryDefinedAt, findAt, mentionsOf, type AnnotationIndex, type DefinedEntry, type Person, type Reference, type Span } from '../core';
import { isAnnotatedText, languageId, type AnnotationService } from './annotationService';
import { definitionLocation, spanRange } from './definition';
import { openDocument } from './workspaceReader';

/** One annotated text with its index, for features that work across texts. */
export interface IndexedText {
  readonly document: vscode.TextDocument;
  readonly index: AnnotationIndex;
}

// Opening and indexing every text of a huge workspace would stall the editor; past this many, the rest are skipped.
const maxTextsSearched = 2000;

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  const open = openDocument(uri.toString());
  if (open) return open.getText();
  try {
    return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/**
 * The annotated texts, `document` first, whose index satisfies `usesDefinition`
 * (typically: takes a key from the same sidecar). Candidates are the
 * workspace's `*.annot.md` files, the open texts and the texts the service
 * knows depend on `definitionUri`, so texts outside the workspace folder
 * count while they are open. A text that contains none of `needles` cannot
 * use the key and is not opened at all.
 */
export async function textsUsingDefinition(
  service: AnnotationService,
  document: vscode.TextDocument,
  definitionUri: string,
  usesDefinition: (index: AnnotationIndex) => boolean,
  needles: readonly string[],
  token: vscode.CancellationToken,
): Promise<IndexedText[]> {
  const candidates = new Map<string, vscode.Uri>([[document.uri.toString(), document.uri]]);
  for (const open of vscode.workspace.textDocuments) if (isAnnotatedText(open)) candidates.set(open.uri.toString(), open.uri);
  for (const dependent of service.dependentsOf(definitionUri)) candidates.set(dependent.toString(), dependent);
  for (const file of await vscode.workspace.findFiles('**/*.annot.md', undefined, maxTextsSearched, token)) candidates.set(file.toString(), file);

  const texts: IndexedText[] = [];
  for (const [key, uri] of candidates) {
    if (token.isCancellationRequested) break;
    let other = document;
    if (key !== document.uri.toString()) {
      const text = await readText(uri);
      if (text === undefined || !needles.some((needle) => needle !== '' && text.includes(needle))) continue;
      other = await vscode.workspace.openTextDocument(uri);
    }
    const index = await service.getIndex(other);
    if (usesDefinition(index)) texts.push({ document: other, index });
  }
  return texts;
}

/**
 * The person or reference whose key is written at `position` of a sidecar or
 * bibliography, with a text that uses it. Only texts know their sidecars, so
 * the entry is looked up in the index of one: the open ones first, then the
 * texts beside the file, which is where most sidecars live. Without an
 * entry, says whether the file is a sidecar or bibliography of some text at all.
 */
export async function definedEntryAt(
  service: AnnotationService,
  document: vscode.TextDocument,
  position: vscode.Position,
  token: vscode.CancellationToken,
): Promise<{ entry: DefinedEntry; text: IndexedText } | { entry: undefined; definesForSomeText: boolean }> {
  const uri = document.uri.toString();
  const offset = document.offsetAt(position);
  const candidates = new Map<string, vscode.Uri>();
  for (const dependent of service.dependentsOf(uri)) candidates.set(dependent.toString(), dependent);
  for (const open of vscode.workspace.textDocuments) if (isAnnotatedText(open)) candidates.set(open.uri.toString(), open.uri);
  const folder = vscode.Uri.joinPath(document.uri, '..');
  for (const file of await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '*.annot.md'), undefined, 50, token)) candidates.set(file.toString(), file);
  let definesForSomeText = false;
  for (const candidate of candidates.values()) {
    if (token.isCancellationRequested) break;
    const text = await vscode.workspace.openTextDocument(candidate);
    const index = await service.getIndex(text);
    const entry = entryDefinedAt(index.registry, uri, offset);
    if (entry) return { entry, text: { document: text, index } };
    definesForSomeText ||= index.registry.sidecars.includes(uri) || [...entriesInOrder(index.registry.references)].some((r) => r.source.uri === uri);
  }
  return { entry: undefined, definesForSomeText };
}

/** Find All References: every mention of a person, every citation of a key, every reference to a footnote. */
export class AnnotationReferenceProvider implements vscode.ReferenceProvider {
  constructor(private readonly service: AnnotationService) {}

  async provideReferences(document: vscode.TextDocument, position: vscode.Position, context: vscode.ReferenceContext, token: vscode.CancellationToken): Promise<vscode.Location[] | undefined> {
    if (!isAnnotatedText(document)) return this.referencesFromDefinition(document, position, context, token);
    const index = await this.service.getIndex(document);
    if (token.isCancellationRequested) return undefined;
    const found = findAt(index, document.offsetAt(position));
    const here = (spans: readonly Span[]): vscode.Location[] => spans.map((span) => new vscode.Location(document.uri, spanRange(document, span)));
    switch (found?.kind) {
      case 'mention': {
        const { mention } = found;
        const person = mention.person === null ? undefined : index.registry.people.get(mention.person);
        if (!person) {
          // An unknown key still has its other uses in this text, which is where it can be fixed.
          if (!mention.explicit || mention.writtenKey === null) return undefined;
          return here(index.mentions.filter((m) => m.explicit && m.writtenKey === mention.writtenKey).map((m) => m.span));
        }
        return this.personReferences(document, person, context, token);
      }
      case 'citation': {
        const item = found.item;
        if (!item) return undefined;
        const reference = index.registry.references.get(item.key);
        if (!reference) return here(citationsOf(index, item.key).map((c) => c.item.keySpan));
        return this.referenceReferences(document, reference, context, token);
      }
      case 'footnoteRef':
      case 'footnoteDefinition': {
        // Footnote labels are local to their text, as in Pandoc.
        const spans = index.footnoteRefs.filter((r) => r.footnote === found.index).map((r) => r.span);
        if (context.includeDeclaration && found.footnote.definitionLabel) spans.push(found.footnote.definitionLabel);
        return here(spans);
      }
      default:
        return undefined;
    }
  }

  /** From the key where a sidecar or bibliography defines a person or reference. */
  private async referencesFromDefinition(document: vscode.TextDocument, position: vscode.Position, context: vscode.ReferenceContext, token: vscode.CancellationToken): Promise<vscode.Location[] | undefined> {
    const found = await definedEntryAt(this.service, document, position, token);
    if (!found.entry) return undefined;
    return found.entry.kind === 'person'
      ? this.personReferences(found.text.document, found.entry.person, context, token)
      : this.referenceReferences(found.text.document, found.entry.reference, context, token);
  }

  private async personReferences(document: vscode.TextDocument, person: Person, context: vscode.ReferenceContext, token: vscode.CancellationToken): Promise<vscode.Location[]> {
    const texts = await textsUsingDefinition(
      this.service,
      document,
      person.source.uri,
      (other) => other.registry.people.get(person.key)?.source.uri === person.source.uri,
      [person.key, person.name, ...person.aliases],
      token,
    );
    const locations = texts.flatMap(({ document: d, index: i }) => mentionsOf(i, person.key).map((m) => new vscode.Location(d.uri, spanRange(d, m.span))));
    if (context.includeDeclaration) locations.push(await definitionLocation(person.source));
    return locations;
  }

  private async referenceReferences(document: vscode.TextDocument, reference: Reference, context: vscode.ReferenceContext, token: vscode.CancellationToken): Promise<vscode.Location[]> {
    const texts = await textsUsingDefinition(this.service, document, reference.source.uri, (other) => other.registry.references.get(reference.id)?.source.uri === reference.source.uri, [reference.id], token);
    const locations = texts.flatMap(({ document: d, index: i }) => citationsOf(i, reference.id).map((c) => new vscode.Location(d.uri, spanRange(d, c.item.keySpan))));
    if (context.includeDeclaration) locations.push(await definitionLocation(reference.source));
    return locations;
  }
}

/** Sidecars and CSL-JSON bibliographies, where Find All References and Rename also work on the keys they define. */
export const definitionFiles: readonly vscode.DocumentFilter[] = [{ pattern: '**/*.{yaml,yml}' }, { pattern: '**/*.json' }];

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  context.subscriptions.push(vscode.languages.registerReferenceProvider([{ language: languageId }, ...definitionFiles], new AnnotationReferenceProvider(service)));
}
