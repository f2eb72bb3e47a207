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
import { DAY_MS } from '../domain/time.js';

/** Open requests and suspicious reports older than this no longer count. */
const OPEN_LOOKBACK_DAYS = 30;

export type Assessment =
  | { ok: true; profile: UserProfile; policy: TapPolicy | 'unreadable'; priorRequests: number }
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
  // Every request the person ever made: the count names their next request (see submitRequest),
  // read together with the open-request check so a racing Submit cannot slip between the two.
  const all = await store.listRequestsByRequester(person.id, '1970-01-01T00:00:00.000Z');
  const lookback = now.getTime() - OPEN_LOOKBACK_DAYS * DAY_MS;
  const recent = all.filter((request) => Date.parse(request.createdAt) >= lookback);
  const dayAgo = now.getTime() - DAY_MS;
  const reported = recent.find((request) => request.attestation === 'suspicious');
  if (reported) return refuseAfterSuspicious(services, person, profile, reported.id);
  const verdict: Eligibility = checkEligibility({
    profile,
    tapPolicy: policy,
    privilegedGroupId: config.privilegedGroupId,
    openRequest: recent.find((request) => isOpen(request.state)),
    requestsLast24h: recent.filter((request) => Date.parse(request.createdAt) >= dayAgo).length,
    maxRequestsPerDay: config.maxRequestsPerDay,
  });
  if (verdict.ok) return { ok: true, profile, policy, priorRequests: all.length };

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
  await alertOnRepeatedRefusals(services, person, profile);
  return { ok: false, message: verdict.message };
}

/** Refusals in 24 hours that make a pattern worth a look by the security team. */
export const REPEATED_REFUSALS = 3;

const REFUSED_ACTIONS = new Set(['request_refused', 'escalated_privileged']);

/** Alerts once, when a person's refused attempts in the last 24 hours reach the threshold. */
async function alertOnRepeatedRefusals(services: Services, person: Person, profile: UserProfile) {
  const now = services.now();
  const events = await services.store.auditBetween(
    new Date(now.getTime() - DAY_MS).toISOString(),
    new Date(now.getTime() + 1).toISOString(),
  );
  const refusals = events.filter(
    (e) => e.actor.id === person.id && e.outcome === 'refused' && REFUSED_ACTIONS.has(e.action),
  );
  if (refusals.length !== REPEATED_REFUSALS) return;
  await alertSecurity(services, {
    title: `${REPEATED_REFUSALS} refused pass requests in 24 hours`,
    text: `TapDesk refused ${profile.user.displayName} ${REPEATED_REFUSALS} times in the last 24 hours. Someone may be probing the recovery process with this account.`,
    facts: [
      {
        title: 'Account',
        value: `${profile.user.displayName} (${profile.user.userPrincipalName})`,
      },
      { title: 'Reasons', value: refusals.map((e) => e.reason ?? 'unknown').join(', ') },
    ],
  });
}

/**
 * Someone whose earlier request a manager reported as suspicious asks again: no new request,
 * a neutral answer, and the security team hears of it.
 */
async function refuseAfterSuspicious(
  services: Services,
  person: Person,
  profile: UserProfile,
  reportedId: string,
): Promise<Assessment> {
  await audit(services, {
    request: null,
    actor: person,
    action: 'escalated_after_suspicious',
    outcome: 'refused',
    reason: `earlier request ${reportedId} was reported as suspicious`,
  });
  await alertSecurity(services, {
    title: 'A new request after a suspicious report',
    text: `${profile.user.displayName} asked for a pass again after their manager reported an earlier request as suspicious. TapDesk did not start a new request.`,
    facts: [
      {
        title: 'Account',
        value: `${profile.user.displayName} (${profile.user.userPrincipalName})`,
      },
      { title: 'Reported request', value: reportedId },
    ],
  });
  return {
    ok: false,
    message: 'The helpdesk needs to talk to you about this. They will contact you.',
  };
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
