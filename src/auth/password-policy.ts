import { BadInputError } from '../errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

/** Shortest accepted password, in Unicode code points (NIST SP 800-63B asks at least 8; we ask for more). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password, in code points: long passphrases welcome (NIST asks to allow at least 64). */
export const MAX_PASSWORD_LENGTH = 256;

/** Why the policy refused a password (the `reason` extension of its BAD_USER_INPUT). */
export type PasswordRefusal = 'TOO_SHORT' | 'TOO_LONG' | 'COMMON' | 'PATTERN' | 'CONTEXT';

/** Words of the account and the service a password must not be built from: e-mail and name parts. */
export interface PasswordContext {
  readonly email: string;
  readonly displayName: string;
}

/** The service's own names, refused as the substance of a password like the user's own. */
const SERVICE_WORDS = ['cradle'];
/** What a remainder must still have, in code points, once context words are taken out. */
const MIN_REMAINDER = 8;
/** Fewer distinct characters than this is a pattern, not a secret (`aaaaaaaaaaab`, `abababababab`). */
const MIN_DISTINCT = 5;
/** Keyboard walks and alphabetic or numeric runs; a password inside one (either direction) is a pattern. */
const SEQUENCES = [
  'abcdefghijklmnopqrstuvwxyz',
  '01234567890123456789',
  'qwertyuiopasdfghjklzxcvbnm',
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm',
  'qwertzuiop',
  'azertyuiop',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
  'qazwsxedcrfvtgbyhnujmikolp',
  '1q2w3e4r5t6y7u8i9o0p',
  'q1w2e3r4t5y6u7i8o9p0',
  '!@#$%^&*()_+',
];
const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '!': 'i', '|': 'l' };

let blocklist: ReadonlySet<string> | null = null;
/** The parsed blocklist, built on first use (a constant: the same for every server in the process). */
function commonPasswords(): ReadonlySet<string> {
  blocklist ??= new Set(COMMON_PASSWORDS.split('\n').filter((line) => line.length > 0));
  return blocklist;
}

/** The form a password is hashed and checked in: Unicode NFKC (NIST SP 800-63B 5.1.1.2). */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Checks a new password against the policy after NIST SP 800-63B: 12 to 256 code points after
 * NFKC normalisation, any characters, no composition rules; refused when it is (or is a common
 * core decorated with digits and symbols, leetspeak included) on the shipped blocklist, when it is
 * a pattern (one unit repeated, fewer than five distinct characters, a keyboard walk or run), or
 * when taking out the service's name and the account's own e-mail and name parts leaves less
 * than 8 code points or a refused remainder. Returns the normalised password to hash; throws
 * BAD_USER_INPUT with `field` and a `reason` ({@link PasswordRefusal}) otherwise.
 */
export function checkNewPassword(password: string, context: PasswordContext, field: string): string {
  const normalised = normalisePassword(password);
  const length = [...normalised].length;
  if (length < MIN_PASSWORD_LENGTH) throw refusal(field, 'TOO_SHORT', `${field} must be at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (length > MAX_PASSWORD_LENGTH) throw refusal(field, 'TOO_LONG', `${field} must be at most ${MAX_PASSWORD_LENGTH} characters.`);
  const folded = fold(normalised);
  const weakness = weaknessOf(folded);
  if (weakness) throw refusal(field, weakness, weakness === 'COMMON' ? `${field} is a commonly used password.` : `${field} is an easily guessed pattern.`);
  const remainder = contextWords(context).reduce((rest, word) => rest.split(word).join(''), folded);
  if (remainder !== folded && ([...stripDecoration(remainder)].length < MIN_REMAINDER || weaknessOf(remainder))) {
    throw refusal(field, 'CONTEXT', `${field} must not be built from your e-mail address, your name or the service's name.`);
  }
  return normalised;
}

/** Lower case without white space: the form compared with the blocklist and the patterns. */
function fold(password: string): string {
  return password.toLowerCase().replace(/\s+/gu, '');
}

/** Why a folded password (or what is left of one) is weak, or null. */
function weaknessOf(folded: string): 'COMMON' | 'PATTERN' | null {
  const core = stripDecoration(folded) || folded;
  if (isPattern(folded) || isPattern(core)) return 'PATTERN';
  const list = commonPasswords();
  for (const candidate of new Set([folded, core, deLeet(folded), stripDecoration(deLeet(folded)), deLeet(core)])) {
    if (list.has(candidate)) return 'COMMON';
  }
  return null;
}

/** The password without the digits, symbols and punctuation around its letters (`!!password2026` → `password`). */
function stripDecoration(folded: string): string {
  return folded.replace(/^[^\p{L}]+/u, '').replace(/[^\p{L}]+$/u, '');
}

/** Leetspeak read as letters (`p@ssw0rd` → `password`). */
function deLeet(folded: string): string {
  return [...folded].map((ch) => LEET[ch] ?? ch).join('');
}

/** One unit repeated, too few distinct characters, or a stretch of a keyboard walk or run. */
function isPattern(folded: string): boolean {
  if (folded.length === 0) return false;
  if (new Set(folded).size < MIN_DISTINCT) return true;
  if (/^(.+?)\1+$/su.test(folded)) return true;
  return SEQUENCES.some((run) => run.includes(folded) || [...run].reverse().join('').includes(folded));
}

/** The context words, folded: the service's names and the e-mail's and display name's parts of three or more characters. */
function contextWords(context: PasswordContext): string[] {
  const parts = [...SERVICE_WORDS, ...fold(context.email).split(/[^\p{L}\p{N}]+/u), ...context.displayName.toLowerCase().split(/[^\p{L}\p{N}]+/u)];
  return [...new Set(parts.filter((part) => [...part].length >= 3))].sort((a, b) => b.length - a.length);
}

function refusal(field: string, reason: PasswordRefusal, message: string): BadInputError {
  return BadInputError.password(field, reason, message);
}
