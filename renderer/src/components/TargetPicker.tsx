/**
 * "Run on": the target of the next run, on the Run page - this desktop, the only phone, or one of the phones adb
 * sees (from `devices.list`). It is the `device` setting (the same one Settings > Target edits): a change is saved
 * at once, and when the saved profile speaks the other tool, the target's default profile is saved with it.
 */
import { useEffect, useState } from 'react';
import { defaultProfileFor, toolOfDevice, type DeviceList } from '../../../app/contract';
import { PROFILES } from '../../../app/model/profiles';
import { useRequest } from '../useDeskpilot';

export function TargetPicker(props: { disabled: boolean; shown: boolean; connected: boolean }) {
  const request = useRequest();
  const [device, setDevice] = useState<string | null>(null);
  const [profile, setProfile] = useState('');
  const [list, setList] = useState<DeviceList | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Read again each time the Run page is shown: Settings may have changed the target meanwhile.
  useEffect(() => {
    if (!props.shown || !props.connected) return;
    let live = true;
    void request('settings.get', {}).then((answer) => {
      if (!live || !answer.ok) return;
      const values = answer.value.settings ?? answer.value.draft;
      const chosen = typeof values.device === 'string' ? values.device : 'local';
      setDevice(chosen);
      setProfile(typeof values.profile === 'string' ? values.profile : defaultProfileFor(chosen));
    });
    void request('devices.list', {}).then((answer) => {
      if (live && answer.ok) setList(answer.value);
    });
    return () => {
      live = false;
    };
  }, [props.shown, props.connected, request]);

  if (device === null) return null;
  const change = async (next: string) => {
    setError(null);
    const keeps = PROFILES.get(profile)?.tool === toolOfDevice(next);
    const answer = await request('settings.save', { device: next, ...(keeps ? {} : { profile: defaultProfileFor(next) }) });
    if (!answer.ok) {
      setError(`The target was not changed: ${answer.error}`);
      return;
    }
    const saved = answer.value.settings;
    setDevice(saved?.device ?? next);
    setProfile(saved?.profile ?? profile);
  };
  const phones = list?.phones ?? [];
  const listed = device === 'local' || device === 'android' || phones.some((p) => p.spec === device);
  return (
    <div className="target-picker">
      <label htmlFor="run-target">Run on</label>
      <select id="run-target" value={device} disabled={props.disabled} onChange={(e) => void change(e.target.value)}>
        <option value="local">This desktop</option>
        <option value="android">The only phone attached</option>
        {listed ? null : <option value={device}>{device} (not attached now)</option>}
        {phones.map((p) => (
          <option key={p.spec} value={p.spec} disabled={p.state !== 'device'}>
            {p.model ?? 'Phone'} {p.serial}
            {p.state !== 'device' ? ` (${p.state})` : ''}
          </option>
        ))}
      </select>
      <span className="dim small"> profile {profile}</span>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
