/**
 * `npm run demo` in a real browser: the three Agents Playground tabs (Ava, Maya, Hugo) driven with
 * Debian's Chromium by clicking what a person clicks, through the whole lost-phone flow. Each card
 * is saved as a screenshot under `test-results/demo/`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_PEOPLE,
  DEMO_ROLES,
  demoGuide,
  startDemo,
  type DemoRole,
  type RunningDemo,
} from '../../src/demo/startDemo.js';
import { DEMO } from '../../src/demo/tenantSeed.js';
import { createLogger } from '../../src/logger.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-results', 'demo');
/** How long a person would wait for something to appear before calling it broken. */
const WAIT_MS = 30_000;
const STEP_MS = 120_000;

const chromiumMissing = !existsSync(CHROMIUM);
const inCi = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';

/** The visible text of a whole tab, as a person could read it. */
const textOf = (page: Page): Promise<string> => page.locator('body').innerText();

if (chromiumMissing && inCi) {
  describe('the three-role demo in a browser', () => {
    it(`finds Chromium at ${CHROMIUM}`, () => {
      expect.fail(
        `Chromium is not installed at ${CHROMIUM}, so the browser test cannot run. ` +
          'CI installs it with "apt-get install -y chromium" before npm test (see .ci/run).',
      );
    });
  });
} else {
  describe.skipIf(chromiumMissing)(
    chromiumMissing
      ? `the three-role demo in a browser (skipped: no Chromium at ${CHROMIUM}; "apt-get install -y chromium" to run it)`
      : 'the three-role demo in a browser',
    () => {
      let dir: string;
      let demo: RunningDemo;
      let browser: Browser;
      const logs: string[] = [];
      const tabs = {} as Record<DemoRole, Page>;

      /** Saves what `role` sees (or one card of it) as `test-results/demo/<name>.png`. */
      async function shoot(role: DemoRole, name: string, card?: Locator): Promise<void> {
        await (card ?? tabs[role]).screenshot({ path: join(SHOTS, `${name}.png`) });
      }

      /** Waits, bounded, until `target` shows in `role`'s tab; fails saying what was not seen. */
      async function see(role: DemoRole, target: Locator, what: string): Promise<void> {
        try {
          await target.waitFor({ state: 'visible', timeout: WAIT_MS });
        } catch {
          await shoot(role, `not-seen-${role}`).catch(() => undefined);
          throw new Error(
            `${DEMO_PEOPLE[role].name}'s tab did not show ${what} within ${WAIT_MS} ms ` +
              `(what it showed: test-results/demo/not-seen-${role}.png)`,
          );
        }
      }

      /** The newest card in `role`'s open conversation that contains `text`. */
      const card = (role: DemoRole, text: string): Locator =>
        tabs[role].locator('.ac-adaptiveCard', { hasText: text }).last();

      const button = (role: DemoRole, name: string): Locator =>
        tabs[role].getByRole('button', { name, exact: true });

      async function say(role: DemoRole, text: string): Promise<void> {
        const page = tabs[role];
        await page.locator('[data-lexical-editor="true"]').first().click();
        await page.keyboard.type(text);
        await page.keyboard.press('Enter');
      }

      beforeAll(async () => {
        mkdirSync(SHOTS, { recursive: true });
        dir = mkdtempSync(join(tmpdir(), 'tapdesk-browser-'));
        demo = await startDemo({
          botPort: 0,
          playgroundPorts: { requester: 0, manager: 0, agent: 0 },
          sqlitePath: join(dir, 'tapdesk.sqlite'),
          logDir: dir,
          logger: createLogger('info', { write: (line: string) => void logs.push(line) }),
          logLevel: 'info',
        });
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: CHROMIUM_ARGS,
          timeout: WAIT_MS,
        });
        // Every person opens their tab first; the Playground then tells TapDesk the app is
        // installed for them, and TapDesk greets them.
        await Promise.all(
          DEMO_ROLES.map(async (role) => {
            const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
            tabs[role] = await context.newPage();
            await tabs[role].goto(demo.playgrounds[role].url);
          }),
        );
        for (const role of DEMO_ROLES) {
          await see(role, card(role, "Hi there, I'm TapDesk"), 'the welcome card');
        }
      }, 60_000);

      afterAll(async () => {
        await browser?.close();
        await demo?.close();
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      });

      it('the guide names each person’s tab, and the tabs are who the guide says', async () => {
        const guide = demoGuide(demo);
        for (const role of DEMO_ROLES) {
          expect(guide).toContain(`${demo.playgrounds[role].url}  ${DEMO_PEOPLE[role].name}`);
          expect(await tabs[role].getByText(DEMO_PEOPLE[role].name).first().isVisible()).toBe(true);
        }
      });

      it('typing help in Ava’s chat shows the help card', async () => {
        await say('requester', 'help');

        const help = card('requester', 'What I can do');
        await see('requester', help, 'the help card after typing "help"');
        await expect(help.innerText()).resolves.toContain('never asks for your password');
        await shoot('requester', '01-ava-help', help);
      });

      it('opening the Helpdesk channel in Hugo’s tab tells TapDesk which connector serves it', async () => {
        await tabs.agent.getByText('Helpdesk', { exact: true }).first().click();
        await see('agent', tabs.agent.getByText('Start a new post'), 'the Helpdesk channel');

        await expect
          .poll(
            async () =>
              (
                await demo.bot.services.store.getConversationRef({
                  channel: DEMO.channels.helpdesk,
                })
              )?.serviceUrl,
            { timeout: 5000, message: 'TapDesk saved no reference for the helpdesk channel' },
          )
          .toContain(`127.0.0.1:${demo.playgrounds.agent.port}/_connector`);
      });

      it(
        'Ava’s Submit brings Maya the attestation card and Hugo the request card',
        async () => {
          await say('requester', 'I lost my phone');
          const offer = card('requester', 'Submit');
          await see('requester', button('requester', 'Submit'), 'the offer with Submit');
          await shoot('requester', '02-ava-offer', offer);
          await button('requester', 'Submit').last().click();

          const attest = card('manager', 'Is this really Ava Employee?');
          await see('manager', attest, 'the attestation card about Ava');
          await see(
            'manager',
            button('manager', "I confirm it's them"),
            `the "I confirm it's them" button`,
          );
          await shoot('manager', '03-maya-attestation', attest);

          const request = card('agent', 'Lost or broken phone: Ava Employee');
          await see('agent', request, 'the request card in the Helpdesk channel');
          await expect(request.innerText()).resolves.toContain('+1 425 555 0142');
          await shoot('requester', '04-ava-submitted', card('requester', 'Reference'));
        },
        STEP_MS,
      );

      it(
        'after Maya confirms and Hugo ticks both checks, Approve puts the pass in Hugo’s 1:1 chat only',
        async () => {
          await button('manager', "I confirm it's them").last().click();
          const request = card('agent', 'Lost or broken phone: Ava Employee');
          await see(
            'agent',
            request.getByText(/Maya Manager: confirmed/),
            "Maya's confirmation on the request card",
          );
          await shoot('manager', '05-maya-confirmed', card('manager', 'Is this really'));

          const done = request.getByRole('button', { name: 'Done', exact: true });
          const checks = await done.count();
          expect(checks, 'the request card offers two checks to tick').toBe(2);
          for (let left = checks; left > 0; left -= 1) {
            await done.first().click();
            await expect
              .poll(() => done.count(), {
                timeout: WAIT_MS,
                message: `Hugo's tick left ${left} checks open`,
              })
              .toBe(left - 1);
          }
          await shoot('agent', '06-hugo-channel-checked', request);
          await request.getByRole('button', { name: 'Approve & create pass' }).click();

          await expect
            .poll(() => demo.directory.issuedPasses.length, {
              timeout: WAIT_MS,
              message: 'Approve created no pass',
            })
            .toBe(1);
          const pass = demo.directory.issuedPasses[0] ?? '';
          await see('agent', request.getByText('Approved by'), 'the approval on the request card');
          await shoot('agent', '07-hugo-channel-approved', request);
          expect(await textOf(tabs.agent), 'the channel shows the pass').not.toContain(pass);

          await tabs.agent.getByText('Personal Chat', { exact: true }).click();
          const passCard = card('agent', 'Pass for Ava Employee');
          await see('agent', passCard.getByText(pass, { exact: true }), 'the pass in his chat');
          await shoot('agent', '08-hugo-pass', passCard);

          await see(
            'requester',
            tabs.requester.getByText(/number ending in 42/).last(),
            'that an agent will call her at the number ending in 42',
          );
          await shoot('requester', '09-ava-told', card('requester', 'ending in 42'));
          for (const role of ['requester', 'manager'] as const) {
            expect(await textOf(tabs[role]), `${role}'s tab shows the pass`).not.toContain(pass);
            expect(await tabs[role].content(), `${role}'s page holds the pass`).not.toContain(pass);
          }
        },
        STEP_MS,
      );

      it(
        'Delivered takes the pass off Hugo’s card, and no log line ever held it',
        async () => {
          const pass = demo.directory.issuedPasses[0] ?? '';
          expect(pass, 'a pass was issued in the step before').not.toBe('');
          await button('agent', 'Delivered').last().click();

          await expect
            .poll(() => textOf(tabs.agent), {
              timeout: WAIT_MS,
              message: "Hugo's pass card still shows the pass after Delivered",
            })
            .not.toContain(pass);
          await shoot('agent', '10-hugo-delivered', card('agent', 'Ava Employee'));
          expect(logs.length).toBeGreaterThan(0);
          expect(logs.join('\n')).not.toContain(pass);
        },
        STEP_MS,
      );
    },
  );
}
