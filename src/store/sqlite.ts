/**
 * The embedded store: one SQLite file in WAL mode, shared safely by several processes. Every
 * compare-and-swap is a single `UPDATE … WHERE version = ?`, so SQLite's own write lock decides
 * the one winner; the audit table is append-only by triggers, not by convention.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import {
  TERMINAL_STATES,
  type AuditEvent,
  type NewAuditEvent,
  type NewTapRequest,
  type RequestState,
  type TapRequest,
} from '../domain/request.js';
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
  MissingRecordError,
  newAuditSchema,
  parseRow,
  requestSchema,
  sortableTime,
  validInput,
} from './schemas.js';

/** Options for {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** Clock for the bookkeeping columns (`updated_at`, `claimed_at`); tests pin it. */
  now?: () => Date;
}

/**
 * Schema migrations, applied in order, one transaction each; `PRAGMA user_version` counts the
 * ones applied. Append only: never edit a migration that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    requester_id TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    json TEXT NOT NULL
  ) STRICT;
  CREATE INDEX requests_by_created ON requests (created_at);
  CREATE INDEX requests_by_state ON requests (state, created_at);
  CREATE INDEX requests_by_requester ON requests (requester_id, created_at);

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    request_id TEXT,
    json TEXT NOT NULL
  ) STRICT;
  CREATE INDEX audit_by_request ON audit (request_id, seq);
  CREATE INDEX audit_by_time ON audit (at, seq);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  -- INSERT OR REPLACE deletes the old row without firing delete triggers (unless the connection
  -- turned on recursive_triggers), so overwriting an existing event is refused at insert time.
  CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
    WHEN EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq OR id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

  CREATE TABLE conversation_refs (
    key TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE checklists (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    json TEXT NOT NULL
  ) STRICT;
  CREATE INDEX checklists_by_owner ON checklists (owner_id);

  CREATE TABLE claims (
    key TEXT PRIMARY KEY,
    claimed_at TEXT NOT NULL
  ) STRICT;
  `,
];

/** Several processes may share the file; a writer waits this long for another's lock. */
const BUSY_TIMEOUT_MS = 5000;

const versionedRowSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  json: z.string(),
});
const jsonRowSchema = z.object({ json: z.string() });
const versionRowSchema = z.object({ version: z.number().int() });

/** Etags are versions rendered as text; anything else can never match. */
function versionOf(etag: string): number {
  return /^[0-9]{1,15}$/.test(etag) ? Number(etag) : -1;
}

function configure(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

function schemaVersion(db: Database.Database): number {
  const version: unknown = db.pragma('user_version', { simple: true });
  if (typeof version !== 'number') throw new Error('SQLite did not report a user_version');
  return version;
}

function migrate(db: Database.Database): void {
  const found = schemaVersion(db);
  if (found > MIGRATIONS.length) {
    throw new Error(
      `the database schema is version ${found}, newer than this TapDesk knows (${MIGRATIONS.length})`,
    );
  }
  const apply = db.transaction((index: number) => {
    // Another process may have applied it while this one waited for the write lock.
    if (schemaVersion(db) !== index) return;
    db.exec(MIGRATIONS[index] ?? '');
    db.pragma(`user_version = ${index + 1}`);
  });
  for (let index = found; index < MIGRATIONS.length; index++) apply.immediate(index);
}

/** {@link Store} on one SQLite file. */
export class SqliteStore implements Store {
  private readonly sql;

  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
  ) {
    this.sql = {
      ping: db.prepare('SELECT 1'),
      insertRequest: db.prepare(
        `INSERT INTO requests (id, requester_id, state, created_at, version, json)
         VALUES (@id, @requesterId, @state, @createdAt, 1, @json)
         ON CONFLICT (id) DO NOTHING`,
      ),
      updateRequest: db.prepare(
        `UPDATE requests
         SET requester_id = @requesterId, state = @state, created_at = @createdAt,
             version = version + 1, json = @json
         WHERE id = @id AND version = @version
         RETURNING version`,
      ),
      requestExists: db.prepare('SELECT 1 FROM requests WHERE id = ?'),
      getRequest: db.prepare('SELECT id, version, json FROM requests WHERE id = ?'),
      openRequests: db.prepare(
        `SELECT id, version, json FROM requests
         WHERE state NOT IN (SELECT value FROM json_each(?))
         ORDER BY created_at, rowid`,
      ),
      requestsByRequester: db.prepare(
        `SELECT id, version, json FROM requests
         WHERE requester_id = ? AND created_at >= ?
         ORDER BY created_at, rowid`,
      ),
      requestsSince: db.prepare(
        `SELECT id, version, json FROM requests
         WHERE created_at >= ?
         ORDER BY created_at, rowid`,
      ),
      requestsInStates: db.prepare(
        `SELECT id, version, json FROM requests
         WHERE state IN (SELECT value FROM json_each(?))
         ORDER BY created_at, rowid`,
      ),
      appendAudit: db.prepare(
        'INSERT INTO audit (id, at, request_id, json) VALUES (@id, @at, @requestId, @json)',
      ),
      auditForRequest: db.prepare('SELECT json FROM audit WHERE request_id = ? ORDER BY seq'),
      auditBetween: db.prepare('SELECT json FROM audit WHERE at >= ? AND at < ? ORDER BY at, seq'),
      saveRef: db.prepare(
        `INSERT INTO conversation_refs (key, json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`,
      ),
      getRef: db.prepare('SELECT json FROM conversation_refs WHERE key = ?'),
      insertChecklist: db.prepare(
        `INSERT INTO checklists (id, owner_id, version, json) VALUES (@id, @ownerId, 1, @json)
         ON CONFLICT (id) DO NOTHING`,
      ),
      updateChecklist: db.prepare(
        `UPDATE checklists SET owner_id = @ownerId, version = version + 1, json = @json
         WHERE id = @id AND version = @version
         RETURNING version`,
      ),
      checklistExists: db.prepare('SELECT 1 FROM checklists WHERE id = ?'),
      getChecklist: db.prepare('SELECT id, version, json FROM checklists WHERE id = ?'),
      checklistsByOwner: db.prepare(
        'SELECT id, version, json FROM checklists WHERE owner_id = ? ORDER BY rowid',
      ),
      claim: db.prepare(
        'INSERT INTO claims (key, claimed_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
      ),
    };
  }

  /**
   * Opens (creating it and its directory if needed) and migrates the store file.
   * @throws {@link StoreUnavailableError} when the file cannot be opened or migrated.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    try {
      if (path !== ':memory:' && !path.startsWith('file:')) {
        mkdirSync(dirname(resolve(path)), { recursive: true });
      }
      const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
      try {
        configure(db);
        migrate(db);
        return new SqliteStore(db, options.now ?? (() => new Date()));
      } catch (error) {
        db.close();
        throw error;
      }
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
  }

  async ping(): Promise<void> {
    return this.run(() => {
      this.sql.ping.get();
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async createRequest(request: NewTapRequest): Promise<TapRequest> {
    const data = validInput(`Request ${request.id}`, requestSchema, request);
    const row = this.requestRow(data);
    return this.run(() => {
      if (this.sql.insertRequest.run(row).changes === 0) {
        throw new ConflictError(`Request ${data.id}`);
      }
      return { ...data, etag: '1' };
    });
  }

  async getRequest(id: string): Promise<TapRequest | undefined> {
    return this.run(() => {
      const row = this.sql.getRequest.get(id);
      return row === undefined ? undefined : readRequest(row);
    });
  }

  async updateRequest(request: TapRequest): Promise<TapRequest> {
    const data = validInput(`Request ${request.id}`, requestSchema, request);
    const row = { ...this.requestRow(data), version: versionOf(request.etag) };
    return this.run(() => {
      const written = this.sql.updateRequest.get(row);
      if (written === undefined) {
        if (this.sql.requestExists.get(data.id) === undefined) {
          throw new MissingRecordError(`Request ${data.id}`);
        }
        throw new ConflictError(`Request ${data.id}`);
      }
      return { ...data, etag: String(versionRowSchema.parse(written).version) };
    });
  }

  async listOpenRequests(): Promise<TapRequest[]> {
    const terminal = JSON.stringify([...TERMINAL_STATES]);
    return this.run(() => this.sql.openRequests.all(terminal).map(readRequest));
  }

  async listRequestsByRequester(requesterId: string, since: string): Promise<TapRequest[]> {
    const from = sortableTime(since, 'since');
    return this.run(() => this.sql.requestsByRequester.all(requesterId, from).map(readRequest));
  }

  async listRequestsSince(since: string): Promise<TapRequest[]> {
    const from = sortableTime(since, 'since');
    return this.run(() => this.sql.requestsSince.all(from).map(readRequest));
  }

  async listRequestsInStates(states: readonly RequestState[]): Promise<TapRequest[]> {
    if (states.length === 0) return [];
    const wanted = JSON.stringify(states);
    return this.run(() => this.sql.requestsInStates.all(wanted).map(readRequest));
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    const data = validInput('Audit event', newAuditSchema, event);
    const stored: AuditEvent = { id: randomUUID(), ...data };
    const row = {
      id: stored.id,
      at: sortableTime(data.at, 'Audit event time'),
      requestId: data.requestId,
      json: JSON.stringify(stored),
    };
    return this.run(() => {
      this.sql.appendAudit.run(row);
      return stored;
    });
  }

  async auditForRequest(requestId: string): Promise<AuditEvent[]> {
    return this.run(() => this.sql.auditForRequest.all(requestId).map(readAudit));
  }

  async auditBetween(since: string, until: string): Promise<AuditEvent[]> {
    const from = sortableTime(since, 'since');
    const to = sortableTime(until, 'until');
    return this.run(() => this.sql.auditBetween.all(from, to).map(readAudit));
  }

  async saveConversationRef(key: ConversationKey, ref: ConversationRef): Promise<void> {
    const json = JSON.stringify(validInput('Conversation reference', conversationRefSchema, ref));
    return this.run(() => {
      this.sql.saveRef.run(conversationKey(key), json, this.now().toISOString());
    });
  }

  async getConversationRef(key: ConversationKey): Promise<ConversationRef | undefined> {
    const where = `Conversation reference ${conversationKey(key)}`;
    return this.run(() => {
      const row = this.sql.getRef.get(conversationKey(key));
      if (row === undefined) return undefined;
      // botbuilder's types demand fields Teams does not always send; the checked shape is what
      // routing needs, and the rest is returned exactly as it was saved.
      return parseRow(
        where,
        conversationRefSchema,
        jsonRowSchema.parse(row).json,
      ) as ConversationRef;
    });
  }

  async createChecklist(checklist: NewChecklist): Promise<Checklist> {
    const data = validInput(`Checklist ${checklist.id}`, checklistSchema, checklist);
    const row = { id: data.id, ownerId: data.ownerId, json: JSON.stringify(data) };
    return this.run(() => {
      if (this.sql.insertChecklist.run(row).changes === 0) {
        throw new ConflictError(`Checklist ${data.id}`);
      }
      return { ...data, etag: '1' };
    });
  }

  async getChecklist(id: string): Promise<Checklist | undefined> {
    return this.run(() => {
      const row = this.sql.getChecklist.get(id);
      return row === undefined ? undefined : readChecklist(row);
    });
  }

  async updateChecklist(checklist: Checklist): Promise<Checklist> {
    const data = validInput(`Checklist ${checklist.id}`, checklistSchema, checklist);
    const row = {
      id: data.id,
      ownerId: data.ownerId,
      json: JSON.stringify(data),
      version: versionOf(checklist.etag),
    };
    return this.run(() => {
      const written = this.sql.updateChecklist.get(row);
      if (written === undefined) {
        if (this.sql.checklistExists.get(data.id) === undefined) {
          throw new MissingRecordError(`Checklist ${data.id}`);
        }
        throw new ConflictError(`Checklist ${data.id}`);
      }
      return { ...data, etag: String(versionRowSchema.parse(written).version) };
    });
  }

  async listChecklistsByOwner(ownerId: string): Promise<Checklist[]> {
    return this.run(() => this.sql.checklistsByOwner.all(ownerId).map(readChecklist));
  }

  async claimOnce(key: string): Promise<boolean> {
    return this.run(() => this.sql.claim.run(key, this.now().toISOString()).changes === 1);
  }

  private requestRow(data: NewTapRequest) {
    return {
      id: data.id,
      requesterId: data.requester.id,
      state: data.state,
      createdAt: sortableTime(data.createdAt, `Request ${data.id} createdAt`),
      json: JSON.stringify(data),
    };
  }

  /** Runs one synchronous SQLite step; any failure but the port's own becomes "unavailable". */
  private async run<T>(work: () => T): Promise<T> {
    try {
      return work();
    } catch (error) {
      if (error instanceof ConflictError || error instanceof MissingRecordError) throw error;
      throw new StoreUnavailableError(error);
    }
  }
}

function readRequest(row: unknown): TapRequest {
  const { id, version, json } = versionedRowSchema.parse(row);
  return { ...parseRow(`Request row ${id}`, requestSchema, json), etag: String(version) };
}

function readChecklist(row: unknown): Checklist {
  const { id, version, json } = versionedRowSchema.parse(row);
  return { ...parseRow(`Checklist row ${id}`, checklistSchema, json), etag: String(version) };
}

function readAudit(row: unknown): AuditEvent {
  return parseRow('Audit row', auditSchema, jsonRowSchema.parse(row).json);
}
