import { describe, expect, it } from 'vitest';
import {
  checkEligibility,
  clampLifetime,
  type EligibilityInput,
} from '../../src/domain/eligibility.js';
import {
  aDirectoryUser,
  aProfile,
  aRequest,
  aTapPolicy,
  groups,
} from '../support/requestFactory.js';

const globalAdminRole = '62e90394-69f5-4237-9190-012177145e10';
const recoveryGroup = 'b0000000-0000-4000-8000-0000000000aa';

const input = (overrides: Partial<EligibilityInput> = {}): EligibilityInput => ({
  profile: aProfile(),
  tapPolicy: aTapPolicy(),
  privilegedGroupId: groups.privileged,
  openRequest: undefined,
  requestsLast24h: 0,
  maxRequestsPerDay: 3,
  ...overrides,
});

const codeOf = (overrides: Partial<EligibilityInput>): string | null => {
  const result = checkEligibility(input(overrides));
  return result.ok ? null : result.code;
};

describe('checkEligibility', () => {
  it('lets an enabled member with no roles and no open request ask for a pass', () => {
    expect(checkEligibility(input())).toEqual({ ok: true });
  });

  it('refuses a disabled account and points to the helpdesk', () => {
    const result = checkEligibility(
      input({ profile: aProfile({ user: aDirectoryUser({ accountEnabled: false }) }) }),
    );
    expect(result).toMatchObject({ ok: false, code: 'disabled', escalate: false });
    expect(!result.ok && result.message).toMatch(/disabled.*call the helpdesk/);
  });

  it.each(['Guest', 'guest', ''])('refuses a userType of %j as not a member', (userType) => {
    const result = checkEligibility(
      input({ profile: aProfile({ user: aDirectoryUser({ userType }) }) }),
    );
    expect(result).toMatchObject({ ok: false, code: 'guest', escalate: false });
    expect(!result.ok && result.message).toMatch(/home organisation/);
  });

  it('accepts userType Member whatever its case', () => {
    expect(codeOf({ profile: aProfile({ user: aDirectoryUser({ userType: 'member' }) }) })).toBe(
      null,
    );
  });

  it('escalates an account with an active directory role', () => {
    const result = checkEligibility(
      input({ profile: aProfile({ activeRoles: [globalAdminRole] }) }),
    );
    expect(result).toMatchObject({ ok: false, code: 'privileged', escalate: true });
    expect(!result.ok && result.message).toMatch(/security team/);
  });

  it('escalates a member of the privileged group', () => {
    const result = checkEligibility(
      input({ profile: aProfile({ memberOf: [groups.helpdesk, groups.privileged] }) }),
    );
    expect(result).toMatchObject({ ok: false, code: 'privileged', escalate: true });
  });

  it('ignores group membership when no privileged group is configured', () => {
    expect(
      codeOf({
        privilegedGroupId: undefined,
        profile: aProfile({ memberOf: [groups.privileged] }),
      }),
    ).toBe(null);
  });

  it('refuses a second open request, naming its state and what to do', () => {
    const result = checkEligibility(
      input({ openRequest: aRequest({ state: 'awaiting_approval' }) }),
    );
    expect(result).toMatchObject({ ok: false, code: 'open_request', escalate: false });
    expect(!result.ok && result.message).toBe(
      'You already have a request in progress (waiting for approval). Type "status" to see it, or "cancel" to withdraw it before asking again.',
    );
  });

  it('does not count a closed request as open', () => {
    expect(codeOf({ openRequest: aRequest({ state: 'denied' }) })).toBe(null);
  });

  it('allows requests up to the daily limit and refuses the one after', () => {
    expect(codeOf({ requestsLast24h: 2 })).toBe(null);
    const result = checkEligibility(input({ requestsLast24h: 3 }));
    expect(result).toMatchObject({ ok: false, code: 'rate_limited', escalate: false });
    expect(!result.ok && result.message).toBe(
      'You have reached the limit of 3 requests in 24 hours. Please call the helpdesk.',
    );
  });

  it('refuses when Temporary Access Passes are disabled in the tenant', () => {
    expect(codeOf({ tapPolicy: aTapPolicy({ enabled: false }) })).toBe('tap_disabled');
  });

  it('accepts a user in a group the policy targets', () => {
    expect(
      codeOf({
        tapPolicy: aTapPolicy({ includeTargets: [recoveryGroup] }),
        profile: aProfile({ memberOf: [recoveryGroup] }),
      }),
    ).toBe(null);
  });

  it('refuses a user the profile does not confirm in any targeted group', () => {
    const result = checkEligibility(
      input({ tapPolicy: aTapPolicy({ includeTargets: [recoveryGroup] }) }),
    );
    expect(result).toMatchObject({ ok: false, code: 'out_of_scope', escalate: false });
  });

  it('refuses everyone when the policy targets nobody', () => {
    expect(codeOf({ tapPolicy: aTapPolicy({ includeTargets: [] }) })).toBe('out_of_scope');
  });

  it('skips the policy checks when the policy cannot be read', () => {
    expect(codeOf({ tapPolicy: 'unreadable' })).toBe(null);
  });

  it('still applies the other rules when the policy cannot be read', () => {
    expect(codeOf({ tapPolicy: 'unreadable', requestsLast24h: 5 })).toBe('rate_limited');
  });

  it('reports the first failing rule in SPEC order', () => {
    const everythingWrong: Partial<EligibilityInput> = {
      profile: aProfile({
        user: aDirectoryUser({ accountEnabled: false, userType: 'Guest' }),
        activeRoles: [globalAdminRole],
      }),
      openRequest: aRequest(),
      requestsLast24h: 9,
      tapPolicy: aTapPolicy({ enabled: false, includeTargets: [] }),
    };
    expect(codeOf(everythingWrong)).toBe('disabled');
    const enabled = aDirectoryUser({ userType: 'Guest' });
    expect(
      codeOf({
        ...everythingWrong,
        profile: aProfile({ user: enabled, activeRoles: [globalAdminRole] }),
      }),
    ).toBe('guest');
    expect(
      codeOf({ ...everythingWrong, profile: aProfile({ activeRoles: [globalAdminRole] }) }),
    ).toBe('privileged');
    expect(codeOf({ ...everythingWrong, profile: aProfile() })).toBe('open_request');
    expect(codeOf({ ...everythingWrong, profile: aProfile(), openRequest: undefined })).toBe(
      'rate_limited',
    );
    expect(
      codeOf({
        ...everythingWrong,
        profile: aProfile(),
        openRequest: undefined,
        requestsLast24h: 0,
      }),
    ).toBe('tap_disabled');
  });

  it('gives every refusal a message that says who can help', () => {
    const refusals = [
      { profile: aProfile({ user: aDirectoryUser({ accountEnabled: false }) }) },
      { profile: aProfile({ user: aDirectoryUser({ userType: 'Guest' }) }) },
      { profile: aProfile({ activeRoles: [globalAdminRole] }) },
      { openRequest: aRequest() },
      { requestsLast24h: 3 },
      { tapPolicy: aTapPolicy({ enabled: false }) },
      { tapPolicy: aTapPolicy({ includeTargets: [] }) },
    ].map((overrides) => checkEligibility(input(overrides)));
    for (const result of refusals) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toMatch(/helpdesk|security team|IT team|status/);
    }
  });
});

describe('clampLifetime', () => {
  const policy = aTapPolicy({ minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480 });

  it('keeps a configured lifetime inside the policy range', () => {
    expect(clampLifetime(120, policy)).toBe(120);
  });

  it('raises a lifetime below the policy minimum', () => {
    expect(clampLifetime(15, policy)).toBe(60);
  });

  it('lowers a lifetime above the policy maximum', () => {
    expect(clampLifetime(1440, policy)).toBe(480);
  });

  it("stays within Graph's 10 to 43200 minutes whatever the policy says", () => {
    const loose = aTapPolicy({ minimumLifetimeInMinutes: 1, maximumLifetimeInMinutes: 100_000 });
    expect(clampLifetime(5, loose)).toBe(10);
    expect(clampLifetime(90_000, loose)).toBe(43_200);
  });

  it('rounds to whole minutes', () => {
    expect(clampLifetime(90.6, policy)).toBe(91);
  });

  it("falls back to the policy's default for a lifetime that is not a number", () => {
    expect(clampLifetime(Number.NaN, aTapPolicy({ defaultLifetimeInMinutes: 240 }))).toBe(240);
  });

  it('returns a lifetime Graph accepts even from a policy with an inverted range', () => {
    const inverted = aTapPolicy({ minimumLifetimeInMinutes: 500, maximumLifetimeInMinutes: 100 });
    const minutes = clampLifetime(60, inverted);
    expect(minutes).toBeGreaterThanOrEqual(10);
    expect(minutes).toBeLessThanOrEqual(43_200);
  });
});
