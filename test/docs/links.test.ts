import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, checkMarkdown, githubSlug, linksOf } from './markdown-links.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** README.md and every Markdown file under docs/, by repository-relative path. */
function documentation(): Map<string, string> {
  const files = new Map<string, string>([['README.md', readFileSync(join(ROOT, 'README.md'), 'utf8')]]);
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.set(path, readFileSync(join(ROOT, path), 'utf8'));
    }
  };
  walk('docs');
  return files;
}

describe('the documentation', () => {
  const files = documentation();

  it('is a README and the pages under docs/ it links to', () => {
    expect(files.size).toBeGreaterThan(5);
    const linked = new Set(linksOf(files.get('README.md')!).map((l) => l.target.replace(/#.*$/, '')));
    for (const path of files.keys()) if (path !== 'README.md') expect({ path, linked: linked.has(path) }).toEqual({ path, linked: true });
  });

  it('has no link that fails to resolve, leaves the repository or names a missing heading, and no issue numbers', () => {
    expect(checkMarkdown(files, (path) => existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('keeps the README short enough to walk', () => {
    expect(files.get('README.md')!.split('\n').length).toBeLessThan(300);
  });
});

describe('the link checker', () => {
  const fixture = new Map<string, string>([
    [
      'README.md',
      [
        '# Start here',
        'See [the guide](docs/guide.md), [its setup](docs/guide.md#set-up-the-server) and [this page](#start-here).',
        'Broken: [a missing page](docs/missing.md), [a missing heading](docs/guide.md#no-such-heading), [here](#nowhere).',
        'Outside: [a sibling](../shared/STYLE.md), [a site](https://example.org/x), <https://example.org/y>, https://example.org/z, [root](/etc/passwd).',
        'Local server: <http://localhost:4000/graphql>.',
        'History: fixed in issue 4 and in #12.',
        '```sh',
        '[not a link](nowhere.md) # issue 9 inside a code block is code',
        '```',
        'Also `../shared/API.md`.',
      ].join('\n'),
    ],
    ['docs/guide.md', '# Guide\n\n## Set up the server\n\nBack to [the README](../README.md) and [the code](../src/).\n\n## Set up the server\n\nSee [the second one](#set-up-the-server-1).'],
  ]);
  const exists = (path: string) => fixture.has(path) || path === 'src';
  const problems = checkMarkdown(fixture, exists);
  const messages = problems.map((p) => `${p.file}:${p.line} ${p.message}`);

  it('reports each broken link, missing anchor, escaping link and issue number, at its line', () => {
    expect(messages).toEqual([
      'README.md:3 does not resolve: docs/missing.md (docs/missing.md)',
      'README.md:3 names an anchor docs/guide.md does not have: #no-such-heading',
      'README.md:3 names an anchor README.md does not have: #nowhere',
      'README.md:4 escapes the repository: ../shared/STYLE.md',
      'README.md:4 links outside the repository: https://example.org/x',
      'README.md:4 uses an absolute path (outside the repository on GitHub): /etc/passwd',
      'README.md:4 links outside the repository: https://example.org/y',
      'README.md:4 links outside the repository: https://example.org/z',
      'README.md:10 names a path outside the repository: ../shared/API.md',
      'README.md:6 refers to an issue number: "issue 4"',
      'README.md:6 refers to an issue number: "#12"',
    ]);
  });

  it('accepts what resolves: pages, folders, headings (repeated ones numbered) and the local server', () => {
    expect(problems.filter((p) => p.file === 'docs/guide.md')).toEqual([]);
    expect(anchorsOf(fixture.get('docs/guide.md')!)).toEqual(new Set(['guide', 'set-up-the-server', 'set-up-the-server-1']));
  });

  it('makes anchors as GitHub does', () => {
    expect(githubSlug('Care protocols: condition language')).toBe('care-protocols-condition-language');
    expect(githubSlug('`since` and the **cursor** (resume)')).toBe('since-and-the-cursor-resume');
    expect(githubSlug('Tenants: two walls')).toBe('tenants-two-walls');
    expect(githubSlug('What is built, and what is not yet')).toBe('what-is-built-and-what-is-not-yet');
    expect(githubSlug('1. A patient logs her day')).toBe('1-a-patient-logs-her-day');
    expect(githubSlug('Licences of the dependencies')).toBe('licences-of-the-dependencies');
  });
});
