/**
 * Sample store data from the demo tenant: valid by default, each with a fresh id, so a test
 * spells out only the fields it is about.
 */
import { randomUUID } from 'node:crypto';
import type { NewAuditEvent, NewTapRequest } from '../../src/domain/request.js';
import type { NewChecklist } from '../../src/ports.js';

const MINUTE = 60_000;

/** Ava's lost-phone request, waiting for her manager and the helpdesk callback. */
export function aRequest(overrides: Partial<NewTapRequest> = {}): NewTapRequest {
  const now = Date.now();
  return {
    id: randomUUID(),
    kind: 'lost_phone',
    state: 'awaiting_verification',
    requester: {
      id: 'a0000000-0000-4000-8000-000000000001',
      name: 'Ava Employee',
      upn: 'ava@contoso.example',
      department: 'Finance',
    },
    manager: { id: 'a0000000-0000-4000-8000-000000000002', name: 'Maya Manager' },
    phoneOnFile: '+1 425 555 0142',
    methodsAtSubmit: ['password', 'microsoftAuthenticator'],
    reason: 'Lost my phone on the train; cannot approve sign-ins',
    createdAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 240 * MINUTE).toISOString(),
    startsAt: null,
    attestation: 'pending',
    checks: { callback: false },
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
    ...overrides,
  };
}

/** Hugo assigning a request to himself. */
export function anAuditEvent(overrides: Partial<NewAuditEvent> = {}): NewAuditEvent {
  return {
    at: new Date().toISOString(),
    requestId: randomUUID(),
    kind: 'lost_phone',
    actor: { id: 'a0000000-0000-4000-8000-000000000003', name: 'Hugo Helpdesk' },
    action: 'assign',
    outcome: 'ok',
    reason: null,
    ...overrides,
  };
}

/** Ava's planned-phone-change runbook, nothing ticked yet. */
export function aChecklist(overrides: Partial<NewChecklist> = {}): NewChecklist {
  return {
    id: randomUUID(),
    ownerId: 'a0000000-0000-4000-8000-000000000001',
    runbook: 'planned_change',
    done: {},
    meta: { scenario: 'company_iphone_intune', plannedDate: null },
    card: null,
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}
