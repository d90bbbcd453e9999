import * as vscode from 'vscode';
import {
  appendPerson,
  isImplicitMentionOf,
  mentionSelectionProblem,
  mentionText,
  newPersonKeyProblem,
  normalizeSpaces,
  peopleSearchFor,
  selectionOverlapsMarkup,
  personKeyFromName,
  trimSpan,
  type AnnotationIndex,
  type AppendPersonResult,
  type NameProblem,
  type Person,
  type SelectionProblem,
  type Span,
} from '../../core';
import type { AnnotationService } from '../annotationService';
import type { OpenSidecarCommand } from './openSidecar';
import { yieldToEventLoop } from '../eventLoop';

/** Who the selection is about: an existing person, or a new one to add to the sidecar. */
interface Choice {
  readonly key: string;
  /** Set for a new person. */
  readonly newName?: string;
}

interface PersonItem extends vscode.QuickPickItem {
  readonly key?: string;
}

type PersonFields = Pick<Person, 'key' | 'name' | 'aliases' | 'implicit'>;


/**
 * `marginalia.annotatePerson`: ties the selected text to a person, wrapping it
 * as `[[key|text]]` (or `[[key]]`), and adds a new person to the text's sidecar.
 * With `{key}` it uses that person, with `{key, name}` it creates one, without asking.
 */
export class AnnotatePersonCommand {
  constructor(
    private readonly service: AnnotationService,
    private readonly indexOf: (document: vscode.TextDocument) => Promise<AnnotationIndex | undefined>,
    private readonly sidecars: OpenSidecarCommand,
  ) {}

  async run(editor: vscode.TextEditor, args: unknown): Promise<boolean> {
    const document = editor.document;
    const before = await this.indexOf(document);
    if (!before) return this.warn(vscode.l10n.t('The text kept changing, so nothing was changed. Try again.'));
    const span = selectedSpan(editor, before.text);
    const selected = before.text.slice(span.start, span.end);
    const problem = mentionSelectionProblem(selected);
    if (problem) return this.warn(selectionProblemMessage(problem));
    if (selectionOverlapsMarkup(before, span)) {
      return this.warn(vscode.l10n.t('The selection overlaps a mention, a citation or a footnote marker. Select plain text.'));
    }

    const choice = args !== undefined && args !== null ? this.choiceFromArgs(before, args) : await this.ask(before, selected);
    if (!choice) return false;

    const person: PersonFields | undefined = choice.newName !== undefined ? { key: choice.key, name: choice.newName, aliases: [], implicit: true } : before.registry.people.get(choice.key);
    if (!person) return false;
    if (choice.newName !== undefined && !(await this.addPerson(before, choice.key, choice.newName))) return false;

    const implicitMentions = vscode.workspace.getConfiguration('marginalia', document.uri).get<boolean>('implicitMentions', true);
    if (isImplicitMentionOf(selected, person, before.registry, implicitMentions)) {
      // The name already counts as a mention: wrapping it would change nothing but the text.
      if (choice.newName === undefined) void vscode.window.showInformationMessage(vscode.l10n.t('“{0}” is already a mention of {1}.', normalizeSpaces(selected), person.name));
      return choice.newName !== undefined;
    }

    // The user may have typed while the picker was open: find the same selected text again, or change nothing.
    let target = span;
    if (document.version !== before.version) {
      const now = await this.indexOf(document);
      if (!now) return this.warn(vscode.l10n.t('The text kept changing, so nothing was changed. Try again.'));
      target = selectedSpan(editor, now.text);
      if (now.text.slice(target.start, target.end) !== selected || selectionOverlapsMarkup(now, target)) {
        return this.warn(vscode.l10n.t('The selection changed while the person was being chosen, so the text was not changed.'));
      }
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(document.positionAt(target.start), document.positionAt(target.end)), mentionText(selected, choice.key));
    return vscode.workspace.applyEdit(edit);
  }

  private choiceFromArgs(index: AnnotationIndex, args: unknown): Choice | undefined {
    const { key, name } = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
    if (typeof key !== 'string' || (name !== undefined && typeof name !== 'string')) {
      this.error(vscode.l10n.t('Annotate Selection as Person expects arguments like {"key": "lenin"} or {"key": "lunacharsky", "name": "Anatoly Lunacharsky"}.'));
      return undefined;
    }
    if (index.registry.people.has(key)) return { key };
    if (name === undefined || normalizeSpaces(name) === '') {
      this.error(vscode.l10n.t('No person with the key "{0}" in the sidecars of this text. Give a name to add one.', key));
      return undefined;
    }
    const problem = newPersonKeyProblem(key, index.registry.people.keys());
    if (problem) {
      this.error(keyProblemMessage(problem));
      return undefined;
    }
    return { key, newName: normalizeSpaces(name) };
  }

  /** The picker: a new person named by the selection first, then the people ranked by fuzzy search. */
  private async ask(index: AnnotationIndex, selected: string): Promise<Choice | undefined> {
    const name = normalizeSpaces(selected);
    // One search per registry; built in slices so that ten thousand people do not freeze the editor.
    const search = await peopleSearchFor(index.registry).prepareInSlices(yieldToEventLoop);
    const newItem: PersonItem = { label: `$(add) ${vscode.l10n.t('New person “{0}”…', name)}`, alwaysShow: true };
    const personItem = (person: Person): PersonItem => ({
      key: person.key,
      label: person.name,
      description: person.key,
      detail: person.description,
      // QuickPick hides items its own matcher rejects; alwaysShow keeps fuse's ranking, aliases and misspellings included.
      alwaysShow: true,
    });
    const picker = vscode.window.createQuickPick<PersonItem>();
    picker.title = vscode.l10n.t('Annotate Selection as Person');
    picker.placeholder = vscode.l10n.t('Search people by name or alias');
    picker.matchOnDescription = false;
    picker.matchOnDetail = false;
    const show = (query: string): void => {
      picker.items = [newItem, ...search.search(query).map(personItem)];
    };
    const ranked = search.search(name);
    picker.items = [newItem, ...(ranked.length > 0 ? ranked : search.search('')).map(personItem)];
    // Start on the best match when the selection names someone already known.
    if (ranked.length > 0) picker.activeItems = [picker.items[1]];

    const picked = await new Promise<PersonItem | undefined>((resolve) => {
      let result: PersonItem | undefined;
      picker.onDidChangeValue(show);
      picker.onDidAccept(() => {
        result = picker.selectedItems[0] ?? picker.activeItems[0];
        picker.hide();
      });
      picker.onDidHide(() => {
        picker.dispose();
        resolve(result);
      });
      picker.show();
    });
    if (!picked) return undefined;
    if (picked.key !== undefined) return { key: picked.key };

    const existing = [...index.registry.people.keys()];
    const key = await vscode.window.showInputBox({
      title: vscode.l10n.t('New person “{0}”', name),
      prompt: vscode.l10n.t('The key used in [[key]] mentions: short, lowercase, without spaces'),
      value: personKeyFromName(name, existing),
      validateInput: (value) => {
        const problem = newPersonKeyProblem(value, existing);
        return problem ? keyProblemMessage(problem) : undefined;
      },
    });
    return key === undefined ? undefined : { key, newName: name };
  }

  /** Appends the person to the text's own sidecar (created if missing) and saves it. */
  private async addPerson(index: AnnotationIndex, key: string, name: string): Promise<boolean> {
    const sidecar = await this.sidecars.sidecarDocument(index);
    const result = appendPerson(sidecar.getText(), key, { name });
    if (!result.ok) {
      this.error(appendProblemMessage(result.reason, vscode.workspace.asRelativePath(sidecar.uri, false), key));
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(sidecar.uri, new vscode.Range(sidecar.positionAt(result.edit.span.start), sidecar.positionAt(result.edit.span.end)), result.edit.text);
    if (!(await vscode.workspace.applyEdit(edit))) return false;
    if (!(await sidecar.save())) {
      this.error(vscode.l10n.t('{0} was updated but could not be saved.', vscode.workspace.asRelativePath(sidecar.uri, false)));
    }
    // The text depends on its sidecar; make sure its index sees the new person even outside the workspace.
    this.service.refresh();
    return true;
  }

  private warn(message: string): boolean {
    void vscode.window.showWarningMessage(message);
    return false;
  }

  private error(message: string): void {
    void vscode.window.showErrorMessage(message);
  }
}

/** The selection without surrounding whitespace, as offsets into the text. */
function selectedSpan(editor: vscode.TextEditor, text: string): Span {
  const document = editor.document;
  return trimSpan(text, { start: document.offsetAt(editor.selection.start), end: document.offsetAt(editor.selection.end) });
}

function selectionProblemMessage(problem: SelectionProblem): string {
  switch (problem) {
    case 'empty':
      return vscode.l10n.t('Select the name or words that refer to the person first.');
    case 'paragraph-break':
      return vscode.l10n.t('A mention cannot span paragraphs: select text within one paragraph.');
    case 'bracket':
      return vscode.l10n.t('The selection contains brackets, which a [[key|text]] mention cannot hold. Select plain text.');
  }
}

function keyProblemMessage(problem: NameProblem): string {
  switch (problem) {
    case 'empty':
      return vscode.l10n.t('Enter a key.');
    case 'whitespace':
      return vscode.l10n.t('A key cannot contain spaces.');
    case 'forbidden-character':
      return vscode.l10n.t('A key cannot contain [, ] or |.');
    case 'exists':
    case 'unchanged':
      return vscode.l10n.t('This key is already used by another person.');
  }
}

function appendProblemMessage(reason: Extract<AppendPersonResult, { ok: false }>['reason'], sidecar: string, key: string): string {
  switch (reason) {
    case 'invalid-yaml':
      return vscode.l10n.t('{0} has YAML errors; fix them before adding a person, so nothing in it is lost.', sidecar);
    case 'not-a-mapping':
      return vscode.l10n.t('{0} is not a mapping with people: and references:, so the person was not added.', sidecar);
    case 'people-not-a-mapping':
      return vscode.l10n.t('people: in {0} is not a mapping of keys to people, so the person was not added.', sidecar);
    case 'taken':
      return vscode.l10n.t('{0} already has a person with the key "{1}".', sidecar, key);
  }
}
