/**
 * The three ports TapDesk's flows talk through: the directory (Microsoft Graph), the store and
 * the messenger (Teams). Adapters live in `graph/`, `store/` and `teams/`; tests swap them.
 */
import type { Activity, ConversationReference } from 'botbuilder';
import type {
  AuditEvent,
  CardRef,
  NewAuditEvent,
  NewTapRequest,
  RequestState,
  TapRequest,
} from './domain/request.js';

// ---------------------------------------------------------------------------------------------
// Store

/** A compare-and-swap write presented an eTag that is no longer current. */
export class ConflictError extends Error {
  constructor(what: string) {
    super(`${what} was changed by someone else; read it again`);
    this.name = 'ConflictError';
  }
}

/** The store could not be reached or failed; nothing was changed. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The request store is unavailable right now', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** A runbook checklist one person ticks through (planned phone change, lost phone, new hire). */
export interface Checklist {
  id: string;
  /** AAD object id of the person who ticks it. */
  ownerId: string;
  runbook: string;
  /** Ticked steps by step id. */
  done: Record<string, boolean>;
  /** Facts the runbook was tailored with (device scenario, planned date …). */
  meta: Record<string, string | null>;
  card: CardRef | null;
  updatedAt: string;
  etag: string;
}

export type NewChecklist = Omit<Checklist, 'etag'>;

/** Opaque-to-the-flows address of a Teams conversation, as botbuilder hands it out. */
export type ConversationRef = Partial<ConversationReference>;

/** Where a conversation reference is filed: a user's 1:1 chat or a channel. */
export type ConversationKey = { user: string } | { channel: string };

export interface Store {
  /** Throws {@link StoreUnavailableError} when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Inserts a new request; fails with ConflictError if the id exists. */
  createRequest(request: NewTapRequest): Promise<TapRequest>;
  getRequest(id: string): Promise<TapRequest | undefined>;
  /**
   * Compare-and-swap: writes only if `request.etag` is still current, else throws
   * {@link ConflictError}. Returns the stored request with its new eTag.
   */
  updateRequest(request: TapRequest): Promise<TapRequest>;
  /** Requests not in a terminal state, oldest first. */
  listOpenRequests(): Promise<TapRequest[]>;
  /** A requester's requests created at or after `since`, oldest first. */
  listRequestsByRequester(requesterId: string, since: string): Promise<TapRequest[]>;
  /** Every request created at or after `since`, oldest first (reports). */
  listRequestsSince(since: string): Promise<TapRequest[]>;
  /** Requests in one of `states`, oldest first. */
  listRequestsInStates(states: readonly RequestState[]): Promise<TapRequest[]>;

  /** Append-only: events are never changed or removed. */
  appendAudit(event: NewAuditEvent): Promise<AuditEvent>;
  /** A request's events in the order they were appended. */
  auditForRequest(requestId: string): Promise<AuditEvent[]>;
  /** Events with `since <= at < until`, in time order (ties in append order). */
  auditBetween(since: string, until: string): Promise<AuditEvent[]>;

  saveConversationRef(key: ConversationKey, ref: ConversationRef): Promise<void>;
  getConversationRef(key: ConversationKey): Promise<ConversationRef | undefined>;

  createChecklist(checklist: NewChecklist): Promise<Checklist>;
  getChecklist(id: string): Promise<Checklist | undefined>;
  /** Compare-and-swap, like {@link Store.updateRequest}. */
  updateChecklist(checklist: Checklist): Promise<Checklist>;
  listChecklistsByOwner(ownerId: string): Promise<Checklist[]>;

  /**
   * Records `key` once. True for the one caller that recorded it, false for every later one
   * (on any instance): the guard for "send this reminder exactly once".
   */
  claimOnce(key: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Directory (Microsoft Graph)

export interface DirectoryUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  /** 'Member' or 'Guest'. */
  userType: string;
  mobilePhone: string | null;
  businessPhones: string[];
  department: string | null;
  jobTitle: string | null;
  createdDateTime: string | null;
}

export const AUTH_METHOD_TYPES = [
  'password',
  'microsoftAuthenticator',
  'phone',
  'fido2',
  'softwareOath',
  'temporaryAccessPass',
  'email',
  'windowsHelloForBusiness',
  'platformCredential',
  'other',
] as const;
export type AuthMethodType = (typeof AUTH_METHOD_TYPES)[number];

export interface AuthMethod {
  id: string;
  type: AuthMethodType;
  /** Device name, masked phone number, key model … whatever names it for a person. */
  label: string | null;
  createdAt: string | null;
}

export interface TapPolicy {
  enabled: boolean;
  defaultLifetimeInMinutes: number;
  minimumLifetimeInMinutes: number;
  maximumLifetimeInMinutes: number;
  /** The policy forces one-time passes. */
  isUsableOnce: boolean;
  /** Group ids in scope; `all_users` when everyone is. */
  includeTargets: string[];
}

export interface TapOptions {
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  /** ISO time; omitted means "now". */
  startDateTime?: string;
}

/**
 * A freshly created pass. `temporaryAccessPass` exists only in memory, between Graph's 201 and
 * the approving agent's card; nothing may store or log this object.
 */
export interface IssuedTap {
  id: string;
  temporaryAccessPass: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
}

export interface ExistingTap {
  id: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsable: boolean;
}

/** Everything the bot needs about a person to decide eligibility, read in one `$batch`. */
export interface UserProfile {
  user: DirectoryUser;
  manager: DirectoryUser | null;
  methods: AuthMethod[];
  /** Role definition ids of active directory role assignments. */
  activeRoles: string[];
  /** The subset of the asked group ids the user is a (transitive) member of. */
  memberOf: string[];
}

/** A change the directory audit log recorded about a user (risk flags). */
export interface DirectoryAuditEntry {
  activity: string;
  at: string;
}

/** Entra ID Protection's view of a user, or `unavailable` when the bot may not read it. */
export type UserRisk = { level: string; state: string } | 'unavailable';

export type DirectoryErrorKind =
  'forbidden' | 'not_found' | 'throttled' | 'unavailable' | 'bad_request' | 'unauthorized';

/** A Graph failure, said so an operator can act on it. */
export class DirectoryError extends Error {
  constructor(
    readonly kind: DirectoryErrorKind,
    message: string,
    readonly status: number,
    /** For `forbidden`: the application permission the bot lacks. */
    readonly permission?: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

export interface Directory {
  /** Throws {@link DirectoryError} when Graph cannot be reached or refuses. */
  ping(): Promise<void>;
  getUser(userId: string): Promise<DirectoryUser | undefined>;
  /** Undefined when the directory shows no manager (Graph answers 404). */
  getManager(userId: string): Promise<DirectoryUser | undefined>;
  getDirectReports(userId: string): Promise<DirectoryUser[]>;
  /** The subset of `groupIds` that the user is a transitive member of. */
  checkMemberGroups(userId: string, groupIds: string[]): Promise<string[]>;
  listActiveRoles(userId: string): Promise<string[]>;
  /** Undefined when the user does not exist. */
  getProfile(userId: string, groupIds: string[]): Promise<UserProfile | undefined>;
  listAuthMethods(userId: string): Promise<AuthMethod[]>;
  deleteAuthenticatorMethod(userId: string, methodId: string): Promise<void>;
  getTapPolicy(): Promise<TapPolicy>;
  createTap(userId: string, options: TapOptions): Promise<IssuedTap>;
  listTaps(userId: string): Promise<ExistingTap[]>;
  deleteTap(userId: string, tapId: string): Promise<void>;
  /** Directory audit entries that targeted the user at or after `since`, newest first. */
  listDirectoryAuditsForUser(userId: string, since: string): Promise<DirectoryAuditEntry[]>;
  getUserRisk(userId: string): Promise<UserRisk>;
  /** Installs the Teams app for a user (already installed is fine), to reach them 1:1. */
  installAppForUser(userId: string, teamsAppId: string): Promise<void>;
  /** The id of the 1:1 chat between the user and the installed app, if installed. */
  getAppChatId(userId: string, teamsAppId: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Messenger (Teams)

export type OutgoingActivity = Partial<Activity>;

export interface Messenger {
  /** Posts into a user's 1:1 chat with the bot, installing the app for them if needed. */
  sendToUser(aadObjectId: string, activity: OutgoingActivity): Promise<CardRef>;
  /** Starts a new thread in a channel (`19:…@thread.tacv2`). */
  sendToChannel(channelId: string, activity: OutgoingActivity): Promise<CardRef>;
  /** Replaces a posted activity in place. */
  update(ref: CardRef, activity: OutgoingActivity): Promise<void>;
}
