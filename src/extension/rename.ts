import * as vscode from 'vscode';
import {
  citationKeyProblem,
  citationKeyReplacements,
  definitionKeyText,
  definitionSpells,
  footnoteLabelProblem,
  footnoteLabelReplacements,
  personKeyProblem,
  personKeyReplacements,
  renameTargetAt,
  type AnnotationIndex,
  type NameProblem,
  type RenameRefusal,
  type RenameTarget,
  type SourceLocation,
  type TextReplacement,
} from '../core';
import { isAnnotatedText, languageId, type AnnotationService } from './annotationService';
import { register as registerDefinition, spanRange } from './definition';
import { definedEntryAt, definitionFiles, register as registerReferences, textsUsingDefinition, type IndexedText } from './references';

/** A rename that cannot be done. VS Code shows the message of an error thrown by a rename provider. */
class RenameRefused extends Error {}

function refusalMessage(refusal: RenameRefusal): string {
  switch (refusal) {
    case 'nothing':
      return vscode.l10n.t('Only a person key, a citation key or a footnote label can be renamed.');
    case 'unknown-person':
      return vscode.l10n.t('This person key is not defined in any sidecar, so there is nothing to rename. Fix the key or add the person to the sidecar.');
    case 'ambiguous-name':
      return vscode.l10n.t('This name belongs to more than one person. Rename the key from an explicit mention [[key]] instead.');
    case 'unknown-reference':
      return vscode.l10n.t('This citation key is not defined in any sidecar or bibliography, so there is nothing to rename.');
    case 'inline-footnote':
      return vscode.l10n.t('An inline note ^[…] has no label to rename.');
  }
}

type RenameKind = RenameTarget['kind'];

function problemMessage(problem: NameProblem, kind: RenameKind, newName: string): string {
  const what = kind === 'person' ? vscode.l10n.t('person key') : kind === 'reference' ? vscode.l10n.t('citation key') : vscode.l10n.t('footnote label');
  switch (problem) {
    case 'empty':
      return vscode.l10n.t('The new {0} is empty.', what);
    case 'whitespace':
      return vscode.l10n.t('A {0} cannot contain spaces or line breaks.', what);
    case 'forbidden-character':
      return kind === 'person'
        ? vscode.l10n.t('A person key cannot contain [, ] or |.')
        : kind === 'reference'
          ? vscode.l10n.t('A citation key cannot contain {0} or {1}.', '{', '}')
          : vscode.l10n.t('A footnote label cannot contain [, ] or ^.');
    case 'unchanged':
      return vscode.l10n.t('The new name is the same as the old one.');
    case 'exists':
      return kind === 'person'
        ? vscode.l10n.t('A person with the key "{0}" already exists.', newName)
        : kind === 'reference'
          ? vscode.l10n.t('A reference with the id "{0}" already exists.', newName)
          : vscode.l10n.t('A footnote with the label "{0}" already exists in this text.', newName);
  }
}

function checkNewName(kind: RenameKind, oldName: string, newName: string): void {
  const problem = newName === oldName ? 'unchanged' : kind === 'person' ? personKeyProblem(newName) : kind === 'reference' ? citationKeyProblem(newName) : footnoteLabelProblem(newName);
  if (problem) throw new RenameRefused(problemMessage(problem, kind, newName));
}

/** A key that a sidecar or bibliography defines, and a text that uses it, from which the others are found. */
interface DefinedKey {
  readonly kind: 'person' | 'reference';
  readonly key: string;
  readonly text: IndexedText;
}

/**
 * Renames a person key, a citation key or a footnote label everywhere it is
 * written: the texts that use it and the sidecar or bibliography that
 * defines it. A footnote label is local to its text, as in Pandoc. Keys can
 * also be renamed where a sidecar or bibliography defines them.
 */
export class AnnotationRenameProvider implements vscode.RenameProvider {
  constructor(private readonly service: AnnotationService) {}

  async prepareRename(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<{ range: vscode.Range; placeholder: string } | undefined> {
    if (!isAnnotatedText(document)) {
      const found = await definedEntryAt(this.service, document, position, token);
      if (!found.entry) {
        // A YAML or JSON file that is no text's sidecar is none of Marginalia's business: other rename providers may answer.
        if (!found.definesForSomeText) return undefined;
        throw new RenameRefused(vscode.l10n.t('In a sidecar, only a person key or a reference id can be renamed.'));
      }
      const source = found.entry.kind === 'person' ? found.entry.person.source : found.entry.reference.source;
      return { range: unquotedRange(document, spanRange(document, source.span)), placeholder: found.entry.kind === 'person' ? found.entry.person.key : found.entry.reference.id };
    }
    const target = targetAt(await this.service.getIndex(document), document, position);
    return { range: spanRange(document, target.span), placeholder: target.kind === 'footnote' ? target.label : target.key };
  }

  async provideRenameEdits(document: vscode.TextDocument, position: vscode.Position, requestedName: string, token: vscode.CancellationToken): Promise<vscode.WorkspaceEdit | undefined> {
    const newName = requestedName.trim();
    if (!isAnnotatedText(document)) {
      const found = await definedEntryAt(this.service, document, position, token);
      if (!found.entry) return undefined;
      const key = found.entry.kind === 'person' ? found.entry.person.key : found.entry.reference.id;
      checkNewName(found.entry.kind, key, newName);
      return this.renameDefinedKey({ kind: found.entry.kind, key, text: found.text }, newName, token);
    }
    const index = await this.service.getIndex(document);
    const target = targetAt(index, document, position);
    checkNewName(target.kind, target.kind === 'footnote' ? target.label : target.key, newName);
    if (target.kind !== 'footnote') return this.renameDefinedKey({ kind: target.kind, key: target.key, text: { document, index } }, newName, token);

    if (index.footnotes.some((f) => !f.inline && f.label === newName)) throw new RenameRefused(problemMessage('exists', 'footnote', newName));
    const edit = new vscode.WorkspaceEdit();
    addReplacements(edit, document, footnoteLabelReplacements(index, target.footnote, newName));
    return edit;
  }

  private async renameDefinedKey(target: DefinedKey, newName: string, token: vscode.CancellationToken): Promise<vscode.WorkspaceEdit | undefined> {
    const isPerson = target.kind === 'person';
    const definedIn = (i: AnnotationIndex): SourceLocation | undefined => (isPerson ? i.registry.people.get(target.key)?.source : i.registry.references.get(target.key)?.source);
    const exists = (i: AnnotationIndex): boolean => (isPerson ? i.registry.people.has(newName) : i.registry.references.has(newName));
    const source = definedIn(target.text.index);
    if (!source) throw new RenameRefused(refusalMessage(isPerson ? 'unknown-person' : 'unknown-reference'));
    if (target.text.index.registry.staleSidecars.includes(source.uri)) {
      throw new RenameRefused(vscode.l10n.t('The sidecar {0} has errors, so the key cannot be found in it reliably. Fix the sidecar first.', vscode.workspace.asRelativePath(vscode.Uri.parse(source.uri))));
    }

    const edit = new vscode.WorkspaceEdit();
    const texts = await textsUsingDefinition(this.service, target.text.document, source.uri, (i) => definedIn(i)?.uri === source.uri, [target.key], token);
    if (token.isCancellationRequested) return undefined;
    for (const { document: text, index: textIndex } of texts) {
      // The new key must be free in every text that will use it, not only in this one: a text may merge other sidecars.
      if (exists(textIndex)) throw new RenameRefused(problemMessage('exists', target.kind, newName));
      addReplacements(edit, text, isPerson ? personKeyReplacements(textIndex, target.key, newName) : citationKeyReplacements(textIndex, target.key, newName));
    }
    await renameDefinition(edit, source, target.key, newName);
    return edit;
  }
}

/** Rewrites only the key where the sidecar or bibliography defines it, so comments and layout stay as they are. */
async function renameDefinition(edit: vscode.WorkspaceEdit, source: SourceLocation, oldKey: string, newKey: string): Promise<void> {
  const uri = vscode.Uri.parse(source.uri);
  const definitionFile = await vscode.workspace.openTextDocument(uri);
  const range = spanRange(definitionFile, source.span);
  // Bibliography spans are the inside of a JSON string; sidecar spans are the whole YAML scalar, quotes included.
  const inJsonString = uri.path.toLowerCase().endsWith('.json');
  const written = definitionFile.getText(range);
  if (!definitionSpells(written, oldKey, inJsonString)) {
    throw new RenameRefused(vscode.l10n.t('{0} changed since it was last read. Try the rename again.', vscode.workspace.asRelativePath(uri)));
  }
  edit.replace(uri, range, definitionKeyText(written, newKey, inJsonString));
}

/** A quoted YAML key without its quotes, so the rename box shows only the key. */
function unquotedRange(document: vscode.TextDocument, range: vscode.Range): vscode.Range {
  const written = document.getText(range);
  const quoted = written.length >= 2 && (written[0] === '"' || written[0] === "'") && written.endsWith(written[0]);
  return quoted ? new vscode.Range(range.start.translate(0, 1), range.end.translate(0, -1)) : range;
}

function targetAt(index: AnnotationIndex, document: vscode.TextDocument, position: vscode.Position): RenameTarget {
  const target = renameTargetAt(index, document.offsetAt(position));
  if ('refused' in target) throw new RenameRefused(refusalMessage(target.refused));
  return target;
}

function addReplacements(edit: vscode.WorkspaceEdit, document: vscode.TextDocument, replacements: readonly TextReplacement[]): void {
  for (const replacement of replacements) edit.replace(document.uri, spanRange(document, replacement.span), replacement.newText);
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  context.subscriptions.push(vscode.languages.registerRenameProvider([{ language: languageId }, ...definitionFiles], new AnnotationRenameProvider(service)));
}

/** Go to definition, Find All References and Rename, which share how a key is found across texts and sidecars. */
export function registerNavigation(context: vscode.ExtensionContext, service: AnnotationService): void {
  registerDefinition(context, service);
  registerReferences(context, service);
  register(context, service);
}
