import { describe, expect, it } from 'vitest';
import { ReportCatalog } from '../../processor/src/reports/catalog.js';
import { ReportDefinitionError, UnknownReportError } from '../../processor/src/reports/errors.js';
import { formatCsv, formatJson, formatTable } from '../../processor/src/reports/format.js';
import { parseParameters } from '../../processor/src/reports/parameters.js';
import { parseReportDefinition } from '../../processor/src/reports/report-definition.js';
import type { ReportResult } from '../../processor/src/reports/report-result.js';

const now = new Date('2026-11-22T12:00:00Z');

describe('report catalog', () => {
  it('holds the report files of queries/, not the schema or the roll-up', async () => {
    const catalog = await ReportCatalog.load();
    const names = catalog.list().map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining([
      'action-costs',
      'action-instance-costs',
      'chargeback',
      'chargeback-lines',
      'conversation-costs',
      'failed-call-cost',
      'hosted-tool-fees',
      'spend-by-customer',
      'spend-by-environment',
      'spend-by-feature',
      'spend-by-model',
      'spend-by-project',
      'spend-by-provider',
      'spend-by-team',
      'spend-by-team-model',
      'team-trends',
      'top-actions',
      'top-calls',
      'unallocated-share',
      'unallocated-sources',
      'unpriced-models',
    ]));
    expect(names).not.toContain('schema');
    expect(names).not.toContain('rollup-actions');
    const chargeback = catalog.get('chargeback');
    expect(chargeback.title).toBe('Showback and chargeback for a month');
    expect(chargeback.parameters.map((p) => [p.name, p.sqlType])).toEqual([
      ['month', 'VARCHAR'],
      ['rule', 'VARCHAR'],
      ['platform_team', 'VARCHAR'],
    ]);
    expect(() => catalog.get('spend-by-planet')).toThrow(UnknownReportError);
  });

  const header = '-- Report: Demo\n--\n-- Counts calls.\n--\n-- Parameters:\n--   $since  TIMESTAMP  inclusive start\n';

  it('reads title, description and parameters from the header', () => {
    const report = parseReportDefinition('demo.sql', `${header}SELECT count(*) FROM llm_calls WHERE start_time >= $since AND json ->> '$.x' = 'a';\n`);
    expect(report).toMatchObject({ name: 'demo', title: 'Demo', description: 'Counts calls.', parameters: [{ name: 'since', sqlType: 'TIMESTAMP', description: 'inclusive start' }] });
  });

  it.each([
    ['no marker', '-- Demo\nSELECT 1;', /first line/],
    ['an undocumented parameter', `${header}SELECT $since, $until;`, /undocumented parameters: until/],
    ['an unused documented parameter', `${header}SELECT 1;`, /does not use: since/],
    ['an unknown parameter', `${header.replace('$since  TIMESTAMP', '$planet  VARCHAR')}SELECT $planet;`, /\$planet is not a known parameter/],
    ['a parameter with another type', `${header.replace('TIMESTAMP', 'DATE')}SELECT $since;`, /\$since is TIMESTAMP in every report/],
  ])('refuses a file with %s', (_, text, message) => {
    expect(() => parseReportDefinition('demo.sql', text)).toThrow(ReportDefinitionError);
    expect(() => parseReportDefinition('demo.sql', text)).toThrow(message);
  });
});

describe('report parameters', () => {
  const accepted = ['since', 'until', 'team', 'grain', 'limit', 'month', 'rule', 'platform_team', 'z_threshold'];

  it('parses dates, UTC times, offsets and relative times', () => {
    const { values, problems } = parseParameters(accepted, { since: '2026-11-01', until: '2026-11-20T12:30:00+02:00', team: ['search', 'ads'], limit: '15', z_threshold: '2.5' }, now);
    expect(problems).toEqual([]);
    expect(values).toMatchObject({ since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-20T10:30:00Z'), team: ['search', 'ads'], limit: 15, z_threshold: 2.5, grain: null });
    expect(parseParameters(accepted, { since: '7d', until: '2026-11-22 06:00' }, now).values).toMatchObject({
      since: new Date('2026-11-15T12:00:00Z'),
      until: new Date('2026-11-22T06:00:00Z'),
    });
  });

  it('names every bad parameter and the fix', () => {
    const { problems } = parseParameters(
      ['since', 'until', 'grain', 'limit', 'month', 'rule', 'platform_team'],
      { since: 'last friday', until: '2026-11-01', grain: 'year', limit: '0', month: '2026-13', rule: 'platform', planet: 'mars' },
      now,
    );
    expect(problems).toEqual([
      'planet: not a parameter of this report (it takes since, until, grain, limit, month, rule, platform_team)',
      'since: expected a date like 2026-11-01, a UTC time like 2026-11-01T12:00:00Z, or 7d / 12h / 2w ago; got "last friday"',
      'grain: expected day, week or month',
      'limit: expected at least 1 row',
      'month: expected a month like 2026-11',
      'platform_team: rule platform gives the unallocated cost to a platform team; name it',
    ]);
    expect(parseParameters(['since', 'until'], { since: '2026-11-02', until: '2026-11-01' }, now).problems).toEqual([
      'since: must be before until (2026-11-02T00:00:00.000Z is not before 2026-11-01T00:00:00.000Z)',
    ]);
    expect(parseParameters(['grain'], { grain: ['day', 'week'] }, now).problems).toEqual(['grain: give it once (got 2 values)']);
  });
});

describe('report formats', () => {
  const result: ReportResult = {
    report: 'demo',
    parameters: { since: '2026-11-01T00:00:00.000Z' },
    columns: [
      { name: 'team', type: 'VARCHAR' },
      { name: 'requests', type: 'BIGINT' },
      { name: 'cost_usd', type: 'DECIMAL(38,9)' },
    ],
    rows: [
      ['search, "web"', 12, '1.500000000'],
      ['=HYPERLINK("x")', 3, null],
      ['-ads', -1, '-0.250000000'],
    ],
  };

  it('CSV quotes what needs it, leaves NULL empty and defuses spreadsheet formulas', () => {
    expect(formatCsv(result)).toBe(
      'team,requests,cost_usd\r\n"search, ""web""",12,1.500000000\r\n"\'=HYPERLINK(""x"")",3,\r\n\'-ads,-1,-0.250000000\r\n',
    );
  });

  it('tables right-align numbers and spell NULL out', () => {
    expect(formatTable(result)).toBe(
      [
        'team             requests      cost_usd',
        '---------------  --------  ------------',
        'search, "web"          12   1.500000000',
        '=HYPERLINK("x")         3          NULL',
        '-ads                   -1  -0.250000000',
        '(3 rows)',
        '',
      ].join('\n'),
    );
  });

  it('JSON keeps decimals as exact strings, one object per row', () => {
    expect(JSON.parse(formatJson(result))).toEqual({
      report: 'demo',
      parameters: { since: '2026-11-01T00:00:00.000Z' },
      columns: result.columns,
      rows: [
        { team: 'search, "web"', requests: 12, cost_usd: '1.500000000' },
        { team: '=HYPERLINK("x")', requests: 3, cost_usd: null },
        { team: '-ads', requests: -1, cost_usd: '-0.250000000' },
      ],
    });
  });
});
