import * as vscode from 'vscode';
import { authorYear, citationInsertion, referenceContainerText, referenceSearchFor, type AnnotationIndex, type CslItem, type Reference } from '../../core';
import { referenceDetailFormatter } from '../citationStyles';
import { yieldToEventLoop } from '../eventLoop';

interface InsertCitationArgs {
  readonly keys: readonly string[];
  readonly locator?: string;
}

interface ReferenceItem extends vscode.QuickPickItem {
  readonly reference: Reference;
}

function isInsertCitationArgs(value: unknown): value is InsertCitationArgs {
  if (typeof value !== 'object' || value === null) return false;
  const { keys, locator } = value as Record<string, unknown>;
  return Array.isArray(keys) && keys.length > 0 && keys.every((k) => typeof k === 'string') && (locator === undefined || typeof locator === 'string');
}

/**
 * `marginalia.insertCitation`: pick references, optionally give a locator, and
 * insert `[@key, p. 229]` at the cursor, or `; @key` inside the bracketed
 * citation the cursor is in. With `{keys, locator?}` it inserts without asking.
 */
export class InsertCitationCommand {
  constructor(private readonly indexOf: (document: vscode.TextDocument) => Promise<AnnotationIndex | undefined>) {}

  async run(editor: vscode.TextEditor, args: unknown): Promise<boolean> {
    const document = editor.document;
    const before = await this.indexOf(document);
    if (!before) return this.changedWhileWorking();

    let keys: readonly string[];
    let locator: string;
    if (args !== undefined && args !== null) {
      if (!isInsertCitationArgs(args)) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Insert Citation expects arguments like {"keys": ["shub1953"], "locator": "p. 229"}.'));
        return false;
      }
      const unknown = args.keys.filter((key) => !before.registry.references.has(key));
      if (unknown.length > 0) {
        void vscode.window.showErrorMessage(vscode.l10n.t('No reference with the key {0} in the sidecars or bibliographies of this text.', unknown.join(', ')));
        return false;
      }
      keys = args.keys;
      locator = args.locator ?? '';
    } else {
      if (before.registry.references.size === 0) {
        const open = vscode.l10n.t('Open Sidecar');
        const choice = await vscode.window.showInformationMessage(vscode.l10n.t('This text has no references yet. Add them under references: in its sidecar, or name a CSL-JSON bibliography there.'), open);
        if (choice === open) await vscode.commands.executeCommand('marginalia.openSidecar', document.uri);
        return false;
      }
      const picked = await pickReferences(before, await referenceDetailFormatter());
      if (!picked || picked.length === 0) return false;
      const typed = await vscode.window.showInputBox({
        title: vscode.l10n.t('Locator'),
        prompt: vscode.l10n.t('Page or other locator, or leave empty for none'),
        placeHolder: vscode.l10n.t('p. 229'),
      });
      // Escape on the locator cancels the whole citation, as Escape on the picker does.
      if (typed === undefined) return false;
      keys = picked.map((r) => r.id);
      locator = typed;
    }

    // The user may have typed while the picker was open: work from the text and selection as they are now.
    const index = document.version === before.version ? before : await this.indexOf(document);
    if (!index) return this.changedWhileWorking();
    const selection = { start: document.offsetAt(editor.selection.start), end: document.offsetAt(editor.selection.end) };
    const insertion = citationInsertion(index, selection, keys, locator);
    const range = new vscode.Range(document.positionAt(insertion.span.start), document.positionAt(insertion.span.end));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, range, insertion.text);
    const version = document.version;
    // VS Code rejects an edit made against a version the document has left: say so rather than fail silently.
    if (!(await vscode.workspace.applyEdit(edit))) return this.changedWhileWorking();
    if (document.version === version + 1 && insertion.span.start === selection.start) {
      // A new citation: leave the cursor after it, ready to keep writing.
      const after = document.positionAt(insertion.span.start + insertion.text.length);
      editor.selection = new vscode.Selection(after, after);
    }
    return true;
  }

  private changedWhileWorking(): boolean {
    void vscode.window.showWarningMessage(vscode.l10n.t('The text kept changing, so nothing was inserted. Try again.'));
    return false;
  }
}

function referenceItem(reference: Reference, formatted: (item: CslItem) => string | undefined = () => undefined): ReferenceItem {
  const title = reference.item.title;
  return {
    reference,
    label: authorYear(reference.item),
    description: typeof title === 'string' ? title : undefined,
    // The reference as the chosen style writes it, else where it appeared.
    detail: formatted(reference.item) ?? (referenceContainerText(reference.item) || undefined),
    // QuickPick hides items its own matcher rejects; alwaysShow keeps fuse's ranking, so "woodcok" still finds Woodcock.
    alwaysShow: true,
  };
}


/** A multi-select picker ranked by fuzzy search; resolves to the chosen references, or undefined on Escape. */
function pickReferences(index: AnnotationIndex, formatted: (item: CslItem) => string | undefined): Promise<Reference[] | undefined> {
  // One search per registry, often built in the background already; a large library's first takes a few hundred milliseconds.
  const search = referenceSearchFor(index.registry);
  const picker = vscode.window.createQuickPick<ReferenceItem>();
  picker.title = vscode.l10n.t('Insert Citation');
  picker.placeholder = vscode.l10n.t('Search by author, year, title or key; check several to cite them together');
  picker.canSelectMany = true;
  picker.matchOnDescription = false;
  picker.matchOnDetail = false;
  const chosen = new Map<string, Reference>();

  const show = (query: string): void => {
    // Until the search is built, in slices that keep the editor responsive, a query waits; the first references show meanwhile.
    if (query.trim() !== '' && !search.isPrepared) return;
    const ranked = search.search(query).map((r) => referenceItem(r, formatted));
    // Checked references stay listed (and checked) when the query no longer finds them.
    const rankedIds = new Set(ranked.map((item) => item.reference.id));
    const kept = [...chosen.values()].filter((r) => !rankedIds.has(r.id)).map((r) => referenceItem(r, formatted));
    const items = [...ranked, ...kept];
    picker.items = items;
    picker.selectedItems = items.filter((item) => chosen.has(item.reference.id));
  };

  return new Promise((resolve) => {
    let result: Reference[] | undefined;
    let hidden = false;
    picker.onDidChangeValue(show);
    picker.onDidChangeSelection((items) => {
      // The selection event lists only the items on show; keep the hidden checked ones.
      const shown = new Set(picker.items.map((item) => item.reference.id));
      for (const id of [...chosen.keys()]) if (shown.has(id)) chosen.delete(id);
      for (const item of items) chosen.set(item.reference.id, item.reference);
    });
    picker.onDidAccept(() => {
      if (!search.isPrepared && picker.value.trim() !== '') {
        // Typed and entered before the search was ready: rank now, and let the next Enter choose.
        search.prepare();
        show(picker.value);
        return;
      }
      // Enter without checking anything cites the highlighted reference.
      result = chosen.size > 0 ? [...chosen.values()] : picker.activeItems.map((item) => item.reference);
      picker.hide();
    });
    picker.onDidHide(() => {
      hidden = true;
      picker.dispose();
      resolve(result);
    });
    show('');
    picker.show();
    if (!search.isPrepared) {
      picker.busy = true;
      search.prepareInSlices(yieldToEventLoop).then(
        () => {
          if (hidden) return;
          picker.busy = false;
          show(picker.value);
        },
        (error: unknown) => console.error('marginalia: could not build the citation search', error),
      );
    }
  });
}
