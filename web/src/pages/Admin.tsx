// Admin (`/admin`, admins only): the emergency stop first and large, system figures,
// registration open or closed, accounts and their roles, and the log of what admins did.

import { useCallback, useEffect, useState } from "react";
import { useAuth } from "../lib/auth";
import { useApi } from "../lib/useApi";
import { ErrorState, Loading, NotFound } from "../components/States";
import { AdminLog } from "./admin/AdminLog";
import { EmergencyPanel } from "./admin/EmergencyPanel";
import { Registration } from "./admin/Registration";
import { StatsPanel } from "./admin/StatsPanel";
import { UsersTable } from "./admin/UsersTable";
import type { Stats } from "./admin/types";

export function Admin() {
  const { user } = useAuth();
  const stats = useApi<Stats>("/admin/stats");
  const [version, setVersion] = useState(0);
  const { reload } = stats;
  /** After an admin action: fresh figures, and the log shows it. */
  const changed = useCallback(() => {
    reload();
    setVersion((v) => v + 1);
  }, [reload]);
  // The figures move while runs run: read them again every 10 s while the page is shown.
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, 10_000);
    return () => window.clearInterval(timer);
  }, [reload]);
  if (!user || user.role !== "admin" || stats.error?.status === 403) return <NotFound detail="This page is for admins." />;
  return (
    <div className="admin-page">
      <div className="page-head">
        <div>
          <h1>Admin</h1>
          <p className="muted">Accounts, registration, the system's figures and the emergency stop. Every change is logged.</p>
        </div>
        <button type="button" className="ghost" onClick={changed}>
          Refresh
        </button>
      </div>
      <EmergencyPanel on={stats.data?.emergency_stop} running={stats.data?.running} queued={stats.data?.queue_depth} onChanged={changed} />
      {stats.loading && !stats.data && <Loading what="Reading the system's figures" />}
      {stats.error && <ErrorState error={stats.error} retry={stats.reload} />}
      {stats.data && <StatsPanel stats={stats.data} />}
      <div className="admin-grid">
        <Registration onChanged={changed} />
        <UsersTable me={user.id} onChanged={changed} />
      </div>
      <AdminLog version={version} />
    </div>
  );
}
