/** Usage lines of the key commands, for the command line's help. */
export const KEY_COMMANDS_USAGE = `  keys:rotate-kek
      Re-wraps every data key under CRADLE_KEK (the old KEK in CRADLE_KEK_PREVIOUS); prints {"kekId","rewrapped","unreadable"}.
  keys:reencrypt [--batch N] [--max-batches M]
      Re-encrypts every encrypted value under new data keys (and encrypts legacy plaintext), N rows
      per batch (default 500); resumable: an interrupted run continues where it stopped.`;
