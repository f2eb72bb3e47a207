/**
 * Risk flags on a request (SPEC §4 rule 5): facts from the directory that make a takeover more
 * likely. A flagged request needs the approving agent to confirm they reviewed the flags.
 */
import type { DirectoryAuditEntry, DirectoryUser, UserRisk } from '../ports.js';
import { DAY_MS } from './time.js';

/** How far back a change of phone, manager or methods counts as recent. */
export const RECENT_CHANGE_DAYS = 14;
/** An account younger than this is flagged. */
export const NEW_ACCOUNT_DAYS = 7;

const CHANGE_KINDS: { pattern: RegExp; what: string }[] = [
  // Whole property names only: `StrongAuthenticationPhoneAppDetail` is the Authenticator app,
  // which every recovered user re-registers, not the number on file.
  {
    pattern: /\b(mobile|mobilephone|telephonenumber|businessphones)\b/i,
    what: 'Phone number on file changed',
  },
  { pattern: /manager/i, what: 'Manager changed' },
  {
    pattern: /security info|authentication method|strongauthentication/i,
    what: 'Sign-in methods changed',
  },
];

const RISKY_LEVELS = new Set(['low', 'medium', 'high']);

export interface RiskInput {
  user: DirectoryUser;
  /** Directory audit entries about the user, any age (older ones are ignored). */
  audits: readonly DirectoryAuditEntry[];
  risk: UserRisk;
  now: Date;
}

/** The flags in words an agent reads, most telling first; an empty list means none. */
export function riskFlags({ user, audits, risk, now }: RiskInput): string[] {
  const flags: string[] = [];
  if (risk !== 'unavailable' && RISKY_LEVELS.has(risk.level.toLowerCase())) {
    flags.push(`Entra ID Protection rates this account ${risk.level} risk (${risk.state})`);
  }
  const recentFrom = now.getTime() - RECENT_CHANGE_DAYS * DAY_MS;
  for (const { pattern, what } of CHANGE_KINDS) {
    const latest = audits
      .filter((entry) => pattern.test(entry.activity) && Date.parse(entry.at) >= recentFrom)
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    if (latest)
      flags.push(`${what} on ${latest.at.slice(0, 10)}, in the last ${RECENT_CHANGE_DAYS} days`);
  }
  if (
    user.createdDateTime !== null &&
    Date.parse(user.createdDateTime) > now.getTime() - NEW_ACCOUNT_DAYS * DAY_MS
  ) {
    flags.push(
      `Account created on ${user.createdDateTime.slice(0, 10)}, less than ${NEW_ACCOUNT_DAYS} days ago`,
    );
  }
  if (user.mobilePhone === null && user.businessPhones.length === 0) {
    flags.push('No phone number on file: the callback must happen in person or on video');
  }
  return flags;
}
