/**
 * Requests, people and actors from the demo tenant, for domain tests: `aRequest()` is Ava's
 * lost-phone request as it stands right after submission was announced, at {@link NOW}.
 */
import type { PassInfo, Person, TapRequest } from '../../src/domain/request.js';
import type { Actor } from '../../src/domain/stateMachine.js';
import type { DirectoryUser, TapPolicy, UserProfile } from '../../src/ports.js';

/** The fixed "now" of domain tests. */
export const NOW = new Date('2025-06-02T10:00:00.000Z');

/** Minutes after {@link NOW}. */
export const minutesFromNow = (minutes: number): Date => new Date(NOW.getTime() + minutes * 60_000);

export const people = {
  ava: { id: 'a0000000-0000-4000-8000-000000000001', name: 'Ava Employee' },
  maya: { id: 'a0000000-0000-4000-8000-000000000002', name: 'Maya Manager' },
  hugo: { id: 'a0000000-0000-4000-8000-000000000003', name: 'Hugo Helpdesk' },
  hana: { id: 'a0000000-0000-4000-8000-000000000004', name: 'Hana Helpdesk' },
  sam: { id: 'a0000000-0000-4000-8000-000000000005', name: 'Sam Security' },
  ada: { id: 'a0000000-0000-4000-8000-000000000006', name: 'Ada Admin' },
  nina: { id: 'a0000000-0000-4000-8000-000000000007', name: 'Nina Newhire' },
  olly: { id: 'a0000000-0000-4000-8000-00000000000a', name: 'Olly Orphan' },
} as const satisfies Record<string, Person>;

export const groups = {
  helpdesk: 'b0000000-0000-4000-8000-000000000001',
  security: 'b0000000-0000-4000-8000-000000000002',
  privileged: 'b0000000-0000-4000-8000-000000000003',
} as const;

/** A person acting with the given roles (none by default). */
export const actor = (who: Person, roles: Partial<Omit<Actor, 'id' | 'name'>> = {}): Actor => ({
  ...who,
  isHelpdesk: false,
  ...roles,
});

export const actors = {
  ava: actor(people.ava),
  maya: actor(people.maya),
  hugo: actor(people.hugo, { isHelpdesk: true }),
  hana: actor(people.hana, { isHelpdesk: true }),
  sam: actor(people.sam, { isSecurity: true }),
  olly: actor(people.olly),
};

/** Ava's lost-phone request waiting for verification; override any field. */
export function aRequest(overrides: Partial<TapRequest> = {}): TapRequest {
  return {
    id: 'req-0001',
    kind: 'lost_phone',
    state: 'awaiting_verification',
    requester: { ...people.ava, upn: 'ava@contoso.example', department: 'Finance' },
    manager: { ...people.maya },
    phoneOnFile: '+1 425 555 0142',
    methodsAtSubmit: ['password', 'microsoftAuthenticator'],
    reason: 'Lost my phone on the train',
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    expiresAt: minutesFromNow(240).toISOString(),
    startsAt: null,
    attestation: 'pending',
    checks: {},
    flags: [],
    flagsReviewed: false,
    notes: [],
    assignee: null,
    approver: null,
    issuing: null,
    lastError: null,
    pass: null,
    outcomeReason: null,
    cards: {},
    etag: 'etag-1',
    ...overrides,
  };
}

/** Facts about a pass Graph just created (never the pass itself). */
export function aPass(overrides: Partial<PassInfo> = {}): PassInfo {
  return {
    methodId: 'tap-method-1',
    issuedAt: NOW.toISOString(),
    startsAt: NOW.toISOString(),
    expiresAt: minutesFromNow(60).toISOString(),
    deliveredAt: null,
    scrubbedAt: null,
    ...overrides,
  };
}

/** Ava's request with verification done and Hugo's approval given. */
export function anApprovedRequest(overrides: Partial<TapRequest> = {}): TapRequest {
  return aRequest({
    state: 'approved',
    attestation: 'confirmed',
    checks: { callback: true, identity: true },
    approver: { ...people.hugo },
    assignee: { ...people.hugo },
    ...overrides,
  });
}

/** Ava's request with the pass created and not yet handed over. */
export function anIssuedRequest(overrides: Partial<TapRequest> = {}): TapRequest {
  return anApprovedRequest({ state: 'pass_issued', pass: aPass(), ...overrides });
}

/** A directory user: Ava unless overridden. */
export function aDirectoryUser(overrides: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    id: people.ava.id,
    displayName: people.ava.name,
    userPrincipalName: 'ava@contoso.example',
    accountEnabled: true,
    userType: 'Member',
    mobilePhone: '+1 425 555 0142',
    businessPhones: [],
    department: 'Finance',
    jobTitle: 'Accountant',
    createdDateTime: '2021-09-01T08:00:00Z',
    ...overrides,
  };
}

/** Ava's profile: enabled member, manager Maya, Authenticator on an iPhone, no roles or groups. */
export function aProfile(overrides: Partial<UserProfile> = {}): UserProfile {
  return {
    user: aDirectoryUser(),
    manager: aDirectoryUser({
      id: people.maya.id,
      displayName: people.maya.name,
      userPrincipalName: 'maya@contoso.example',
      mobilePhone: null,
      jobTitle: 'Finance Manager',
    }),
    methods: [
      { id: 'pw-1', type: 'password', label: null, createdAt: null },
      {
        id: 'auth-1',
        type: 'microsoftAuthenticator',
        label: 'iPhone 12',
        createdAt: '2024-03-02T09:00:00Z',
      },
    ],
    activeRoles: [],
    memberOf: [],
    ...overrides,
  };
}

/** An enabled TAP policy for all users, 60 minutes by default within 10–480. */
export function aTapPolicy(overrides: Partial<TapPolicy> = {}): TapPolicy {
  return {
    enabled: true,
    defaultLifetimeInMinutes: 60,
    minimumLifetimeInMinutes: 10,
    maximumLifetimeInMinutes: 480,
    isUsableOnce: true,
    includeTargets: ['all_users'],
    ...overrides,
  };
}
