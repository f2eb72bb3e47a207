/**
 * Who is acting, with their roles read from the directory at the moment they act (SPEC §1):
 * never from card data, never cached between clicks.
 */
import type { Person } from '../domain/request.js';
import type { Actor } from '../domain/stateMachine.js';
import type { Services } from '../services.js';

export async function resolveActor(services: Services, person: Person): Promise<Actor> {
  const { helpdesk, security } = services.config;
  const groups = [helpdesk.groupId, ...(security.groupId ? [security.groupId] : [])];
  const memberOf = await services.directory.checkMemberGroups(person.id, groups);
  return {
    id: person.id,
    name: person.name,
    isHelpdesk: memberOf.includes(helpdesk.groupId),
    isSecurity: security.groupId !== undefined && memberOf.includes(security.groupId),
  };
}
