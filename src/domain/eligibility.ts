/**
 * Whether TapDesk may start a recovery request for a person (SPEC §4), decided from facts the
 * caller read from the directory and the store.
 */
import type { TapPolicy, UserProfile } from '../ports.js';
import { isOpen, type TapRequest } from './request.js';
import { describeState } from './stateMachine.js';

/** Graph accepts Temporary Access Pass lifetimes of 10 minutes to 30 days. */
export const GRAPH_MIN_LIFETIME_MINUTES = 10;
export const GRAPH_MAX_LIFETIME_MINUTES = 43_200;

/** The policy target that puts every user in scope. */
export const ALL_USERS_TARGET = 'all_users';

/** Facts the eligibility rules look at. */
export interface EligibilityInput {
  /** The person the pass would be for. */
  profile: UserProfile;
  /** The tenant's TAP policy, or `unreadable` when the bot may not read it. */
  tapPolicy: TapPolicy | 'unreadable';
  /** `PRIVILEGED_GROUP_ID`, when configured. */
  privilegedGroupId?: string;
  /** The person's open request, if any. */
  openRequest: TapRequest | undefined;
  /** How many requests the person made in the last 24 hours. */
  requestsLast24h: number;
  /** `MAX_REQUESTS_PER_DAY`. */
  maxRequestsPerDay: number;
}

/** Why a person cannot get a pass from TapDesk. */
export type IneligibleCode =
  | 'disabled'
  | 'guest'
  | 'privileged'
  | 'open_request'
  | 'rate_limited'
  | 'tap_disabled'
  | 'out_of_scope';

/**
 * The verdict. When refused, `message` tells the person why and who can help, and `escalate`
 * says the attempt goes to the security team (privileged accounts).
 */
export type Eligibility =
  { ok: true } | { ok: false; code: IneligibleCode; message: string; escalate: boolean };

/**
 * Applies the rules in order, first failure wins: enabled, member, not privileged, no open
 * request, under the daily limit, TAP enabled, in the policy's scope. The last two are skipped
 * when the policy is unreadable (Graph will still refuse a pass the policy forbids).
 *
 * @remarks `profile.memberOf` only holds the groups the caller asked about, so the caller must
 * include the policy's group targets in that question. A group target the profile does not
 * confirm counts as out of scope: failing closed here is a clear message now instead of a Graph
 * error after a helpdesk agent has already verified and approved.
 */
export function checkEligibility(input: EligibilityInput): Eligibility {
  const { profile, tapPolicy } = input;
  const { user } = profile;

  if (!user.accountEnabled) {
    return refuse(
      'disabled',
      'Your account is disabled, so a pass would not let you sign in. Please call the helpdesk; they can check why it was disabled.',
    );
  }
  if (user.userType.toLowerCase() !== 'member') {
    return refuse(
      'guest',
      'Guest accounts sign in through their own organisation, so TapDesk cannot help. Please ask the IT team of your home organisation.',
    );
  }
  if (isPrivileged(profile, input.privilegedGroupId)) {
    return {
      ok: false,
      code: 'privileged',
      message:
        'Your account has administrator rights, so TapDesk cannot issue a pass for it. Your request has been passed to the security team, who will contact you.',
      escalate: true,
    };
  }
  if (input.openRequest !== undefined && isOpen(input.openRequest.state)) {
    return refuse(
      'open_request',
      `You already have a request in progress (${describeState(input.openRequest.state).toLowerCase()}). Type "status" to see it, or "cancel" to withdraw it before asking again.`,
    );
  }
  if (input.requestsLast24h >= input.maxRequestsPerDay) {
    return refuse(
      'rate_limited',
      `You have reached the limit of ${input.maxRequestsPerDay} requests in 24 hours. Please call the helpdesk.`,
    );
  }
  if (tapPolicy !== 'unreadable') {
    if (!tapPolicy.enabled) {
      return refuse(
        'tap_disabled',
        'Temporary Access Passes are turned off in this organisation, so TapDesk cannot help. Please call the helpdesk.',
      );
    }
    if (!inPolicyScope(profile, tapPolicy)) {
      return refuse(
        'out_of_scope',
        'Your account is not among the users allowed to receive a Temporary Access Pass. Please call the helpdesk; they can check the policy.',
      );
    }
  }
  return { ok: true };
}

/**
 * The pass lifetime to ask Graph for: the configured minutes, rounded, within the tenant
 * policy's minimum and maximum and Graph's 10–43200. A policy whose range lies outside Graph's
 * yields the nearest value Graph accepts.
 */
export function clampLifetime(configured: number, policy: TapPolicy): number {
  const low = Math.max(GRAPH_MIN_LIFETIME_MINUTES, policy.minimumLifetimeInMinutes);
  const high = Math.min(GRAPH_MAX_LIFETIME_MINUTES, policy.maximumLifetimeInMinutes);
  const wanted = Number.isFinite(configured)
    ? Math.round(configured)
    : policy.defaultLifetimeInMinutes;
  const clamped = Math.min(Math.max(wanted, low), high);
  return Math.min(Math.max(clamped, GRAPH_MIN_LIFETIME_MINUTES), GRAPH_MAX_LIFETIME_MINUTES);
}

function isPrivileged(profile: UserProfile, privilegedGroupId: string | undefined): boolean {
  if (profile.activeRoles.length > 0) return true;
  return privilegedGroupId !== undefined && profile.memberOf.includes(privilegedGroupId);
}

function inPolicyScope(profile: UserProfile, policy: TapPolicy): boolean {
  if (policy.includeTargets.includes(ALL_USERS_TARGET)) return true;
  return policy.includeTargets.some((target) => profile.memberOf.includes(target));
}

function refuse(code: Exclude<IneligibleCode, 'privileged'>, message: string): Eligibility {
  return { ok: false, code, message, escalate: false };
}
