import * as vscode from 'vscode';
import {
  ambiguousNameCardMarkdown,
  citationCardMarkdown,
  findAt,
  footnoteCardMarkdown,
  mentionsOf,
  personCardMarkdown,
  unknownPersonCardMarkdown,
  type AnnotationIndex,
  type CardOptions,
  type Found,
  type Person,
} from '../core';
import { languageId, type AnnotationService } from './annotationService';
import { withFormattedReference } from './citationStyles';

/**
 * How long a hover waits for the index of a text whose sidecar or library has
 * just changed, before it shows the card from before the change, saying so:
 * a large sidecar takes a second or more to read again, a hover should not.
 */
const glanceGraceMs = 50;

/** Hover cards for people, citations and footnotes: what is under the cursor, asked of the index. */
export class AnnotationHoverProvider implements vscode.HoverProvider {
  constructor(private readonly service: AnnotationService) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const askedAt = performance.now();
    try {
      return await this.hoverAt(document, position, token);
    } finally {
      this.service.stats.lastHover = { askedAt, answeredAt: performance.now() };
    }
  }

  private async hoverAt(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const { index, rereading } = await this.service.indexForGlance(document, glanceGraceMs);
    if (token.isCancellationRequested) return undefined;
    const found = findAt(index, document.offsetAt(position));
    if (!found) return undefined;
    const card = cardFor(index, found, { t: (message, ...args) => vscode.l10n.t(message, ...args), staleSidecars: index.registry.staleSidecars, rereading, imageRoots: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString()) });
    if (card === undefined) return undefined;
    // The reference as the chosen CSL style writes it; the plain text stays when the engine cannot format it.
    const markdown = await withFormattedReference(card, index, found);
    if (token.isCancellationRequested) return undefined;
    return new vscode.Hover(untrustedMarkdown(markdown), spanRange(document, found));
  }
}

/** The card text comes from the user's files: nothing in it may run commands, render HTML or draw icons. */
function untrustedMarkdown(markdown: string): vscode.MarkdownString {
  const content = new vscode.MarkdownString(markdown, false);
  content.isTrusted = false;
  content.supportHtml = false;
  content.supportThemeIcons = false;
  return content;
}

function spanRange(document: vscode.TextDocument, found: Found): vscode.Range {
  const span = found.kind === 'mention' ? found.mention.span : found.kind === 'citation' ? (found.item?.keySpan ?? found.citation.span) : found.span;
  return new vscode.Range(document.positionAt(span.start), document.positionAt(span.end));
}

function cardFor(index: AnnotationIndex, found: Found, options: CardOptions): string | undefined {
  const registry = index.registry;
  switch (found.kind) {
    case 'mention': {
      const { mention } = found;
      const person = mention.person !== null ? registry.people.get(mention.person) : undefined;
      if (person) return personCardMarkdown(person, mentionsOf(index, person.key).length, options);
      if (mention.explicit) return unknownPersonCardMarkdown(mention.writtenKey ?? '', index.sidecars, options);
      const claimants = (registry.names.get(mention.text) ?? []).map((key) => registry.people.get(key)).filter((p): p is Person => p !== undefined);
      return ambiguousNameCardMarkdown(mention.text, claimants, options);
    }
    case 'citation':
      // Between the items of a bracketed citation there is nothing to describe.
      if (!found.item) return undefined;
      return citationCardMarkdown(found.item, registry.references.get(found.item.key), options);
    case 'footnoteRef':
      return footnoteCardMarkdown(found.footnote, options);
    case 'footnoteDefinition':
      // The note's text is right there under the cursor.
      return undefined;
  }
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  context.subscriptions.push(vscode.languages.registerHoverProvider({ language: languageId }, new AnnotationHoverProvider(service)));
}
