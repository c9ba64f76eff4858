import type { ImportReportSink } from '../ports.js';
import type { ImportReport, ItemResult } from './import-report.js';

/** The report sink of the synchronous RPCs: keeps every outcome, in order, for the response. */
export function createReportCollector(): ImportReportSink & { report(dryRun: boolean): ImportReport } {
  const results: ItemResult[] = [];
  return {
    add: (result) => {
      results.push(result);
    },
    report: (dryRun) => ({ results, dryRun }),
  };
}
