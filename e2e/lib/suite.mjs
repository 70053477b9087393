// The fixtures every test file uses: one real server, one signed-in agent
// (the account's owner) and one Chromium per file; a fresh browser context
// (a new visitor) per test.
import { after, before, test } from 'node:test';
import { Agent } from './agent.mjs';
import { launchBrowser, newVisitor, Widget } from './browser.mjs';
import { startParley } from './server.mjs';

export function useParley(name) {
  const env = { server: null, agent: null, widgetKey: null, browser: null };
  before(async () => {
    env.server = await startParley(name);
    env.agent = await Agent.login(env.server);
    env.widgetKey = await env.agent.widgetKey();
    env.browser = await launchBrowser();
    console.log(`e2e ${name}: ${env.server.baseURL} (log ${env.server.logPath})`);
  });
  after(async () => {
    await env.browser?.close().catch(() => {});
    await env.server?.dispose();
  });
  return env;
}

/**
 * A test with a fresh visitor (browser context). fn(t, {context, page, problems}).
 * On failure the browser's console errors and the server log's tail are added
 * to the message.
 */
export function chatTest(env, name, fn, { timeout = 30000, visitor = {}, agentStatus = 'online' } = {}) {
  test(name, { timeout }, async (t) => {
    if (agentStatus) await env.agent.setStatus(agentStatus);
    const v = await newVisitor(env.browser, visitor);
    t.after(() => v.context.close().catch(() => {}));
    try {
      await fn(t, v);
    } catch (e) {
      const problems = v.problems.length ? v.problems.join('\n  ') : '(none)';
      e.message += `\n-- browser console errors:\n  ${problems}\n-- ${env.server.tail()}`;
      throw e;
    }
  });
}

/** Opens /demo (or another page) and the chat panel. */
export async function openChat(page, env, p = '/demo') {
  const w = await Widget.open(page, env.server, p);
  await w.openPanel();
  return w;
}
