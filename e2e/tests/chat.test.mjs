// The conversation itself: send, agent reply within a second, history kept
// over reloads and pages, several tabs in step, text always shown as text.
import assert from 'node:assert/strict';
import { nonce, screenshot, Widget } from '../lib/browser.mjs';
import { openAgentStream } from '../lib/agent.mjs';
import { chatTest, openChat, useParley } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

const env = useParley('chat');

/** The visitor and agent messages as [sender, text] pairs, in order. */
const convo = (msgs) => msgs.filter((m) => m.sender === 'visitor' || m.sender === 'agent').map((m) => [m.sender, m.text]);
const apiConvo = (msgs) => msgs.filter((m) => m.kind === 'text').map((m) => [m.sender_type, m.text]);

chatTest(env, 'send from /demo; the agent sees it; an agent reply shows within a second', async (t, { page, problems }) => {
  const w = await Widget.open(page, env.server, '/demo');

  // Closed, the iframe is only as big as the launcher: the shop's page stays usable.
  const closed = await w.iframe.boundingBox();
  assert.ok(closed.width <= 120 && closed.height <= 120,
    `the closed chat box should be launcher-sized (about 88×88), is ${closed.width}×${closed.height}`);
  assert.equal(await w.t('launcher').getAttribute('aria-label'), 'Open chat');
  assert.equal(await w.t('panel').isVisible(), false, 'the panel is hidden until the launcher is clicked');
  await screenshot(page, '01-closed-launcher-demo', t);

  await w.openPanel();
  // Labels for screen readers.
  assert.equal(await w.t('panel').getAttribute('role'), 'dialog');
  assert.equal(await w.t('panel').getAttribute('aria-label'), `Chat with ${(await env.agent.account()).name}`);
  assert.equal(await w.t('messages').getAttribute('role'), 'log');
  assert.equal(await w.t('messages').getAttribute('aria-live'), 'polite');
  assert.equal(await w.t('launcher').getAttribute('aria-label'), 'Close chat');
  const open = await w.iframe.boundingBox();
  assert.ok(open.width >= 300 && open.height >= 400,
    `the open chat box should be about 400×640, is ${open.width}×${open.height}`);
  assert.equal((await w.t('status').textContent()).trim(), 'Online');

  const text = `Hello, is the blue mug in stock? ${nonce()}`;
  await w.send(text);
  const shown = await w.waitSent(text);

  const { conversation, messages } = await env.agent.findConversationWithMessage(text, { sender: 'visitor' });
  const stored = messages.filter((m) => m.text === text);
  assert.equal(stored.length, 1, 'the message is stored once');
  assert.equal(stored[0].sender_type, 'visitor');
  if (shown.clientId) assert.equal(stored[0].client_id, shown.clientId, 'the DOM and the server agree on the client_id');

  const reply = `Yes, three are left. ${nonce()}`;
  const t0 = Date.now();
  await env.agent.reply(conversation.id, reply);
  const got = await w.waitAgent(reply, { timeout: 3000 });
  const elapsed = Date.now() - t0;
  t.diagnostic(`agent reply shown ${elapsed} ms after the API call started`);
  assert.ok(elapsed <= 1000, `the agent reply should show within 1000 ms, took ${elapsed} ms`);
  assert.ok(got.author && got.author.includes(env.agent.me.name),
    `the agent message shows the agent's name ${JSON.stringify(env.agent.me.name)}, got ${JSON.stringify(got.author)}`);
  await screenshot(page, '02-open-panel-conversation', t);

  const csp = problems.filter((p) => /Content Security Policy|Refused to/i.test(p));
  assert.deepEqual(csp, [], 'the chat box loads without CSP violations');
});

chatTest(env, 'a reload and the next page of the shop show the same history', async (t, { page }) => {
  const w = await openChat(page, env);
  const text = `Do you ship to Debrecen? ${nonce()}`;
  await w.send(text);
  await w.waitSent(text);
  const { conversation } = await env.agent.findConversationWithMessage(text, { sender: 'visitor' });
  const reply = `We do, in two days. ${nonce()}`;
  await env.agent.reply(conversation.id, reply);
  await w.waitAgent(reply);
  const before = convo(await w.messages());

  const key = `parley:${env.widgetKey}`;
  const token = await page.evaluate((k) => localStorage.getItem(k), key);
  assert.ok(token, `the visitor token is kept in the host page's localStorage under ${key}`);

  await page.reload({ waitUntil: 'domcontentloaded' });
  const w2 = new Widget(page);
  await w2.ready();
  await w2.openPanel();
  await w2.waitAgent(reply);
  assert.deepEqual(convo(await w2.messages()), before, 'the same history after a reload');

  const res = await page.goto(env.server.url('/demo/cart'), { waitUntil: 'domcontentloaded' });
  assert.equal(res.status(), 200, 'the demo shop has a cart page');
  const w3 = new Widget(page);
  await w3.ready();
  await w3.openPanel();
  await w3.waitAgent(reply);
  assert.deepEqual(convo(await w3.messages()), before, 'the same history on the cart page');
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), key), token, 'the same visitor token on the cart page');

  // And the conversation goes on where it was.
  const more = `One more question from the cart. ${nonce()}`;
  await w3.send(more);
  await w3.waitSent(more);
  const again = await env.agent.findConversationWithMessage(more, { sender: 'visitor' });
  assert.equal(again.conversation.id, conversation.id, 'the cart page writes into the same conversation');
  assert.deepEqual(apiConvo(again.messages), [...before, ['visitor', more]], 'the server holds the same history');
});

chatTest(env, 'a second tab shows the same messages, also ones sent after both opened', async (t, { context, page }) => {
  const w1 = await openChat(page, env);
  const first = `Tab one says hi. ${nonce()}`;
  await w1.send(first);
  await w1.waitSent(first);
  const { conversation } = await env.agent.findConversationWithMessage(first, { sender: 'visitor' });

  const page2 = await context.newPage();
  const w2 = await openChat(page2, env);
  await w2.waitMessage((m) => m.sender === 'visitor' && m.text === first,
    { message: 'the second tab shows the history' });

  const fromTab1 = `Sent from tab one after both opened. ${nonce()}`;
  await w1.send(fromTab1, { via: 'button' });
  await w1.waitSent(fromTab1);
  await w2.waitMessage((m) => m.sender === 'visitor' && m.text === fromTab1,
    { timeout: 3000, message: 'the second tab shows the message sent from the first' });

  const reply = `Both tabs should see this. ${nonce()}`;
  await env.agent.reply(conversation.id, reply);
  await w1.waitAgent(reply);
  await w2.waitAgent(reply);

  const fromTab2 = `And this from tab two. ${nonce()}`;
  await w2.send(fromTab2);
  await w2.waitSent(fromTab2);
  await w1.waitMessage((m) => m.sender === 'visitor' && m.text === fromTab2,
    { timeout: 3000, message: 'the first tab shows the message sent from the second' });

  const expected = [['visitor', first], ['visitor', fromTab1], ['agent', reply], ['visitor', fromTab2]];
  assert.deepEqual(convo(await w1.messages()), expected, 'tab one: every message once, in order');
  assert.deepEqual(convo(await w2.messages()), expected, 'tab two: every message once, in order');
  assert.deepEqual(apiConvo(await env.agent.messages(conversation.id)), expected, 'the server: every message once');
});

chatTest(env, 'HTML and script in messages are shown as text; only safe links are clickable', async (t, { page }) => {
  const w = await openChat(page, env);
  const hello = `Hi there ${nonce()}`;
  await w.send(hello);
  await w.waitSent(hello);
  const { conversation } = await env.agent.findConversationWithMessage(hello, { sender: 'visitor' });

  const img = '<img src=x onerror=window.__pwned=1>';
  const script = '<script>window.__pwned=2</script>';
  await env.agent.reply(conversation.id, img);
  await env.agent.reply(conversation.id, script);
  await w.waitAgent(img);
  await w.waitAgent(script);

  // The visitor's own markup is text too.
  const own = '<b>bold</b> & <i onmouseover="window.__pwned=3">hover</i>';
  await w.send(own);
  await w.waitSent(own);

  const texts = await w.t('message-text').allTextContents();
  assert.ok(texts.includes(img), 'the <img> payload is shown as its text');
  assert.ok(texts.includes(script), 'the <script> payload is shown as its text');
  assert.ok(texts.includes(own), "the visitor's markup is shown as its text");
  const log = w.t('messages');
  assert.equal(await log.locator('img').count(), 0, 'no <img> element was created');
  assert.equal(await log.locator('script').count(), 0, 'no <script> element was created');
  assert.equal(await log.locator('b, i').count(), 0, 'no <b>/<i> element was created');

  // Give an error handler a moment to run if one had been created.
  await page.waitForTimeout(300);
  const frame = await w.contentFrame();
  assert.equal(await frame.evaluate(() => typeof window.__pwned), 'undefined', 'nothing ran in the chat frame');
  assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined', 'nothing ran in the host page');

  // Links: http(s) clickable with safe rel/target, javascript: never.
  const link = 'https://example.com/track?id=1';
  const withLinks = `Track it here ${link} but never javascript:alert(document.domain) ${nonce()}`;
  await env.agent.reply(conversation.id, withLinks);
  await w.waitAgent(withLinks);
  const anchors = await w.t('message').filter({ hasText: withLinks }).locator('a').evaluateAll((as) =>
    as.map((a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel'), target: a.getAttribute('target') })));
  assert.equal(anchors.length, 1, `exactly one link in the message, got ${JSON.stringify(anchors)}`);
  assert.equal(anchors[0].href, link);
  assert.equal(anchors[0].target, '_blank');
  for (const r of ['noopener', 'noreferrer', 'nofollow']) {
    assert.ok((anchors[0].rel || '').split(/\s+/).includes(r), `rel has ${r}: ${anchors[0].rel}`);
  }
  const jsLinks = await frame.locator('a[href^="javascript:" i]').count();
  assert.equal(jsLinks, 0, 'no javascript: link in the chat box');
});

chatTest(env, 'the launcher counts unread agent messages while closed; Shift+Enter makes a new line', async (t, { page }) => {
  const w = await openChat(page, env);
  const text = `First line ${nonce()}`;
  // Shift+Enter: a new line, not a send.
  await w.t('composer').fill(text);
  await w.t('composer').press('Shift+Enter');
  await w.t('composer').pressSequentially('second line');
  assert.equal(await w.t('composer').inputValue(), `${text}\nsecond line`, 'Shift+Enter adds a new line');
  assert.equal((await w.messages()).length, 0, 'Shift+Enter does not send');
  await w.t('composer').press('Enter');
  await w.waitSent(`${text}\nsecond line`);
  assert.equal(await w.t('composer').inputValue(), '', 'the composer is emptied after sending');
  const { conversation } = await env.agent.findConversationWithMessage(`${text}\nsecond line`, { sender: 'visitor' });

  await w.t('close').click();
  await w.t('panel').waitFor({ state: 'hidden' });
  assert.equal(await w.t('unread').count(), 0, 'no badge before an agent writes');
  await env.agent.reply(conversation.id, `One ${nonce()}`);
  await env.agent.reply(conversation.id, `Two ${nonce()}`);
  const badge = w.t('unread');
  await badge.waitFor({ state: 'visible', timeout: 3000 });
  await waitFor(async () => (await badge.textContent()).trim() === '2',
    { timeout: 3000, message: `the badge counts two unread messages (shows ${JSON.stringify(await badge.textContent())})` });
  await screenshot(page, '06-unread-badge', t);
  await w.t('launcher').click();
  await w.t('panel').waitFor({ state: 'visible' });
  await badge.waitFor({ state: 'hidden', timeout: 3000 }); // read once the panel is open
});

chatTest(env, 'keyboard: the launcher opens with Enter and puts the focus in the composer', async (t, { page }) => {
  const w = await Widget.open(page, env.server);
  await w.t('launcher').focus();
  await page.keyboard.press('Enter');
  await w.t('panel').waitFor({ state: 'visible' });
  await waitFor(() => w.t('composer').evaluate((el) => document.activeElement === el),
    { timeout: 3000, message: 'the composer has the focus after opening' });
  const text = `Typed with the keyboard only ${nonce()}`;
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await w.waitSent(text);
});

chatTest(env, 'typing indicators go both ways', async (t, { page }) => {
  const w = await openChat(page, env);
  const hello = `About to type more ${nonce()}`;
  await w.send(hello);
  await w.waitSent(hello);
  const { conversation } = await env.agent.findConversationWithMessage(hello, { sender: 'visitor' });
  const stream = await openAgentStream(env.browser, env.agent);
  t.after(() => stream.close());

  // The visitor types: the agents are told.
  await w.t('composer').pressSequentially('Is it', { delay: 30 });
  await waitFor(async () => (await stream.frames()).find((f) => f.type === 'typing' && f.data?.sender_type === 'visitor' &&
    f.data.conversation_id === conversation.id && f.data.on === true),
  { timeout: 3000, message: 'the agent stream gets a visitor typing frame' });

  // The agent types: the visitor sees it, and it goes away.
  await stream.send({ type: 'typing', conversation_id: conversation.id, on: true });
  await w.t('typing').waitFor({ state: 'visible', timeout: 3000 });
  await screenshot(page, '09-agent-typing', t);
  await stream.send({ type: 'typing', conversation_id: conversation.id, on: false });
  await w.t('typing').waitFor({ state: 'hidden', timeout: 3000 });
});
