/**
 * `node --import ./test/helpers/import-recorder.mjs …`: appends the URL of every module the
 * process imports, one a line, to the file named by `CRADLE_IMPORT_LOG`, so a test can check
 * what a command loads (see test/cli-usage.int.test.ts).
 */
import { register } from 'node:module';

register('./import-recorder-hooks.mjs', import.meta.url, { data: { log: process.env.CRADLE_IMPORT_LOG } });
