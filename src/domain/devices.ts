/**
 * Which Microsoft Authenticator devices are the new phone and which the old one, and whether the
 * old one may be removed: shared by the lost-phone completion and the planned-change checklist.
 */
import type { AuthMethod, AuthMethodType } from '../ports.js';
import { methodName } from './wording.js';

/** Sign-in methods that can stand in for MFA; a password alone cannot. */
export const MFA_TYPES: ReadonlySet<AuthMethodType> = new Set([
  'microsoftAuthenticator',
  'phone',
  'fido2',
  'softwareOath',
  'windowsHelloForBusiness',
  'platformCredential',
]);

/** When the change started (the request or checklist): devices added later are the new phone. */
export interface Since {
  createdAt: string;
}

/** Authenticators registered after `since`: the new phone. */
export function newAuthenticators(since: Since, methods: readonly AuthMethod[]): AuthMethod[] {
  return methods.filter(
    (m) =>
      m.type === 'microsoftAuthenticator' &&
      m.createdAt !== null &&
      Date.parse(m.createdAt) > Date.parse(since.createdAt),
  );
}

/** Authenticators that were there before `since`: the lost or replaced phone. */
export function oldAuthenticators(
  since: Since,
  methods: readonly AuthMethod[],
): { id: string; label: string }[] {
  const fresh = new Set(newAuthenticators(since, methods).map((m) => m.id));
  return methods
    .filter((m) => m.type === 'microsoftAuthenticator' && !fresh.has(m.id))
    .map((m) => ({ id: m.id, label: m.label ?? methodName(m.type, null) }));
}

/**
 * Whether the device `methodId` may be removed: only an old phone, only once a new one works,
 * never the last way to approve sign-ins. `message` says why not, to the person who asked.
 */
export function removal(
  since: Since,
  methods: readonly AuthMethod[],
  methodId: string,
): { ok: true; label: string } | { ok: false; message: string } {
  const fresh = newAuthenticators(since, methods);
  if (fresh.some((m) => m.id === methodId)) {
    return { ok: false, message: 'That is your new phone. TapDesk only removes the old one.' };
  }
  const target = oldAuthenticators(since, methods).find((device) => device.id === methodId);
  if (!target) {
    return {
      ok: false,
      message:
        'That device is not one of the Microsoft Authenticator devices on this account (any more).',
    };
  }
  if (!methods.some((m) => MFA_TYPES.has(m.type) && m.id !== methodId)) {
    return {
      ok: false,
      message:
        'That is the last way you can approve sign-ins, so TapDesk will not remove it: you would be locked out. Register Microsoft Authenticator on the new phone first.',
    };
  }
  if (fresh.length === 0) {
    return {
      ok: false,
      message:
        'Register Microsoft Authenticator on the new phone first; the old one stays until the new one works.',
    };
  }
  return { ok: true, label: target.label };
}
