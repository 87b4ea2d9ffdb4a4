// Outgoing > Manage identities: who sent through each user (sender address or header identity),
// their 24-hour counts, and lock/unlock.
import { useState } from "preact/hooks";
import { get, post, qs } from "./api";
import type { Identity, Page } from "./types";
import { ErrorNote, Loading, OkNote, TableWrap, fmtTime, useAction, useLoad } from "./ui";

export function IdentitiesPage() {
  const [user, setUser] = useState("");
  const [domain, setDomain] = useState("");
  const [lockedOnly, setLockedOnly] = useState(false);
  const { notice, error, run: act } = useAction(() => list.reload());
  const list = useLoad(
    () => get<Page<Identity>>("/identities" + qs({ user, domain, locked: lockedOnly ? "true" : "", limit: 500 })),
    [user, domain, lockedOnly],
  );
  return (
    <section>
      <h1>Manage identities</h1>
      <p class="muted">An identity is one sender behind an outgoing user (its envelope sender, authentication user or identification header). A locked identity cannot send until it is unlocked here or its lock times out.</p>
      <div class="filters">
        <label>
          User
          <input type="search" value={user} data-testid="ident-user" onChange={(e) => setUser((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Domain
          <input type="search" value={domain} data-testid="ident-domain" onChange={(e) => setDomain((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={lockedOnly} data-testid="ident-locked" onChange={(e) => setLockedOnly((e.currentTarget as HTMLInputElement).checked)} /> Locked only
        </label>
      </div>
      <OkNote text={notice} />
      <ErrorNote error={error} />
      <Loading on={list.loading} />
      <ErrorNote error={list.error} />
      {list.data ? (
        list.data.items.length === 0 ? (
          <p class="muted">No identities.</p>
        ) : (
          <TableWrap testid="identities-table">
            <thead>
              <tr>
                <th>User</th>
                <th>Identity</th>
                <th>Domain</th>
                <th>Messages (24 h)</th>
                <th>Spam (24 h)</th>
                <th>Last seen</th>
                <th>State</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((i) => (
                <tr data-testid="identity-row" key={i.user + "\n" + i.identity}>
                  <td data-label="User">{i.user}</td>
                  <td data-label="Identity">{i.identity}</td>
                  <td data-label="Domain">{i.domain}</td>
                  <td data-label="Messages (24 h)">{i.messages_24h}</td>
                  <td data-label="Spam (24 h)">{i.spam_24h}</td>
                  <td data-label="Last seen">{fmtTime(i.last_seen)}</td>
                  <td data-label="State">
                    {i.locked ? <span class="badge st-locked" title={i.lock?.reason}>locked</span> : <span class="badge st-ok">active</span>}
                  </td>
                  <td data-label="Actions" class="actions">
                    {i.locked ? (
                      <button type="button" class="small" data-testid="unlock-identity" onClick={() => act(() => post("/identities/unlock", { user: i.user, identity: i.identity }), `${i.identity} unlocked.`)}>
                        Unlock
                      </button>
                    ) : (
                      <button
                        type="button"
                        class="small"
                        data-testid="lock-identity"
                        onClick={() => act(() => post("/identities/lock", { user: i.user, identity: i.identity, reason: "locked in the panel" }), `${i.identity} locked.`)}
                      >
                        Lock
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )
      ) : null}
    </section>
  );
}
