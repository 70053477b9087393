// Hostile text everywhere a visitor, a shop's back end or an agent can put
// it — messages, notes, the contact's fields, identify variables, page
// titles and URLs, customer data, the account name — rendered in the
// dashboard (conversation, visitor card, Visitors page) and in the chat box,
// in Chromium: no script runs, no dialog opens, nothing is fetched from the
// payloads' URLs, no CSP violation is even attempted, and every payload is
// shown as the text it is.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { nonce, screenshot, Widget } from '../lib/browser.mjs';
import { cspViolations, dashTest, useDashboard, visitorCall } from '../lib/dashboard.mjs';
import { waitFor } from '../lib/wait.mjs';

/** The host no payload may reach. */
const EVIL = 'xss.example';
/** Short enough for the account name (1–100 characters). */
const SHORT = `<img src=https://${EVIL}/n onerror=window.__xss='name'>`;

// The first account is named by the operator (PARLEY_ACCOUNT_NAME): the
// chat box shows the name to every visitor.
const env = useDashboard('xss', { limited: false, serverEnv: { PARLEY_ACCOUNT_NAME: SHORT } });

/** Classic payloads; each would set window.__xss (or open a dialog) if it ran. */
const PAYLOADS = [
  `<img src="https://${EVIL}/img" onerror="window.__xss='img';alert('img')">`,
  `<script>window.__xss='script';alert('script')</script>`,
  `javascript:window.__xss='js-url';alert('js-url')//`,
  `"><svg onload="window.__xss='svg';alert('svg')">`,
  `'><iframe src="javascript:parent.__xss='iframe'"></iframe>`,
  `{{constructor.constructor('window.__xss="tpl";alert(1)')()}} \${window.__xss='tpl2'} #{alert(1)}`,
  `[click me](javascript:window.__xss='md') **bold** <b>bold</b> &lt;b&gt; &amp;`,
  `</textarea></title></style><script>window.__xss='close'</script>`,
  `<a href="javascript:window.__xss='a'">link</a><style>@import 'https://${EVIL}/css';</style>`,
  `<math><mtext><table><mglyph><style><img src=https://${EVIL}/m onerror=window.__xss='mxss'>`,
  `\u202Egnp.exe \u2066isolate\u2069 zero\u200Bwidth\u200D \uFEFFbom`,
];
/** A message at the length limit that ends in a payload. */
const LONG = 'L'.repeat(10000 - PAYLOADS[0].length) + PAYLOADS[0];
/**
 * Watches a browser context for what an executed payload would do: dialogs,
 * requests to the payloads' host (aborted), and — checked at the end —
 * window.__xss in every frame and CSP violations.
 */
async function guard(context, page) {
  const seen = { dialogs: [], requests: [] };
  await context.route((url) => url.hostname === EVIL || url.href.includes(EVIL), (route) => {
    seen.requests.push(route.request().url());
    return route.abort();
  });
  const onDialog = (d) => { seen.dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); };
  page.on('dialog', onDialog);
  context.on('page', (p) => p.on('dialog', onDialog));
  return seen;
}

/** Fails when anything ran or was attempted in page (all its frames). */
async function assertClean(label, page, seen, problems) {
  for (const f of page.frames()) {
    const marker = await f.evaluate(() => window.__xss).catch(() => undefined);
    assert.equal(marker, undefined, `${label}: window.__xss was set to ${JSON.stringify(marker)} in frame ${f.url()}`);
    // Nothing that came from a payload became markup: no event-handler
    // attributes, no javascript: links, no injected scripts, frames or images.
    const bad = await f.evaluate((evil) => {
      const out = [];
      for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) out.push(`<${el.tagName} ${a.name}>`);
          // A javascript: URL runs when followed; as a tooltip (title) it is text.
          const isURL = ['href', 'xlink:href', 'src', 'srcdoc', 'action', 'formaction', 'data', 'poster', 'background'].includes(a.name.toLowerCase());
          if (isURL && /^\s*javascript:/i.test(a.value)) out.push(`<${el.tagName} ${a.name}="${a.value.slice(0, 40)}">`);
          // Links to the host are fine (both apps link URLs in text);
          // anything that would load from it is not.
          if (isURL && !/href$/i.test(a.name) && a.value.includes(evil)) out.push(`<${el.tagName} ${a.name}="${a.value.slice(0, 60)}">`);
        }
        if (['SCRIPT', 'IFRAME', 'SVG', 'MATH', 'STYLE'].includes(el.tagName.toUpperCase()) && (el.textContent || '').includes('__xss')) out.push(`<${el.tagName}> ${el.textContent.slice(0, 40)}`);
      }
      return out;
    }, EVIL).catch(() => []);
    assert.deepEqual(bad, [], `${label}: payload markup in the DOM of ${f.url()}`);
  }
  assert.deepEqual(seen.dialogs, [], `${label}: dialogs opened`);
  assert.deepEqual(seen.requests, [], `${label}: requests to the payloads' host`);
  assert.deepEqual(cspViolations(problems), [], `${label}: CSP violations (something tried to run)`);
}

/** The visible text of a locator, whitespace squeezed. */
const squeeze = (s) => s.replace(/\s+/g, ' ').trim();

dashTest(env, 'hostile text in every field is shown as text in the dashboard and the chat box, and never runs', async (t, s) => {
  // The dashboard and the chat box are watched before any payload exists.
  const d = await s.dashboard();
  const dSeen = await guard(d.page.context(), d.page);
  const v = await s.chatBox('/demo');
  const vSeen = await guard(v.context, v.page);
  const w = v.widget;

  // Where an admin can rename the account, a hostile name too.
  const rename = await env.owner.raw('PATCH', '/api/v1/account', { name: SHORT }).catch((e) => e);
  t.diagnostic(`PATCH /api/v1/account: ${rename?.status ?? 'ok'}`);

  // The visitor writes every payload through the chat box.
  for (const p of [...PAYLOADS, LONG]) {
    await w.send(p);
    await w.waitSent(p, { timeout: 8000 });
  }
  const conv = (await env.owner.findConversationWithMessage(PAYLOADS[0], { timeout: 8000 })).conversation;

  // The shop identifies the visitor with hostile names and variables, and
  // the page's title and URL change to payloads (the loader reports both).
  const userId = `xss-${nonce()}`;
  const { secret } = await env.owner.request('GET', '/api/v1/identity');
  const userHash = createHmac('sha256', secret).update(userId).digest('hex');
  await v.page.evaluate(([id, hash, name, vars]) => {
    window.parley('identify', { user_id: id, user_hash: hash, name, email: 'xss.visitor@example.com' });
    window.parley('variables', vars);
  }, [userId, userHash, PAYLOADS[3], Object.fromEntries(PAYLOADS.map((p, i) => [`var${i}`, p]))]);
  await v.page.evaluate((title) => {
    document.title = title;
    history.pushState({}, '', `/demo/cart?q=${encodeURIComponent(title)}#"><img src=x onerror=alert(1)>`);
  }, PAYLOADS[1]);

  // An agent answers with every payload, as replies and as notes.
  for (const p of PAYLOADS) await env.owner.reply(conv.id, p);
  for (const p of PAYLOADS.slice(0, 4)) await env.owner.request('POST', `/api/v1/conversations/${conv.id}/messages`, { text: p, kind: 'note' });

  // The contact's fields: free text is stored as is; what is not an email
  // address or a phone number is refused (422) and changes nothing.
  await env.owner.request('PATCH', `/api/v1/contacts/${conv.contact_id}`, { note: PAYLOADS.join('\n') });
  for (const field of ['email', 'phone']) {
    const res = await fetch(env.server.url(`/api/v1/contacts/${conv.contact_id}`), {
      method: 'PATCH', headers: { Authorization: `Bearer ${env.owner.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ [field]: PAYLOADS[0] }),
    });
    assert.equal(res.status, 422, `PATCH contact ${field} with markup: ${res.status} ${await res.text()}`);
  }

  // The shop's back end sends hostile customer data (once the identify
  // has reached the server).
  await waitFor(async () => (await env.owner.contact(conv.contact_id)).external_id === userId, { timeout: 8000, message: 'the identify reaches the contact' });
  const key = (await env.owner.request('POST', '/api/v1/api-keys', { name: 'xss shop' })).key;
  const putCustomer = (body) => fetch(env.server.url(`/api/v1/customers/${encodeURIComponent(userId)}`), {
    method: 'PUT', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const jsLink = await putCustomer({ last_orders: [{ number: 'A-1', url: `javascript:window.__xss='order'` }] });
  assert.equal(jsLink.status, 422, `PUT customer with a javascript: order link: ${jsLink.status} ${await jsLink.text()}`);
  const put = await fetch(env.server.url(`/api/v1/customers/${encodeURIComponent(userId)}`), {
    method: 'PUT', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      customer_since: '2023-05-14', orders_count: 3, total_spent: '12.00', currency: 'EUR',
      last_orders: [
        { number: PAYLOADS[0], date: '2026-11-20T10:12:00Z', total: 1, status: PAYLOADS[3], url: `https://shop.example/orders/"><img src=x onerror=alert(1)>` },
        { number: 'A-2', date: '2026-11-21T10:12:00Z', total: 2, status: 'shipped', url: `https://shop.example/o?q='-alert(1)-'` },
      ],
      attributes: Object.fromEntries(PAYLOADS.map((p, i) => [`attr${i}<b>`, p])),
    }),
  });
  assert.equal(put.status, 200, `PUT customer: ${await put.text()}`);

  // A second visitor, over the API and a socket, claims hostile pages.
  const other = await visitorCall(env.server, 'POST', '/widget/v1/session', {
    widget_key: env.widgetKey, page: { url: `javascript:window.__xss='page-url'`, title: PAYLOADS[0], referrer: `javascript:alert('ref')` },
  });
  // Its socket (opened from a plain page: Node 20 has no WebSocket) stays
  // open, so it is online on the Visitors page.
  const sock = (await s.loginPage()).page;
  await sock.evaluate(([url, frame]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onopen = () => { ws.send(frame); window.__visitorSocket = ws; resolve(); };
    ws.onerror = () => reject(new Error('visitor socket'));
  }), [env.server.url(`/widget/v1/stream?token=${other.visitor_token}`).replace(/^http/, 'ws'),
    JSON.stringify({ type: 'page.view', url: `javascript:window.__xss='pv'`, title: PAYLOADS[8] })]);
  await visitorCall(env.server, 'POST', '/widget/v1/messages', { text: PAYLOADS[4], client_id: `xss-${nonce()}` }, other.visitor_token);

  // The dashboard: the conversation with every message, the visitor card.
  await d.page.reload({ waitUntil: 'domcontentloaded' });
  await d.list('open', 'all');
  await d.waitRow(conv.id);
  await d.open(conv.id);
  for (const p of [...PAYLOADS, LONG]) {
    await d.waitMessage((m) => m.sender === 'visitor' && m.text === p, { timeout: 8000, message: `the visitor's ${JSON.stringify(p.slice(-40))} as text` });
    if (p !== LONG) await d.waitMessage((m) => m.sender === 'agent' && m.kind !== 'note' && m.text === p, { message: `the agent's ${JSON.stringify(p.slice(0, 40))} as text` });
  }
  for (const p of PAYLOADS.slice(0, 4)) await d.waitMessage((m) => m.kind === 'note' && m.text === p, { message: `the note ${JSON.stringify(p.slice(0, 40))} as text` });
  const card = d.t('visitor-card');
  await card.waitFor({ state: 'visible' });
  await waitFor(async () => (await card.locator('[data-testid="contact-name"]').inputValue()) === PAYLOADS[3], { timeout: 8000, message: 'the hostile name in the name field' });
  assert.equal(await card.locator('[data-testid="contact-note"]').inputValue(), PAYLOADS.join('\n'), 'the note as typed');
  const cardText = await waitFor(async () => {
    const text = squeeze(await card.innerText());
    return text.includes(squeeze(PAYLOADS[0])) && text.includes('window.__xss') ? text : null;
  }, { timeout: 8000, message: 'the customer data and variables appear in the card' });
  for (const p of PAYLOADS.slice(0, 10)) {
    assert.ok(cardText.includes(squeeze(p)), `the card shows ${JSON.stringify(p.slice(0, 50))} as text`);
  }
  await d.shot('xss-10-conversation', t);
  await card.scrollIntoViewIfNeeded();
  await card.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await d.shot('xss-11-visitor-card-bottom', t);

  // The conversation of the second visitor, then the Visitors page with both.
  const conv2 = (await env.owner.findConversationWithMessage(PAYLOADS[4], { timeout: 8000, sender: 'visitor' })).conversation;
  await d.waitRow(conv2.id);
  await d.open(conv2.id);
  await d.waitMessage((m) => m.text === PAYLOADS[4], { message: 'the second visitor\'s message as text' });
  await d.t('visitor-card').waitFor({ state: 'visible' });
  await d.shot('xss-12-second-visitor', t);
  await d.t('nav-visitors').click();
  await d.t('visitors').waitFor({ state: 'visible' });
  await waitFor(async () => (await d.page.locator('[data-testid="visitor-row"]').count()) >= 2, { timeout: 8000, message: 'both visitors are listed' });
  const visitorsText = await waitFor(async () => {
    const text = squeeze(await d.t('visitors').innerText());
    return text.includes(squeeze(PAYLOADS[1])) ? text : null;
  }, { timeout: 8000, message: 'the hostile page title of the chat box visitor is shown as text' });
  assert.ok(visitorsText.includes(squeeze(PAYLOADS[8])) || visitorsText.includes(squeeze(PAYLOADS[0])),
    `the second visitor's hostile page is shown as text: ${visitorsText.slice(0, 400)}`);
  await d.shot('xss-13-visitors', t);
  await assertClean('dashboard', d.page, dSeen, d.problems);

  // The chat box, reloaded: the hostile account name and every agent
  // message as text.
  await v.page.reload({ waitUntil: 'domcontentloaded' });
  const w2 = new Widget(v.page);
  await w2.ready();
  await w2.openPanel();
  for (const p of PAYLOADS) await w2.waitAgent(p, { timeout: 8000 });
  await w2.waitMessage((m) => m.sender === 'visitor' && m.text === LONG, { message: 'the long message as text' });
  const panelText = squeeze(await w2.t('panel').innerText());
  assert.ok(panelText.includes(squeeze(SHORT)), `the chat box shows the account name as text: ${panelText.slice(0, 200)}`);
  await screenshot(v.page, 'xss-20-chat-box', t);
  // Many messages must not push the panel's header out of view: only the
  // message list scrolls.
  const frame = await w2.contentFrame();
  const scrolled = await frame.evaluate(() => [...document.querySelectorAll('*')]
    .filter((el) => el.scrollTop > 0 && !el.matches('.scroller, textarea')).map((el) => `${el.tagName}.${el.className}: ${el.scrollTop}`));
  assert.deepEqual(scrolled, [], 'the chat box panel itself is scrolled (its header is out of view)');
  await assertClean('chat box', v.page, vSeen, v.problems);
}, { timeout: 120000 });
