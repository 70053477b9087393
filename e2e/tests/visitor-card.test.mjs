// The complete visitor card (docs/visitor-card-contract.md) and the live
// Visitors page, against a real `parley serve` with a tiny GeoIP database
// and 127.0.0.1 as a trusted proxy, so that a browser context claiming
// X-Forwarded-For: 81.2.69.160 is a visitor from London.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before } from 'node:test';
import { nonce, Widget } from '../lib/browser.mjs';
import { cspViolations, dashTest, useDashboard } from '../lib/dashboard.mjs';
import { repoRoot } from '../lib/server.mjs';
import { waitFor } from '../lib/wait.mjs';

const serverEnv = { PARLEY_TRUSTED_PROXIES: '127.0.0.1/32' };
before(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-geo-'));
  serverEnv.PARLEY_GEOIP_DB = path.join(dir, 'city.mmdb');
  execFileSync('go', ['run', './internal/geo/mkgeo', serverEnv.PARLEY_GEOIP_DB], { cwd: repoRoot, stdio: 'inherit' });
});
const env = useDashboard('visitor-card', { limited: false, serverEnv });
const fromLondon = { extraHTTPHeaders: { 'X-Forwarded-For': '81.2.69.160' } };

/** The text of a card section, whitespace squeezed. */
async function section(d, id) {
  const el = d.t('visitor-card').locator(`[data-testid="${id}"]`);
  await el.waitFor({ state: 'visible' });
  return (await el.innerText()).replace(/\s+/g, ' ');
}

async function waitSection(d, id, re, message) {
  let last = '';
  try {
    await waitFor(async () => re.test((last = await section(d, id))), { timeout: 8000, message });
  } catch {
    throw new Error(`${message}: section ${id} shows ${JSON.stringify(last)}, want ${re}`);
  }
}

dashTest(env, 'every section of the card is filled after a visitor browses /demo, identifies and chats', async (t, s) => {
  const userId = `cust-${nonce()}`;
  const key = (await env.owner.request('POST', '/api/v1/api-keys', { name: 'e2e shop' })).key;

  // A visitor from London browses two pages, is identified by the shop, and writes.
  const v = await s.chatBox('/demo', fromLondon);
  await Widget.open(v.page, env.server, '/demo/cart');
  // The shop's server signs its user id with the identity secret: only a
  // signed id joins one contact across devices.
  const { secret } = await env.owner.request('GET', '/api/v1/identity');
  const userHash = createHmac('sha256', secret).update(userId).digest('hex');
  await v.page.evaluate(([id, hash]) => {
    window.parley('identify', { user_id: id, user_hash: hash, name: 'Maria Kovacs', email: 'maria@example.com', phone: '+36 30 123 4567' });
    window.parley('variables', { plan: 'gold', cart_total: '49 EUR' });
  }, [userId, userHash]);
  const w = new Widget(v.page);
  await w.openPanel();
  const text = `Do you ship to Budapest? ${nonce()}`;
  await w.send(text);
  await w.waitSent(text);

  // An earlier conversation of the same person, resolved.
  const conv = await waitFor(async () => (await env.owner.request('GET', '/api/v1/conversations?view=all')).items
    .find((c) => c.last_message?.text === text), { message: 'the conversation reaches the server' });
  const contact = await waitFor(async () => {
    const c = await env.owner.request('GET', `/api/v1/contacts/${conv.contact_id}`);
    return c.external_id === userId && c.variables.plan === 'gold' ? c : null;
  }, { message: 'identify and variables reach the contact' });
  assert.equal(contact.phone, '+36301234567', 'the phone is stored in E.164');

  // The shop's back end sends what it knows.
  const res = await fetch(env.server.url(`/api/v1/customers/${encodeURIComponent(userId)}`), {
    method: 'PUT', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      customer_since: '2023-05-14', orders_count: 7, total_spent: '1249.90', currency: 'EUR',
      last_orders: [{ number: 'A-10432', date: '2026-11-20T10:12:00Z', total: 189.9, status: 'shipped', url: 'https://shop.example/orders/10432' }],
      attributes: { segment: 'returning' },
    }),
  });
  assert.equal(res.status, 200, `PUT customer: ${await res.text()}`);

  const d = await s.dashboard();
  await d.list('open', 'all');
  await d.waitRow(conv.id);
  await d.open(conv.id);
  const card = d.t('visitor-card');
  await card.waitFor({ state: 'visible' });

  // 1–3 name, email, phone; 6 the note.
  await waitFor(async () => (await card.locator('[data-testid="contact-name"]').inputValue()) === 'Maria Kovacs', { message: 'the name field' });
  assert.equal(await card.locator('[data-testid="contact-email"]').inputValue(), 'maria@example.com');
  assert.equal(await card.locator('[data-testid="contact-phone"]').inputValue(), '+36301234567');
  const note = `Prefers DHL ${nonce()}`;
  await card.locator('[data-testid="contact-note"]').fill(note);
  await card.locator('[data-testid="contact-note"]').blur();
  await waitFor(async () => (await env.owner.request('GET', `/api/v1/contacts/${conv.contact_id}`)).note === note, { message: 'the note is saved' });

  // 4 location with the DB-IP attribution, 5 browser and OS with versions.
  await waitSection(d, 'card-location', /London/, 'the location');
  assert.match(await section(d, 'card-location'), /United Kingdom|GB/);
  assert.equal(await card.locator('a[href="https://db-ip.com"]').count() >= 1, true, 'DB-IP is credited');
  assert.match(await section(d, 'card-software'), /Chrom\w* \d+/, 'the browser with its version');
  assert.match(await section(d, 'card-software'), /Linux|Windows|Mac|Android|iOS/, 'the operating system');

  // 10 shop data and the widget's variables as "Customer info".
  await waitSection(d, 'card-shop', /A-10432/, 'the last order');
  const shop = await section(d, 'card-shop');
  assert.match(shop, /7/, 'the number of orders');
  assert.match(shop, /1[,.\s]?249[.,]90/, 'the total spent');
  assert.match(shop, /shipped/, 'the order status');
  assert.match(shop, /returning/, 'the free attributes');
  assert.equal(await card.locator('[data-testid="shop-order"]').count(), 1);
  await waitSection(d, 'card-customer-info', /gold/, 'the variables');
  assert.match(await section(d, 'card-customer-info'), /49 EUR/);

  // 8 browsing history: both pages, the visit and its count.
  await waitSection(d, 'card-pages', /cart/i, 'the cart page in the browsing history');
  assert.ok((await card.locator('[data-testid="page-view"]').count()) >= 2, 'both pages are listed');
  assert.match(await card.locator('[data-testid="visit-count"]').innerText(), /1/);

  // 7 conversation history: the current conversation is listed.
  await card.locator(`[data-testid="history-conversation"][data-id="${conv.id}"]`).waitFor({ state: 'visible' });
  await d.shot('visitor-card-10-filled', t);

  // Live: a second conversation of the same person (another device, same
  // user id) appears in the history and opens in place.
  const w2 = await s.chatBox('/demo', fromLondon);
  await w2.page.evaluate(([id, hash]) => window.parley('identify', { user_id: id, user_hash: hash }), [userId, userHash]);
  const text2 = `From my phone ${nonce()}`;
  await w2.widget.send(text2);
  await w2.widget.waitSent(text2);
  const conv2 = await waitFor(async () => (await env.owner.request('GET', '/api/v1/conversations?view=all')).items
    .find((c) => c.last_message?.text === text2 && c.contact_id === conv.contact_id), { timeout: 8000, message: 'the second device joins the contact' });
  const row2 = card.locator(`[data-testid="history-conversation"][data-id="${conv2.id}"]`);
  await d.page.reload({ waitUntil: 'domcontentloaded' });
  await row2.waitFor({ state: 'visible' });
  await row2.click();
  await d.page.locator(`[data-testid="conversation"][data-id="${conv2.id}"]`).waitFor({ state: 'visible' });
  await d.waitMessage((m) => m.text === text2, { message: 'the other conversation opened in place' });
  assert.deepEqual(cspViolations(d.problems), [], 'no CSP violations');
}, { timeout: 60000 });

dashTest(env, 'the Visitors page lists who is on the site, live, and starts a chat', async (t, s) => {
  const d = await s.dashboard();
  await d.t('nav-visitors').click();
  await d.t('visitors').waitFor({ state: 'visible' });
  assert.equal(new URL(d.page.url()).pathname, '/visitors');

  const v = await s.chatBox('/demo', fromLondon);
  const vid = await waitFor(async () => (await env.owner.request('GET', '/api/v1/visitors/online')).items
    .find((x) => x.location.city === 'London' && !x.chatting)?.visitor_id, { message: 'the visitor is online on the server' });
  const row = d.page.locator(`[data-testid="visitor-row"][data-id="${vid}"]`);
  await row.waitFor({ state: 'visible' });
  assert.match(await row.innerText(), /London/);
  assert.ok((await d.page.locator('[data-testid="visitors"] a[href="https://db-ip.com"]').count()) >= 1, 'DB-IP is credited beside the locations');
  await d.shot('visitors-10-one-visitor', t);

  // They open another page: the row follows without a reload.
  await Widget.open(v.page, env.server, '/demo/cart');
  await waitFor(async () => /cart/i.test(await row.innerText()), { timeout: 8000, message: 'the row shows the cart page' });

  // Start a chat: the visitor sees the agent's message.
  const hello = `Can I help you choose? ${nonce()}`;
  await row.locator('[data-testid="visitor-chat"]').click();
  await d.t('visitor-chat-text').fill(hello);
  await d.t('visitor-chat-send').click();
  await d.page.locator('[data-testid="conversation"]').waitFor({ state: 'visible' });
  await d.waitMessage((m) => m.text === hello, { message: 'the new conversation opens with the message' });
  const w = new Widget(v.page);
  await w.openPanel();
  await w.waitAgent(hello, { timeout: 8000 });

  // The visitor leaves: the row goes.
  await d.t('nav-visitors').click();
  await row.waitFor({ state: 'visible' });
  await waitFor(async () => /chat/i.test(await row.innerText()), { timeout: 8000, message: 'the row shows the visitor chatting' });
  await d.shot('visitors-20-chatting', t);
  await v.page.close();
  await row.waitFor({ state: 'detached', timeout: 8000 });
  assert.deepEqual(cspViolations(d.problems), [], 'no CSP violations');
}, { timeout: 60000 });
