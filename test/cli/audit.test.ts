import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS, parseAuditArgs } from '../../src/cli/auditExport.js';
import { demoEnv } from '../../src/demo/demoConfig.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { anAuditEvent } from '../support/factories.js';

const run = promisify(execFile);
const REQUEST = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

describe('npm run audit', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapdesk-audit-'));
    const sqlitePath = join(dir, 'tapdesk.sqlite');
    const store = SqliteStore.open(sqlitePath);
    await store.appendAudit(
      anAuditEvent({ at: '2026-01-01T08:00:00.000Z', requestId: REQUEST, action: 'submitted' }),
    );
    await store.appendAudit(
      anAuditEvent({
        at: '2026-01-02T09:30:00.000Z',
        requestId: REQUEST,
        action: 'denied',
        reason: 'caller could not answer, "twice"',
      }),
    );
    await store.appendAudit(
      anAuditEvent({
        at: '2026-01-03T10:00:00.000Z',
        requestId: OTHER,
        action: 'approve',
        outcome: 'refused',
      }),
    );
    await store.appendAudit(
      anAuditEvent({
        at: '2026-02-01T00:00:00.000Z',
        requestId: null,
        kind: null,
        action: 'request_refused',
      }),
    );
    await store.close();
    env = {
      ...process.env,
      ...demoEnv({
        graphBaseUrl: 'http://127.0.0.1:9',
        serviceUrl: 'http://127.0.0.1:9/',
        sqlitePath,
      }),
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const audit = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/audit.ts', ...args], {
      env,
      timeout: 20_000,
    });

  it('exports the events of a time range as CSV a CSV library reads back', async () => {
    const { stdout } = await audit('--since', '2026-01-01', '--until', '2026-01-31');
    const rows = parse(stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(AUDIT_COLUMNS);
    expect(rows.map((r) => r.action)).toEqual(['submitted', 'denied', 'approve']);
    expect(rows[1]).toMatchObject({
      at: '2026-01-02T09:30:00.000Z',
      requestId: REQUEST,
      kind: 'lost_phone',
      actorId: 'a0000000-0000-4000-8000-000000000003',
      actorName: 'Hugo Helpdesk',
      outcome: 'ok',
      reason: 'caller could not answer, "twice"',
    });
    expect(rows[2]?.outcome).toBe('refused');
  });

  it('exports one request as JSON lines', async () => {
    const { stdout } = await audit(
      '--since',
      '2025-12-01',
      '--format',
      'jsonl',
      '--request',
      REQUEST,
    );
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(rows.map((r) => r.action)).toEqual(['submitted', 'denied']);
    expect(rows.every((r) => r.requestId === REQUEST)).toBe(true);
  });

  it('refuses a bad range with a usage line and exit code 1', async () => {
    await expect(audit('--since', 'yesterday-ish')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--since must be a date'),
    });
  });

  it('refuses a missing store instead of exporting nothing', async () => {
    await expect(
      run(process.execPath, ['--import', 'tsx', 'src/cli/audit.ts', '--since', '2026-01-01'], {
        env: { ...env, SQLITE_PATH: join(dir, 'missing.sqlite') },
        timeout: 20_000,
      }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no TapDesk store') });
  });
});

describe('parseAuditArgs', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  it('defaults to CSV up to now', () => {
    expect(parseAuditArgs(['--since', '2026-01-01'], now)).toEqual({
      ok: true,
      query: {
        since: '2026-01-01T00:00:00.000Z',
        until: '2026-03-01T00:00:00.000Z',
        format: 'csv',
      },
    });
  });
  it('names every problem', () => {
    const result = parseAuditArgs(['--format', 'xml'], now);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      '--since is required, e.g. --since 2026-01-01',
      '--format must be csv or jsonl',
    ]);
  });
  it('refuses an empty range', () => {
    const result = parseAuditArgs(['--since', '2026-02-01', '--until', '2026-01-01'], now);
    expect(!result.ok && result.problems).toEqual(['--since must be before --until']);
  });
});
