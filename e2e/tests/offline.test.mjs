// No agent online: the offline form. Per-account settings from
// PATCH /api/v1/widget reach the visitor.
import assert from 'node:assert/strict';
import { nonce, screenshot, Widget } from '../lib/browser.mjs';
import { chatTest, useParley } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

const env = useParley('offline');

chatTest(env, 'with every agent offline the panel offers the offline form, which creates the conversation', async (t, { page }) => {
  await env.agent.updateWidget({ offline_form: true });
  const me = await env.agent.request('GET', '/api/v1/me');
  assert.equal(me.status, 'offline');

  const w = await Widget.open(page, env.server);
  await w.openPanel();
  const form = w.t('offline-form');
  await form.waitFor({ state: 'visible' });
  assert.equal((await w.t('status').textContent()).trim(), 'Offline');
  assert.notEqual(await form.locator('[name="email"]').getAttribute('required'), null, 'the email is required');
  assert.notEqual(await form.locator('[name="message"]').getAttribute('required'), null, 'the message is required');
  await screenshot(page, '03-offline-form', t);

  const name = 'Olga Offline';
  const email = `olga.${nonce()}@example.com`;
  const message = `Please call me back about order 1042 ${nonce()}`;
  await form.locator('[name="name"]').fill(name);
  await form.locator('[name="email"]').fill(email);
  await form.locator('[name="message"]').fill(message);
  await w.t('offline-submit').click();
  await w.t('offline-sent').waitFor({ state: 'visible' });
  await screenshot(page, '03b-offline-sent', t);

  const { conversation, messages } = await env.agent.findConversationWithMessage(message, { sender: 'visitor' });
  assert.equal(messages.filter((m) => m.text === message).length, 1, 'the message is stored once');
  assert.equal(conversation.status, 'open');
  const contact = await env.agent.contact(conversation.contact_id);
  assert.equal(contact.email, email, 'the contact has the email of the form');
  assert.equal(contact.name, name, 'the contact has the name of the form');
}, { agentStatus: 'offline' });

chatTest(env, 'an agent coming online replaces the offline form with the chat', async (t, { page }) => {
  await env.agent.updateWidget({ offline_form: true });
  const w = await Widget.open(page, env.server);
  await w.openPanel();
  await w.t('offline-form').waitFor({ state: 'visible' });
  await env.agent.setStatus('online');
  await waitFor(async () => (await w.t('status').textContent()).trim() === 'Online',
    { timeout: 5000, message: 'the status turns Online when an agent comes online (presence frame)' });
  await w.t('composer').waitFor({ state: 'visible', timeout: 5000 });
}, { agentStatus: 'offline' });

chatTest(env, 'settings from PATCH /api/v1/widget reach a new visitor: greeting, colour, left position', async (t, { page }) => {
  const before = await env.agent.widgetSettings();
  t.after(() => env.agent.updateWidget({ greeting: before.greeting ?? '', color: before.color, position: before.position ?? 'right' }));
  const greeting = `Hi! We usually answer within minutes. ${nonce()}`;
  const saved = await env.agent.updateWidget({ greeting, color: '#0a7d3b', position: 'left' });
  assert.equal(saved.greeting, greeting);

  const w = await Widget.open(page, env.server);
  const box = await w.iframe.boundingBox();
  const vw = page.viewportSize().width;
  assert.ok(box.x + box.width / 2 < vw / 2, `position left puts the chat box on the left (x=${box.x}, width ${box.width})`);
  // The colour is used on the launcher (its background, border or an inner element).
  const colours = await w.t('launcher').evaluate((el) => [el, ...el.querySelectorAll('*')].map((e) => {
    const s = getComputedStyle(e);
    return [s.backgroundColor, s.borderColor, s.color, s.fill, s.backgroundImage].join(' ');
  }).join(' | '));
  assert.match(colours, /rgb\(10, 125, 59\)/, `the launcher uses the account colour #0a7d3b (computed: ${colours.slice(0, 300)})`);
  await w.openPanel();
  assert.equal((await w.t('greeting').textContent()).trim(), greeting);
});

chatTest(env, 'a required pre-chat form with privacy link and consent fills the contact', async (t, { page }) => {
  const privacy = 'https://shop.example.com/privacy';
  t.after(() => env.agent.updateWidget({ prechat: 'off', privacy_url: '', consent_required: false }));
  await env.agent.updateWidget({ prechat: 'required', privacy_url: privacy, consent_required: true });

  const w = await Widget.open(page, env.server);
  await w.openPanel();
  const form = w.t('prechat-form');
  await form.waitFor({ state: 'visible' });
  const link = w.t('privacy-link');
  assert.equal(await link.getAttribute('href'), privacy);
  assert.equal(await link.getAttribute('target'), '_blank');
  await screenshot(page, '07-prechat-form', t);

  const id = nonce();
  const name = `Pre Chat ${id}`;
  const email = `pre.${id}@example.com`;
  await form.locator('[name="name"]').fill(name);
  await form.locator('[name="email"]').fill(email);
  // Without the consent box ticked the form does not go through.
  await w.t('prechat-submit').click();
  await page.waitForTimeout(300);
  assert.equal(await form.isVisible(), true, 'the form stays until consent is given');

  await form.locator('[name="consent"]').check();
  await w.t('prechat-submit').click();
  await form.waitFor({ state: 'hidden' });
  const text = `After the pre-chat form ${id}`;
  await w.send(text);
  await w.waitSent(text);
  const { conversation } = await env.agent.findConversationWithMessage(text, { sender: 'visitor' });
  const contact = await waitFor(async () => {
    const c = await env.agent.contact(conversation.contact_id);
    return c.email ? c : null;
  }, { timeout: 5000, message: 'the pre-chat email reaches the contact' });
  assert.equal(contact.name, name);
  assert.equal(contact.email, email);
});
