import * as vscode from 'vscode';
import { authorsShort, authorYear, entriesInOrder, lifeDates, referenceText, yearOf, type AnnotationIndex } from '../core';
import { languageId, type AnnotationService } from './annotationService';

/** What the cursor is completing, read from the line up to the cursor; the document itself comes from the index. */
type CompletionContextKind = { readonly kind: 'citation' | 'person' | 'footnote'; readonly typed: string };

// Pandoc citation keys start with a letter, digit or _, and may contain internal punctuation.
const citationBefore = /(?:^|[\s[;(])-?@\{?([\w:.#$%&+?<>~/-]*)$/;
const personBefore = /\[\[([^\]|\s]*)$/;
const footnoteBefore = /\[\^([^\]\s]*)$/;

export function completionContextAt(lineBeforeCursor: string): CompletionContextKind | undefined {
  const person = personBefore.exec(lineBeforeCursor);
  if (person) return { kind: 'person', typed: person[1] };
  const footnote = footnoteBefore.exec(lineBeforeCursor);
  if (footnote) return { kind: 'footnote', typed: footnote[1] };
  const citation = citationBefore.exec(lineBeforeCursor);
  if (citation) return { kind: 'citation', typed: citation[1] };
  return undefined;
}

/** Completes citation keys after `@`, people keys after `[[` and footnote labels after `[^`. */
export class AnnotationCompletionProvider implements vscode.CompletionItemProvider {
  constructor(private readonly service: AnnotationService) {}

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.CompletionItem[] | undefined> {
    const line = document.lineAt(position.line).text;
    const context = completionContextAt(line.slice(0, position.character));
    if (!context) return undefined;
    const index = await this.service.getIndex(document);
    if (token.isCancellationRequested) return undefined;
    const replace = new vscode.Range(position.translate(0, -context.typed.length), position);
    const after = line.slice(position.character);
    switch (context.kind) {
      case 'citation':
        return citationItems(index, replace);
      case 'person':
        return personItems(index, replace, after);
      case 'footnote':
        return footnoteItems(index, replace, after);
    }
  }
}

function citationItems(index: AnnotationIndex, range: vscode.Range): vscode.CompletionItem[] {
  return [...entriesInOrder(index.registry.references)].map((reference) => {
    const item = new vscode.CompletionItem(reference.id, vscode.CompletionItemKind.Reference);
    item.range = range;
    item.detail = authorYear(reference.item);
    item.documentation = referenceText(reference.item);
    const title = typeof reference.item.title === 'string' ? reference.item.title : '';
    // Typing an author, a year or a word of the title finds the key.
    item.filterText = [reference.id, authorsShort(reference.item), yearOf(reference.item.issued), title].filter(Boolean).join(' ');
    return item;
  });
}

function personItems(index: AnnotationIndex, range: vscode.Range, after: string): vscode.CompletionItem[] {
  // Close the mention only when the user has not already: `[[` typed alone, not `[[|]]`.
  const close = after.startsWith(']]') || after.startsWith('|') ? '' : ']]';
  return [...index.registry.people.values()].map((person) => {
    const item = new vscode.CompletionItem(person.key, vscode.CompletionItemKind.User);
    item.range = range;
    item.detail = person.name;
    const dates = lifeDates(person);
    item.documentation = [person.description ?? '', dates ? `(${dates})` : ''].filter(Boolean).join(' ');
    item.filterText = [person.key, person.name, ...person.aliases].join(' ');
    item.insertText = person.key + close;
    return item;
  });
}

function footnoteItems(index: AnnotationIndex, range: vscode.Range, after: string): vscode.CompletionItem[] {
  const close = after.startsWith(']') ? '' : ']';
  const defined = index.footnotes.filter((note) => !note.inline && note.definition !== null);
  const items = defined.map((note) => {
    const item = new vscode.CompletionItem(note.label, vscode.CompletionItemKind.Reference);
    item.range = range;
    item.detail = firstWords(note.text, 12);
    item.documentation = note.text;
    item.insertText = note.label + close;
    return item;
  });
  const used = new Set(index.footnotes.map((note) => note.label));
  let next = 1;
  while (used.has(String(next))) next++;
  const fresh = new vscode.CompletionItem(String(next), vscode.CompletionItemKind.Value);
  fresh.range = range;
  fresh.detail = vscode.l10n.t('New footnote');
  fresh.insertText = String(next) + close;
  // After the notes that exist, which are what one usually means.
  fresh.sortText = `~${String(next)}`;
  items.push(fresh);
  return items;
}

export function firstWords(text: string, count: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  return words.slice(0, count).join(' ') + (words.length > count ? ' …' : '');
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  context.subscriptions.push(vscode.languages.registerCompletionItemProvider({ language: languageId }, new AnnotationCompletionProvider(service), '@', '[', '^'));
}
