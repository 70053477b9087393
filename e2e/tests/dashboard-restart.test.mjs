// The server restarts while the dashboard is open: a "Reconnecting…" banner,
// then recovery (resume with after_seq); what visitors sent while it was down
// or right after shows exactly once.
import assert from 'node:assert/strict';
import { nonce, screenshot } from '../lib/browser.mjs';
import { ApiVisitor, dashTest, markNoReload, useDashboard } from '../lib/dashboard.mjs';

const env = useDashboard('dashboard-restart', { limited: false });

const domConvo = (msgs) => msgs.filter((m) => m.kind === 'text' || m.kind === 'note').map((m) => [m.sender, m.text]);
const apiConvo = (msgs) => msgs.filter((m) => m.kind === 'text' || m.kind === 'note').map((m) => [m.sender_type, m.text]);

dashTest(env, 'server restart with the dashboard open: banner, recovery, nothing lost or doubled', async (t, s) => {
  const v = await s.chatBox();
  const first = `Before the restart ${nonce()}`;
  await v.widget.send(first);
  await v.widget.waitSent(first);
  const { conversation } = await env.owner.findConversationWithMessage(first, { sender: 'visitor' });
  const id = conversation.id;

  const d = await s.dashboard();
  await d.list('open', 'all');
  await d.waitRow(id);
  await d.open(id);
  await d.waitMessage((m) => m.text === first);
  assert.equal(await d.t('reconnecting').count(), 0, 'no banner while connected');
  const notReloaded = await markNoReload(d.page);

  // Down: the banner.
  await env.server.stop();
  await d.t('reconnecting').waitFor({ state: 'visible', timeout: 10000 });
  t.diagnostic(`banner: ${JSON.stringify((await d.t('reconnecting').innerText()).trim())}`);
  await d.shot('dashboard-30-reconnecting-banner', t);

  // The visitor writes while the server is down (the chat box keeps it).
  const whileDown = `Sent while the server was down ${nonce()}`;
  await v.widget.send(whileDown);

  // Up again, same data and port. At once, before the dashboard can have
  // reconnected, a new visitor writes: it must come with the resume.
  await env.server.start();
  const upAt = Date.now();
  const v2 = await ApiVisitor.start(env.server, env.widgetKey);
  const rightAfter = `Right after the restart ${nonce()}`;
  const { conversation_id: id2 } = await v2.send(rightAfter);
  await d.t('reconnecting').waitFor({ state: 'hidden', timeout: 20000 });
  t.diagnostic(`dashboard reconnected ${Date.now() - upAt} ms after the server was ready again`);

  await d.waitMessage((m) => m.sender === 'visitor' && m.text === whileDown, { timeout: 15000, message: 'the message sent while down reaches the open conversation' });
  await d.waitRow(id2, { timeout: 5000, message: 'the conversation started right after the restart is in the list' });

  // The session survived; the agent answers from the dashboard, the visitor gets it once.
  const reply = `Agent, after the restart ${nonce()}`;
  await d.send(reply);
  await v.widget.waitAgent(reply, { timeout: 5000 });
  const later = `And the visitor again ${nonce()}`;
  await v.widget.send(later);
  await d.waitMessage((m) => m.text === later, { message: 'a later visitor message shows live' });
  await d.shot('dashboard-31-after-restart', t);

  // Exactly once, in the server's order; one row per conversation.
  const stored = apiConvo(await env.owner.messages(id));
  assert.equal(stored.filter(([, txt]) => txt === whileDown).length, 1, 'the message sent while down is stored once');
  assert.deepEqual(domConvo(await d.messages()), stored, 'the dashboard shows every message once, in the server order');
  const rows = await d.rows();
  assert.equal(rows.filter((r) => r.id === id).length, 1, 'one row for the conversation');
  assert.equal(rows.filter((r) => r.id === id2).length, 1, 'one row for the new conversation');
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, `no doubled rows: ${JSON.stringify(rows.map((r) => r.id))}`);
  assert.ok(await notReloaded(), 'the dashboard recovered without reloading the page');
  const widgetSeen = (await v.widget.messages()).filter((m) => m.sender === 'visitor' || m.sender === 'agent').map((m) => [m.sender, m.text]);
  assert.deepEqual(widgetSeen, stored.filter(([sender]) => sender !== 'system'), 'the chat box shows the same, once each');

  // A reload (all from the server) shows the same.
  await d.page.reload({ waitUntil: 'domcontentloaded' });
  await d.t('nav').waitFor({ state: 'visible' });
  if (!(await d.page.locator(`[data-testid="conversation"][data-id="${id}"]`).isVisible())) {
    await d.list('open', 'all');
    await d.open(id);
  }
  await d.waitMessage((m) => m.text === later);
  assert.deepEqual(domConvo(await d.messages()), stored, 'after a reload: the same, once each');
  await screenshot(v.page, 'dashboard-32-visitor-after-restart', t);
}, { timeout: 60000 });
