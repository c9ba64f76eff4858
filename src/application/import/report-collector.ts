import type { ImportReportSink } from '../ports.js';
import type { ImportReport } from './import-report.js';
import { PackedResults } from './packed-results.js';

/**
 * The report sink of the synchronous RPCs: keeps every outcome, in order, packed (successes
 * as runs of ids per org and kind), for the transport to build its response from at the end.
 */
export function createReportCollector(): ImportReportSink & { report(dryRun: boolean): ImportReport } {
  const packed = new PackedResults();
  return {
    add: (result) => packed.add(result),
    addAll: (results) => packed.addAll(results),
    report: (dryRun) => ({
      dryRun,
      counts: packed.counts,
      each: () => packed,
      parts: () => packed.parts(),
      get results() {
        return [...packed];
      },
    }),
  };
}

/** The report of an import that had nothing to import. */
export const emptyReport = (dryRun: boolean): ImportReport => createReportCollector().report(dryRun);
