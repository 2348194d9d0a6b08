import { posix } from 'node:path';

/**
 * A documentation checker: the links of Markdown files (inline, reference, autolinks, HTML
 * `href`/`src`, bare URLs), the headings they point at, and issue-number references. Pure: the
 * caller passes the files' text and an existence check, so it runs on the repository and on
 * in-memory fixtures alike.
 *
 * @module
 */

/** One thing wrong with a Markdown file, at a 1-based line. */
export interface DocProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** A link found in a Markdown file. */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/** Hosts a link may name: the server the reader runs on their own machine. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The text of a Markdown file with fenced code blocks blanked (line breaks kept, so line numbers
 * still hold) and, unless `keepInlineCode`, inline code spans blanked too.
 */
export function proseOf(markdown: string, keepInlineCode = false): string {
  const lines = markdown.split('\n');
  let fence: string | null = null;
  const out = lines.map((line) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && opener) {
      fence = opener[1]!;
      return '';
    }
    if (fence !== null) {
      if (line.trim().startsWith(fence[0]!.repeat(fence.length)) && line.trim().replace(/[`~]/g, '') === '') fence = null;
      return '';
    }
    return line;
  });
  const text = out.join('\n').replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '));
  return keepInlineCode ? text : text.replace(/(`+)(?:(?!\1)[\s\S])+?\1/g, (span) => span.replace(/[^\n]/g, ' '));
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

/** Every link target in a Markdown file, outside code. */
export function linksOf(markdown: string): MarkdownLink[] {
  const text = proseOf(markdown);
  const links: MarkdownLink[] = [];
  const add = (target: string, index: number) => links.push({ target: target.trim(), line: lineAt(text, index) });
  const covered: Array<[number, number]> = [];
  for (const m of text.matchAll(/!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    add(m[1]!, m.index!);
    covered.push([m.index!, m.index! + m[0].length]);
  }
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) {
    add(m[1]!, m.index!);
    covered.push([m.index!, m.index! + m[0].length]);
  }
  for (const m of text.matchAll(/<([a-z][a-z0-9+.-]*:[^\s<>]+)>/gi)) {
    add(m[1]!, m.index!);
    covered.push([m.index!, m.index! + m[0].length]);
  }
  for (const m of text.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/gi)) {
    add(m[1]!, m.index!);
    covered.push([m.index!, m.index! + m[0].length]);
  }
  for (const m of text.matchAll(/\b(?:https?:\/\/|www\.)[^\s<>()]+/gi)) {
    if (covered.some(([from, to]) => m.index! >= from && m.index! < to)) continue;
    add(m[0].replace(/[.,;:!?'"]+$/, ''), m.index!);
  }
  return links.sort((a, b) => a.line - b.line);
}

/** The visible text of a heading's Markdown: links by their text, no code ticks or emphasis. */
function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/(\*\*|__|\*|~~)/g, '')
    .trim();
}

/** GitHub's anchor for a heading's text (github-slugger): lower case, punctuation dropped, each space a hyphen. */
export function githubSlug(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown file offers: its headings' slugs (repeats numbered as GitHub does) and HTML ids. */
export function anchorsOf(markdown: string): Set<string> {
  const text = proseOf(markdown, true);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = githubSlug(m[1]!);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)\s*=\s*["']([^"']+)["']/gi)) anchors.add(m[1]!);
  return anchors;
}

/** References to issue or pull-request numbers ("issue 4", "issues 3 and 4", "#12", "PR 7"), outside fenced code. */
export function issueReferencesOf(markdown: string): MarkdownLink[] {
  const text = proseOf(markdown, true);
  const found: MarkdownLink[] = [];
  const patterns = [/\b(?:issues?|pull requests?|PRs?)\s+#?\d+/gi, /(?:^|[\s([{,;])(#\d+)\b/gm];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) found.push({ target: m[0].trim(), line: lineAt(text, m.index!) });
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Relative paths written as inline code (`../x/y.md`), which a reader may follow by hand. */
function pathsNamedIn(markdown: string): MarkdownLink[] {
  const text = proseOf(markdown, true);
  const found: MarkdownLink[] = [];
  for (const m of text.matchAll(/`(\.\.\/[\w./-]+)`/g)) found.push({ target: m[1]!, line: lineAt(text, m.index!) });
  return found;
}

/**
 * Checks Markdown files of one repository. `files` maps repository-relative POSIX paths to their
 * text; `exists(path)` says whether a repository-relative path (file or folder) exists. Reports
 * links to anything outside the repository (other sites, absolute paths, `../` past the root),
 * relative links that do not resolve, anchors no heading of the target offers, and issue numbers.
 */
export function checkMarkdown(files: ReadonlyMap<string, string>, exists: (path: string) => boolean): DocProblem[] {
  const problems: DocProblem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (path: string) => {
    let found = anchorCache.get(path);
    if (!found) {
      found = anchorsOf(files.get(path) ?? '');
      anchorCache.set(path, found);
    }
    return found;
  };
  for (const [file, markdown] of files) {
    const report = (line: number, message: string) => problems.push({ file, line, message });
    for (const { target, line } of linksOf(markdown)) {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target);
      if (scheme || target.startsWith('//') || /^www\./i.test(target)) {
        const host = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+|\[[^\]]+\])/i.exec(target)?.[1]?.toLowerCase();
        if (!host || !LOCAL_HOSTS.has(host)) report(line, `links outside the repository: ${target}`);
        continue;
      }
      if (target.startsWith('/')) {
        report(line, `uses an absolute path (outside the repository on GitHub): ${target}`);
        continue;
      }
      const hash = target.indexOf('#');
      const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, '');
      const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
      const resolved = pathPart === '' ? file : posix.normalize(posix.join(posix.dirname(file), pathPart)).replace(/\/$/, '');
      if (resolved === '..' || resolved.startsWith('../')) {
        report(line, `escapes the repository: ${target}`);
        continue;
      }
      const inSet = files.has(resolved);
      if (!inSet && !exists(resolved === '' ? '.' : resolved)) {
        report(line, `does not resolve: ${target} (${resolved})`);
        continue;
      }
      if (anchor !== null && anchor !== '' && resolved.endsWith('.md')) {
        if (!inSet) {
          report(line, `points at a heading of a file the check was not given: ${target}`);
        } else if (!anchors(resolved).has(anchor)) {
          report(line, `names an anchor ${resolved} does not have: #${anchor}`);
        }
      }
    }
    for (const { target, line } of pathsNamedIn(markdown)) {
      const resolved = posix.normalize(posix.join(posix.dirname(file), target));
      if (resolved === '..' || resolved.startsWith('../')) report(line, `names a path outside the repository: ${target}`);
    }
    for (const { target, line } of issueReferencesOf(markdown)) report(line, `refers to an issue number: "${target}"`);
  }
  return problems;
}
