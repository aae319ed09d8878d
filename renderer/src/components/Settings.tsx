/**
 * Settings: endpoint (with presets), model, API key, target (this desktop or a phone adb sees), profile (the ones
 * that speak the target's tool), approval mode, max steps, zooms per step, display, settle, deny rules
 * (the built-in ones, each removable, and your own). Checked with the contract's schema before saving (the host
 * checks again; deny-rule patterns are compiled with the same RE2 engine that matches them) and shown next to each
 * field; "Check endpoint" shows the server diagnosis (app/model/check.ts). The API key belongs to the endpoint
 * origin it was saved with: the form says which, and another origin gets no key.
 */
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { z } from 'zod';
import type { SettingsView } from '../../../app/host/bridge';
import {
  APPROVAL_MODES,
  RunSettingsSchema,
  defaultProfileFor,
  endpointOrigin,
  toolOfDevice as toolOf,
  type DenyRule,
  type DeviceList,
} from '../../../app/contract';
import { groundingSummary, type EndpointReport } from '../../../app/model/check-report';
import type { Display } from '../../../app/screen/geometry';
import { PROFILES, profileForSettings } from '../../../app/model/profiles';
import { DEFAULT_DENY_RULES } from '../../../app/policy/default-deny-rules';
import { useRequest } from '../useDeskpilot';

export const PRESETS = [
  { id: 'vllm', label: 'vLLM', endpoint: 'http://localhost:8000/v1' },
  { id: 'sglang', label: 'SGLang', endpoint: 'http://localhost:30000/v1' },
  { id: 'ollama', label: 'Ollama', endpoint: 'http://localhost:11434/v1' },
  { id: 'lmstudio', label: 'LM Studio', endpoint: 'http://localhost:1234/v1' },
  { id: 'cloud', label: 'Cloud (Alibaba Model Studio)', endpoint: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', model: 'qwen3-vl-plus' },
] as const;

const MODE_TEXT: Record<(typeof APPROVAL_MODES)[number], string> = {
  ask: 'every action',
  risky: 'only risky actions',
  auto: 'never; deny rules apply',
};

/** The same rule the host applies: a run's settings, the model optional (the server's only model is used). */
const FormSchema = RunSettingsSchema.omit({ apiKey: true }).extend({ model: z.string().min(1).optional() });

interface Form {
  endpoint: string;
  model: string;
  apiKey: string;
  /** What a run drives: local, android or android:SERIAL. */
  device: string;
  profile: string;
  /** Zooms per step the model may make before it acts; "0" offers no zoom tool. */
  zoom: string;
  approve: string;
  maxSteps: string;
  display: string;
  settle: boolean;
  quietMs: string;
  maxMs: string;
  /** Your own deny rules, as edited. */
  denyRules: DenyRule[];
  /** Ids of the built-in deny rules removed. */
  removedDefaultDenyRules: string[];
}

/** A form field, or one field of one of your deny rules ("rule.0.pattern"). */
type Field = Exclude<keyof Form, 'denyRules' | 'removedDefaultDenyRules'> | `rule.${number}.${keyof DenyRule}`;
type Errors = Partial<Record<Field, string>>;
const MATCH_TEXT: Record<DenyRule['match'], string> = { text: 'typed text', keys: 'key combo', summary: 'any action (its summary)' };

function str(value: unknown, fallback: string): string {
  return value === undefined || value === null ? fallback : String(value);
}

function formFrom(view: SettingsView): Form {
  const d = view.draft;
  const settle = (d.settle ?? {}) as { enabled?: boolean; quietMs?: number; maxMs?: number };
  return {
    endpoint: str(d.endpoint, ''),
    model: str(d.model, ''),
    apiKey: '',
    device: str(d.device, 'local'),
    profile: str(d.profile, defaultProfileFor(d.device)),
    zoom: d.zoom === true ? '3' : typeof d.zoom === 'number' ? String(d.zoom) : '0',
    approve: str(d.approve, 'ask'),
    maxSteps: str(d.maxSteps, '30'),
    display: str(d.display, '0'),
    settle: settle.enabled ?? true,
    quietMs: str(settle.quietMs, '300'),
    maxMs: str(settle.maxMs, '3000'),
    denyRules: Array.isArray(d.denyRules) ? (d.denyRules as DenyRule[]).map((r) => ({ match: r.match, pattern: r.pattern, reason: r.reason })) : [],
    removedDefaultDenyRules: Array.isArray(d.removedDefaultDenyRules) ? (d.removedDefaultDenyRules as string[]) : [],
  };
}

/** Numbers stay numbers only when they look like numbers, so the schema reports "abc" instead of NaN. */
function num(text: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

function valuesOf(form: Form): Record<string, unknown> {
  return {
    endpoint: form.endpoint.trim(),
    ...(form.model.trim() ? { model: form.model.trim() } : {}),
    device: form.device,
    profile: form.profile,
    zoom: form.zoom.trim() === '0' ? false : num(form.zoom),
    approve: form.approve,
    maxSteps: num(form.maxSteps),
    display: num(form.display),
    settle: { enabled: form.settle, quietMs: num(form.quietMs), maxMs: num(form.maxMs) },
    denyRules: form.denyRules,
    removedDefaultDenyRules: form.removedDefaultDenyRules,
  };
}

const FIELD_OF_PATH: Record<string, Field | undefined> = {
  endpoint: 'endpoint',
  model: 'model',
  profile: 'profile',
  zoom: 'zoom',
  device: 'device',
  approve: 'approve',
  maxSteps: 'maxSteps',
  display: 'display',
  'settle.quietMs': 'quietMs',
  'settle.maxMs': 'maxMs',
  'settle.enabled': 'settle',
};

const NUMERIC_PATHS = new Set(['zoom', 'maxSteps', 'display', 'settle.quietMs', 'settle.maxMs']);

function friendly(path: string, message: string, value: unknown): string {
  if (value === undefined || value === '') return `${path === 'endpoint' ? 'the endpoint' : path} is required`;
  if (NUMERIC_PATHS.has(path) && typeof value === 'string') return 'must be a whole number';
  if (path === 'zoom') return 'must be 0 (off) to 20 zooms per step';
  const small = /Too small: expected number to be >=?(\S+)/.exec(message);
  if (small) return `must be at least ${small[1]}`;
  const big = /Too big: expected number to be <=?(\S+)/.exec(message);
  if (big) return `must be at most ${big[1]}`;
  return message;
}

/** The form field an issue path names: "maxSteps" -> maxSteps, "denyRules.2.pattern" -> rule.2.pattern. */
function fieldOf(path: string): Field | undefined {
  const rule = /^denyRules\.(\d+)\.(match|pattern|reason)$/.exec(path);
  if (rule) return `rule.${Number(rule[1])}.${rule[2] as keyof DenyRule}`;
  return Object.hasOwn(FIELD_OF_PATH, path) ? FIELD_OF_PATH[path] : undefined;
}

function validate(form: Form): Errors {
  const values = valuesOf(form);
  const result = FormSchema.safeParse(values);
  const profile = PROFILES.get(form.profile);
  // The same check a run makes: the profile speaks the target's tool.
  const mismatch =
    profile && profile.tool !== toolOf(form.device)
      ? `${profile.id} speaks ${profile.tool}; ${toolOf(form.device) === 'mobile_use' ? 'a phone' : 'this desktop'} takes ${toolOf(form.device)} (e.g. ${defaultProfileFor(form.device)})`
      : null;
  // The run's own rule (profiles.ts profileForSettings): which profiles can zoom is said there, once.
  let pixelZoom: string | null = null;
  if (profile && form.zoom.trim() !== '0' && typeof values.zoom === 'number') {
    try {
      profileForSettings({ profile: profile.id, zoom: values.zoom });
    } catch (error) {
      pixelZoom = `${(error as Error).message} (0 = off)`;
    }
  }
  const early: Errors = { ...(mismatch ? { profile: mismatch } : {}), ...(pixelZoom ? { zoom: pixelZoom } : {}) };
  if (result.success) return early;
  const errors: Errors = early;
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    const field = fieldOf(path);
    if (!field || errors[field]) continue;
    const value = path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values);
    errors[field] = friendly(path, issue.message, value);
  }
  return errors;
}

function TextField(props: {
  label: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
  type?: string;
  hint?: ReactNode;
  placeholder?: string;
  inputMode?: 'numeric' | 'url' | 'text';
}) {
  const id = useId();
  const describedBy = [props.error ? `${id}-error` : '', props.hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${props.error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? 'text'}
        value={props.value}
        placeholder={props.placeholder}
        inputMode={props.inputMode}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint ? (
        <p id={`${id}-hint`} className="hint">
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p id={`${id}-error`} className="field-error">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

function Diagnosis({ report }: { report: EndpointReport }) {
  const fact = (label: string, value: ReactNode) => (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
  const yesNo = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');
  return (
    <section className={`diagnosis ${report.problems.length ? 'has-problems' : 'ok'}`} aria-label="Endpoint diagnosis">
      <h4>{report.problems.length ? `${report.problems.length} problem${report.problems.length > 1 ? 's' : ''} found` : 'The endpoint works'}</h4>
      {report.problems.length ? (
        <ul className="problems">
          {report.problems.map((p) => (
            <li key={p.problem}>
              <strong>{p.problem}</strong> <span>{p.fix}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <dl>
        {fact('Reachable', yesNo(report.reachable))}
        {fact('Base URL', report.baseUrl ?? '-')}
        {fact('Models served', report.models.length ? report.models.join(', ') : '-')}
        {fact('Model used', report.model.used ?? '-')}
        {fact('Tool calls', report.mode === 'native' ? 'parsed by the server' : report.mode === 'prompt' ? 'in the prompt (no tool parser)' : 'unknown')}
        {fact('Reasoning', report.reasoning ?? 'unknown')}
        {fact('Images accepted', yesNo(report.imageAccepted))}
        {fact('Latency', report.latencyMs === null ? '-' : `${report.latencyMs} ms`)}
        {fact('Grounding', groundingSummary(report.grounding))}
      </dl>
      {report.notes.map((n) => (
        <p key={n} className="hint">
          {n}
        </p>
      ))}
    </section>
  );
}

export function Settings() {
  const request = useRequest();
  const [view, setView] = useState<SettingsView | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [report, setReport] = useState<EndpointReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [displays, setDisplays] = useState<Display[]>([]);
  const [devices, setDevices] = useState<DeviceList | null>(null);
  const presetId = useId();

  useEffect(() => {
    void request('settings.get', {}).then((answer) => {
      if (answer.ok) {
        setView(answer.value);
        setForm(formFrom(answer.value));
      } else setMessage({ kind: 'error', text: answer.error });
    });
    void request('displays.list', {}).then((answer) => {
      if (answer.ok) setDisplays(answer.value);
    });
    void request('devices.list', {}).then((answer) => {
      if (answer.ok) setDevices(answer.value);
    });
  }, [request]);

  if (!form || !view) return <p className="dim">{message?.text ?? 'Loading settings...'}</p>;

  const change = (next: Form, field: Field | null) => {
    setForm(next);
    setMessage(null);
    // Re-check a field already marked wrong as the person fixes it (every field after rows were renumbered).
    if (field === null ? Object.keys(errors).length > 0 : errors[field]) setErrors(validate(next));
  };
  const set = (field: Exclude<keyof Form, 'denyRules' | 'removedDefaultDenyRules'>, value: string | boolean) =>
    change({ ...form, [field]: value } as Form, field);
  const setRule = (index: number, patch: Partial<DenyRule>) => {
    const denyRules = form.denyRules.map((rule, i) => (i === index ? { ...rule, ...patch } : rule));
    const next = { ...form, denyRules };
    setForm(next);
    setMessage(null);
    // A pattern is checked as it is typed, with the engine that will match it.
    const field = `rule.${index}.${Object.keys(patch)[0] as keyof DenyRule}` as const;
    setErrors({ ...errors, [field]: validate(next)[field] });
  };
  // Removing or adding a rule renumbers the rows: check them all again.
  const addRule = () => change({ ...form, denyRules: [...form.denyRules, { match: 'text', pattern: '', reason: '' }] }, null);
  const removeRule = (index: number) => change({ ...form, denyRules: form.denyRules.filter((_, i) => i !== index) }, null);
  const toggleDefault = (id: string, applies: boolean) =>
    change(
      {
        ...form,
        removedDefaultDenyRules: applies ? form.removedDefaultDenyRules.filter((r) => r !== id) : [...form.removedDefaultDenyRules, id],
      },
      null,
    );

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const found = validate(form);
    setErrors(found);
    if (Object.keys(found).length) {
      setMessage({ kind: 'error', text: `Not saved: fix the marked field${Object.keys(found).length > 1 ? 's' : ''}.` });
      return;
    }
    const answer = await request('settings.save', {
      ...(valuesOf(form) as object),
      ...(form.apiKey ? { apiKey: form.apiKey } : {}),
    });
    if (!answer.ok) {
      const fieldErrors: Errors = {};
      for (const line of answer.issues ?? []) {
        const [path, ...rest] = line.split(': ');
        const field = fieldOf(path ?? '');
        if (field) fieldErrors[field] = rest.join(': ');
      }
      setErrors(fieldErrors);
      setMessage({ kind: 'error', text: answer.error });
      return;
    }
    setView(answer.value);
    setForm({ ...formFrom(answer.value) });
    setMessage({ kind: 'ok', text: 'Saved.' });
  };

  const forgetKey = async () => {
    const answer = await request('settings.save', { apiKey: null });
    if (answer.ok) {
      setView(answer.value);
      setMessage({ kind: 'ok', text: 'API key forgotten.' });
    } else setMessage({ kind: 'error', text: answer.error });
  };

  const check = async () => {
    if (!form.endpoint.trim()) {
      setErrors({ ...errors, endpoint: 'the endpoint is required' });
      return;
    }
    setChecking(true);
    setReport(null);
    const answer = await request('endpoint.check', {
      endpoint: form.endpoint.trim(),
      ...(form.model.trim() ? { model: form.model.trim() } : {}),
      ...(form.apiKey ? { apiKey: form.apiKey } : {}),
      ...(form.profile.trim() ? { profile: form.profile.trim() } : {}),
      ...(/^\d+$/.test(form.zoom.trim()) && Number(form.zoom) > 0 ? { zoom: Number(form.zoom) } : {}),
    });
    setChecking(false);
    if (answer.ok) setReport(answer.value);
    else setMessage({ kind: 'error', text: answer.error });
  };

  const formOrigin = endpointOrigin(form.endpoint);
  const keyStored = formOrigin !== null && view.apiKeyOrigins.includes(formOrigin);
  const otherOrigins = view.apiKeyOrigins.filter((origin) => origin !== formOrigin);
  const profiles = [...PROFILES.values()];
  const knownProfile = profiles.some((p) => p.id === form.profile);
  const targetTool = toolOf(form.device);
  const phones = devices?.phones ?? [];
  const listedTarget = form.device === 'local' || form.device === 'android' || phones.some((p) => p.spec === form.device);
  const chosenPhone = phones.find((p) => p.spec === form.device);
  // A new target keeps the profile when it speaks the target's tool, else takes the target's default one.
  const setTarget = (device: string) => {
    const keeps = PROFILES.get(form.profile)?.tool === toolOf(device);
    change({ ...form, device, profile: keeps ? form.profile : defaultProfileFor(device) }, 'device');
  };
  return (
    <form className="settings" onSubmit={(e) => void save(e)} noValidate aria-label="Settings">
      <div className="field">
        <label htmlFor={presetId}>Server preset</label>
        <select
          id={presetId}
          value={PRESETS.find((p) => p.endpoint === form.endpoint)?.id ?? ''}
          onChange={(e) => {
            const preset = PRESETS.find((p) => p.id === e.target.value);
            if (!preset) return;
            const next = { ...form, endpoint: preset.endpoint, ...('model' in preset ? { model: preset.model } : {}) };
            setForm(next);
            if (errors.endpoint) setErrors(validate(next));
          }}
        >
          <option value="">Custom</option>
          {PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label} - {p.endpoint}
            </option>
          ))}
        </select>
      </div>
      <TextField
        label="Endpoint"
        value={form.endpoint}
        error={errors.endpoint}
        inputMode="url"
        placeholder="http://localhost:8000/v1"
        onChange={(v) => set('endpoint', v)}
      />
      <TextField
        label="Model"
        value={form.model}
        error={errors.model}
        placeholder="empty = the server's only model"
        onChange={(v) => set('model', v)}
      />
      <TextField
        label="API key"
        type="password"
        value={form.apiKey}
        error={errors.apiKey}
        placeholder={keyStored ? '(set for this endpoint - type to replace)' : '(none for this endpoint)'}
        hint={
          <>
            {formOrigin === null
              ? 'A key is kept for the origin (scheme, host and port) of the endpoint it is saved with, and sent nowhere else.'
              : keyStored
                ? `A key is stored for ${formOrigin}; it is sent only to that origin.`
                : `No key is stored for ${formOrigin}, so none is sent there; a key typed here is kept for ${formOrigin} when you save.`}{' '}
            {otherOrigins.length > 0 ? `Keys are also stored for ${otherOrigins.join(', ')}. ` : ''}
            API key storage: {view.apiKeyStorage}.{' '}
            {keyStored && formOrigin === view.apiKeyOrigin ? (
              <button type="button" className="link" onClick={() => void forgetKey()}>
                Forget the key for {formOrigin}
              </button>
            ) : null}
          </>
        }
        onChange={(v) => set('apiKey', v)}
      />
      <div className={`field${errors.device ? ' invalid' : ''}`}>
        <label htmlFor="settings-device">Target</label>
        <select id="settings-device" value={form.device} onChange={(e) => setTarget(e.target.value)}>
          <option value="local">This desktop</option>
          <option value="android">The only phone attached (android)</option>
          {listedTarget ? null : <option value={form.device}>{form.device} (not attached now)</option>}
          {phones.map((p) => (
            <option key={p.spec} value={p.spec} disabled={p.state !== 'device'}>
              {p.model ?? 'Phone'} {p.serial}
              {p.size ? ` ${p.size.width}x${p.size.height}` : ''}
              {p.state !== 'device' ? ` (${p.state})` : ''}
            </option>
          ))}
        </select>
        <p className="hint">
          {devices === null
            ? 'Looking for phones...'
            : devices.phonesError
              ? `Phones: ${devices.phonesError}`
              : phones.length === 0
                ? "No phone attached: connect one by USB with USB debugging on (README, 'Phones')."
                : phones
                    .filter((p) => p.fix)
                    .map((p) => `${p.serial} (${p.state}): ${p.fix}`)
                    .join(' ') || (chosenPhone ? `${chosenPhone.serial} is ready.` : `${phones.length} phone(s) attached.`)}
        </p>
        {errors.device ? <p className="field-error">{errors.device}</p> : null}
      </div>
      <div className="row">
        <div className={`field${errors.profile ? ' invalid' : ''}`}>
          <label htmlFor="settings-profile">Profile</label>
          <select id="settings-profile" value={form.profile} onChange={(e) => set('profile', e.target.value)}>
            {knownProfile ? null : <option value={form.profile}>{form.profile}</option>}
            {profiles.map((p) => (
              <option key={p.id} value={p.id} disabled={p.tool !== targetTool}>
                {p.id}
                {p.tool === 'mobile_use' ? ' (phones)' : ''}
              </option>
            ))}
          </select>
          {errors.profile ? <p className="field-error">{errors.profile}</p> : null}
        </div>
        <div className="field">
          <label htmlFor="settings-approve">Approval mode</label>
          <select id="settings-approve" value={form.approve} onChange={(e) => set('approve', e.target.value)}>
            {APPROVAL_MODES.map((m) => (
              <option key={m} value={m}>
                {m} ({MODE_TEXT[m]})
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="row">
        <TextField label="Max steps" value={form.maxSteps} error={errors.maxSteps} inputMode="numeric" onChange={(v) => set('maxSteps', v)} />
        <TextField
          label="Zooms per step"
          value={form.zoom}
          error={errors.zoom}
          inputMode="numeric"
          hint="0 = off; otherwise the model may zoom into the screen this many times before it acts"
          onChange={(v) => set('zoom', v)}
        />
        {targetTool === 'mobile_use' ? null : displays.length > 1 ? (
          <div className="field">
            <label htmlFor="settings-display">Display</label>
            <select id="settings-display" value={form.display} onChange={(e) => set('display', e.target.value)}>
              {displays.map((d, i) => (
                <option key={d.id} value={String(i)}>
                  {i}: {d.name} {d.bounds.width}x{d.bounds.height}
                  {d.primary ? ' (primary)' : ''}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <TextField
            label="Display"
            value={form.display}
            error={errors.display}
            inputMode="numeric"
            hint={displays[0] ? `0 = ${displays[0].name} ${displays[0].bounds.width}x${displays[0].bounds.height}` : '0 = primary'}
            onChange={(v) => set('display', v)}
          />
        )}
      </div>
      <fieldset className="settle">
        <legend>Settle</legend>
        <label className="check">
          <input type="checkbox" checked={form.settle} onChange={(e) => set('settle', e.target.checked)} /> Wait for the screen to stop
          changing after each action
        </label>
        <div className="row">
          <TextField label="Quiet for (ms)" value={form.quietMs} error={errors.quietMs} inputMode="numeric" onChange={(v) => set('quietMs', v)} />
          <TextField label="Wait at most (ms)" value={form.maxMs} error={errors.maxMs} inputMode="numeric" onChange={(v) => set('maxMs', v)} />
        </div>
      </fieldset>
      <fieldset className="deny-rules">
        <legend>Deny rules</legend>
        <p className="hint">
          An action that matches a deny rule is never performed, in any approval mode (auto included); the model is told why.
          Patterns are RE2 regular expressions (no lookaround or backreferences), case-insensitive. Text rules see the text as
          typed and as a shell reads it, with quotes and escapes undone.
        </p>
        <h4>Built-in rules</h4>
        <ul className="default-rules">
          {DEFAULT_DENY_RULES.map((rule) => (
            <li key={rule.id}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={!form.removedDefaultDenyRules.includes(rule.id)}
                  onChange={(e) => toggleDefault(rule.id, e.target.checked)}
                />
                <span>
                  {rule.title}{' '}
                  <span className="dim small">
                    (e.g. <code>{rule.examples[0]}</code>)
                  </span>
                </span>
              </label>
            </li>
          ))}
        </ul>
        <h4>Your rules</h4>
        {form.denyRules.length === 0 ? <p className="hint">None yet.</p> : null}
        {form.denyRules.map((rule, i) => (
          <div className="deny-rule" key={i} role="group" aria-label={`Your deny rule ${i + 1}`}>
            <div className="field">
              <label htmlFor={`${presetId}-rule-${i}-match`}>Looks at (rule {i + 1})</label>
              <select id={`${presetId}-rule-${i}-match`} value={rule.match} onChange={(e) => setRule(i, { match: e.target.value as DenyRule['match'] })}>
                {(Object.keys(MATCH_TEXT) as Array<DenyRule['match']>).map((m) => (
                  <option key={m} value={m}>
                    {MATCH_TEXT[m]}
                  </option>
                ))}
              </select>
            </div>
            <TextField
              label={`Pattern (rule ${i + 1})`}
              value={rule.pattern}
              error={errors[`rule.${i}.pattern`]}
              placeholder="e.g. \bpassword\b"
              onChange={(v) => setRule(i, { pattern: v })}
            />
            <TextField
              label={`Reason (rule ${i + 1})`}
              value={rule.reason}
              error={errors[`rule.${i}.reason`]}
              placeholder="shown when it blocks an action"
              onChange={(v) => setRule(i, { reason: v })}
            />
            <button type="button" className="subtle" onClick={() => removeRule(i)}>
              Remove rule {i + 1}
            </button>
          </div>
        ))}
        <div>
          <button type="button" onClick={addRule}>
            Add a deny rule
          </button>
        </div>
      </fieldset>
      <div className="buttons">
        <button type="submit" className="primary">
          Save settings
        </button>
        <button type="button" disabled={checking} onClick={() => void check()}>
          {checking ? 'Checking...' : 'Check endpoint'}
        </button>
      </div>
      {message ? (
        <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'error' : 'ok'}>
          {message.text}
        </p>
      ) : null}
      {report ? <Diagnosis report={report} /> : null}
    </form>
  );
}
