/**
 * The scale-out store: Azure Table storage (or Azurite), shared by any number of TapDesk
 * instances. Table storage answers point reads and key-range scans within one partition
 * cheaply and everything else by scanning, so every query the {@link Store} port runs is laid
 * out as a range within a partition the query names:
 *
 * - `requests` and `checklists`: one entity per record, PartitionKey = id, so a read by id is a
 *   point read and records never contend for a partition. The record is one JSON string
 *   property (a property holds 64 KiB) plus `version`, a write counter; the entity's ETag is
 *   the record's etag, and every update is `Replace` with `If-Match` on it.
 * - `index`: entries `{ id, version }` that point at records, one partition per question:
 *   `request.state|<state>` (open requests, requests in states), `request.requester|<id>` and
 *   `request.created` (by requester or by everyone since a time), `checklist.owner|<id>`.
 *   Request entries use RowKey `<createdAt>|<id>`, so "since" is a RowKey range and the RowKey
 *   order is the oldest-first order. `request.created` holds every request in one partition: a
 *   partition serves thousands of operations a second, far beyond a helpdesk's request rate.
 * - `audit`: the event itself in `month|<YYYY-MM>` under RowKey `<at>|<append stamp>|<id>`
 *   (time order, ties in append order); a pointer in `request|<id>` under a gapless sequence
 *   number (append order across instances, allocated by insert-if-absent); one `months` entry
 *   per month that has events, so a time range queries only months that exist.
 * - `conversations` and `claims`: point entities keyed by the reference key or claim key.
 *
 * The index lives in other partitions than its record, so the two cannot change atomically.
 * The record is the truth and the index a superset of it: a writer adds the entries its new
 * version needs before the record's compare-and-swap and removes the ones it no longer needs
 * after it; a reader re-reads every record an entry points at and keeps it only if the record
 * still has that key. A process that dies between the writes leaves extra entries, never
 * missing ones. Entries carry the record version they were written for and are only ever
 * raised, and an entry is deleted (If-Match on its own ETag) only by someone who has seen a
 * committed record version at or above it without that key, which no later writer can still
 * be relying on. Audit pointers are written before the event and dropped on read when their
 * event is missing, so both audit views always show the same events.
 */
import { randomUUID } from 'node:crypto';
import { odata, TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import {
  REQUEST_STATES,
  TERMINAL_STATES,
  type AuditEvent,
  type NewAuditEvent,
  type NewTapRequest,
  type RequestState,
  type TapRequest,
} from '../domain/request.js';
import { errorSummary, silentLogger, type Logger } from '../logger.js';
import {
  ConflictError,
  StoreUnavailableError,
  type Checklist,
  type ConversationKey,
  type ConversationRef,
  type NewChecklist,
  type Store,
} from '../ports.js';
import {
  auditSchema,
  checklistSchema,
  conversationKey,
  conversationRefSchema,
  CorruptRowError,
  MissingRecordError,
  newAuditSchema,
  parseRow,
  requestSchema,
  sortableTime,
  validInput,
} from './schemas.js';

/** Where the tables are: a connection string (Azurite, account key) or an endpoint and identity. */
export type AzureTablesConnection =
  { connectionString: string } | { endpoint: string; credential: TokenCredential };

/** Options for {@link AzureTablesStore.open}. */
export interface AzureTablesStoreOptions {
  /** Clock for bookkeeping properties (`updatedAt`, `claimedAt`); tests pin it. */
  now?: () => Date;
  /** Prepended to every table name (letters and digits, starting with a letter). */
  tablePrefix?: string;
  logger?: Logger;
  /** How long one HTTP attempt may take before it counts as failed. */
  requestTimeoutMs?: number;
  /** Retries after a failed attempt (network errors, 408, 5xx). */
  maxRetries?: number;
}

const DEFAULT_PREFIX = 'tapdesk';
const DEFAULT_REQUEST_TIMEOUT_MS = 3000;
const DEFAULT_MAX_RETRIES = 2;

/** Table names are 3–63 letters and digits; the longest suffix below is 13 characters. */
const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,49}$/;

/** A string property holds at most 64 KiB of UTF-16. */
const MAX_PROPERTY_BYTES = 64 * 1024;

/** Point reads issued at once when a list resolves its index entries. */
const READ_CONCURRENCY = 16;
/** Rounds of a contended insert-or-raise before it gives up. */
const WRITE_ATTEMPTS = 25;

const RECORD_ROW = 'record';
const SINGLE_ROW = 'entry';
const MONTHS_PARTITION = 'months';

const OPEN_STATES = REQUEST_STATES.filter((state) => !TERMINAL_STATES.has(state));

// ---------------------------------------------------------------------------------------------
// Entity shapes, as the service returns them.

const recordEntitySchema = z.object({
  json: z.string(),
  version: z.number().int().positive(),
  etag: z.string(),
});
const jsonEntitySchema = z.object({ json: z.string() });
const indexEntitySchema = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  id: z.string(),
  version: z.number().int().positive(),
  etag: z.string(),
});
const rowKeyEntitySchema = z.object({ rowKey: z.string() });
const pointerEntitySchema = z.object({ timeKey: z.string() });

/** The part of a service error the store decides on. */
const serviceErrorSchema = z.object({
  statusCode: z.number().optional(),
  details: z.looseObject({ errorCode: z.string().optional() }).optional(),
});

function serviceError(error: unknown): { status?: number; code?: string } {
  const parsed = serviceErrorSchema.safeParse(error);
  if (!parsed.success) return {};
  return { status: parsed.data.statusCode, code: parsed.data.details?.errorCode };
}

/** 404 for the entity, not for a table that is gone (that is an outage). */
function isEntityMissing(error: unknown): boolean {
  const { status, code } = serviceError(error);
  return status === 404 && code !== 'TableNotFound';
}

function isAlreadyThere(error: unknown): boolean {
  const { status, code } = serviceError(error);
  return status === 409 && (code === undefined || code === 'EntityAlreadyExists');
}

function isStale(error: unknown): boolean {
  return serviceError(error).status === 412;
}

function parseEntity<T>(where: string, schema: z.ZodType<T>, entity: unknown): T {
  const parsed = schema.safeParse(entity);
  if (!parsed.success) throw new CorruptRowError(where, z.prettifyError(parsed.error));
  return parsed.data;
}

/** Keys may not hold `/ \ # ?` or control characters, and `|` separates their parts. */
function keyPart(value: string): string {
  return value.replace(
    /[^A-Za-z0-9._:@=+-]/g,
    (char) => `~${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function storable(what: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf16le') > MAX_PROPERTY_BYTES) {
    throw new TypeError(`${what} cannot be stored: it is larger than a table property holds`);
  }
  return json;
}

/** Audit RowKeys need a tie-breaker that grows in append order within this process. */
let lastAppendStamp = 0;
function appendStamp(): string {
  lastAppendStamp = Math.max(Date.now(), lastAppendStamp + 1);
  return String(lastAppendStamp).padStart(15, '0');
}

const sequenceKey = (n: number): string => String(n).padStart(10, '0');

function isPlainHttp(connectionString: string): boolean {
  const settings = new Map(
    connectionString.split(';').map((part) => {
      const at = part.indexOf('=');
      return [
        part.slice(0, at).trim().toLowerCase(),
        part
          .slice(at + 1)
          .trim()
          .toLowerCase(),
      ];
    }),
  );
  const endpoint = settings.get('tableendpoint');
  if (endpoint !== undefined) return endpoint.startsWith('http:');
  return (
    settings.get('usedevelopmentstorage') === 'true' ||
    settings.get('defaultendpointsprotocol') === 'http'
  );
}

async function getOrUndefined(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<unknown> {
  try {
    return await client.getEntity(partitionKey, rowKey);
  } catch (error) {
    if (isEntityMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Every entity matching `filter`, in row-key order.
 *
 * @remarks Azure Storage returns a partition in row-key order, but Cosmos DB for Table does not
 * sort query results, so the order every caller relies on is made here.
 */
async function queryAll(client: TableClient, filter: string): Promise<unknown[]> {
  const entities: { rowKey: string; entity: unknown }[] = [];
  for await (const entity of client.listEntities({ queryOptions: { filter } })) {
    entities.push({ rowKey: String(entity.rowKey ?? ''), entity });
  }
  return entities
    .sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0))
    .map(({ entity }) => entity);
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Records with a self-healing index.

interface IndexKey {
  partitionKey: string;
  rowKey: string;
}

/** A range of one index partition: all of it, or RowKeys from `from` on. */
interface IndexRange {
  partitionKey: string;
  from?: string;
}

interface Stored<T> {
  data: T;
  etag: string;
  version: number;
}

const keyString = (key: IndexKey): string => `${key.partitionKey}\n${key.rowKey}`;

function without(keys: readonly IndexKey[], drop: readonly IndexKey[]): IndexKey[] {
  const dropped = new Set(drop.map(keyString));
  return keys.filter((key) => !dropped.has(keyString(key)));
}

/** One kind of compare-and-swap record (requests, checklists) and its index entries. */
class RecordTable<T extends { id: string }> {
  constructor(
    private readonly records: TableClient,
    private readonly index: TableClient,
    private readonly what: string,
    private readonly schema: z.ZodType<T>,
    private readonly keysOf: (data: T) => IndexKey[],
    private readonly logger: Logger,
  ) {}

  /** Returns the new record's etag. */
  async create(data: T, json: string): Promise<string> {
    await Promise.all(this.keysOf(data).map((key) => this.raiseEntry(key, data.id, 1)));
    try {
      const created = await this.records.createEntity({
        partitionKey: keyPart(data.id),
        rowKey: RECORD_ROW,
        json,
        version: 1,
      });
      return this.etagOf(created.etag);
    } catch (error) {
      if (isAlreadyThere(error)) throw new ConflictError(`${this.what} ${data.id}`);
      throw error;
    }
  }

  async read(id: string): Promise<Stored<T> | undefined> {
    const entity = await getOrUndefined(this.records, keyPart(id), RECORD_ROW);
    if (entity === undefined) return undefined;
    const where = `${this.what} row ${id}`;
    const row = parseEntity(where, recordEntitySchema, entity);
    return { data: parseRow(where, this.schema, row.json), etag: row.etag, version: row.version };
  }

  /** Compare-and-swap on `etag`; returns the new etag. */
  async update(data: T, json: string, etag: string): Promise<string> {
    const what = `${this.what} ${data.id}`;
    // The read gives the keys the index must drop and the next version; a stale etag fails
    // here without sending an If-Match the service might reject as malformed.
    const current = await this.read(data.id);
    if (current === undefined) throw new MissingRecordError(what);
    if (current.etag !== etag) throw new ConflictError(what);

    const version = current.version + 1;
    const before = this.keysOf(current.data);
    const after = this.keysOf(data);
    await Promise.all(without(after, before).map((key) => this.raiseEntry(key, data.id, version)));
    let written;
    try {
      written = await this.records.updateEntity(
        { partitionKey: keyPart(data.id), rowKey: RECORD_ROW, json, version },
        'Replace',
        { etag },
      );
    } catch (error) {
      if (isStale(error)) throw new ConflictError(what);
      if (isEntityMissing(error)) throw new MissingRecordError(what);
      throw error;
    }
    await this.retire(without(before, after), version);
    return this.etagOf(written.etag);
  }

  /**
   * The records the index lists in `ranges`, each checked against the record itself, in RowKey
   * order. Entries the record has outgrown are removed on the way.
   */
  async list(ranges: readonly IndexRange[]): Promise<Stored<T>[]> {
    const found = await Promise.all(
      ranges.map(async ({ partitionKey, from }) => {
        const filter =
          from === undefined
            ? odata`PartitionKey eq ${partitionKey}`
            : odata`PartitionKey eq ${partitionKey} and RowKey ge ${from}`;
        const entities = await queryAll(this.index, filter);
        return entities.map((e) => parseEntity(`${this.what} index`, indexEntitySchema, e));
      }),
    );
    const hitsById = new Map<string, z.infer<typeof indexEntitySchema>[]>();
    for (const hit of found.flat()) hitsById.set(hit.id, [...(hitsById.get(hit.id) ?? []), hit]);

    const checked = await mapLimit([...hitsById], READ_CONCURRENCY, async ([id, hits]) => {
      const current = await this.read(id);
      if (current === undefined) return undefined;
      const live = new Set(this.keysOf(current.data).map(keyString));
      const outgrown = hits.filter((h) => !live.has(keyString(h)) && h.version <= current.version);
      await this.deleteEntries(outgrown);
      const hit = hits.find((h) => live.has(keyString(h)));
      return hit === undefined ? undefined : { order: hit.rowKey, stored: current };
    });
    return checked
      .flatMap((entry) => (entry === undefined ? [] : [entry]))
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
      .map((entry) => entry.stored);
  }

  /** Makes the entry exist with at least `version`; it is never lowered. */
  private async raiseEntry(key: IndexKey, id: string, version: number): Promise<void> {
    const entry = { ...key, id, version };
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      try {
        await this.index.createEntity(entry);
        return;
      } catch (error) {
        if (!isAlreadyThere(error)) throw error;
      }
      const existing = await getOrUndefined(this.index, key.partitionKey, key.rowKey);
      if (existing === undefined) continue;
      const found = parseEntity(`${this.what} index`, indexEntitySchema, existing);
      if (found.version >= version) return;
      try {
        await this.index.updateEntity(entry, 'Replace', { etag: found.etag });
        return;
      } catch (error) {
        if (!isStale(error) && !isEntityMissing(error)) throw error;
      }
    }
    throw new Error(`${this.what} index entry ${key.partitionKey} kept changing`);
  }

  /** After `version` committed without these keys; failures only leave extra entries. */
  private async retire(keys: readonly IndexKey[], version: number): Promise<void> {
    try {
      const entries = await Promise.all(
        keys.map((key) => getOrUndefined(this.index, key.partitionKey, key.rowKey)),
      );
      const outgrown = entries
        .flatMap((e) => (e === undefined ? [] : [parseEntity('index', indexEntitySchema, e)]))
        .filter((entry) => entry.version <= version);
      await this.deleteEntries(outgrown);
    } catch (error) {
      this.logger.warn({ err: errorSummary(error) }, `could not tidy the ${this.what} index`);
    }
  }

  /** Deletes entries unless they changed since read; a failure only leaves an extra entry. */
  private async deleteEntries(entries: readonly z.infer<typeof indexEntitySchema>[]) {
    await Promise.all(
      entries.map(async (entry) => {
        try {
          await this.index.deleteEntity(entry.partitionKey, entry.rowKey, { etag: entry.etag });
        } catch (error) {
          if (isStale(error) || isEntityMissing(error)) return;
          this.logger.warn({ err: errorSummary(error) }, `could not tidy the ${this.what} index`);
        }
      }),
    );
  }

  private etagOf(etag: string | undefined): string {
    if (etag === undefined) throw new Error(`the service returned no ETag for a ${this.what}`);
    return etag;
  }
}

// ---------------------------------------------------------------------------------------------

interface Tables {
  requests: TableClient;
  checklists: TableClient;
  index: TableClient;
  audit: TableClient;
  conversations: TableClient;
  claims: TableClient;
}

const TABLE_SUFFIXES = {
  requests: 'requests',
  checklists: 'checklists',
  index: 'index',
  audit: 'audit',
  conversations: 'conversations',
  claims: 'claims',
} as const satisfies { [K in keyof Tables]: string };

function requestKeys(request: NewTapRequest): IndexKey[] {
  const rowKey = `${sortableTime(request.createdAt, `Request ${request.id} createdAt`)}|${keyPart(request.id)}`;
  return [
    { partitionKey: `request.state|${request.state}`, rowKey },
    { partitionKey: `request.requester|${keyPart(request.requester.id)}`, rowKey },
    { partitionKey: 'request.created', rowKey },
  ];
}

/** Bad input is the caller's error, thrown before the store is touched. */
function checkedRequest(request: NewTapRequest): { data: NewTapRequest; json: string } {
  const data = validInput(`Request ${request.id}`, requestSchema, request);
  sortableTime(data.createdAt, `Request ${data.id} createdAt`);
  return { data, json: storable(`Request ${data.id}`, data) };
}

function checklistKeys(checklist: NewChecklist): IndexKey[] {
  return [
    {
      partitionKey: `checklist.owner|${keyPart(checklist.ownerId)}`,
      rowKey: keyPart(checklist.id),
    },
  ];
}

/** {@link Store} on Azure Table storage; see the module comment for the layout. */
export class AzureTablesStore implements Store {
  private closed = false;
  private readonly requests: RecordTable<NewTapRequest>;
  private readonly checklists: RecordTable<NewChecklist>;
  /** Months this instance has already registered; registering again is harmless. */
  private readonly knownMonths = new Set<string>();

  private constructor(
    private readonly tables: Tables,
    private readonly now: () => Date,
    logger: Logger,
  ) {
    this.requests = new RecordTable(
      tables.requests,
      tables.index,
      'Request',
      requestSchema,
      requestKeys,
      logger,
    );
    this.checklists = new RecordTable(
      tables.checklists,
      tables.index,
      'Checklist',
      checklistSchema,
      checklistKeys,
      logger,
    );
  }

  /**
   * Connects and creates the tables that are missing.
   * @throws TypeError when `tablePrefix` cannot start a table name.
   * @throws {@link StoreUnavailableError} when the service cannot be reached or refuses.
   */
  static async open(
    connection: AzureTablesConnection,
    options: AzureTablesStoreOptions = {},
  ): Promise<AzureTablesStore> {
    const prefix = options.tablePrefix ?? DEFAULT_PREFIX;
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new TypeError(
        `tablePrefix must be letters and digits starting with a letter, at most 50: ${prefix}`,
      );
    }
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const insecure =
      'connectionString' in connection
        ? isPlainHttp(connection.connectionString)
        : connection.endpoint.toLowerCase().startsWith('http:');
    const clientOptions: TableServiceClientOptions = {
      retryOptions: {
        maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
        retryDelayInMs: 200,
        maxRetryDelayInMs: 1000,
      },
      // Without a timeout a hung service (accepting connections, never answering) hangs
      // every flow; with it, each attempt fails and the retries stay bounded.
      additionalPolicies: [
        {
          position: 'perRetry',
          policy: {
            name: 'tapdeskRequestTimeout',
            sendRequest: (request, next) => {
              request.timeout = timeoutMs;
              return next(request);
            },
          },
        },
      ],
      ...(insecure ? { allowInsecureConnection: true } : {}),
    };
    const client = (suffix: string): TableClient =>
      'connectionString' in connection
        ? TableClient.fromConnectionString(
            connection.connectionString,
            prefix + suffix,
            clientOptions,
          )
        : new TableClient(
            connection.endpoint,
            prefix + suffix,
            connection.credential,
            clientOptions,
          );
    const tables: Tables = {
      requests: client(TABLE_SUFFIXES.requests),
      checklists: client(TABLE_SUFFIXES.checklists),
      index: client(TABLE_SUFFIXES.index),
      audit: client(TABLE_SUFFIXES.audit),
      conversations: client(TABLE_SUFFIXES.conversations),
      claims: client(TABLE_SUFFIXES.claims),
    };
    try {
      await Promise.all(
        Object.values(tables).map(async (table) => {
          try {
            await table.createTable();
          } catch (error) {
            // Another instance created it first.
            if (serviceError(error).status !== 409) throw error;
          }
        }),
      );
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
    return new AzureTablesStore(
      tables,
      options.now ?? (() => new Date()),
      options.logger ?? silentLogger(),
    );
  }

  async ping(): Promise<void> {
    return this.run(async () => {
      await getOrUndefined(this.tables.claims, 'ping', SINGLE_ROW);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async createRequest(request: NewTapRequest): Promise<TapRequest> {
    const { data, json } = checkedRequest(request);
    return this.run(async () => ({ ...data, etag: await this.requests.create(data, json) }));
  }

  async getRequest(id: string): Promise<TapRequest | undefined> {
    return this.run(async () => {
      const stored = await this.requests.read(id);
      return stored === undefined ? undefined : { ...stored.data, etag: stored.etag };
    });
  }

  async updateRequest(request: TapRequest): Promise<TapRequest> {
    const { data, json } = checkedRequest(request);
    return this.run(async () => ({
      ...data,
      etag: await this.requests.update(data, json, request.etag),
    }));
  }

  async listOpenRequests(): Promise<TapRequest[]> {
    return this.listRequests(
      OPEN_STATES.map((state) => ({ partitionKey: `request.state|${state}` })),
    );
  }

  async listRequestsByRequester(requesterId: string, since: string): Promise<TapRequest[]> {
    const from = sortableTime(since, 'since');
    return this.listRequests([{ partitionKey: `request.requester|${keyPart(requesterId)}`, from }]);
  }

  async listRequestsSince(since: string): Promise<TapRequest[]> {
    const from = sortableTime(since, 'since');
    return this.listRequests([{ partitionKey: 'request.created', from }]);
  }

  async listRequestsInStates(states: readonly RequestState[]): Promise<TapRequest[]> {
    return this.listRequests(
      [...new Set(states)].map((state) => ({ partitionKey: `request.state|${state}` })),
    );
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    const data = validInput('Audit event', newAuditSchema, event);
    const stored: AuditEvent = { id: randomUUID(), ...data };
    const at = sortableTime(data.at, 'Audit event time');
    const json = storable('Audit event', stored);
    return this.run(async () => {
      const month = at.slice(0, 7);
      const timeKey = `${at}|${appendStamp()}|${stored.id}`;
      await Promise.all([
        this.registerMonth(month),
        data.requestId === null ? undefined : this.appendPointer(data.requestId, timeKey),
      ]);
      await this.tables.audit.createEntity({
        partitionKey: `month|${month}`,
        rowKey: timeKey,
        json,
      });
      return stored;
    });
  }

  async auditForRequest(requestId: string): Promise<AuditEvent[]> {
    return this.run(async () => {
      const pointers = await queryAll(
        this.tables.audit,
        odata`PartitionKey eq ${`request|${keyPart(requestId)}`}`,
      );
      const events = await mapLimit(pointers, READ_CONCURRENCY, async (entity) => {
        const { timeKey } = parseEntity('Audit pointer', pointerEntitySchema, entity);
        // A pointer whose event never landed is an append that failed halfway.
        return getOrUndefined(this.tables.audit, `month|${timeKey.slice(0, 7)}`, timeKey);
      });
      return events.flatMap((entity) => (entity === undefined ? [] : [readAudit(entity)]));
    });
  }

  async auditBetween(since: string, until: string): Promise<AuditEvent[]> {
    const from = sortableTime(since, 'since');
    const to = sortableTime(until, 'until');
    if (from >= to) return [];
    return this.run(async () => {
      const months = await queryAll(
        this.tables.audit,
        odata`PartitionKey eq ${MONTHS_PARTITION} and RowKey ge ${from.slice(0, 7)} and RowKey le ${to.slice(0, 7)}`,
      );
      const perMonth = await mapLimit(months, 4, async (entity) => {
        const { rowKey: month } = parseEntity('Audit month', rowKeyEntitySchema, entity);
        return queryAll(
          this.tables.audit,
          odata`PartitionKey eq ${`month|${month}`} and RowKey ge ${from} and RowKey lt ${to}`,
        );
      });
      return perMonth.flat().map(readAudit);
    });
  }

  async saveConversationRef(key: ConversationKey, ref: ConversationRef): Promise<void> {
    const json = storable(
      'Conversation reference',
      validInput('Conversation reference', conversationRefSchema, ref),
    );
    return this.run(async () => {
      await this.tables.conversations.upsertEntity(
        {
          partitionKey: keyPart(conversationKey(key)),
          rowKey: SINGLE_ROW,
          json,
          updatedAt: this.now().toISOString(),
        },
        'Replace',
      );
    });
  }

  async getConversationRef(key: ConversationKey): Promise<ConversationRef | undefined> {
    const where = `Conversation reference ${conversationKey(key)}`;
    return this.run(async () => {
      const entity = await getOrUndefined(
        this.tables.conversations,
        keyPart(conversationKey(key)),
        SINGLE_ROW,
      );
      if (entity === undefined) return undefined;
      // botbuilder's types demand fields Teams does not always send; the checked shape is what
      // routing needs, and the rest is returned exactly as it was saved.
      const { json } = parseEntity(where, jsonEntitySchema, entity);
      return parseRow(where, conversationRefSchema, json) as ConversationRef;
    });
  }

  async createChecklist(checklist: NewChecklist): Promise<Checklist> {
    const data = validInput(`Checklist ${checklist.id}`, checklistSchema, checklist);
    const json = storable(`Checklist ${data.id}`, data);
    return this.run(async () => ({ ...data, etag: await this.checklists.create(data, json) }));
  }

  async getChecklist(id: string): Promise<Checklist | undefined> {
    return this.run(async () => {
      const stored = await this.checklists.read(id);
      return stored === undefined ? undefined : { ...stored.data, etag: stored.etag };
    });
  }

  async updateChecklist(checklist: Checklist): Promise<Checklist> {
    const data = validInput(`Checklist ${checklist.id}`, checklistSchema, checklist);
    const json = storable(`Checklist ${data.id}`, data);
    return this.run(async () => ({
      ...data,
      etag: await this.checklists.update(data, json, checklist.etag),
    }));
  }

  async listChecklistsByOwner(ownerId: string): Promise<Checklist[]> {
    return this.run(async () => {
      const stored = await this.checklists.list([
        { partitionKey: `checklist.owner|${keyPart(ownerId)}` },
      ]);
      return stored.map(({ data, etag }) => ({ ...data, etag }));
    });
  }

  async claimOnce(key: string): Promise<boolean> {
    return this.run(async () => {
      try {
        await this.tables.claims.createEntity({
          partitionKey: keyPart(key),
          rowKey: SINGLE_ROW,
          claimedAt: this.now().toISOString(),
        });
        return true;
      } catch (error) {
        if (isAlreadyThere(error)) return false;
        throw error;
      }
    });
  }

  private async listRequests(ranges: readonly IndexRange[]): Promise<TapRequest[]> {
    return this.run(async () => {
      const stored = await this.requests.list(ranges);
      return stored.map(({ data, etag }) => ({ ...data, etag }));
    });
  }

  /** Takes the next sequence number in the request's pointer partition by inserting it. */
  private async appendPointer(requestId: string, timeKey: string): Promise<void> {
    const partitionKey = `request|${keyPart(requestId)}`;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const taken = await queryAll(this.tables.audit, odata`PartitionKey eq ${partitionKey}`);
      const last = taken.at(-1);
      const next =
        last === undefined
          ? 1
          : Number(parseEntity('Audit pointer', rowKeyEntitySchema, last).rowKey) + 1;
      try {
        await this.tables.audit.createEntity({ partitionKey, rowKey: sequenceKey(next), timeKey });
        return;
      } catch (error) {
        if (!isAlreadyThere(error)) throw error;
      }
    }
    throw new Error(`the audit trail of request ${requestId} kept changing`);
  }

  private async registerMonth(month: string): Promise<void> {
    if (this.knownMonths.has(month)) return;
    await this.tables.audit.upsertEntity(
      { partitionKey: MONTHS_PARTITION, rowKey: month },
      'Replace',
    );
    this.knownMonths.add(month);
  }

  /** Any failure but the port's own becomes "unavailable", so flows can say "try again". */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(new Error('the store is closed'));
    try {
      return await work();
    } catch (error) {
      if (error instanceof ConflictError || error instanceof MissingRecordError) throw error;
      throw new StoreUnavailableError(error);
    }
  }
}

function readAudit(entity: unknown): AuditEvent {
  const { json } = parseEntity('Audit row', jsonEntitySchema, entity);
  return parseRow('Audit row', auditSchema, json);
}
