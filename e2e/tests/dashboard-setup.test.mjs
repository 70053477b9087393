// First run: a server started without PARLEY_OWNER_* prints a one-time setup
// link; the page behind it creates the owner, who then signs in at /login.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Agent } from '../lib/agent.mjs';
import { launchBrowser, newVisitor, screenshot } from '../lib/browser.mjs';
import { cspViolations, Dashboard, requireDashboard } from '../lib/dashboard.mjs';
import { setupLink, startParleyWithoutOwner } from '../lib/server.mjs';

const env = { server: null, browser: null };
before(async () => {
  env.server = await startParleyWithoutOwner('dashboard-setup');
  await requireDashboard(env.server);
  env.browser = await launchBrowser();
  console.log(`e2e dashboard-setup: ${env.server.baseURL} (log ${env.server.logPath})`);
});
after(async () => {
  await env.browser?.close().catch(() => {});
  await env.server?.dispose();
});

test('first-run setup: the link from the log creates the owner, who signs in at /login', { timeout: 30000 }, async (t) => {
  const { context, page, problems } = await newVisitor(env.browser);
  t.after(() => context.close().catch(() => {}));
  try {
    const link = await setupLink(env.server);
    t.diagnostic(`setup link: ${link}`);
    assert.ok(link.startsWith(`${env.server.baseURL}/setup/`), `the link is on the server's base URL: ${link}`);

    // Nobody can sign in yet.
    const owner = { name: 'Olivia Owner', email: 'olivia@e2e.example.com', password: 'olivia-first-run-pw' };
    await assert.rejects(Agent.login(env.server, owner), (e) => e.status === 401, 'no owner before the setup');

    const res = await page.goto(link, { waitUntil: 'domcontentloaded' });
    assert.equal(res.status(), 200, 'the setup page opens');
    await screenshot(page, 'dashboard-01-setup-form', t);
    await page.locator('input[name="name"]').fill(owner.name);
    await page.locator('input[name="email"]').fill(owner.email);
    await page.locator('input[name="password"]').fill(owner.password);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === link),
      page.locator('form button[type="submit"], form input[type="submit"]').first().click(),
    ]);
    await page.waitForLoadState('domcontentloaded');
    assert.equal(answer.status(), 201, `the setup form is accepted (${(await page.locator('body').innerText()).slice(0, 200)})`);
    await screenshot(page, 'dashboard-02-setup-done', t);

    // The owner exists, with that role.
    const api = await Agent.login(env.server, owner);
    assert.equal(api.me.role, 'owner');
    assert.equal(api.me.name, owner.name);

    // The link works once.
    const again = await fetch(link);
    assert.equal(again.status, 404, 'the setup link works only once');

    // The success page leads to /login (contract: "after success it links to /login").
    const toLogin = page.locator('a[href="/login"], a[href$="/login"]');
    assert.ok(await toLogin.count() > 0,
      `the setup success page links to /login; it says: ${JSON.stringify((await page.locator('body').innerText()).slice(0, 300))}`);
    await toLogin.first().click();
    await page.waitForURL(/\/login(\?|$)/);
    const d = new Dashboard(page, env.server, problems);
    await d.t('login-form').waitFor({ state: 'visible' });
    await d.login(owner.email, owner.password);
    await d.t('nav').waitFor({ state: 'visible' });
    assert.equal(await d.sessionStatus(), 200, 'signed in with a session cookie');
    // The owner sees the managers' navigation.
    await d.t('nav-team').waitFor({ state: 'visible' });
    await d.t('nav-settings').waitFor({ state: 'visible' });
    await screenshot(page, 'dashboard-03-first-inbox-empty', t);
    assert.deepEqual(cspViolations(problems), [], 'no CSP violations');
  } catch (e) {
    await screenshot(page, 'dashboard-FAILED-setup', t).catch(() => {});
    e.message += `\n-- page ${page.url()}\n-- browser console errors:\n  ${problems.join('\n  ') || '(none)'}\n-- ${env.server.tail()}`;
    throw e;
  }
});
