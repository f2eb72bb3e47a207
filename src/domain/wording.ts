/**
 * Small wording helpers shared by every card: how TapDesk names methods, numbers and times.
 */
import type { AuthMethodType } from '../ports.js';

const METHOD_NAMES: Record<AuthMethodType, string> = {
  password: 'Password',
  microsoftAuthenticator: 'Microsoft Authenticator',
  phone: 'Phone (SMS or call)',
  fido2: 'Security key',
  softwareOath: 'Authenticator app code',
  temporaryAccessPass: 'Temporary Access Pass',
  email: 'Email',
  windowsHelloForBusiness: 'Windows Hello for Business',
  platformCredential: 'Platform credential',
  other: 'Other method',
};

export function methodName(type: AuthMethodType, label: string | null): string {
  return label ? `${METHOD_NAMES[type]} (${label})` : METHOD_NAMES[type];
}

/** The last two digits of a phone number, as a requester hears them ("ending in 42"). */
export function phoneEnding(phone: string | null): string | null {
  const digits = phone?.replace(/\D/g, '') ?? '';
  return digits.length >= 2 ? digits.slice(-2) : null;
}

/**
 * A time Teams shows in the reader's own time zone.
 * @remarks Adaptive Cards TextBlocks format `{{TIME(…)}}` / `{{DATE(…)}}` on the client; they
 * want RFC 3339 without fractional seconds.
 */
export function localTime(iso: string): string {
  return `{{TIME(${rfc3339(iso)})}}`;
}

export function localDateTime(iso: string): string {
  const at = rfc3339(iso);
  return `{{DATE(${at}, SHORT)}} {{TIME(${at})}}`;
}

function rfc3339(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
