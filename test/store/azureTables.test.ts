import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { odata, TableClient } from '@azure/data-tables';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, StoreUnavailableError, type Store } from '../../src/ports.js';
import { AzureTablesStore, type AzureTablesStoreOptions } from '../../src/store/azureTables.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { aChecklist, anAuditEvent, aRequest } from '../support/factories.js';
import { describeStoreContract } from './storeContract.js';

let azurite: Azurite;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

/** Each test gets its own tables in the one Azurite. */
const freshPrefix = (): string => `t${randomUUID().replaceAll('-', '').slice(0, 16)}`;

describeStoreContract('AzureTablesStore', async () => {
  const tablePrefix = freshPrefix();
  const connection = { connectionString: azurite.connectionString };
  const opened: Store[] = [await AzureTablesStore.open(connection, { tablePrefix })];
  return {
    store: opened[0] as Store,
    reopen: async () => {
      const store = await AzureTablesStore.open(connection, { tablePrefix });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
    },
  };
});

/** A raw client on one of a store's tables, as an operator with Storage Explorer would use. */
function rawTable(tablePrefix: string, suffix: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, tablePrefix + suffix, {
    allowInsecureConnection: true,
  });
}

async function entitiesIn(table: TableClient, partitionKey: string) {
  const found = [];
  for await (const entity of table.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` },
  })) {
    found.push(entity);
  }
  return found;
}

describe('AzureTablesStore on Azurite', () => {
  let tablePrefix: string;
  const open = (options: AzureTablesStoreOptions = {}) =>
    AzureTablesStore.open(
      { connectionString: azurite.connectionString },
      { tablePrefix, requestTimeoutMs: 500, maxRetries: 1, ...options },
    );

  beforeAll(() => {
    tablePrefix = freshPrefix();
  });

  afterEach(() => {
    tablePrefix = freshPrefix();
  });

  it('refuses a stale write from a second instance with ConflictError', async () => {
    const one = await open();
    const two = await open();
    const created = await one.createRequest(aRequest());
    const readByTwo = await two.getRequest(created.id);
    if (readByTwo === undefined) throw new Error('second instance cannot see the request');

    await one.updateRequest({ ...created, approver: { id: 'hugo', name: 'Hugo Helpdesk' } });

    await expect(
      two.updateRequest({ ...readByTwo, approver: { id: 'hana', name: 'Hana Helpdesk' } }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await two.getRequest(created.id))?.approver?.name).toBe('Hugo Helpdesk');
    expect([await one.claimOnce('reminder'), await two.claimOnce('reminder')]).toEqual([
      true,
      false,
    ]);
  });

  it('gives exactly one winner when two instances write the same etag at once', async () => {
    const one = await open();
    const two = await open();
    const created = await one.createRequest(aRequest());

    const results = await Promise.allSettled([
      one.updateRequest({ ...created, state: 'awaiting_approval' }),
      two.updateRequest({ ...created, state: 'cancelled' }),
    ]);

    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(ConflictError);
    const winner = won[0]?.state;
    expect((await two.listRequestsInStates(['awaiting_approval', 'cancelled'])).length).toBe(1);
    expect((await one.listOpenRequests()).length).toBe(winner === 'cancelled' ? 0 : 1);
  });

  it('never writes the etag into the stored JSON', async () => {
    const store = await open();
    const created = await store.createRequest(aRequest());
    await store.updateRequest({ ...created, state: 'awaiting_approval' });

    const entity = await rawTable(tablePrefix, 'requests').getEntity(created.id, 'record');

    expect(JSON.parse(String(entity['json']))).not.toHaveProperty('etag');
  });

  it('ignores an index entry whose record write never happened', async () => {
    const store = await open();
    const created = await store.createRequest(aRequest());
    const index = rawTable(tablePrefix, 'index');
    // A writer that died after indexing its next state but before the record's swap.
    const [entry] = await entitiesIn(index, 'request.state|awaiting_verification');
    if (entry === undefined) throw new Error('the request was not indexed by state');
    await index.createEntity({
      partitionKey: 'request.state|approved',
      rowKey: entry.rowKey ?? '',
      id: created.id,
      version: 2,
    });

    expect(await store.listRequestsInStates(['approved'])).toEqual([]);
    expect((await store.listOpenRequests()).map((r) => r.id)).toEqual([created.id]);
    // Version 2 may still be committed by that writer, so its entry must survive the read.
    expect(await entitiesIn(index, 'request.state|approved')).toHaveLength(1);
  });

  it('removes an entry the record has outgrown when a reader finds it', async () => {
    const store = await open();
    const created = await store.createRequest(aRequest());
    const index = rawTable(tablePrefix, 'index');
    const [entry] = await entitiesIn(index, 'request.state|awaiting_verification');
    if (entry === undefined) throw new Error('the request was not indexed by state');
    await store.updateRequest({ ...created, state: 'cancelled' });
    // As if the writer died before tidying the entry of the state it left.
    await index.createEntity({
      partitionKey: entry.partitionKey ?? '',
      rowKey: entry.rowKey ?? '',
      id: created.id,
      version: 1,
    });

    expect(await store.listOpenRequests()).toEqual([]);
    expect(await entitiesIn(index, 'request.state|awaiting_verification')).toEqual([]);
    expect((await store.listRequestsInStates(['cancelled'])).map((r) => r.id)).toEqual([
      created.id,
    ]);
  });

  it('keeps listing a request that returns to a state it left', async () => {
    const store = await open();
    const v1 = await store.createRequest(aRequest({ state: 'awaiting_verification' }));
    const v2 = await store.updateRequest({ ...v1, state: 'awaiting_approval' });
    const v3 = await store.updateRequest({ ...v2, state: 'awaiting_verification' });

    expect(await store.listRequestsInStates(['awaiting_verification'])).toEqual([v3]);
    expect(await store.listRequestsInStates(['awaiting_approval'])).toEqual([]);
  });

  it('shows an audit append that failed halfway in neither view', async () => {
    const store = await open();
    const requestId = randomUUID();
    const first = await store.appendAudit(anAuditEvent({ requestId, action: 'submit' }));
    // The pointer landed, the event did not.
    await rawTable(tablePrefix, 'audit').createEntity({
      partitionKey: `request|${requestId}`,
      rowKey: '0000000002',
      timeKey: `${first.at}|999999999999999|lost`,
    });
    const third = await store.appendAudit(anAuditEvent({ requestId, action: 'approve' }));

    expect(await store.auditForRequest(requestId)).toEqual([first, third]);
    expect(await store.auditBetween(first.at, new Date(Date.now() + 60_000).toISOString())).toEqual(
      [first, third],
    );
  });

  it('lists checklists by owner after an owner change moves them', async () => {
    const store = await open();
    const checklist = await store.createChecklist(aChecklist({ ownerId: 'owner-a' }));
    const moved = await store.updateChecklist({ ...checklist, ownerId: 'owner-b' });

    expect(await store.listChecklistsByOwner('owner-a')).toEqual([]);
    expect(await store.listChecklistsByOwner('owner-b')).toEqual([moved]);
  });

  it('stores ids and keys with characters table keys forbid', async () => {
    const store = await open();
    const request = await store.createRequest(aRequest({ id: 'req/1#?\\%~|x' }));
    await store.saveConversationRef({ channel: '19:a/b#c@thread.tacv2' }, { channelId: 'msteams' });

    expect(await store.getRequest(request.id)).toEqual(request);
    expect(await store.getConversationRef({ channel: '19:a/b#c@thread.tacv2' })).toEqual({
      channelId: 'msteams',
    });
    expect(await store.claimOnce('a/b?c')).toBe(true);
    expect(await store.claimOnce('a/b?c')).toBe(false);
  });

  it('rejects a table prefix that cannot start a table name', async () => {
    await expect(open({ tablePrefix: 'tap-desk' })).rejects.toBeInstanceOf(TypeError);
    await expect(open({ tablePrefix: '1tapdesk' })).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses input too large for a table property without touching the store', async () => {
    const store = await open();
    const huge = aRequest({ reason: 'x'.repeat(40_000) });

    await expect(store.createRequest(huge)).rejects.toThrow(/cannot be stored/);
    expect(await store.getRequest(huge.id)).toBeUndefined();
  });

  it('reports a closed store as unavailable', async () => {
    const store = await open();
    await store.close();
    await store.close();

    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.getRequest('any')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  describe('queries', () => {
    let proxy: Server;
    let seen: string[];

    /** Forwards to Azurite and notes each request's path and query, to see what the store asks. */
    beforeAll(async () => {
      seen = [];
      proxy = createServer((incoming, outgoing) => {
        seen.push(`${incoming.method} ${decodeURIComponent(incoming.url ?? '')}`);
        const upstream = httpRequest(
          {
            host: '127.0.0.1',
            port: azurite.port,
            method: incoming.method,
            path: incoming.url,
            headers: incoming.headers,
          },
          (response) => {
            outgoing.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(outgoing);
          },
        );
        upstream.on('error', () => outgoing.destroy());
        incoming.pipe(upstream);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    });

    it('answers every list from ranges of named partitions, never a table scan', async () => {
      const { port } = proxy.address() as AddressInfo;
      const viaProxy = azurite.connectionString.replace(`:${azurite.port}/`, `:${port}/`);
      const store = await AzureTablesStore.open(
        { connectionString: viaProxy },
        { tablePrefix: freshPrefix() },
      );
      const request = await store.createRequest(aRequest());
      await store.updateRequest({ ...request, state: 'approved' });
      await store.appendAudit(anAuditEvent({ requestId: request.id }));
      await store.createChecklist(aChecklist());
      seen.length = 0;

      await store.listOpenRequests();
      await store.listRequestsInStates(['approved', 'denied']);
      await store.listRequestsByRequester(request.requester.id, request.createdAt);
      await store.listRequestsSince(request.createdAt);
      await store.auditForRequest(request.id);
      await store.auditBetween('2020-01-01T00:00:00Z', '2099-01-01T00:00:00Z');
      await store.listChecklistsByOwner(aChecklist().ownerId);

      const queries = seen.filter((line) => /^GET [^ ]*\(\)/.test(line));
      expect(queries.length).toBeGreaterThanOrEqual(7);
      for (const query of queries) {
        expect(query).toMatch(
          /\$filter=PartitionKey eq '[^']+'( and RowKey (ge|lt|le) '[^']*')*(&|$)/,
        );
      }
      const pointReads = seen.filter((line) => line.startsWith('GET ') && !queries.includes(line));
      for (const read of pointReads)
        expect(read).toMatch(/\(PartitionKey='[^']*',RowKey='[^']*'\)/);
    });
  });

  describe('outages', () => {
    it('fails with StoreUnavailableError while the service hangs, then the same write works', async () => {
      const store = await open({ requestTimeoutMs: 300, maxRetries: 1 });
      const created = await store.createRequest(aRequest());
      const write = { ...created, state: 'awaiting_approval' as const };

      azurite.pause();
      const started = Date.now();
      try {
        await expect(store.updateRequest(write)).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.listOpenRequests()).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        azurite.resume();
      }
      expect(Date.now() - started).toBeLessThan(5000);

      const written = await store.updateRequest(write);
      expect(await store.getRequest(created.id)).toEqual(written);
      expect(written.state).toBe('awaiting_approval');
    });

    it('fails at once while the service is down, and opens again once it is back', async () => {
      const store = await open({ maxRetries: 1 });
      await azurite.stop();
      const started = Date.now();
      try {
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.createRequest(aRequest())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.appendAudit(anAuditEvent())).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        await expect(open({ maxRetries: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await azurite.restart();
      }

      // In-memory Azurite comes back empty; a fresh open recreates the tables.
      const again = await open();
      const request = await again.createRequest(aRequest());
      expect(await again.getRequest(request.id)).toEqual(request);
    });
  });
});
