// The security log (Settings → Security log): the owner signs in, adds an
// agent, changes its role, makes and revokes an API key, someone fails to
// sign in as that agent; the owner's page lists each of these as a row
// (when, who, what, from where), as text, with Load more. An admin has no
// such tab, and the page refuses them.
import assert from 'node:assert/strict';
import { nonce } from '../lib/browser.mjs';
import { createAgent, cspViolations, dashTest, useDashboard } from '../lib/dashboard.mjs';
import { waitFor } from '../lib/wait.mjs';

const env = useDashboard('audit', { limited: false });

/** The rows shown: their action and their cells' text. */
function auditRows(d) {
  return d.t('audit-row').evaluateAll((els) => els.map((el) => ({
    action: el.getAttribute('data-action'),
    cells: [...el.querySelectorAll('td')].map((td) => td.textContent.trim()),
    html: el.innerHTML,
  })));
}

dashTest(env, 'the owner sees what happened on the Security log page', async (t, s) => {
  const d = await s.dashboard();
  d.page.on('dialog', (dialog) => dialog.accept()); // revoking a key asks first

  // Add an agent as admin on the Team page, then make it an agent.
  await d.t('nav-team').click();
  await d.t('team').waitFor({ state: 'visible' });
  const email = `ada.${nonce()}@e2e.example.com`;
  const form = d.t('add-agent');
  await form.locator('[name="name"]').fill('Ada Audited');
  await form.locator('[name="email"]').fill(email);
  await form.locator('[name="password"]').fill('ada-password-1');
  await form.locator('[name="role"]').selectOption('admin');
  await form.locator('button[type="submit"], input[type="submit"]').first().click();
  const ada = await waitFor(async () => (await env.owner.request('GET', '/api/v1/agents')).items.find((a) => a.email === email),
    { message: 'the new agent exists on the server' });
  const row = d.page.locator(`[data-testid="agent-row"][data-id="${ada.id}"]`);
  await row.locator('[data-testid="agent-role"]').selectOption('agent');
  await waitFor(async () => (await env.owner.request('GET', `/api/v1/agents/${ada.id}`)).role === 'agent',
    { message: 'the role change reaches the server' });

  // Make an API key whose name looks like HTML, and revoke it.
  await d.t('nav-settings').click();
  await d.t('settings-api').click();
  await d.t('api-settings').waitFor({ state: 'visible' });
  const keyName = `<img src=x onerror="window.__pwned=1"> key ${nonce()}`;
  await d.t('api-key-name').fill(keyName);
  await d.t('api-key-create').click();
  await d.t('api-key-secret').waitFor({ state: 'visible' });
  await d.t('api-key-revoke').first().click();
  await waitFor(async () => (await env.owner.request('GET', '/api/v1/api-keys')).items.length === 0,
    { message: 'the key is revoked on the server' });

  // Someone fails to sign in as the new agent.
  const stranger = await s.loginPage();
  await stranger.login(email, 'not-the-password', { expectOk: false });
  await waitFor(async () => (await env.owner.request('GET', '/api/v1/audit?action=auth.login_failed')).items.length === 1,
    { message: 'the failed sign-in is recorded' });

  // The Security log tab lists it all, newest first.
  await d.t('settings-security').click();
  await d.t('security-settings').waitFor({ state: 'visible' });
  assert.equal(new URL(d.page.url()).pathname, '/settings/security');
  await d.t('audit-table').waitFor({ state: 'visible' });
  const rows = await auditRows(d);
  const actions = rows.map((r) => r.action);
  for (const a of ['auth.login_failed', 'api_key.revoked', 'api_key.created', 'agent.role_changed', 'agent.created', 'auth.login']) {
    assert.ok(actions.includes(a), `a row for ${a} is shown (rows: ${actions.join(', ')})`);
  }
  assert.deepEqual(actions.slice(0, 5), ['auth.login_failed', 'api_key.revoked', 'api_key.created', 'agent.role_changed', 'agent.created'],
    'newest first');
  const byAction = Object.fromEntries(rows.map((r) => [r.action, r.cells]));
  const [, who, what, where] = byAction['agent.role_changed'];
  assert.equal(who, env.owner.me.name, 'the owner changed the role');
  assert.match(what, /Changed the role of Ada Audited <.+> from Admin to Agent/);
  assert.match(where, /127\.0\.0\.1/, 'the address is shown');
  assert.match(where, /Chrome \d+/, 'the browser is shown');
  assert.match(byAction['auth.login_failed'][1], /Someone not signed in/);
  assert.match(byAction['auth.login_failed'][2], new RegExp(`Failed sign-in as Ada Audited <${email.replace(/\./g, '\\.')}>`));
  assert.ok(byAction['api_key.created'][2].includes(keyName), `the key's name is shown as text: ${byAction['api_key.created'][2]}`);
  const created = rows.find((r) => r.action === 'api_key.created');
  assert.ok(!/<img/i.test(created.html), 'no HTML from the key name reaches the page');
  assert.equal(await d.page.evaluate(() => window.__pwned), undefined, 'nothing in the log runs');
  assert.equal(await d.t('audit-more').count(), 0, 'no Load more when everything is shown');
  await d.shot('audit-10-security-log', t);

  // More than a page: Load more shows the rest.
  for (let i = 0; i < 26; i++) {
    const k = await env.owner.request('POST', '/api/v1/api-keys', { name: `bulk ${i}` });
    await env.owner.request('DELETE', `/api/v1/api-keys/${k.id}`);
  }
  await d.page.reload({ waitUntil: 'domcontentloaded' });
  await d.t('audit-table').waitFor({ state: 'visible' });
  assert.equal((await auditRows(d)).length, 50, 'the first page shows 50 rows');
  await d.t('audit-more').click();
  const all = await waitFor(async () => {
    const r = await auditRows(d);
    return r.length > 50 ? r : null;
  }, { message: 'Load more adds the older rows' });
  assert.equal(all.at(-1).action, 'auth.login', 'the oldest row is the owner\'s first sign-in');
  assert.equal(await d.t('audit-more').count(), 0, 'no Load more on the last page');
  await d.shot('audit-11-security-log-all', t);

  // In Hungarian.
  await d.page.evaluate(() => localStorage.setItem('parley.lang', 'hu'));
  await d.page.reload({ waitUntil: 'domcontentloaded' });
  await d.t('audit-table').waitFor({ state: 'visible' });
  await waitFor(async () => (await d.t('settings-security').innerText()).trim() === 'Biztonsági napló', { message: 'the tab reads Biztonsági napló' });
  await d.shot('audit-12-security-log-hu', t);
  await d.page.evaluate(() => localStorage.setItem('parley.lang', 'en'));
  assert.deepEqual(cspViolations(d.problems), [], 'no CSP violations');
});

dashTest(env, 'an admin has no Security log tab and the page refuses them', async (t, s) => {
  const admin = await createAgent(env.owner, { name: 'Alan Admin', role: 'admin', password: 'alan-password-1' });
  const d = await s.dashboard({ email: admin.email, password: 'alan-password-1' });
  await d.t('nav-settings').click();
  await d.t('settings-api').waitFor({ state: 'visible' });
  assert.equal(await d.t('settings-security').count(), 0, 'no Security log tab for an admin');
  await d.page.goto(env.server.url('/settings/security'), { waitUntil: 'domcontentloaded' });
  await d.t('security-settings').waitFor({ state: 'visible' });
  assert.equal(await d.t('audit-table').count(), 0, 'no log for an admin');
  assert.match(await d.t('audit-owner-only').innerText(), /Only the account’s owner can see the security log/);
  assert.equal(await d.t('settings-security').count(), 0, 'no Security log tab on the page either');
  await d.shot('audit-20-admin-refused', t);
  await assert.rejects(admin.request('GET', '/api/v1/audit'), (e) => e.status === 403, 'the API refuses an admin too');
});
