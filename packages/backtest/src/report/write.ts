import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BacktestRun } from '../run.js';
import { gridEventsCsv, jobsCsv, kpisCsv, seriesCsv } from './csv.js';
import { reportHtml } from './html.js';
import { formatTable } from './table.js';

/** The files of a backtest report, by name. */
export function reportFiles(run: BacktestRun): Map<string, string> {
  const files = new Map<string, string>();
  files.set('report.html', reportHtml(run));
  files.set('kpis.json', JSON.stringify(run.summary, null, 2) + '\n');
  files.set('kpis.md', formatTable(run.summary));
  files.set('kpis.csv', kpisCsv(run.summary.policies));
  for (const r of run.results) {
    files.set(`series-${r.variant.key}.csv`, seriesCsv(r));
    files.set(`jobs-${r.variant.key}.csv`, jobsCsv(r));
  }
  if (run.summary.policies[0]!.gridEvents.length) files.set('grid-events.csv', gridEventsCsv(run.summary.policies));
  return files;
}

/** Write the report into `dir` (created); returns the paths written. */
export async function writeReport(dir: string, run: BacktestRun): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of reportFiles(run)) {
    const path = join(dir, name);
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}
