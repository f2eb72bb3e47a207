/**
 * The Teams app package: `manifest/manifest.template.json` filled with this deployment's ids,
 * validated offline against the official manifest schema bundled in `@microsoft/app-manifest`, and
 * zipped with its two icons. `scripts/package.ts` is the command around it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';
import type { Env } from '../config.js';

/** The ids that make the package this deployment's. */
export interface AppIds {
  /** The app's id in the manifest (`TEAMS_APP_ID`). */
  teamsAppId: string;
  /** The Azure Bot's Microsoft App ID (`MicrosoftAppId`). */
  botId: string;
  /** The public host name the bot is served from (`BOT_DOMAIN`), without scheme or path. */
  botDomain: string;
}

/** Everything the template's `${{…}}` placeholders are filled with. */
export interface ManifestValues extends AppIds {
  /** The app version; Teams only accepts an updated package whose version is higher. */
  version: string;
}

/** The files at the root of the package, as Teams expects them. */
export const PACKAGE_FILES = ['manifest.json', 'color.png', 'outline.png'] as const;

/** Icon sizes the manifest schema documents. */
export const ICON_SIZES = {
  'color.png': { width: 192, height: 192 },
  'outline.png': { width: 32, height: 32 },
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const PLACEHOLDER = /\$\{\{([A-Z_]+)\}\}/g;

/** Reads the three ids from the environment; one line per missing or malformed value. */
export function readAppIds(
  env: Env,
): { ok: true; ids: AppIds } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const value = (key: string): string | undefined => {
    const raw = env[key]?.trim();
    return raw ? raw : undefined;
  };
  const guid = (key: string, meaning: string): string => {
    const raw = value(key);
    if (raw === undefined) problems.push(`${key} is required: ${meaning}`);
    else if (!GUID.test(raw)) {
      problems.push(`${key} must be a GUID like 00000000-0000-0000-0000-000000000000`);
    }
    return raw ?? '';
  };
  const teamsAppId = guid(
    'TEAMS_APP_ID',
    'the Teams app id, a GUID you generate once (for example with uuidgen) and keep for every later version',
  );
  const botId = guid('MicrosoftAppId', "the Azure Bot's Microsoft App ID");
  const botDomain = value('BOT_DOMAIN');
  if (botDomain === undefined) {
    problems.push(
      "BOT_DOMAIN is required: the bot's public host name, like tapdesk.azurewebsites.net",
    );
  } else if (!HOST_NAME.test(botDomain)) {
    problems.push(
      `BOT_DOMAIN must be a host name without scheme, port or path, like tapdesk.azurewebsites.net (got ${botDomain})`,
    );
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, ids: { teamsAppId, botId, botDomain: (botDomain ?? '').toLowerCase() } };
}

/**
 * The template with every `${{KEY}}` replaced. Throws when the template names a placeholder there
 * is no value for, or is not JSON once filled.
 */
export function fillManifest(template: string, values: ManifestValues): unknown {
  const byKey: Record<string, string> = {
    TEAMS_APP_ID: values.teamsAppId,
    BOT_ID: values.botId,
    BOT_DOMAIN: values.botDomain,
    APP_VERSION: values.version,
  };
  const unknown = new Set<string>();
  const filled = template.replace(PLACEHOLDER, (match, key: string) => {
    const value = byKey[key];
    if (value === undefined) {
      unknown.add(match);
      return match;
    }
    // The values land inside JSON strings.
    return JSON.stringify(value).slice(1, -1);
  });
  if (unknown.size > 0) {
    throw new Error(
      `The manifest template has placeholders with no value: ${[...unknown].join(', ')}`,
    );
  }
  return JSON.parse(filled) as unknown;
}

type Manifest = Parameters<typeof AppManifestUtils.validateAgainstSchema>[0];
type ManifestSchema = NonNullable<Parameters<typeof AppManifestUtils.validateAgainstSchema>[1]>;

const schemaRoot = join(
  dirname(createRequire(import.meta.url).resolve('@microsoft/app-manifest')),
  'json-schemas',
  'teams',
);

/** Where the schema for a manifest version is bundled, e.g. `…/teams/v1.30/MicrosoftTeams.schema.json`. */
export const bundledSchemaPath = (manifestVersion: string): string =>
  join(schemaRoot, `v${manifestVersion}`, 'MicrosoftTeams.schema.json');

/**
 * Schema errors of a manifest, empty when it is valid. The schema is the one bundled for the
 * manifest's own `manifestVersion`, read from disk and handed to the validator, so nothing is
 * fetched from the network.
 */
export async function validateManifest(manifest: unknown): Promise<string[]> {
  const version = z.object({ manifestVersion: z.string().regex(/^[\w.]+$/) }).safeParse(manifest);
  if (!version.success) return ['/manifestVersion is missing or not a version like 1.30'];
  let text: string;
  try {
    text = await readFile(bundledSchemaPath(version.data.manifestVersion), 'utf8');
  } catch {
    return [
      `/manifestVersion ${version.data.manifestVersion} has no schema in @microsoft/app-manifest`,
    ];
  }
  // The published schemas use \a and \v in regular expressions, which JSON does not allow.
  const schema = JSON.parse(
    text.replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b'),
  ) as ManifestSchema;
  // The validator only reads the object; the cast names the type its signature asks for.
  return AppManifestUtils.validateAgainstSchema(manifest as Manifest, schema);
}

/** Width and height from a PNG's header, or undefined when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((byte, i) => png[i] !== byte)) return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** What {@link buildPackage} needs: the folder with the template and icons, and the values. */
export interface BuildPackageOptions {
  /** Holds `manifest.template.json`, `color.png` and `outline.png`. */
  manifestDir: string;
  values: ManifestValues;
}

/** A zip ready to upload, or every reason it could not be built. */
export type BuildPackageResult =
  { ok: true; manifest: unknown; zip: Uint8Array } | { ok: false; errors: string[] };

/** A fixed time for every zip entry, so the same inputs give the same bytes. */
const ZIP_TIME = new Date('2025-01-01T00:00:00Z');

/** Fills, validates and zips the package in memory. */
export async function buildPackage(options: BuildPackageOptions): Promise<BuildPackageResult> {
  const { manifestDir, values } = options;
  const template = await readFile(join(manifestDir, 'manifest.template.json'), 'utf8');
  let manifest: unknown;
  try {
    manifest = fillManifest(template, values);
  } catch (error) {
    return { ok: false, errors: [error instanceof Error ? error.message : String(error)] };
  }
  const errors = await validateManifest(manifest);
  const icons: Record<string, Uint8Array> = {};
  for (const [name, expected] of Object.entries(ICON_SIZES)) {
    const png = new Uint8Array(await readFile(join(manifestDir, name)));
    const size = pngSize(png);
    if (!size) errors.push(`${name} is not a PNG file`);
    else if (size.width !== expected.width || size.height !== expected.height) {
      errors.push(
        `${name} must be ${expected.width}×${expected.height} pixels (it is ${size.width}×${size.height})`,
      );
    }
    icons[name] = png;
  }
  if (errors.length > 0) return { ok: false, errors };
  const zip = zipSync(
    {
      'manifest.json': strToU8(`${JSON.stringify(manifest, null, 2)}\n`),
      ...icons,
    },
    { mtime: ZIP_TIME },
  );
  return { ok: true, manifest, zip };
}
