/**
 * Reads what eligibility needs (profile, TAP policy, the person's recent requests) and decides
 * whether TapDesk may start a request for them. Shared by the offer and the submit, because the
 * facts may change between the two.
 */
import { ALL_USERS_TARGET, checkEligibility, type Eligibility } from '../domain/eligibility.js';
import type { Person } from '../domain/request.js';
import { isOpen } from '../domain/request.js';
import { DirectoryError, type TapPolicy, type UserProfile } from '../ports.js';
import type { Services } from '../services.js';
import { alertSecurity } from './alertSecurity.js';
import { audit } from './audit.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Open requests older than this are long expired; looking further back only costs reads. */
const OPEN_LOOKBACK_DAYS = 30;

export type Assessment =
  | { ok: true; profile: UserProfile; policy: TapPolicy | 'unreadable' }
  | { ok: false; message: string };

export async function assessRequester(services: Services, person: Person): Promise<Assessment> {
  const { directory, store, config } = services;
  const now = services.now();
  const policy = await readPolicy(services);
  const groups = [
    ...(config.privilegedGroupId ? [config.privilegedGroupId] : []),
    ...(policy === 'unreadable' ? [] : policy.includeTargets.filter((t) => t !== ALL_USERS_TARGET)),
  ];
  const profile = await directory.getProfile(person.id, groups);
  if (profile === undefined) {
    await audit(services, {
      request: null,
      actor: person,
      action: 'request_refused',
      outcome: 'refused',
      reason: 'account not found in the directory',
    });
    return {
      ok: false,
      message:
        'TapDesk cannot find your account in the company directory. Please call the helpdesk.',
    };
  }
  const recent = await store.listRequestsByRequester(
    person.id,
    new Date(now.getTime() - OPEN_LOOKBACK_DAYS * DAY_MS).toISOString(),
  );
  const dayAgo = now.getTime() - DAY_MS;
  const verdict: Eligibility = checkEligibility({
    profile,
    tapPolicy: policy,
    privilegedGroupId: config.privilegedGroupId,
    openRequest: recent.find((request) => isOpen(request.state)),
    requestsLast24h: recent.filter((request) => Date.parse(request.createdAt) >= dayAgo).length,
    maxRequestsPerDay: config.maxRequestsPerDay,
  });
  if (verdict.ok) return { ok: true, profile, policy };

  await audit(services, {
    request: null,
    actor: person,
    action: verdict.escalate ? 'escalated_privileged' : 'request_refused',
    outcome: 'refused',
    reason: verdict.code,
  });
  if (verdict.escalate) {
    await alertSecurity(services, {
      title: 'A privileged account asked TapDesk for a pass',
      text: 'TapDesk never issues a pass to an account with administrator rights. Contact the person through a trusted channel and recover the account by your privileged-access procedure.',
      facts: [
        {
          title: 'Account',
          value: `${profile.user.displayName} (${profile.user.userPrincipalName})`,
        },
        { title: 'Asked at', value: now.toISOString() },
      ],
    });
  }
  return { ok: false, message: verdict.message };
}

/** The TAP policy, or `unreadable` when the bot lacks Policy.Read.All (Graph still enforces it). */
async function readPolicy(services: Services): Promise<TapPolicy | 'unreadable'> {
  try {
    return await services.directory.getTapPolicy();
  } catch (error) {
    if (error instanceof DirectoryError && error.kind === 'forbidden') {
      services.logger.warn(error.message);
      return 'unreadable';
    }
    throw error;
  }
}
