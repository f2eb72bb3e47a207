import type { Env } from '../config.js';
import { DEMO } from './tenantSeed.js';

export interface DemoEnvOptions {
  /** The directory emulator's root URL. */
  graphBaseUrl: string;
  /** Connector for conversations the bot starts (the Playground, or a test's connector emulator). */
  serviceUrl: string;
  sqlitePath: string;
  port?: number;
}

/** The local-mode environment that runs TapDesk against the demo tenant. */
export function demoEnv(options: DemoEnvOptions): Env {
  return {
    TAPDESK_LOCAL_MODE: 'true',
    PORT: String(options.port ?? 3978),
    TENANT_ID: DEMO.tenantId,
    GRAPH_BASE_URL: options.graphBaseUrl,
    TEAMS_SERVICE_URL: options.serviceUrl,
    TEAMS_APP_ID: DEMO.teamsAppId,
    HELPDESK_CHANNEL_ID: DEMO.channels.helpdesk,
    HELPDESK_GROUP_ID: DEMO.groups.helpdesk,
    SECURITY_CHANNEL_ID: DEMO.channels.security,
    SECURITY_GROUP_ID: DEMO.groups.security,
    PRIVILEGED_GROUP_ID: DEMO.groups.privileged,
    STORE: 'sqlite',
    SQLITE_PATH: options.sqlitePath,
    LOG_LEVEL: 'info',
  };
}
