// Signing in and out of the dashboard: the session cookie, CSRF, and a
// signed-out session that no longer works.
import assert from 'node:assert/strict';
import { cspViolations, dashTest, useDashboard } from '../lib/dashboard.mjs';
import { OWNER_EMAIL, OWNER_PASSWORD } from '../lib/server.mjs';

const env = useDashboard('dashboard-auth', { limited: false });

dashTest(env, 'sign in: a wrong password shows an error, the right one the inbox; sign out ends the session', async (t, s) => {
  const d = await s.loginPage();
  const { page } = d;
  await d.shot('dashboard-04-login', t);
  assert.equal(await d.sessionStatus(), 401, 'not signed in before the form is sent');

  // Wrong password: an error, still on the login form, no cookie.
  await d.login(OWNER_EMAIL, 'not-the-password', { expectOk: false });
  await d.t('login-error').waitFor({ state: 'visible' });
  assert.ok((await d.t('login-error').innerText()).trim().length > 0, 'the error says something');
  assert.equal(await d.t('nav').count(), 0, 'no shell after a wrong password');
  assert.match(new URL(page.url()).pathname, /^\/login/, 'still on /login');
  await d.shot('dashboard-05-login-error', t);
  const failedCookies = await page.context().cookies();
  assert.ok(!failedCookies.some((c) => c.name === 'parley_session' && c.value), 'no session cookie after a wrong password');

  // Right password: the inbox.
  await d.login(OWNER_EMAIL, OWNER_PASSWORD);
  await d.t('tab-open').waitFor({ state: 'visible' });
  await d.t('view-unassigned').waitFor({ state: 'visible' });
  assert.equal(await d.t('login-form').count(), 0, 'the login form is gone');
  assert.doesNotMatch(new URL(page.url()).pathname, /^\/login/, 'left /login');
  assert.equal(await d.sessionStatus(), 200, 'GET /api/v1/auth/session is 200 with the cookie');
  await d.shot('dashboard-06-inbox-after-login', t);

  // The cookie of the contract.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'parley_session');
  assert.ok(cookie, 'a parley_session cookie is set');
  assert.equal(cookie.httpOnly, true, 'the session cookie is HttpOnly');
  assert.equal(cookie.sameSite, 'Strict', 'the session cookie is SameSite=Strict');
  assert.equal(cookie.path, '/', 'the session cookie has Path=/');
  assert.equal(await page.evaluate(() => document.cookie.includes('parley_session')), false, 'scripts cannot read it');

  // A non-GET call without the CSRF header is refused; nothing changes.
  const csrf = await page.evaluate(async () => {
    const r = await fetch('/api/v1/me', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'CSRF victim' }) });
    return r.status;
  });
  assert.equal(csrf, 403, 'PATCH /api/v1/me with the cookie but without X-CSRF-Token is 403');
  assert.notEqual((await env.owner.request('GET', '/api/v1/me')).name, 'CSRF victim', 'nothing changed');

  // A reload keeps the session (the SPA asks /api/v1/auth/session on start).
  await page.reload({ waitUntil: 'domcontentloaded' });
  await d.t('nav').waitFor({ state: 'visible' });

  // Sign out: back to /login, and the session is gone for good.
  await d.t('logout').click();
  await page.waitForURL(/\/login(\?|$)/);
  await d.t('login-form').waitFor({ state: 'visible' });
  assert.equal(await d.sessionStatus(), 401, 'GET /api/v1/auth/session is 401 after signing out');
  await d.shot('dashboard-07-signed-out', t);

  // Going to the inbox directly shows the login form again.
  await page.goto(env.server.url('/conversations'), { waitUntil: 'domcontentloaded' });
  await d.t('login-form').waitFor({ state: 'visible' });
  assert.equal(await d.t('nav').count(), 0, 'no shell when signed out');

  assert.deepEqual(cspViolations(d.problems), [], 'no CSP violations');
});

dashTest(env, 'the old session cookie no longer works after signing out (replayed by hand)', async (t, s) => {
  const d = await s.dashboard();
  const cookie = (await d.page.context().cookies()).find((c) => c.name === 'parley_session');
  assert.ok(cookie, 'a parley_session cookie is set');
  const withCookie = () => fetch(env.server.url('/api/v1/auth/session'), { headers: { Cookie: `parley_session=${cookie.value}` } });
  assert.equal((await withCookie()).status, 200, 'the cookie works from outside the browser too');
  await d.t('logout').click();
  await d.t('login-form').waitFor({ state: 'visible' });
  assert.equal((await withCookie()).status, 401, 'the revoked session cookie is refused');
});
