// Shapes of the admin API's answers (crates/server/src/routes/admin.rs).

/** `GET /admin/stats`. */
export interface Stats {
  users: number;
  models: number;
  runs_by_status: Record<string, number>;
  /** The store's size on disk, when the database tells. */
  store_bytes: number | null;
  queue_depth: number;
  running: number;
  emergency_stop: boolean;
  database: string;
}

/** A global setting of `GET /admin/settings`. */
export interface Setting {
  key: string;
  value: unknown;
}

/** `POST /admin/emergency-stop` and `/admin/resume`. */
export interface EmergencyAnswer {
  emergency_stop: boolean;
  stopped_runs: number[];
}

/** An entry of `GET /admin/log`: who (their e-mail) did what, on what, when. */
export interface AdminAction {
  id: number;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
  at: string;
}
