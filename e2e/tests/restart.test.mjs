// The server restarted mid-conversation: the widget shows "Reconnecting…",
// keeps what the visitor sends meanwhile, and delivers it exactly once.
import assert from 'node:assert/strict';
import { nonce, screenshot, Widget } from '../lib/browser.mjs';
import { chatTest, openChat, useParley } from '../lib/suite.mjs';

const env = useParley('restart');

const convo = (msgs) => msgs.filter((m) => m.sender === 'visitor' || m.sender === 'agent').map((m) => [m.sender, m.text]);
const apiConvo = (msgs) => msgs.filter((m) => m.kind === 'text').map((m) => [m.sender_type, m.text]);

chatTest(env, 'server restarted mid-conversation: reconnects, nothing lost or doubled', async (t, { page }) => {
  const w = await openChat(page, env);
  const first = `Before the restart ${nonce()}`;
  await w.send(first);
  await w.waitSent(first);
  const { conversation } = await env.agent.findConversationWithMessage(first, { sender: 'visitor' });
  const reply1 = `Agent, before the restart ${nonce()}`;
  await env.agent.reply(conversation.id, reply1);
  await w.waitAgent(reply1);
  assert.equal(await w.t('reconnecting').count(), 0, 'no reconnecting banner while connected');

  // Down.
  await env.server.stop();
  await w.t('reconnecting').waitFor({ state: 'visible', timeout: 10000 });
  assert.match(await w.t('reconnecting').textContent(), /Reconnecting/);

  const whileDown = `Sent while the server was down ${nonce()}`;
  await w.send(whileDown);
  const pending = await w.waitMessage((m) => m.sender === 'visitor' && m.text === whileDown,
    { message: 'the message typed while down is shown at once' });
  assert.equal(pending.state, 'sending', 'a message that could not be sent yet is shown as sending');
  await screenshot(page, '04-reconnecting-banner', t);

  // Up again, same data dir and port. An agent answers at once, most likely
  // before the widget has reconnected: it must come with the resume (after_seq).
  await env.server.start();
  const upAt = Date.now();
  const replyEarly = `Agent, right after the restart ${nonce()}`;
  await env.agent.reply(conversation.id, replyEarly);
  await w.t('reconnecting').waitFor({ state: 'hidden', timeout: 20000 });
  t.diagnostic(`reconnected ${Date.now() - upAt} ms after the server was ready again`);
  await w.waitSent(whileDown, { timeout: 10000 });
  await w.waitAgent(replyEarly, { timeout: 5000 });

  const after = await env.agent.findConversationWithMessage(whileDown, { sender: 'visitor', timeout: 5000 });
  assert.equal(after.conversation.id, conversation.id, 'the message sent while down is in the same conversation');
  assert.equal(after.messages.filter((m) => m.text === whileDown).length, 1, 'stored exactly once');

  const reply2 = `Agent, after the restart ${nonce()}`;
  await env.agent.reply(conversation.id, reply2);
  await w.waitAgent(reply2, { timeout: 5000 });

  const afterRestart = `And after the restart ${nonce()}`;
  await w.send(afterRestart);
  await w.waitSent(afterRestart);

  // The early reply and the resent message may be stored in either order;
  // each must be there exactly once, and the widget must show the server's order.
  const expected = [['visitor', first], ['agent', reply1], ['visitor', whileDown], ['agent', replyEarly], ['agent', reply2], ['visitor', afterRestart]];
  const stored = apiConvo(await env.agent.messages(conversation.id));
  const sorted = (l) => [...l].map((p) => p.join('\u0000')).sort();
  assert.deepEqual(sorted(stored), sorted(expected), 'the server holds every message once');
  assert.deepEqual(convo(await w.messages()), stored, 'the widget shows every message once, in the server order');
  const convs = await env.agent.allConversations();
  assert.equal(convs.length, 1, `one conversation in all, got ${convs.length}`);

  // A reload (history from the server) shows the same.
  await page.reload({ waitUntil: 'domcontentloaded' });
  const w2 = new Widget(page);
  await w2.ready();
  await w2.openPanel();
  await w2.waitMessage((m) => m.text === afterRestart);
  assert.deepEqual(convo(await w2.messages()), stored, 'after a reload: every message once, in the server order');
}, { timeout: 60000 });
