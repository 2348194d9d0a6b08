import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, haveChromium, launchBrowser } from '../helpers/browser.js';

/** The browser tests' accessibility check must itself catch what it claims to (its positive control). */
describe.skipIf(!haveChromium)('the axe-core check the app tests use', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser?.close());

  it('fails on an unlabelled input and passes once it is labelled', async () => {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html lang="en"><title>t</title><main><input type="text"></main></html>');
    await expect(expectAccessible(page)).rejects.toThrow(/label/);
    await page.setContent('<!doctype html><html lang="en"><title>t</title><main><label>Name <input type="text"></label></main></html>');
    await expectAccessible(page);
    await page.close();
  });
});
