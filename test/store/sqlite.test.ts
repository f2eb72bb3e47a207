import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, StoreUnavailableError, type Store } from '../../src/ports.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { aChecklist, anAuditEvent, aRequest } from '../support/factories.js';
import { describeStoreContract } from './storeContract.js';

describeStoreContract('SqliteStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapdesk-store-'));
  const file = join(dir, 'tapdesk.sqlite');
  const opened: Store[] = [SqliteStore.open(file)];
  return {
    store: opened[0] as Store,
    reopen: async () => {
      const store = SqliteStore.open(file);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore on a file', () => {
  let dir: string;
  let file: string;
  const toClose: { close(): unknown }[] = [];

  function open(): SqliteStore {
    const store = SqliteStore.open(file);
    toClose.push(store);
    return store;
  }

  /** A second connection that bypasses the store, as an operator with `sqlite3` would. */
  function raw(): Database.Database {
    const db = new Database(file);
    toClose.push(db);
    return db;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapdesk-sqlite-'));
    file = join(dir, 'tapdesk.sqlite');
  });

  afterEach(async () => {
    for (const closable of toClose.splice(0)) await closable.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates missing parent directories for the file', async () => {
    file = join(dir, 'data', 'nested', 'tapdesk.sqlite');
    const store = open();
    await store.ping();
    expect(raw().prepare('SELECT count(*) AS n FROM requests').get()).toEqual({ n: 0 });
  });

  it('keeps the file in WAL mode', () => {
    open();
    expect(raw().pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('never writes the etag into the stored JSON', async () => {
    const store = open();
    const created = await store.createRequest(aRequest());
    await store.updateRequest({ ...created, state: 'awaiting_approval' });
    const checklist = await store.createChecklist(aChecklist());
    await store.updateChecklist({ ...checklist, done: { backup: true } });

    const rows = raw()
      .prepare('SELECT json FROM requests UNION ALL SELECT json FROM checklists')
      .all() as { json: string }[];
    expect(rows).toHaveLength(2);
    for (const { json } of rows) expect(JSON.parse(json)).not.toHaveProperty('etag');
  });

  it('refuses to change or remove audit events, even through raw SQL', async () => {
    const store = open();
    const event = await store.appendAudit(anAuditEvent({ action: 'approve' }));
    const db = raw();

    expect(() => db.prepare("UPDATE audit SET json = '{}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect(() =>
      db
        .prepare(
          "INSERT OR REPLACE INTO audit (seq, id, at, request_id, json) VALUES (1, 'x', 'y', NULL, '{}')",
        )
        .run(),
    ).toThrow(/append-only/);
    expect(await store.auditForRequest(event.requestId ?? '')).toEqual([event]);
  });

  it('applies migrations once: reopening keeps the schema version and the data', async () => {
    const first = open();
    const request = await first.createRequest(aRequest());
    await first.close();
    const version = raw().pragma('user_version', { simple: true });

    open();
    const third = open();

    expect(version).toBeGreaterThan(0);
    expect(raw().pragma('user_version', { simple: true })).toBe(version);
    expect(await third.getRequest(request.id)).toEqual(request);
  });

  it('reads a request stored before notes existed as one without notes', async () => {
    const store = open();
    const { notes: _dropped, ...older } = aRequest();
    await store.createRequest(aRequest({ id: older.id, notes: ['written by this version'] }));
    const rewritten = raw()
      .prepare('UPDATE requests SET json = ? WHERE id = ?')
      .run(JSON.stringify(older), older.id);
    expect(rewritten.changes).toBe(1);
    expect((await store.getRequest(older.id))?.notes).toEqual([]);
  });

  it('refuses a file whose schema is newer than this version knows', () => {
    open().close();
    raw().pragma('user_version = 999');

    expect(() => SqliteStore.open(file)).toThrow(StoreUnavailableError);
  });

  it('gives exactly one compare-and-swap winner across two instances on one file', async () => {
    const one = open();
    const two = open();
    const created = await one.createRequest(aRequest());
    const readByTwo = await two.getRequest(created.id);
    if (readByTwo === undefined) throw new Error('second instance cannot see the request');

    const results = await Promise.allSettled([
      one.updateRequest({ ...created, approver: { id: 'hugo', name: 'Hugo Helpdesk' } }),
      two.updateRequest({ ...readByTwo, approver: { id: 'hana', name: 'Hana Helpdesk' } }),
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(results[1]?.status === 'rejected' && results[1].reason).toBeInstanceOf(ConflictError);
    expect((await two.getRequest(created.id))?.approver?.name).toBe('Hugo Helpdesk');
    expect([await one.claimOnce('reminder'), await two.claimOnce('reminder')]).toEqual([
      true,
      false,
    ]);
  });

  it('reports a closed store as unavailable instead of crashing', async () => {
    const store = open();
    await store.close();
    await store.close();

    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.getRequest('any')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.createRequest(aRequest())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.appendAudit(anAuditEvent())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.claimOnce('k')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('reports a file that is not a database as unavailable', () => {
    writeFileSync(file, 'this is not a SQLite database, just text that is long enough'.repeat(20));

    expect(() => SqliteStore.open(file)).toThrow(StoreUnavailableError);
  });

  it('reports a corrupt row as unavailable, naming the row in the cause', async () => {
    const store = open();
    const request = await store.createRequest(aRequest());
    raw()
      .prepare('UPDATE requests SET json = ? WHERE id = ?')
      .run(JSON.stringify({ id: request.id, state: 'approved' }), request.id);

    const error: unknown = await store.getRequest(request.id).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).cause)).toContain(request.id);
    await expect(store.listOpenRequests()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('reports a table dropped under it as unavailable while the rest keeps answering', async () => {
    const store = open();
    raw().exec('DROP TABLE claims');

    await expect(store.claimOnce('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('rejects invalid input without storing it', async () => {
    const store = open();
    const bad = { ...aRequest(), state: 'teleported' } as unknown as ReturnType<typeof aRequest>;

    await expect(store.createRequest(bad)).rejects.toThrow(/cannot be stored/);
    await expect(store.createRequest(aRequest({ createdAt: 'yesterday' }))).rejects.toThrow(
      /not a valid time/,
    );
    expect(await store.listRequestsSince('2000-01-01T00:00:00Z')).toEqual([]);
  });

  it('orders by time correctly when callers mix ISO formats', async () => {
    const store = open();
    const early = await store.createRequest(aRequest({ createdAt: '2025-06-02T09:00:00Z' }));
    const late = await store.createRequest(aRequest({ createdAt: '2025-06-02T09:00:00.500Z' }));
    const offset = await store.createRequest(
      aRequest({ createdAt: '2025-06-02T11:00:00.900+02:00' }),
    );

    const listed = await store.listRequestsSince('2025-06-02T09:00:00.000Z');

    expect(listed.map((r) => r.id)).toEqual([early.id, late.id, offset.id]);
    expect(listed[0]?.createdAt).toBe('2025-06-02T09:00:00Z');
  });
});
