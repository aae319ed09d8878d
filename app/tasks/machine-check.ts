/** One line of `tasks doctor`: something this machine has or lacks, and the fix. Shared by doctor.ts and app-packages.ts. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** A missing optional item only limits some tasks. */
  optional?: boolean;
}
