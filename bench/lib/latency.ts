import hdr from 'hdr-histogram-js';

/** An HDR histogram of durations recorded in microseconds (1 µs to 10 minutes, 3 significant digits). */
export type LatencyHistogram = ReturnType<typeof hdr.build>;

/** A new, empty latency histogram (µs). */
export function latencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records a duration given in milliseconds (from `performance.now()` differences). */
export function recordMs(histogram: LatencyHistogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.min(600_000_000, Math.round(ms * 1000))));
}

/** Percentiles of a latency histogram, in milliseconds; null when it is empty. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly maxMs: number | null;
}

/** Summarises a histogram in milliseconds (three decimals). */
export function summarise(histogram: LatencyHistogram): LatencySummary {
  const count = histogram.totalCount;
  const ms = (us: number) => (count === 0 ? null : Math.round(us) / 1000);
  return {
    count,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    maxMs: ms(histogram.maxValue),
  };
}
