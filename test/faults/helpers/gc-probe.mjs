// Preloaded (`node --expose-gc --import`) into the Cradle server processes of the fault suite:
// on SIGUSR2 it runs a full garbage collection and prints the heap in use afterwards, so the suite
// can compare memory with its baseline without counting garbage that is merely not yet collected.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.stdout.write(`\ncradle-fault-gc ${JSON.stringify({ heapUsed, rss })}\n`);
});
