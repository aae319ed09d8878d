/**
 * The OSWorld guest server as an Environment: setup steps and getters go through the HTTP API that runs inside
 * the official VM images (port 5000), so those images are used unchanged.
 */
import { GuestClient, GuestError, type ExecResult, type GuestOptions } from '../devices/osworld/client';
import type { Size } from '../screen/geometry';
import type { DirTree, Environment, WindowMatch } from './environment';

export class GuestEnvironment implements Environment {
  readonly kind = 'osworld' as const;
  readonly client: GuestClient;

  constructor(options: GuestOptions | GuestClient) {
    this.client = options instanceof GuestClient ? options : new GuestClient(options);
  }

  execute(command: string | string[], options: { shell?: boolean; timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.client.execute(command, options.shell ?? false, options.timeoutMs);
  }

  async launch(command: string | string[], options: { shell?: boolean } = {}): Promise<void> {
    await this.client.ok('POST', '/setup/launch', { json: { command, shell: options.shell ?? false } });
  }

  async openFile(path: string): Promise<void> {
    await this.client.ok('POST', '/setup/open_file', { json: { path } }, 130_000);
  }

  async readFile(path: string): Promise<Buffer | null> {
    const r = await this.client.request('POST', '/file', { form: { file_path: path } });
    if (r.status === 404) return null;
    if (!r.ok) throw new GuestError(`guest server /file ${path}: HTTP ${r.status}`);
    return Buffer.from(await r.arrayBuffer());
  }

  async writeFile(path: string, data: Buffer): Promise<void> {
    const form = new FormData();
    form.set('file_path', path);
    form.set('file_data', new Blob([new Uint8Array(data)]), path.split('/').pop() || 'file');
    await this.client.ok('POST', '/setup/upload', { form });
  }

  async listDirectory(path: string): Promise<DirTree | null> {
    const r = await this.client.request('POST', '/list_directory', { json: { path } });
    if (r.status === 400) return null;
    if (!r.ok) throw new GuestError(`guest server /list_directory ${path}: HTTP ${r.status}`);
    const body = (await r.json()) as { directory_tree?: DirTree };
    return body.directory_tree ?? null;
  }

  async activateWindow(name: string, match: WindowMatch = {}): Promise<void> {
    await this.client.request('POST', '/setup/activate_window', { json: { window_name: name, strict: match.strict ?? false, by_class: match.byClass ?? false } });
  }

  async closeWindow(name: string, match: WindowMatch = {}): Promise<void> {
    await this.client.request('POST', '/setup/close_window', { json: { window_name: name, strict: match.strict ?? false, by_class: match.byClass ?? false } });
  }

  async windowTitles(): Promise<string[]> {
    const r = await this.execute(['wmctrl', '-l']);
    if (r.status !== 'success') return [];
    return r.output
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/\s+/).slice(3).join(' '));
  }

  screenSize(): Promise<Size> {
    return this.client.screenSize();
  }

  async close(): Promise<void> {}
}
