/** The `audit:*` lines of the command line's usage. */
export const AUDIT_COMMANDS_USAGE = `  audit:verify [--tenant <id>] [--checkpoint <file>]
      Walks every tenant's audit hash chain (or one), compares it with the signed checkpoints of
      CRADLE_AUDIT_CHECKPOINT_FILE, or of --checkpoint <file> (an off-host copy), and prints
      {"valid","checkpointFile","tenants":[{"tenantId","valid","brokenAt","lastSeq","reason"}]};
      exits 1 when a chain is broken.
  audit:checkpoint [--out <file|->]
      Signs every tenant's current chain head with CRADLE_AUDIT_CHECKPOINT_KEY and appends the
      checkpoint lines to <file>, or writes them to standard output (-, the default), to ship them
      off the host.`;
