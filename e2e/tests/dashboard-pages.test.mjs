// The other screens: Team (owner adds an agent with a role; a limited agent
// does not see it), Profile (a name change persists), Install & chat box
// settings (the snippet with the widget key), the shortcuts dialog.
import assert from 'node:assert/strict';
import { nonce } from '../lib/browser.mjs';
import { cspViolations, dashTest, useDashboard } from '../lib/dashboard.mjs';
import { waitFor } from '../lib/wait.mjs';

const env = useDashboard('dashboard-pages');

dashTest(env, 'team: the owner adds an agent with a role and changes it; a limited agent has no Team', async (t, s) => {
  const d = await s.dashboard();
  await d.t('nav-team').click();
  await d.t('team').waitFor({ state: 'visible' });
  assert.equal(new URL(d.page.url()).pathname, '/team');
  const ids = () => d.t('agent-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
  await waitFor(async () => (await ids()).includes(env.limited.me.id), { message: 'the team lists the limited agent' });
  assert.ok((await ids()).includes(env.owner.me.id), 'the team lists the owner');
  await d.shot('dashboard-40-team', t);

  const email = `alma.${nonce()}@e2e.example.com`;
  const form = d.t('add-agent');
  await form.locator('[name="name"]').fill('Alma Admin');
  await form.locator('[name="email"]').fill(email);
  await form.locator('[name="password"]').fill('alma-password-1');
  await form.locator('[name="role"]').selectOption('admin');
  await d.shot('dashboard-41-team-add-form-filled', t);
  await form.locator('button[type="submit"], input[type="submit"]').first().click();

  const created = await waitFor(async () => (await env.owner.request('GET', '/api/v1/agents')).items.find((a) => a.email === email),
    { message: 'the new agent exists on the server' });
  assert.equal(created.role, 'admin', 'created with the chosen role');
  assert.equal(created.name, 'Alma Admin');
  const row = d.page.locator(`[data-testid="agent-row"][data-id="${created.id}"]`);
  await row.waitFor({ state: 'visible' });
  assert.match(await row.innerText(), /Alma Admin/);
  await d.shot('dashboard-42-team-agent-added', t);

  // Change the role on the row.
  await row.locator('[data-testid="agent-role"]').selectOption('agent');
  await waitFor(async () => (await env.owner.request('GET', `/api/v1/agents/${created.id}`)).role === 'agent',
    { message: 'the role change reaches the server' });
  // The owner's own row offers no role change.
  const ownerRole = d.page.locator(`[data-testid="agent-row"][data-id="${env.owner.me.id}"] [data-testid="agent-role"]`);
  assert.ok((await ownerRole.count()) === 0 || (await ownerRole.isDisabled()), 'the owner\'s role cannot be changed');

  // The new agent can sign in; a limited agent sees neither Team nor Settings.
  const lena = await s.dashboard(env.limited);
  await lena.t('nav-conversations').waitFor({ state: 'visible' });
  await lena.t('nav-profile').waitFor({ state: 'visible' });
  assert.equal(await lena.t('nav-team').count(), 0, 'no Team link for a limited agent');
  assert.equal(await lena.t('nav-settings').count(), 0, 'no Settings link for a limited agent');
  await lena.shot('dashboard-43-limited-agent-nav', t);
  const alma = await s.dashboard({ email, password: 'alma-password-1' });
  assert.equal(await alma.t('nav-team').count(), 0, 'the demoted agent has no Team link');
  assert.deepEqual(cspViolations(d.problems), [], 'no CSP violations');
});

dashTest(env, 'profile: a name change and the notification choices persist', async (t, s) => {
  const lena = env.limited;
  const d = await s.dashboard(lena);
  await d.t('nav-profile').click();
  const profile = d.t('profile');
  await profile.waitFor({ state: 'visible' });
  assert.equal(new URL(d.page.url()).pathname, '/profile');
  const name = profile.locator('[name="name"]');
  await waitFor(async () => (await name.inputValue()) === lena.me.name, { message: `the profile shows the name ${lena.me.name}` });
  await d.shot('dashboard-44-profile', t);

  const newName = `Lena Renamed ${nonce()}`;
  await name.fill(newName);
  const notify = profile.locator('[name="notify_offline_messages"]');
  const wasChecked = await notify.isChecked();
  await notify.setChecked(!wasChecked);
  await d.t('save-profile').click();
  await waitFor(async () => (await lena.request('GET', '/api/v1/me')).name === newName, { message: 'the new name reaches the server' });
  assert.equal((await lena.request('GET', '/api/v1/me')).notify_offline_messages, !wasChecked, 'the notification choice reaches the server');
  await d.shot('dashboard-45-profile-saved', t);

  await d.page.reload({ waitUntil: 'domcontentloaded' });
  await profile.waitFor({ state: 'visible' });
  await waitFor(async () => (await name.inputValue()) === newName, { message: 'the new name is shown after a reload' });
  assert.equal(await notify.isChecked(), !wasChecked, 'the notification choice is shown after a reload');

  // A wrong current password is refused with a message; nothing changes.
  await profile.locator('[name="current_password"]').fill('not-my-password');
  await profile.locator('[name="new_password"]').fill('a-new-long-password');
  await d.t('save-profile').click();
  // The contract names no test id for this error: look for a toast or an alert, report when none.
  const shown = await waitFor(async () => (await d.page.locator('[data-testid="toast"], [role="alert"], [data-testid$="-error"]').count()) > 0,
    { timeout: 3000 }).catch(() => false);
  if (!shown) t.diagnostic('WARNING: no visible error (toast/alert/*-error) after a wrong current password');
  await d.shot('dashboard-46-profile-wrong-password', t);
  await lena.login(); // the old password still works
  // Put the name back for the other tests.
  await lena.request('PATCH', '/api/v1/me', { name: lena.me.name, notify_offline_messages: wasChecked });
});

dashTest(env, 'settings: the install snippet carries the widget key; a preview is shown', async (t, s) => {
  const d = await s.dashboard();
  await d.t('nav-settings').click();
  const settings = d.t('widget-settings');
  await settings.waitFor({ state: 'visible' });
  assert.match(new URL(d.page.url()).pathname, /^\/settings/);
  const snippet = d.t('snippet');
  await waitFor(async () => (await snippet.innerText()).includes(env.widgetKey), { message: 'the snippet shows the widget key' });
  const text = await snippet.innerText();
  assert.ok(text.includes(`data-key="${env.widgetKey}"`), `the snippet has data-key="${env.widgetKey}": ${text}`);
  assert.ok(text.includes(`${env.server.baseURL}/widget/loader.js`), `the snippet loads ${env.server.baseURL}/widget/loader.js: ${text}`);
  assert.equal(text.trim(), (await env.owner.widgetSettings()).snippet.trim(), 'the snippet is the server\'s');
  await d.t('copy-snippet').waitFor({ state: 'visible' });
  await d.t('preview').waitFor({ state: 'visible' });
  for (const n of ['color', 'position', 'greeting', 'offline_form', 'prechat']) {
    assert.ok(await settings.locator(`[name="${n}"]`).count() > 0, `the settings have a ${n} field`);
  }
  await d.shot('dashboard-47-settings-widget', t);
  assert.deepEqual(cspViolations(d.problems), [], 'no CSP violations on the settings page (preview included)');
});

dashTest(env, 'the shortcuts dialog opens with ?', async (t, s) => {
  const d = await s.dashboard();
  await d.t('tab-open').waitFor({ state: 'visible' });
  await d.page.locator('body').click({ position: { x: 5, y: 5 } }).catch(() => {});
  await d.page.keyboard.press('?');
  await d.t('shortcuts').waitFor({ state: 'visible' });
  await d.shot('dashboard-48-shortcuts', t);
});

dashTest(env, 'phone-sized window: a screenshot of the inbox', async (t, s) => {
  const d = await s.dashboard(undefined, { viewport: { width: 390, height: 844 } });
  await d.t('tab-open').waitFor({ state: 'attached' });
  await d.shot('dashboard-49-phone-inbox', t);
});

dashTest(env, 'a Hungarian browser gets the Hungarian dashboard', async (t, s) => {
  const d = await s.dashboard(undefined, { locale: 'hu-HU' });
  await d.t('tab-open').waitFor({ state: 'visible' });
  assert.match(await d.t('tab-open').innerText(), /Nyitott/, 'the Open tab is in Hungarian');
  assert.match(await d.t('view-unassigned').innerText(), /Kiosztatlan/, 'Unassigned is in Hungarian');
  assert.equal(await d.page.evaluate(() => document.documentElement.lang), 'hu', '<html lang="hu">');
  await d.shot('dashboard-50-hungarian-inbox', t);
});
