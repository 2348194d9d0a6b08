import type { DocumentNode } from 'graphql';

/** Bounds of a {@link ValidatedDocumentCache}. */
export interface ValidatedDocumentCacheOptions {
  /** The most documents kept; the least recently used goes first. */
  readonly maxEntries: number;
  /** The longest query text (in UTF-16 code units) worth keeping; longer ones are parsed every time. */
  readonly maxQueryLength: number;
}

/** The bounds the WebSocket path uses: about 1,000 distinct documents of at most 16 KB. */
export const DEFAULT_DOCUMENT_CACHE: ValidatedDocumentCacheOptions = { maxEntries: 1000, maxQueryLength: 16 * 1024 };

/**
 * The documents that already passed parsing and validation against one schema and one set of
 * rules, keyed by their query text, most recently used last. Lets many subscribers sending the same
 * document share one `DocumentNode` and skip re-validation. Only valid documents go in: a document
 * that failed validation is checked again every time. One per server (schema and rules fixed).
 */
export class ValidatedDocumentCache {
  private readonly documents = new Map<string, DocumentNode>();

  constructor(private readonly options: ValidatedDocumentCacheOptions = DEFAULT_DOCUMENT_CACHE) {}

  /** The validated document for `query`, marking it most recently used; undefined if not kept. */
  get(query: string): DocumentNode | undefined {
    const document = this.documents.get(query);
    if (document === undefined) return undefined;
    this.documents.delete(query);
    this.documents.set(query, document);
    return document;
  }

  /** Keeps `document`, which the caller validated, evicting the least recently used past the bound. */
  set(query: string, document: DocumentNode): void {
    if (query.length > this.options.maxQueryLength || this.options.maxEntries <= 0) return;
    this.documents.delete(query);
    this.documents.set(query, document);
    while (this.documents.size > this.options.maxEntries) {
      const oldest = this.documents.keys().next().value as string;
      this.documents.delete(oldest);
    }
  }

  /** How many documents it holds. */
  get size(): number {
    return this.documents.size;
  }
}
