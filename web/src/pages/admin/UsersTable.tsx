// Every account with its role and whether it is disabled; an admin changes either
// (not for their own account: another admin must, so someone can always undo it).

import { useState } from "react";
import { ApiError, api } from "../../lib/api";
import * as fmt from "../../lib/format";
import type { User } from "../../lib/types";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { usePaged } from "../../lib/usePaged";

export function UsersTable({ me, onChanged }: { me: number; onChanged: () => void }) {
  const users = usePaged<User>("/admin/users", 50);
  const [busy, setBusy] = useState<number | undefined>();
  const [errors, setErrors] = useState<Record<number, string>>({});
  const change = async (u: User, body: { role?: string; disabled?: boolean }) => {
    setBusy(u.id);
    setErrors((old) => ({ ...old, [u.id]: "" }));
    try {
      const changed = await api.patch<User>(`/admin/users/${u.id}`, body);
      users.replace((x) => x.id === u.id, changed);
      onChanged();
    } catch (e) {
      setErrors((old) => ({ ...old, [u.id]: e instanceof ApiError ? e.message : String(e) }));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section className="card" aria-labelledby="users-title">
      <h2 id="users-title">Users and roles</h2>
      {users.loading && users.items.length === 0 && <Loading what="Loading the accounts" />}
      {users.error && <ErrorState error={users.error} retry={users.reload} />}
      {!users.loading && !users.error && users.items.length === 0 && <EmptyState title="No accounts yet" />}
      {users.items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Users">
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col" className="wide-only">
                  Name
                </th>
                <th scope="col">Role</th>
                <th scope="col">Account</th>
                <th scope="col" className="wide-only">
                  Created
                </th>
              </tr>
            </thead>
            <tbody>
              {users.items.map((u) => {
                const self = u.id === me;
                const roleId = `role-${u.id}`;
                return (
                  <tr key={u.id} className={u.disabled ? "disabled-user" : undefined}>
                    <td>
                      {u.email}
                      {self && <span className="muted"> (you)</span>}
                      {errors[u.id] && (
                        <div className="field-error" role="alert" id={`user-${u.id}-error`}>
                          {errors[u.id]}
                        </div>
                      )}
                    </td>
                    <td className="wide-only">{u.display_name}</td>
                    <td>
                      <label htmlFor={roleId} className="visually-hidden">
                        Role of {u.email}
                      </label>
                      <select
                        id={roleId}
                        className="compact"
                        value={u.role}
                        disabled={self || busy === u.id}
                        title={self ? "Another admin can change your role" : undefined}
                        onChange={(e) => change(u, { role: e.target.value })}
                        aria-describedby={errors[u.id] ? `user-${u.id}-error` : undefined}
                      >
                        <option value="user">user</option>
                        <option value="admin">admin</option>
                      </select>
                    </td>
                    <td>
                      <div className="row nowrap">
                        <span className={`badge ${u.disabled ? "failed" : "completed"}`}>{u.disabled ? "disabled" : "active"}</span>
                        <button
                          type="button"
                          className={u.disabled ? "ghost" : "ghost danger-text"}
                          disabled={self || busy === u.id}
                          title={self ? "Another admin can disable your account" : undefined}
                          onClick={() => change(u, { disabled: !u.disabled })}
                          aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.email}`}
                        >
                          {u.disabled ? "Enable" : "Disable"}
                        </button>
                      </div>
                    </td>
                    <td className="wide-only">{fmt.dateTime(u.created_at)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {users.more && (
        <button type="button" onClick={users.loadMore} disabled={users.loading}>
          {users.loading ? "Loading…" : "Load more users"}
        </button>
      )}
    </section>
  );
}
