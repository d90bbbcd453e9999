import type { Diagnostic, Span } from './types';

/** Where an entry was defined: the file and the span of its key there. */
export interface SourceLocation {
  readonly uri: string;
  readonly span: Span;
  /** 0-based line of the key, for links and quick lookups. */
  readonly line: number;
}

export interface Person {
  readonly key: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly born?: string;
  readonly died?: string;
  readonly description?: string;
  /** Markdown, untrusted. */
  readonly bio?: string;
  /** Label to URL, in the order written. */
  readonly links: readonly { readonly label: string; readonly url: string }[];
  /** Resolved against the sidecar that names it. */
  readonly image?: string;
  /** When false, only `[[key]]` mentions count. */
  readonly implicit: boolean;
  readonly source: SourceLocation;
}

/** A CSL-JSON name variable entry. */
export interface CslName {
  readonly family?: string;
  readonly given?: string;
  readonly literal?: string;
  readonly 'non-dropping-particle'?: string;
  readonly 'dropping-particle'?: string;
  readonly suffix?: string;
}

export interface CslDate {
  readonly 'date-parts'?: readonly (readonly (number | string)[])[];
  readonly literal?: string;
  readonly raw?: string;
}

/** A CSL item as Pandoc reads it from `references:` or a CSL-JSON file. */
export interface CslItem {
  readonly id: string;
  readonly type?: string;
  readonly title?: string;
  readonly author?: readonly CslName[];
  readonly editor?: readonly CslName[];
  readonly issued?: CslDate;
  readonly 'container-title'?: string;
  readonly volume?: string | number;
  readonly issue?: string | number;
  readonly page?: string | number;
  readonly publisher?: string;
  readonly 'publisher-place'?: string;
  readonly URL?: string;
  readonly DOI?: string;
  readonly [field: string]: unknown;
}

export interface Reference {
  readonly id: string;
  readonly item: CslItem;
  readonly source: SourceLocation;
}

/** What one sidecar file contributes. */
export interface Sidecar {
  readonly uri: string;
  readonly people: readonly Person[];
  readonly references: readonly Reference[];
  /** Bibliography files named in the sidecar, resolved against it, with where each is named. */
  readonly bibliographies: readonly { readonly uri: string; readonly span: Span }[];
  readonly diagnostics: readonly Diagnostic[];
  /** False when the file did not parse cleanly. */
  readonly valid: boolean;
  /** True when these people and references come from the last good version, because the current one is broken. */
  readonly stale?: boolean;
}

/** People and references merged from every sidecar and bibliography of a text. */
export interface Registry {
  readonly people: ReadonlyMap<string, Person>;
  readonly references: ReadonlyMap<string, Reference>;
  /** Exact name or alias to the person keys that claim it; more than one key means ambiguous. */
  readonly names: ReadonlyMap<string, readonly string[]>;
  readonly sidecars: readonly string[];
  /** Sidecars served from their last good version while the current text is broken. */
  readonly staleSidecars: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}
