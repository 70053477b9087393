// The host page's JavaScript API, page views of a single-page app, and the
// chat box on a phone.
import assert from 'node:assert/strict';
import { nonce, screenshot, Widget } from '../lib/browser.mjs';
import { chatTest, useParley } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

const env = useParley('jsapi');

chatTest(env, "parley('name'|'email'|'phone'|'variables') reach the contact", async (t, { page }) => {
  const w = await Widget.open(page, env.server);
  const id = nonce();
  const who = { name: `Ada Lovelace ${id}`, email: `ada.${id}@example.com`, phone: '+36 30 123 4567' };
  await page.evaluate((who) => {
    window.parley('name', who.name);
    window.parley('email', who.email);
    window.parley('phone', who.phone);
    window.parley('variables', { plan: 'gold' });
  }, who);
  await w.openPanel();
  const text = `Identified visitor here ${id}`;
  await w.send(text);
  await w.waitSent(text);
  const { conversation } = await env.agent.findConversationWithMessage(text, { sender: 'visitor' });
  const contact = await waitFor(async () => {
    const c = await env.agent.contact(conversation.contact_id);
    return c.name && c.email && c.phone && c.variables?.plan ? c : null;
  }, { timeout: 5000, message: 'the contact gets name, email, phone and the variable' });
  assert.equal(contact.name, who.name);
  assert.equal(contact.email, who.email);
  assert.equal(contact.phone.replace(/\D/g, ''), who.phone.replace(/\D/g, ''), `phone ${contact.phone}`);
  assert.equal(contact.variables.plan, 'gold');
});

chatTest(env, 'calls queued before the loader ran are applied (the snippet\'s stub)', async (t, { page }) => {
  const id = nonce();
  // Runs before the page's own scripts: the snippet keeps this stub and its queue.
  await page.addInitScript((id) => {
    window.parley = function () { (window.parley.q = window.parley.q || []).push(arguments); };
    window.parley('name', `Queued Quentin ${id}`);
    window.parley('variables', { source: 'queue' });
    window.parley('chat:open');
  }, id);
  const w = await Widget.open(page, env.server);
  await w.t('panel').waitFor({ state: 'visible', timeout: 5000 });
  const text = `Queued calls ${id}`;
  await w.send(text);
  await w.waitSent(text);
  const { conversation } = await env.agent.findConversationWithMessage(text, { sender: 'visitor' });
  const contact = await waitFor(async () => {
    const c = await env.agent.contact(conversation.contact_id);
    return c.name && c.variables?.source ? c : null;
  }, { timeout: 5000, message: 'the queued name and variables reach the contact' });
  assert.equal(contact.name, `Queued Quentin ${id}`);
  assert.equal(contact.variables.source, 'queue');
});

chatTest(env, "parley('chat:open') opens the panel; parley('on', …) events fire", async (t, { page }) => {
  const w = await Widget.open(page, env.server);
  await page.evaluate(() => {
    window.__events = [];
    for (const name of ['open', 'close', 'message_sent', 'message_received']) {
      window.parley('on', name, (data) => {
        let copy = null;
        try { copy = JSON.parse(JSON.stringify(data ?? null)); } catch { copy = String(data); }
        window.__events.push({ name, data: copy });
      });
    }
  });
  assert.equal(await w.t('panel').isVisible(), false);
  await page.evaluate(() => window.parley('chat:open'));
  await w.t('panel').waitFor({ state: 'visible', timeout: 3000 });

  const text = `Events test ${nonce()}`;
  await w.send(text);
  await w.waitSent(text);
  const { conversation } = await env.agent.findConversationWithMessage(text, { sender: 'visitor' });
  const reply = `An answer for the listener ${nonce()}`;
  await env.agent.reply(conversation.id, reply);
  await w.waitAgent(reply);

  const events = () => page.evaluate(() => window.__events);
  const received = await waitFor(async () => (await events()).find((e) => e.name === 'message_received'),
    { timeout: 3000, message: "parley('on', 'message_received') fires" });
  assert.ok(JSON.stringify(received.data).includes(reply), `message_received carries the message: ${JSON.stringify(received.data)}`);
  const all = await events();
  assert.ok(all.some((e) => e.name === 'open'), `'open' fired: ${JSON.stringify(all.map((e) => e.name))}`);
  const sent = all.filter((e) => e.name === 'message_sent');
  assert.equal(sent.length, 1, `'message_sent' fired once: ${JSON.stringify(all.map((e) => e.name))}`);
  assert.ok(JSON.stringify(sent[0].data).includes(text), `message_sent carries the message: ${JSON.stringify(sent[0].data)}`);
  assert.equal(all.filter((e) => e.name === 'message_received').length, 1, 'message_received fired once');

  await page.evaluate(() => window.parley('chat:close'));
  await w.t('panel').waitFor({ state: 'hidden', timeout: 3000 });
  await waitFor(async () => (await events()).some((e) => e.name === 'close'), { timeout: 3000, message: "'close' fires" });
});

/** Collects every page view the chat box reports: page.view frames and session calls. */
function watchPageViews(page) {
  const seen = [];
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/widget/v1/stream')) return;
    ws.on('framesent', (f) => {
      try {
        const msg = JSON.parse(typeof f.payload === 'string' ? f.payload : f.payload.toString());
        if (msg.type === 'page.view') seen.push({ via: 'ws', url: msg.url, title: msg.title });
      } catch { /* not JSON */ }
    });
  });
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().includes('/widget/v1/session')) {
      try {
        const body = req.postDataJSON();
        if (body?.page) seen.push({ via: 'session', url: body.page.url, title: body.page.title });
      } catch { /* not JSON */ }
    }
  });
  return seen;
}

chatTest(env, 'single-page-app navigation (pushState, popstate) is reported as a page view', async (t, { page }) => {
  const seen = watchPageViews(page);
  let session = null;
  page.on('response', async (res) => {
    if (res.url().includes('/widget/v1/session') && res.ok()) session = await res.json().catch(() => null);
  });
  const w = await Widget.open(page, env.server);
  await waitFor(() => seen.some((p) => p.url === env.server.url('/demo')),
    { timeout: 5000, message: `the first page view (/demo) is reported; seen ${JSON.stringify(seen)}` });

  const spaURL = env.server.url('/demo/spa-checkout?step=2');
  await page.evaluate(() => {
    document.title = 'Checkout – step 2';
    history.pushState({}, '', '/demo/spa-checkout?step=2');
  });
  const spa = await waitFor(() => seen.find((p) => p.url === spaURL),
    { timeout: 5000, message: `pushState is reported as a page view; seen ${JSON.stringify(seen)}` });
  assert.equal(spa.title, 'Checkout – step 2');

  const n = seen.length;
  await page.evaluate(() => history.back());
  await waitFor(() => seen.slice(n).some((p) => p.url === env.server.url('/demo')),
    { timeout: 5000, message: `history.back() (popstate) is reported as a page view; seen ${JSON.stringify(seen)}` });
  t.diagnostic(`page views sent by the chat box: ${JSON.stringify(seen)}`);

  // What an agent can see of them.
  assert.ok(session?.contact_id, 'the session answer names the contact');
  await w.openPanel();
  // The agent sees them on the contact, newest first: /demo (back), the SPA page, /demo.
  const pages = await waitFor(async () => {
    const list = await env.agent.contactPages(session.contact_id);
    return list.length >= 3 ? list : null;
  }, { timeout: 5000, message: 'the agent API lists the three page views' });
  assert.deepEqual(pages.slice(0, 3).map((p) => new URL(p.url).pathname + new URL(p.url).search),
    ['/demo', '/demo/spa-checkout?step=2', '/demo'], `the contact's pages, newest first: ${JSON.stringify(pages)}`);
  assert.equal(pages[1].title, 'Checkout – step 2');
});

chatTest(env, 'on a 375×667 phone the open panel fills the screen', async (t, { page }) => {
  const w = await Widget.open(page, env.server);
  const closed = await w.iframe.boundingBox();
  assert.ok(closed.width <= 120 && closed.height <= 120, `closed: launcher-sized, is ${closed.width}×${closed.height}`);
  await screenshot(page, '05a-phone-closed', t);

  await w.openPanel();
  const near = (a, b) => Math.abs(a - b) <= 1;
  const frameBox = await waitFor(async () => {
    const b = await w.iframe.boundingBox();
    return b && near(b.x, 0) && near(b.y, 0) && near(b.width, 375) && near(b.height, 667) ? b : null;
  }, { timeout: 3000, message: 'the open chat box iframe covers the whole 375×667 screen' });
  assert.ok(frameBox);
  const panel = await w.t('panel').boundingBox();
  assert.ok(near(panel.x, 0) && near(panel.y, 0) && near(panel.width, 375) && near(panel.height, 667),
    `the panel fills the screen, is ${JSON.stringify(panel)}`);
  for (const id of ['close', 'composer', 'send']) {
    const b = await w.t(id).boundingBox();
    assert.ok(b && b.x >= 0 && b.y >= 0 && b.x + b.width <= 375 + 1 && b.y + b.height <= 667 + 1,
      `[data-testid=${id}] is on screen: ${JSON.stringify(b)}`);
  }
  const text = `Typing on a phone ${nonce()}`;
  await w.send(text);
  await w.waitSent(text);
  await screenshot(page, '05-phone-open', t);

  await w.t('close').click();
  await w.t('panel').waitFor({ state: 'hidden' });
  await waitFor(async () => {
    const b = await w.iframe.boundingBox();
    return b && b.width <= 120 && b.height <= 120;
  }, { timeout: 3000, message: 'closing makes the chat box launcher-sized again' });
}, { visitor: { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true } });

chatTest(env, "parley('chat:hide'|'chat:show'|'chat:message'|'theme:color'|'language') work", async (t, { page }) => {
  const w = await Widget.open(page, env.server);
  await page.evaluate(() => window.parley('chat:hide'));
  await w.iframe.waitFor({ state: 'hidden', timeout: 3000 });
  await page.evaluate(() => window.parley('chat:show'));
  await w.t('launcher').waitFor({ state: 'visible', timeout: 3000 });

  await page.evaluate(() => window.parley('theme:color', '#7c3aed'));
  await waitFor(async () => /rgb\(124, 58, 237\)/.test(await w.t('launcher').evaluate((el) =>
    [el, ...el.querySelectorAll('*')].map((e) => getComputedStyle(e).backgroundColor).join(' '))),
  { timeout: 3000, message: "parley('theme:color') colours the launcher" });

  await page.evaluate(() => window.parley('chat:message', 'I have a question about my order'));
  await page.evaluate(() => window.parley('chat:open'));
  await w.t('panel').waitFor({ state: 'visible' });
  assert.equal(await w.t('composer').inputValue(), 'I have a question about my order', "parley('chat:message') pre-fills the composer");
  assert.equal((await w.messages()).length, 0, "parley('chat:message') does not send");

  await page.evaluate(() => window.parley('language', 'hu'));
  await waitFor(async () => (await w.t('status').textContent()).trim() === 'Elérhető',
    { timeout: 3000, message: `parley('language', 'hu') switches to Hungarian (status ${JSON.stringify(await w.t('status').textContent())})` });
  await screenshot(page, '08-hungarian-purple', t);
});

chatTest(env, 'a Hungarian browser gets the Hungarian chat box', async (t, { page }) => {
  const w = await Widget.open(page, env.server);
  await w.openPanel();
  assert.equal((await w.t('status').textContent()).trim(), 'Elérhető');
  assert.equal(await w.t('launcher').count(), 1);
}, { visitor: { locale: 'hu-HU' } });

chatTest(env, "parley('chat:message') before opening: the composer is one line high", async (t, { page }) => {
  const w = await Widget.open(page, env.server);
  await page.evaluate(() => {
    window.parley('chat:message', 'I have a question about my order');
    window.parley('chat:open');
  });
  await w.t('panel').waitFor({ state: 'visible' });
  assert.equal(await w.t('composer').inputValue(), 'I have a question about my order');
  // Compare with the height of the same one-line text typed by hand.
  await page.waitForTimeout(300); // let the open animation end
  const prefilled = (await w.t('composer').boundingBox()).height;
  await w.t('composer').fill('');
  await w.t('composer').fill('I have a question about my order');
  const typed = (await w.t('composer').boundingBox()).height;
  assert.ok(prefilled <= typed + 2,
    `a pre-filled one-line text should leave the composer one line high (${typed}px), it is ${prefilled}px`);
});
