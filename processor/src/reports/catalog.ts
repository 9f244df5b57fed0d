import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { queriesDir } from '../store/database.js';
import { UnknownReportError } from './errors.js';
import { isReportFile, parseReportDefinition, type ReportDefinition } from './report-definition.js';

/** The reports in queries/: read once, served by name. The SQL runs as written in the files. */
export class ReportCatalog {
  private readonly byName: ReadonlyMap<string, ReportDefinition>;

  constructor(reports: readonly ReportDefinition[]) {
    this.byName = new Map([...reports].sort((a, b) => a.name.localeCompare(b.name)).map((r) => [r.name, r]));
  }

  static async load(dir: string = queriesDir): Promise<ReportCatalog> {
    const files = (await readdir(dir)).filter((file) => file.endsWith('.sql'));
    const reports: ReportDefinition[] = [];
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      if (isReportFile(text)) reports.push(parseReportDefinition(file, text));
    }
    return new ReportCatalog(reports);
  }

  list(): ReportDefinition[] {
    return [...this.byName.values()];
  }

  get(name: string): ReportDefinition {
    const report = this.byName.get(name);
    if (report === undefined) throw new UnknownReportError(name, [...this.byName.keys()]);
    return report;
  }
}
