// Two-factor sign-in in the dashboard: an agent sets it up on the Profile
// page, signs out, and signs in again with a code computed here (TOTP, RFC
// 6238) and with a recovery code; the owner requires it of the whole team
// and an agent without it is taken straight to the set-up.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createAgent, dashTest, useDashboard } from '../lib/dashboard.mjs';
import { OWNER_EMAIL, OWNER_PASSWORD } from '../lib/server.mjs';

const env = useDashboard('two-factor', { limited: false });

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(s) {
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | BASE32.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 6-digit TOTP code of a base32 secret for the 30-second step `offset` steps from now. */
function totp(secret, offset = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const sum = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = sum[sum.length - 1] & 0x0f;
  return String((sum.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Fills the login form; the server then asks for the code. */
async function passwordThenCode(d, email, password, code, t, shotName) {
  await d.login(email, password, { expectOk: false });
  await d.t('login-code').waitFor({ state: 'visible' });
  assert.equal(await d.t('nav').count(), 0, 'no shell before the code');
  if (shotName) await d.shot(shotName, t);
  await d.t('login-code').fill(code);
  await d.t('login-submit').click();
  await d.t('nav').waitFor({ state: 'visible' });
}

dashTest(env, 'an agent sets up two-factor sign-in and signs in with a code, then with a recovery code', async (t, s) => {
  const password = 'two-factor-password';
  const agent = await createAgent(env.owner, { name: 'Tess Twofactor', password });
  const d = await s.dashboard({ email: agent.email, password });
  const { page } = d;

  await page.goto(env.server.url('/profile'), { waitUntil: 'domcontentloaded' });
  await d.t('two-factor').waitFor({ state: 'visible' });
  assert.match(await d.t('two-factor-status').innerText(), /off/i);
  await d.t('two-factor-password').fill(password);
  await d.t('two-factor-start').click();
  await d.t('two-factor-secret').waitFor({ state: 'visible' });
  const secret = (await d.t('two-factor-secret').innerText()).trim();
  const url = new URL((await d.t('two-factor-url').innerText()).trim());
  assert.equal(url.protocol, 'otpauth:');
  assert.equal(url.searchParams.get('secret'), secret, 'the URL carries the secret shown');
  assert.equal(await d.t('two-factor-qr').count(), 1, 'a QR code of the URL is shown');
  await d.shot('two-factor-01-set-up', t);

  await d.t('two-factor-code').fill(totp(secret));
  await d.t('two-factor-confirm').click();
  await d.t('recovery-codes').waitFor({ state: 'visible' });
  const recovery = (await d.t('recovery-codes').locator('code').allInnerTexts()).map((c) => c.trim());
  assert.equal(recovery.length, 10, 'ten recovery codes are shown');
  assert.equal(new Set(recovery).size, 10, 'all different');
  await d.shot('two-factor-02-recovery-codes', t);
  await d.t('recovery-done').click();
  await d.t('recovery-codes').waitFor({ state: 'detached' });
  assert.match(await d.t('two-factor-status').innerText(), /on/i);
  assert.equal((await agent.request('GET', '/api/v1/me')).two_factor, true, 'the API says two_factor is on');

  // Sign out, and in again: the password alone is not enough.
  await d.t('logout').click();
  await d.t('login-form').waitFor({ state: 'visible' });
  // The confirming code's step is used up: the next step's code is within
  // the accepted window and not used yet.
  await passwordThenCode(d, agent.email, password, totp(secret, 1), t, 'two-factor-03-code-asked');
  assert.equal(await d.sessionStatus(), 200, 'signed in with the code');
  await d.shot('two-factor-04-signed-in', t);

  // Sign out, and in with a recovery code.
  await d.t('logout').click();
  await d.t('login-form').waitFor({ state: 'visible' });
  await passwordThenCode(d, agent.email, password, recovery[0], t);
  assert.equal(await d.sessionStatus(), 200, 'signed in with a recovery code');

  // The same recovery code a second time is refused.
  await d.t('logout').click();
  await d.t('login-form').waitFor({ state: 'visible' });
  await d.login(agent.email, password, { expectOk: false });
  await d.t('login-code').waitFor({ state: 'visible' });
  await d.t('login-code').fill(recovery[0]);
  await d.t('login-submit').click();
  await d.t('login-error').waitFor({ state: 'visible' });
  assert.equal(await d.t('nav').count(), 0, 'a used recovery code does not sign in');
  await d.shot('two-factor-05-used-recovery-code', t);
}, { timeout: 60000 });

dashTest(env, 'the owner requires two-factor sign-in; an agent without it is taken to the set-up', async (t, s) => {
  // The owner sets it up over the API (the switch needs the owner's own).
  const en = await env.owner.request('POST', '/api/v1/me/two-factor', { current_password: OWNER_PASSWORD });
  await env.owner.request('POST', '/api/v1/me/two-factor/confirm', { code: totp(en.secret) });
  const password = 'no-two-factor-yet';
  const lena = await createAgent(env.owner, { name: 'Lena Later', password });

  const v = await s.loginPage();
  await passwordThenCode(v, OWNER_EMAIL, OWNER_PASSWORD, totp(en.secret, 1), t);
  await v.page.goto(env.server.url('/team'), { waitUntil: 'domcontentloaded' });
  await v.t('require-two-factor-switch').waitFor({ state: 'visible' });
  assert.equal(await v.t('require-two-factor-switch').isChecked(), false);
  await v.t('require-two-factor-switch').check();
  await v.page.waitForFunction(async () => (await (await fetch('/api/v1/account')).json()).require_two_factor === true);
  await v.shot('two-factor-06-team-switch', t);

  // Lena signs in with her password and lands on the set-up, nothing else.
  const d = await s.loginPage();
  await d.login(lena.email, password, { expectOk: false });
  await d.t('two-factor-required').waitFor({ state: 'visible' });
  assert.equal(await d.t('nav').count(), 0, 'no shell before the set-up');
  assert.equal(await d.page.evaluate(() => fetch('/api/v1/conversations').then((r) => r.status)), 403, 'the API refuses her');
  await d.shot('two-factor-07-required-set-up', t);
  await d.t('two-factor-password').fill(password);
  await d.t('two-factor-start').click();
  await d.t('two-factor-secret').waitFor({ state: 'visible' });
  const secret = (await d.t('two-factor-secret').innerText()).trim();
  await d.t('two-factor-code').fill(totp(secret));
  await d.t('two-factor-confirm').click();
  await d.t('recovery-codes').waitFor({ state: 'visible' });
  await d.t('recovery-done').click();
  await d.t('nav').waitFor({ state: 'visible' });
  assert.equal(await d.page.evaluate(() => fetch('/api/v1/conversations').then((r) => r.status)), 200, 'the API lets her in now');

  await env.owner.request('PATCH', '/api/v1/account', { require_two_factor: false });
}, { timeout: 60000 });
