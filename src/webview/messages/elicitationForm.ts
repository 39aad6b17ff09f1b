/**
 * A server's request for input (MCP elicitation), as a real form built from its schema, placed right after the
 * tool card whose call asked. The host decides when it goes (answered, Stop, a timeout); the page only answers.
 */
import type { ElicitationAction, ElicitationField, ElicitationRequest, ElicitationValue } from '../../shared/protocol';
import { el, textButton } from '../dom';

export type ElicitationAnswer = (id: string, action: ElicitationAction, content?: Record<string, ElicitationValue>) => void;

/** Up to this many choices show as radio buttons (all visible at once); more go in a drop-down. */
const MAX_RADIOS = 4;

/**
 * The open requests, by id, each shown only while its conversation is: kept across conversation switches, so
 * what the user typed is still there when they come back to it.
 */
export class ElicitationForms {
  private readonly forms = new Map<string, { request: ElicitationRequest; form: HTMLElement }>();
  private conversationId: string | undefined;

  constructor(
    private readonly list: HTMLElement,
    private readonly answer: ElicitationAnswer,
  ) {}

  show(request: ElicitationRequest): void {
    let entry = this.forms.get(request.id);
    if (!entry) {
      const form = renderElicitation(request, (action, content) => {
        // Once only: the host's `elicitationDone` removes it; meanwhile a second click must not answer again.
        setAnswering(form, true);
        this.answer(request.id, action, content);
      });
      entry = { request, form };
      this.forms.set(request.id, entry);
    }
    if (this.place(entry)) entry.form.scrollIntoView({ block: 'nearest' });
  }

  done(id: string): void {
    this.forms.get(id)?.form.remove();
    this.forms.delete(id);
  }

  /** The list now shows this conversation (a snapshot replaced it): its forms go back next to their cards. */
  showConversation(id: string | undefined): void {
    this.conversationId = id;
    for (const entry of this.forms.values()) this.place(entry);
  }

  private place({ request, form }: { request: ElicitationRequest; form: HTMLElement }): boolean {
    if (request.conversationId !== undefined && request.conversationId !== this.conversationId) {
      form.remove();
      return false;
    }
    const card = request.cardId ? this.list.querySelector(`[data-id="${CSS.escape(request.cardId)}"]`) : null;
    if (card) card.after(form);
    else if (!form.isConnected) this.list.append(form);
    return true;
  }
}

function setAnswering(form: HTMLElement, answering: boolean): void {
  for (const control of form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, select, button'))
    control.disabled = answering;
}

let nextId = 0;
const uid = (prefix: string) => `elicitation-${prefix}-${++nextId}`;

/** The form for one request. `answer` gets the values typed per the schema: only fields with a value. */
export function renderElicitation(
  request: ElicitationRequest,
  answer: (action: ElicitationAction, content?: Record<string, ElicitationValue>) => void,
): HTMLFormElement {
  const form = el('form', 'elicitation');
  form.dataset.elicitation = request.id;
  // Our own messages replace the browser's bubbles: they stay visible, and a screen reader hears them.
  form.noValidate = true;
  const heading = el('div', 'elicitation-heading', `${request.server} asks`);
  heading.id = uid('heading');
  form.setAttribute('aria-labelledby', heading.id);
  const message = el('p', 'elicitation-message', request.message);
  form.append(heading, message);

  const summary = el('div', 'elicitation-summary');
  summary.setAttribute('role', 'alert');
  summary.hidden = true;

  if (request.url !== undefined) {
    const url = el('code', 'elicitation-url', request.url);
    form.append(el('p', 'elicitation-hint', 'Opening this page in your browser:'), url);
    form.append(buttons('Open', () => answer('accept'), answer));
    return form;
  }

  const schema = request.requestedSchema ?? { type: 'object', properties: {} };
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties).map(([name, field]) => renderField(name, field, required.has(name)));
  for (const f of fields) form.append(f.element);
  form.append(summary, buttons('Submit', undefined, answer));

  const check = () => {
    const invalid = fields.filter((f) => !f.validate());
    summary.hidden = invalid.length === 0;
    summary.textContent =
      invalid.length === 1
        ? `Please check "${invalid[0].label}".`
        : `Please check ${invalid.length} fields: ${invalid.map((f) => f.label).join(', ')}.`;
    return invalid;
  };
  // Messages appear on Submit, not while typing; once shown, they follow the fixes.
  let checked = false;
  const recheck = () => checked && check();
  form.addEventListener('input', recheck);
  form.addEventListener('change', recheck);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    checked = true;
    const invalid = check();
    if (invalid.length) {
      invalid[0].focus();
      return;
    }
    const content: Record<string, ElicitationValue> = {};
    for (const f of fields) {
      const value = f.value();
      if (value !== undefined) content[f.name] = value;
    }
    answer('accept', content);
  });
  return form;
}

function buttons(acceptLabel: string, onAccept: (() => void) | undefined, answer: (action: ElicitationAction) => void): HTMLElement {
  const row = el('div', 'elicitation-buttons');
  const accept = el('button', 'primary', acceptLabel);
  accept.setAttribute('aria-label', acceptLabel);
  // Submit goes through the form's submit event, so Enter in a field submits (and is validated) too.
  accept.type = onAccept ? 'button' : 'submit';
  if (onAccept) accept.addEventListener('click', onAccept);
  const decline = textButton('Decline');
  decline.addEventListener('click', () => answer('decline'));
  const cancel = textButton('Cancel');
  cancel.addEventListener('click', () => answer('cancel'));
  row.append(accept, decline, cancel);
  return row;
}

interface Field {
  name: string;
  label: string;
  element: HTMLElement;
  /** Shows (or clears) the field's own message; false when it is not valid. */
  validate(): boolean;
  focus(): void;
  /** Typed as the schema says; undefined when the field was left empty. */
  value(): ElicitationValue | undefined;
}

function renderField(name: string, field: ElicitationField, required: boolean): Field {
  const label = field.title || name;
  const element = el('div', 'elicitation-field');
  element.dataset.field = name;
  const error = el('div', 'elicitation-error');
  error.id = uid('error');
  error.hidden = true;
  const hint = field.description ? el('div', 'elicitation-hint', field.description) : undefined;
  if (hint) hint.id = uid('hint');
  const describedBy = [hint?.id, error.id].filter(Boolean).join(' ');
  const choices = choicesOf(field);
  const built =
    field.type === 'array'
      ? checkboxes(label, choices, field, required)
      : choices
        ? choices.length <= MAX_RADIOS
          ? radios(label, choices, field, required)
          : dropDown(label, choices, field, required)
        : field.type === 'boolean'
          ? checkbox(label, field)
          : textual(label, field, required);
  // Marked for the eye only: the control itself says "required" to a screen reader, and the mark stays out of its name.
  const mark = required ? el('span', 'elicitation-required', '*') : undefined;
  mark?.setAttribute('aria-hidden', 'true');
  if (built.label) element.append(built.label);
  if (mark && built.label) element.append(mark);
  if (mark && built.legend) built.legend.append(mark);
  element.append(built.control);
  if (hint) element.append(hint);
  element.append(error);
  for (const c of built.inputs) c.setAttribute('aria-describedby', describedBy);
  if (built.legend) built.control.setAttribute('aria-describedby', describedBy);
  return {
    name,
    label,
    element,
    validate: () => {
      const message = built.check();
      error.textContent = message;
      error.hidden = !message;
      for (const c of built.inputs) {
        if (message) c.setAttribute('aria-invalid', 'true');
        else c.removeAttribute('aria-invalid');
      }
      return !message;
    },
    focus: () => built.inputs[0]?.focus(),
    value: built.value,
  };
}

interface Built {
  /** A `<label for>` before the control, or nothing when the control names itself (a group's legend). */
  label?: HTMLLabelElement;
  legend?: HTMLElement;
  control: HTMLElement;
  inputs: Array<HTMLInputElement | HTMLSelectElement>;
  /** The message to show, '' when valid. */
  check(): string;
  value(): ElicitationValue | undefined;
}

function labelFor(text: string, control: HTMLElement): HTMLLabelElement {
  control.id = uid('field');
  const label = el('label', 'elicitation-label', text);
  label.htmlFor = control.id;
  return label;
}

const INPUT_TYPE: Record<string, string> = { email: 'email', uri: 'url', date: 'date', 'date-time': 'datetime-local' };

function textual(text: string, field: ElicitationField, required: boolean): Built {
  const input = el('input', 'elicitation-input');
  const numeric = field.type === 'number' || field.type === 'integer';
  input.type = numeric ? 'number' : (INPUT_TYPE[field.format ?? ''] ?? 'text');
  input.required = required;
  if (numeric) {
    input.step = field.type === 'integer' ? '1' : 'any';
    if (field.minimum !== undefined) input.min = String(field.minimum);
    if (field.maximum !== undefined) input.max = String(field.maximum);
  } else {
    if (field.minLength !== undefined) input.minLength = field.minLength;
    if (field.maxLength !== undefined) input.maxLength = field.maxLength;
  }
  if (field.default !== undefined)
    input.value = field.format === 'date-time' ? toLocalDateTime(String(field.default)) : String(field.default);
  return {
    label: labelFor(text, input),
    control: input,
    inputs: [input],
    check: () => {
      // minlength is only checked natively after the user edits; a default that is too short counts too.
      if (input.value && field.minLength !== undefined && input.value.length < field.minLength)
        return `Use at least ${field.minLength} characters.`;
      return input.validity.valid ? '' : input.validationMessage;
    },
    value: () => {
      if (input.value === '') return undefined;
      if (numeric) return Number(input.value);
      if (field.format === 'date-time') return new Date(input.value).toISOString();
      return input.value;
    },
  };
}

/** A datetime-local input takes neither seconds' fractions nor a zone: RFC 3339 from the server, shown in local time. */
function toLocalDateTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function checkbox(text: string, field: ElicitationField): Built {
  const input = el('input', 'elicitation-checkbox');
  input.type = 'checkbox';
  input.checked = field.default === true;
  const label = labelFor(text, input);
  // The box goes inside its row before the words, as checkboxes read everywhere else.
  const row = el('div', 'elicitation-check-row');
  row.append(input, label);
  return { control: row, inputs: [input], check: () => '', value: () => input.checked };
}

interface Choice {
  value: string;
  title: string;
}

/** Titled or not, whichever way the schema spells its choices. */
function choicesOf(field: ElicitationField): Choice[] | undefined {
  const source = field.type === 'array' ? field.items : field;
  if (!source) return undefined;
  if ('oneOf' in source && Array.isArray(source.oneOf)) return source.oneOf.map((o) => ({ value: o.const, title: o.title || o.const }));
  if ('anyOf' in source && Array.isArray(source.anyOf)) return source.anyOf.map((o) => ({ value: o.const, title: o.title || o.const }));
  if (Array.isArray(source.enum)) {
    const names = 'enumNames' in source ? source.enumNames : undefined;
    return source.enum.map((value, i) => ({ value, title: names?.[i] || value }));
  }
  return undefined;
}

function group(text: string): { control: HTMLFieldSetElement; legend: HTMLLegendElement } {
  const control = el('fieldset', 'elicitation-group');
  const legend = el('legend', 'elicitation-label');
  const name = el('span', undefined, text);
  name.id = uid('legend');
  legend.append(name);
  // Named by the words only (not the required mark the legend may also hold), and findable by that label.
  control.setAttribute('aria-labelledby', name.id);
  control.append(legend);
  return { control, legend };
}

function radios(text: string, choices: Choice[], field: ElicitationField, required: boolean): Built {
  const { control, legend } = group(text);
  control.setAttribute('role', 'radiogroup');
  const name = uid('radios');
  const inputs = choices.map((choice) => {
    const input = el('input');
    input.type = 'radio';
    input.name = name;
    input.value = choice.value;
    input.required = required;
    input.checked = field.default === choice.value;
    const label = labelFor(choice.title, input);
    const row = el('div', 'elicitation-check-row');
    row.append(input, label);
    control.append(row);
    return input;
  });
  return {
    legend,
    control,
    inputs,
    check: () => (required && !inputs.some((i) => i.checked) ? 'Choose one.' : ''),
    value: () => inputs.find((i) => i.checked)?.value,
  };
}

function dropDown(text: string, choices: Choice[], field: ElicitationField, required: boolean): Built {
  const select = el('select', 'elicitation-select');
  select.required = required;
  // An empty first choice: an optional field may stay unanswered, and a required one is not answered by accident.
  select.append(new Option(required ? 'Choose…' : '(none)', ''));
  for (const choice of choices) select.append(new Option(choice.title, choice.value, false, field.default === choice.value));
  return {
    label: labelFor(text, select),
    control: select,
    inputs: [select],
    check: () => (select.validity.valid ? '' : 'Choose one.'),
    value: () => select.value || undefined,
  };
}

function checkboxes(text: string, choices: Choice[] | undefined, field: ElicitationField, required: boolean): Built {
  const { control, legend } = group(text);
  const defaults = new Set(Array.isArray(field.default) ? field.default : []);
  const inputs = (choices ?? []).map((choice) => {
    const input = el('input');
    input.type = 'checkbox';
    input.value = choice.value;
    input.checked = defaults.has(choice.value);
    const label = labelFor(choice.title, input);
    const row = el('div', 'elicitation-check-row');
    row.append(input, label);
    control.append(row);
    return input;
  });
  const chosen = () => inputs.filter((i) => i.checked).map((i) => i.value);
  const min = field.minItems ?? (required ? 1 : 0);
  return {
    legend,
    control,
    inputs,
    check: () => {
      const n = chosen().length;
      if (n < min) return min === 1 ? 'Choose at least one.' : `Choose at least ${min}.`;
      if (field.maxItems !== undefined && n > field.maxItems) return `Choose at most ${field.maxItems}.`;
      return '';
    },
    value: () => {
      const values = chosen();
      return values.length || required ? values : undefined;
    },
  };
}
