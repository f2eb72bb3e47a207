import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  PACKAGE_FILES,
  buildPackage,
  fillManifest,
  readAppIds,
  validateManifest,
  type ManifestValues,
} from '../../src/cli/packageApp.js';
import { CONFIG_KEYS } from '../../src/config.js';

const manifestDir = join(import.meta.dirname, '../../manifest');
const values: ManifestValues = {
  teamsAppId: 'd0000000-0000-4000-8000-000000000001',
  botId: 'e0000000-0000-4000-8000-000000000001',
  botDomain: 'tapdesk.contoso.example',
  version: '1.2.3',
};

const commandListsSchema = z.object({
  bots: z.array(
    z.object({
      botId: z.string(),
      scopes: z.array(z.string()),
      supportsFiles: z.boolean(),
      isNotificationOnly: z.boolean(),
      commandLists: z.array(
        z.object({
          scopes: z.array(z.string()),
          commands: z.array(z.object({ title: z.string(), description: z.string() })),
        }),
      ),
    }),
  ),
});

let template: string;
let scratch: string;

beforeAll(async () => {
  template = await readFile(join(manifestDir, 'manifest.template.json'), 'utf8');
  scratch = await mkdtemp(join(tmpdir(), 'tapdesk-package-'));
});
afterEach(() => {
  vi.unstubAllGlobals();
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh filled manifest, as plain JSON a test may break. */
const filled = (): Record<string, unknown> =>
  z.record(z.string(), z.unknown()).parse(fillManifest(template, values));

describe('the manifest template', () => {
  it('filled with the ids validates against the bundled schema without the network', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new Error('no network in this test')));

    expect(await validateManifest(filled())).toEqual([]);
  });

  it('carries the ids where Teams looks for them', () => {
    expect(filled()).toMatchObject({
      id: values.teamsAppId,
      version: '1.2.3',
      name: { short: 'TapDesk' },
      bots: [{ botId: values.botId }],
      validDomains: ['tapdesk.contoso.example'],
      webApplicationInfo: {
        id: values.botId,
        resource: `api://tapdesk.contoso.example/${values.botId}`,
      },
    });
    expect(JSON.stringify(filled())).not.toContain('${{');
  });

  it('uses the newest manifest version the schema package bundles', async () => {
    const { manifestVersion } = z.object({ manifestVersion: z.string() }).parse(filled());
    const dir = join(
      import.meta.dirname,
      '../../node_modules/@microsoft/app-manifest/build/json-schemas/teams',
    );
    const versions = (await readdir(dir))
      .filter((name) => /^v\d+\.\d+$/.test(name))
      .map((name) => name.slice(1).split('.').map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(manifestVersion).toBe(versions.at(-1)?.join('.'));
  });

  it('offers the spec commands in each scope, as a conversational bot without files', () => {
    const [bot] = commandListsSchema.parse(filled()).bots;
    expect(bot?.scopes.sort()).toEqual(['personal', 'team']);
    expect(bot?.supportsFiles).toBe(false);
    expect(bot?.isNotificationOnly).toBe(false);
    const titles = (scope: string) =>
      bot?.commandLists.find((list) => list.scopes.join() === scope)?.commands.map((c) => c.title);
    expect(titles('personal')).toEqual([
      'help',
      'lost phone',
      'new phone',
      'new starter',
      'status',
      'cancel',
    ]);
    expect(titles('team')).toEqual(['help', 'queue', 'stats']);
    expect(bot?.commandLists).toHaveLength(2);
  });

  it('reports a manifest without a bot id', async () => {
    const manifest = filled();
    const [bot] = manifest.bots as Array<Record<string, unknown>>;
    delete bot?.botId;

    const errors = await validateManifest(manifest);

    expect(errors).toEqual([
      expect.stringMatching(/^\/bots\/0 must have required property 'botId'/),
    ]);
  });

  it('reports a malformed app id and accent colour, one error each', async () => {
    const errors = await validateManifest({ ...filled(), id: 'tapdesk', accentColor: 'blue' });

    expect(errors).toHaveLength(2);
    expect(errors.join('\n')).toMatch(/^\/id must match pattern[\s\S]*\n\/accentColor must match/);
  });

  it('reports a manifest version that has no bundled schema', async () => {
    expect(await validateManifest({ ...filled(), manifestVersion: '9.99' })).toEqual([
      '/manifestVersion 9.99 has no schema in @microsoft/app-manifest',
    ]);
  });

  it('refuses a template placeholder it has no value for', () => {
    expect(() => fillManifest('{"id": "${{APP_SECRET}}"}', values)).toThrow(
      'The manifest template has placeholders with no value: ${{APP_SECRET}}',
    );
  });
});

describe('the icons', () => {
  const read = async (name: string) => PNG.sync.read(await readFile(join(manifestDir, name)));

  it('has a 192×192 opaque full-colour icon', async () => {
    const png = await read('color.png');
    expect([png.width, png.height]).toEqual([192, 192]);
    const colours = new Set<string>();
    let seeThrough = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (png.data[i + 3] !== 255) seeThrough += 1;
      colours.add(png.data.subarray(i, i + 3).join());
    }
    expect(seeThrough).toBe(0);
    // The accent colour in the corner, the white glyph in between.
    expect(png.data.subarray(0, 3).join()).toBe('15,108,189');
    expect(colours).toContain('255,255,255');
  });

  it('has a 32×32 outline icon that is white where it is not transparent', async () => {
    const png = await read('outline.png');
    expect([png.width, png.height]).toEqual([32, 32]);
    let opaque = 0;
    let clear = 0;
    const notWhite: string[] = [];
    for (let i = 0; i < png.data.length; i += 4) {
      const alpha = png.data[i + 3] ?? 0;
      if (alpha === 0) clear += 1;
      else {
        const rgb = png.data.subarray(i, i + 3).join();
        if (rgb !== '255,255,255') notWhite.push(rgb);
        if (alpha === 255) opaque += 1;
      }
    }
    expect(notWhite).toEqual([]);
    expect(opaque).toBeGreaterThan(50);
    expect(clear).toBeGreaterThan(500);
  });
});

describe('the package', () => {
  it('zips exactly the manifest and the two icons, and the zipped manifest validates', async () => {
    const result = await buildPackage({ manifestDir, values });
    if (!result.ok) throw new Error(result.errors.join('\n'));

    const files = unzipSync(result.zip);
    expect(Object.keys(files).sort()).toEqual([...PACKAGE_FILES].sort());
    const manifest: unknown = JSON.parse(strFromU8(files['manifest.json'] ?? new Uint8Array()));
    expect(await validateManifest(manifest)).toEqual([]);
    expect(manifest).toMatchObject({ id: values.teamsAppId, bots: [{ botId: values.botId }] });
    expect(files['color.png']).toEqual(
      new Uint8Array(await readFile(join(manifestDir, 'color.png'))),
    );
  });

  it('gives the same bytes for the same inputs', async () => {
    const first = await buildPackage({ manifestDir, values });
    const second = await buildPackage({ manifestDir, values });
    expect(first.ok && second.ok && Buffer.compare(first.zip, second.zip)).toBe(0);
  });

  it('refuses icons of the wrong size', async () => {
    const dir = await mkdtemp(join(scratch, 'swapped-'));
    await copyFile(
      join(manifestDir, 'manifest.template.json'),
      join(dir, 'manifest.template.json'),
    );
    await copyFile(join(manifestDir, 'outline.png'), join(dir, 'color.png'));
    await copyFile(join(manifestDir, 'color.png'), join(dir, 'outline.png'));

    const result = await buildPackage({ manifestDir: dir, values });

    expect(result).toEqual({
      ok: false,
      errors: [
        'color.png must be 192×192 pixels (it is 32×32)',
        'outline.png must be 32×32 pixels (it is 192×192)',
      ],
    });
  });
});

describe('the ids from the environment', () => {
  const env = {
    TEAMS_APP_ID: values.teamsAppId,
    MicrosoftAppId: values.botId,
    BOT_DOMAIN: values.botDomain,
  };

  it('are read when all three are well formed', () => {
    expect(readAppIds({ ...env, BOT_DOMAIN: 'TapDesk.Contoso.Example' })).toEqual({
      ok: true,
      ids: { teamsAppId: values.teamsAppId, botId: values.botId, botDomain: values.botDomain },
    });
  });

  it('are refused with one clear line per missing or malformed value', () => {
    expect(
      readAppIds({ MicrosoftAppId: 'not-a-guid', BOT_DOMAIN: 'https://tapdesk.contoso.example/' }),
    ).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^TEAMS_APP_ID is required: /),
        'MicrosoftAppId must be a GUID like 00000000-0000-0000-0000-000000000000',
        'BOT_DOMAIN must be a host name without scheme, port or path, like tapdesk.azurewebsites.net (got https://tapdesk.contoso.example/)',
      ],
    });
    expect(readAppIds({ ...env, BOT_DOMAIN: 'localhost:3978' }).ok).toBe(false);
  });

  it('make npm run package refuse a missing TEAMS_APP_ID with a clear line and exit 1', async () => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, BOT_DOMAIN: values.botDomain };
    for (const key of CONFIG_KEYS) delete childEnv[key];
    childEnv.MicrosoftAppId = values.botId;

    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>(
      (resolve) => {
        execFile(
          'npx',
          ['tsx', 'scripts/package.ts'],
          { env: childEnv, timeout: 15_000 },
          (error, _stdout, stderr) =>
            resolve({ code: error ? (error.code as number | null) : 0, stderr }),
        );
      },
    );

    expect(code).toBe(1);
    expect(stderr.split('\n').filter((line) => line.startsWith('TEAMS_APP_ID'))).toEqual([
      'TEAMS_APP_ID is required: the Teams app id, a GUID you generate once (for example with uuidgen) and keep for every later version',
    ]);
  });
});
