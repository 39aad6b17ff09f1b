import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ElicitationRequest, ToolCallInfo } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');

/** Every kind of field the spec allows, with defaults on some and required ones. */
const schema: NonNullable<ElicitationRequest['requestedSchema']> = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Your name', description: 'As it should appear on the badge', minLength: 2 },
    email: { type: 'string', title: 'Email', format: 'email' },
    site: { type: 'string', title: 'Website', format: 'uri' },
    birthday: { type: 'string', title: 'Birthday', format: 'date', default: '2000-01-31' },
    meeting: { type: 'string', title: 'Meeting', format: 'date-time', default: '2025-06-01T09:30:00Z' },
    age: { type: 'integer', title: 'Age', minimum: 0, maximum: 150, default: 30 },
    ratio: { type: 'number', title: 'Ratio', minimum: 0, maximum: 1 },
    subscribe: { type: 'boolean', title: 'Subscribe', default: true },
    colour: { type: 'string', title: 'Colour', enum: ['red', 'green', 'blue'], default: 'green' },
    size: {
      type: 'string',
      title: 'Size',
      oneOf: ['xs', 's', 'm', 'l', 'xl', 'xxl'].map((v) => ({ const: v, title: `Size ${v.toUpperCase()}` })),
      default: 'm',
    },
    plan: { type: 'string', title: 'Plan', enum: ['f', 'p'], enumNames: ['Free', 'Pro'] },
    tags: { type: 'array', title: 'Tags', items: { type: 'string', enum: ['a', 'b', 'c'] }, default: ['b'] },
    toppings: {
      type: 'array',
      title: 'Toppings',
      items: { anyOf: ['ham', 'olives', 'basil'].map((v) => ({ const: v, title: v[0].toUpperCase() + v.slice(1) })) },
      minItems: 1,
      maxItems: 2,
    },
    nickname: { type: 'string' },
  },
  required: ['name', 'toppings'],
};

describe('MCP elicitation forms in headless Chromium', () => {
  const h = new WebviewHarness();
  const tool: ToolCallInfo = {
    name: 'trigger-elicitation-request',
    server: 'everything',
    arguments: '{}',
    state: 'running',
    startedAt: Date.now(),
  };
  const snapshot = (conversationId: string, withCard: boolean) =>
    h.send({
      type: 'snapshot',
      conversationId,
      busy: true,
      model: { endpoint: 'E', model: 'm' },
      messages: [
        { id: 'q1', role: 'user', text: 'Sign me up', state: 'done', seq: 0 },
        ...(withCard ? [{ id: 't1', role: 'tool' as const, text: '', state: 'done' as const, seq: 0, tool }] : []),
      ],
    });
  const request: ElicitationRequest = {
    id: 'e1',
    server: 'everything',
    cardId: 't1',
    conversationId: 'c1',
    message: 'Please provide your details.',
    requestedSchema: schema,
  };
  const form = () => h.page.locator('[data-elicitation="e1"]');
  const field = (label: string) => form().getByLabel(label, { exact: true });

  before(async () => {
    await h.start({ width: 420, height: 1400 });
    await snapshot('c1', true);
  });
  after(() => h.stop());

  it('shows the request right after the tool card that asked, each field a labelled control of its kind', async () => {
    await h.send({ type: 'elicitation', request });
    assert.equal(await h.page.locator('[data-id="t1"] + [data-elicitation]').getAttribute('data-elicitation'), 'e1', 'next to its card');
    assert.match((await form().textContent()) ?? '', /everything asks.*Please provide your details\./);
    const kind = (label: string) =>
      field(label).evaluate((e) => `${e.tagName.toLowerCase()}${e instanceof HTMLInputElement ? `:${e.type}` : ''}`);
    assert.equal(await kind('Your name'), 'input:text');
    assert.equal(await kind('Email'), 'input:email');
    assert.equal(await kind('Website'), 'input:url');
    assert.equal(await kind('Birthday'), 'input:date');
    assert.equal(await kind('Meeting'), 'input:datetime-local');
    assert.equal(await kind('Age'), 'input:number');
    assert.equal(await kind('Subscribe'), 'input:checkbox');
    assert.equal(await kind('Size'), 'select', 'six choices: a drop-down');
    assert.equal(await kind('Colour'), 'fieldset', 'three choices: radio buttons in a labelled group');
    assert.equal(await kind('Tags'), 'fieldset', 'multi select: checkboxes in a labelled group');
    assert.equal(await kind('nickname'), 'input:text', 'no title: labelled with its name');
    assert.deepEqual(
      await field('Age').evaluate((e: HTMLInputElement) => [e.min, e.max, e.step]),
      ['0', '150', '1'],
      'integer bounds on the control',
    );
    assert.equal(await field('Ratio').evaluate((e: HTMLInputElement) => e.step), 'any');
    // Titled choices show their titles, whichever way the schema spells them.
    assert.deepEqual(await field('Size').locator('option').allTextContents(), [
      '(none)',
      'Size XS',
      'Size S',
      'Size M',
      'Size L',
      'Size XL',
      'Size XXL',
    ]);
    assert.equal(await field('Plan').getByLabel('Pro', { exact: true }).getAttribute('value'), 'p');
    assert.equal(await field('Toppings').getByLabel('Olives', { exact: true }).getAttribute('value'), 'olives');
    // Defaults are filled in.
    assert.equal(await field('Birthday').inputValue(), '2000-01-31');
    assert.equal(await field('Age').inputValue(), '30');
    assert.equal(await field('Subscribe').isChecked(), true);
    assert.equal(await field('Size').inputValue(), 'm');
    assert.equal(await field('Colour').getByLabel('green', { exact: true }).isChecked(), true);
    assert.equal(await field('Tags').getByLabel('b', { exact: true }).isChecked(), true);
    assert.equal(
      await field('Meeting').inputValue(),
      await h.page.evaluate(() => {
        const d = new Date('2025-06-01T09:30:00Z');
        const p = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
      }),
      'shown in local time',
    );
    // Required is marked for the eye and said by the control; the description is the field's description.
    assert.equal(await field('Your name').getAttribute('required'), '');
    assert.equal(await form().locator('[data-field="name"] .elicitation-required').textContent(), '*');
    assert.equal(await form().locator('[data-field="toppings"] .elicitation-required').count(), 1);
    assert.equal(await form().locator('[data-field="email"] .elicitation-required').count(), 0);
    assert.equal(
      await field('Your name').evaluate((e) => document.getElementById(e.getAttribute('aria-describedby')!.split(' ')[0])?.textContent),
      'As it should appear on the badge',
    );
    for (const name of ['Submit', 'Decline', 'Cancel']) assert.equal(await form().locator(`button[aria-label="${name}"]`).count(), 1);
  });

  it('says what is wrong instead of sending: required, length, bounds, how many choices', async () => {
    await h.clearPosted();
    await field('Age').fill('200');
    await form().locator('button[aria-label="Submit"]').click();
    const summary = form().locator('.elicitation-summary');
    await summary.waitFor({ state: 'visible' });
    assert.match((await summary.textContent()) ?? '', /3 fields: Your name, Age, Toppings/);
    assert.equal(await summary.getAttribute('role'), 'alert');
    assert.equal(await field('Your name').getAttribute('aria-invalid'), 'true');
    assert.ok(await field('Your name').evaluate((e) => e === document.activeElement), 'focus goes to the first field to fix');
    assert.match((await form().locator('[data-field="age"] .elicitation-error').textContent()) ?? '', /150/);
    assert.match((await form().locator('[data-field="toppings"] .elicitation-error').textContent()) ?? '', /at least one/);
    await field('Your name').fill('A');
    for (const t of ['Ham', 'Olives', 'Basil']) await field('Toppings').getByLabel(t, { exact: true }).check();
    await form().locator('button[aria-label="Submit"]').click();
    assert.match((await form().locator('[data-field="name"] .elicitation-error').textContent()) ?? '', /at least 2/);
    assert.match((await form().locator('[data-field="toppings"] .elicitation-error').textContent()) ?? '', /at most 2/);
    assert.deepEqual(await h.posted(), [], 'nothing sent while the form is not valid');
  });

  it('keeps what was typed while another conversation is shown, and puts the form back next to its card', async () => {
    await snapshot('c2', false);
    assert.equal(await form().count(), 0, 'not in another conversation');
    await snapshot('c1', true);
    assert.equal(await h.page.locator('[data-id="t1"] + [data-elicitation]').count(), 1);
    assert.equal(await field('Your name').inputValue(), 'A');
  });

  it('sends only the values left or typed, each typed as its field is', async () => {
    await field('Your name').fill('Ada');
    await field('Age').fill('36');
    await field('Ratio').fill('0.25');
    await field('Toppings').getByLabel('Basil', { exact: true }).uncheck();
    await field('Plan').getByLabel('Pro', { exact: true }).check();
    await h.page.setViewportSize({ width: 500, height: 1400 });
    await form().screenshot({ path: join(shots, 'elicitation-500.png') });
    await h.page.setViewportSize({ width: 250, height: 1800 });
    await form().screenshot({ path: join(shots, 'elicitation-250.png') });
    await h.page.setViewportSize({ width: 420, height: 1400 });
    await h.clearPosted();
    await field('Your name').press('Enter');
    assert.deepEqual(await h.posted(), [
      {
        type: 'elicitationAnswer',
        id: 'e1',
        action: 'accept',
        content: {
          name: 'Ada',
          birthday: '2000-01-31',
          meeting: '2025-06-01T09:30:00.000Z',
          age: 36,
          ratio: 0.25,
          subscribe: true,
          colour: 'green',
          size: 'm',
          plan: 'p',
          tags: ['b'],
          toppings: ['ham', 'olives'],
        },
      },
    ]);
    assert.equal(await form().locator('button[aria-label="Submit"]').isDisabled(), true, 'answered once');
    await h.send({ type: 'elicitationDone', id: 'e1', action: 'accept' });
    assert.equal(await form().count(), 0, 'the host closes it');
  });

  it('Decline and Cancel answer without values; a request that names no card shows at the end', async () => {
    const small = (id: string, cardId?: string): ElicitationRequest => ({
      id,
      server: 'everything',
      cardId,
      conversationId: 'c1',
      message: 'Confirm?',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean', title: 'OK' } } },
    });
    await h.send({ type: 'elicitation', request: small('e2', 't1') }, { type: 'elicitation', request: small('e3') });
    assert.equal(
      await h.page.locator('.messages').evaluate((list) => list.lastElementChild?.getAttribute('data-elicitation')),
      'e3',
      'on its own, after the conversation',
    );
    await h.clearPosted();
    await h.page.locator('[data-elicitation="e2"] button[aria-label="Decline"]').click();
    await h.page.locator('[data-elicitation="e3"] button[aria-label="Cancel"]').click();
    assert.deepEqual(await h.posted(), [
      { type: 'elicitationAnswer', id: 'e2', action: 'decline' },
      { type: 'elicitationAnswer', id: 'e3', action: 'cancel' },
    ]);
    await h.send({ type: 'elicitationDone', id: 'e2', action: 'decline' }, { type: 'elicitationDone', id: 'e3', action: 'cancel' });
    assert.equal(await h.page.locator('[data-elicitation]').count(), 0);
  });

  it('a URL request shows the address and only agrees to open it when the user says so', async () => {
    await h.send({
      type: 'elicitation',
      request: {
        id: 'e4',
        server: 'everything',
        cardId: 't1',
        conversationId: 'c1',
        message: 'Sign in to continue',
        url: 'https://example.com/auth?x=1',
      },
    });
    const url = h.page.locator('[data-elicitation="e4"]');
    assert.equal(await url.locator('.elicitation-url').textContent(), 'https://example.com/auth?x=1');
    assert.equal(await url.locator('a').count(), 0, 'not a link: nothing opens but through the host');
    await h.clearPosted();
    await url.locator('button[aria-label="Open"]').click();
    assert.deepEqual(await h.posted(), [{ type: 'elicitationAnswer', id: 'e4', action: 'accept' }]);
  });
});
