/**
 * `deskpilot devices [--json]`: what a run can drive - this desktop (its monitors) and every phone adb sees, with
 * its serial, model, screen size and state, and for a phone that is not ready (unauthorized, offline, ...) what to
 * do about it. The `--device` value of each is shown, ready to copy. Exit 0 whatever is attached: the listing is
 * the answer.
 */
import type { Command } from 'commander';
import type { DeviceList } from '../contract';
import { listDevices } from '../devices/list';

export function formatDeviceList(list: DeviceList): string {
  const lines: string[] = ['This desktop (--device local):'];
  if (list.desktop.error) lines.push(`  not available: ${list.desktop.error}`);
  for (const d of list.desktop.displays) {
    lines.push(`  display ${d.id}: ${d.name} ${d.width}x${d.height}${d.primary ? ' (primary)' : ''}`);
  }
  lines.push('', 'Phones (adb):');
  if (list.phonesError) lines.push(`  not available: ${list.phonesError}`);
  else if (list.phones.length === 0) {
    lines.push("  none attached: connect a phone by USB with USB debugging on (README, 'Phones'), then run this again");
  }
  const width = Math.max(0, ...list.phones.map((p) => p.spec.length));
  for (const phone of list.phones) {
    const size = phone.size ? `${phone.size.width}x${phone.size.height}` : '';
    const facts = [phone.state, phone.model ?? '', size].filter(Boolean).join('  ');
    lines.push(`  --device ${phone.spec.padEnd(width)}  ${facts}`);
    if (phone.fix) lines.push(`      ${phone.state === 'device' ? 'problem' : 'fix'}: ${phone.fix}`);
  }
  if (list.phones.length === 1 && list.phones[0]!.state === 'device') lines.push('  (the only phone: --device android picks it)');
  return `${lines.join('\n')}\n`;
}

export function registerDevices(program: Command): void {
  program
    .command('devices')
    .description('list what a run can drive: this desktop and the phones adb sees (serial, model, screen size, state)')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await listDevices();
      process.stdout.write(options.json ? `${JSON.stringify(list, null, 2)}\n` : formatDeviceList(list));
    });
}
