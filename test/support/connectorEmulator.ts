/**
 * A Bot Framework Connector (the Teams side of `serviceUrl`) on loopback. A real botbuilder
 * `CloudAdapter` in local mode (no app id, so no token) posts to it; tests read what arrived.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The connector operations the emulator answers. */
export type ConnectorOp = 'create' | 'send' | 'reply' | 'update' | 'delete';

/** A JSON activity as the bot sent it (loosely typed: tests poke at any field). */
export type JsonActivity = Record<string, unknown> & { id?: string; type?: string; text?: string };

/** One accepted connector call, in arrival order. */
export interface RecordedActivity {
  op: ConnectorOp;
  conversationId: string;
  activityId: string;
  /** The body as sent; `null` for deletes and for a create without an initial activity. */
  activity: JsonActivity | null;
  /** The `conversationParameters` of a create (members, channelData, tenant …). */
  parameters?: Record<string, unknown>;
  /** `Date.now()` when the call arrived. */
  at: number;
}

/** Every HTTP request the emulator saw, including the ones it failed on purpose. */
export interface ConnectorAttempt {
  method: string;
  path: string;
  op: ConnectorOp | 'unknown';
  status: number;
  authorization: string | undefined;
  at: number;
}

/** A failure to answer with instead of serving the next matching call(s). */
export interface ConnectorFault {
  /** Only calls of this kind fail; any kind when omitted. */
  op?: ConnectorOp;
  status: 429 | 500 | 503;
  /** Sent as the `Retry-After` header. */
  retryAfterSeconds?: number;
  /** How many calls fail before the fault is used up (default 1). */
  times?: number;
}

export interface WaitForOptions {
  /** Default 2000 ms. */
  timeoutMs?: number;
  /** Said in the timeout error, e.g. "an update of the channel card". */
  description?: string;
}

export interface ConnectorEmulator {
  /** Base URL ending in `/`, to use as an activity's `serviceUrl`. */
  readonly url: string;
  /** Accepted calls, oldest first. */
  readonly log: RecordedActivity[];
  /** Every request, including faulted and unknown ones. */
  readonly attempts: ConnectorAttempt[];
  /** The current version of each activity in a conversation (updates replace, deletes remove). */
  conversation(conversationId: string): JsonActivity[];
  /**
   * Everything recorded for one conversation, superseded versions included, as one string;
   * tests search it for things that must never have been sent.
   */
  textOf(conversationId: string): string;
  /** Like {@link ConnectorEmulator.textOf} across every conversation. */
  allText(): string;
  /** Resolves with the first recorded call (past or future) that matches; bounded by a timeout. */
  waitFor(
    predicate: (entry: RecordedActivity) => boolean,
    options?: WaitForOptions,
  ): Promise<RecordedActivity>;
  inject(fault: ConnectorFault): void;
  /** Forgets the log, attempts and pending faults (the conversations too). */
  reset(): void;
  close(): Promise<void>;
}

interface Route {
  op: ConnectorOp;
  conversationId?: string;
  activityId?: string;
}

interface PendingFault {
  op: ConnectorOp | undefined;
  status: 429 | 500 | 503;
  retryAfterSeconds: number | undefined;
  remaining: number;
}

const POLL_MS = 5;

function route(method: string, pathname: string): Route | undefined {
  const segments = pathname.split('/').filter((s) => s !== '');
  if (segments[0] !== 'v3' || segments[1] !== 'conversations') return undefined;
  let parts: string[];
  try {
    parts = segments.slice(2).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (parts.length === 0) return method === 'POST' ? { op: 'create' } : undefined;
  const [conversationId, collection, activityId, ...rest] = parts;
  if (collection !== 'activities' || rest.length > 0) return undefined;
  if (activityId === undefined)
    return method === 'POST' ? { op: 'send', conversationId } : undefined;
  const op = ({ POST: 'reply', PUT: 'update', DELETE: 'delete' } as const)[
    method as 'POST' | 'PUT' | 'DELETE'
  ];
  return op === undefined ? undefined : { op, conversationId, activityId };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    ...headers,
  });
  res.end(payload);
}

function describe(entry: RecordedActivity): string {
  const text =
    typeof entry.activity?.text === 'string' ? ` "${entry.activity.text.slice(0, 60)}"` : '';
  return `${entry.op} ${entry.conversationId}/${entry.activityId}${text}`;
}

/** Starts the emulator on 127.0.0.1 with an ephemeral port. */
export async function startConnectorEmulator(): Promise<ConnectorEmulator> {
  const log: RecordedActivity[] = [];
  const attempts: ConnectorAttempt[] = [];
  const faults: PendingFault[] = [];
  /** conversation id → activity id → current version (insertion order = posting order). */
  const conversations = new Map<string, Map<string, JsonActivity>>();
  let nextId = 1;
  const newActivityId = (): string => String(1_700_000_000_000 + nextId++);

  const activitiesOf = (conversationId: string): Map<string, JsonActivity> => {
    let activities = conversations.get(conversationId);
    if (activities === undefined) {
      activities = new Map();
      conversations.set(conversationId, activities);
    }
    return activities;
  };

  const takeFault = (op: ConnectorOp): PendingFault | undefined => {
    const fault = faults.find((f) => f.op === undefined || f.op === op);
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
    return fault;
  };

  const record = (entry: Omit<RecordedActivity, 'at'>): void => {
    log.push({ ...entry, at: Date.now() });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const matched = route(method, pathname);
    const attempt: ConnectorAttempt = {
      method,
      path: pathname,
      op: matched?.op ?? 'unknown',
      status: 0,
      authorization: req.headers.authorization,
      at: Date.now(),
    };
    attempts.push(attempt);
    const reply = (status: number, body?: unknown, headers?: Record<string, string>): void => {
      attempt.status = status;
      send(res, status, body, headers);
    };

    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      reply(400, { error: { code: 'BadSyntax', message: 'The body is not JSON' } });
      return;
    }
    if (matched === undefined) {
      reply(404, { error: { code: 'NotFound', message: `No route for ${method} ${pathname}` } });
      return;
    }
    const fault = takeFault(matched.op);
    if (fault !== undefined) {
      reply(
        fault.status,
        {
          error: {
            code: fault.status === 429 ? 'Throttled' : 'ServiceError',
            message: `Injected ${fault.status}`,
          },
        },
        fault.retryAfterSeconds === undefined
          ? {}
          : { 'retry-after': String(fault.retryAfterSeconds) },
      );
      return;
    }

    if (matched.op === 'delete') {
      const conversationId = matched.conversationId ?? '';
      const activityId = matched.activityId ?? '';
      activitiesOf(conversationId).delete(activityId);
      record({ op: 'delete', conversationId, activityId, activity: null });
      reply(200);
      return;
    }
    if (!isObject(body)) {
      reply(400, { error: { code: 'BadArgument', message: 'Expected a JSON object body' } });
      return;
    }

    if (matched.op === 'create') {
      const channelData = isObject(body.channelData) ? body.channelData : {};
      const channel = isObject(channelData.channel) ? channelData.channel : {};
      const initial = isObject(body.activity) ? (body.activity as JsonActivity) : null;
      const activityId = initial === null ? '' : newActivityId();
      const members = Array.isArray(body.members) ? body.members : [];
      const firstMember = isObject(members[0]) ? members[0] : {};
      let conversationId: string;
      if (typeof channel.id === 'string') {
        conversationId = initial === null ? channel.id : `${channel.id};messageid=${activityId}`;
      } else if (typeof firstMember.id === 'string') {
        conversationId = `a:1on1-${firstMember.id}`;
      } else {
        conversationId = `a:conversation-${nextId++}`;
      }
      const parameters = Object.fromEntries(
        Object.entries(body).filter(([key]) => key !== 'activity'),
      );
      if (initial !== null) {
        activitiesOf(conversationId).set(activityId, { ...initial, id: activityId });
      }
      record({ op: 'create', conversationId, activityId, activity: initial, parameters });
      const serviceUrl = `http://${req.headers.host ?? '127.0.0.1'}/`;
      reply(
        200,
        initial === null
          ? { id: conversationId, serviceUrl }
          : { id: conversationId, activityId, serviceUrl },
      );
      return;
    }

    const conversationId = matched.conversationId ?? '';
    const activity = body as JsonActivity;
    const activityId = matched.op === 'update' ? (matched.activityId ?? '') : newActivityId();
    activitiesOf(conversationId).set(activityId, { ...activity, id: activityId });
    record({ op: matched.op, conversationId, activityId, activity });
    reply(200, { id: activityId });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 500, { error: { code: 'EmulatorError', message: String(error) } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    log,
    attempts,
    conversation: (conversationId) => [...(conversations.get(conversationId)?.values() ?? [])],
    textOf: (conversationId) =>
      log
        .filter((e) => e.conversationId === conversationId)
        .map((e) => JSON.stringify(e))
        .join('\n'),
    allText: () => log.map((e) => JSON.stringify(e)).join('\n'),
    async waitFor(predicate, options = {}) {
      const timeoutMs = options.timeoutMs ?? 2000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = log.find(predicate);
        if (found !== undefined) return found;
        if (Date.now() >= deadline) {
          const seen = log.length === 0 ? 'nothing' : log.map(describe).join('; ');
          throw new Error(
            `Connector emulator: no ${options.description ?? 'matching call'} within ${timeoutMs} ms; saw ${seen}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    inject(fault) {
      faults.push({
        op: fault.op,
        status: fault.status,
        retryAfterSeconds: fault.retryAfterSeconds,
        remaining: fault.times ?? 1,
      });
    },
    reset() {
      log.length = 0;
      attempts.length = 0;
      faults.length = 0;
      conversations.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
