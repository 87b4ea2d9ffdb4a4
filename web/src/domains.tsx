// Domains: the customer domains (admins add, edit and delete them; a domain admin sees and edits
// only its own: contact, DKIM selector and spam threshold), their aliases, and panel accounts.
import { useState } from "preact/hooks";
import { del, get, patch, post, seg } from "./api";
import type { Account, Domain, Me, Page } from "./types";
import { ConfirmButton, ErrorNote, Loading, OkNote, TableWrap, fmtTime, useAction, useLoad } from "./ui";

export function DomainsPage({ me }: { me: Me }) {
  const list = useLoad(() => get<Page<Domain>>("/domains").then((r) => r.items), []);
  const { notice, error, run } = useAction(() => list.reload());
  const [editing, setEditing] = useState<string | null>(null);
  const admin = me.role === "admin";
  return (
    <section>
      <h1>Domains</h1>
      {admin ? <AddDomain onAdd={(body) => run(() => post("/domains", body), `${body.name} added.`)} /> : null}
      <OkNote text={notice} />
      <ErrorNote error={error} />
      <Loading on={list.loading} />
      <ErrorNote error={list.error} />
      {list.data ? (
        list.data.length === 0 ? (
          <p class="muted">No domains yet.</p>
        ) : (
          <TableWrap testid="domains-table">
            <thead>
              <tr>
                <th>Domain</th>
                <th>Abuse contact</th>
                <th>DKIM selector</th>
                <th>Aliases</th>
                <th>Route</th>
                <th>Spam threshold</th>
                <th>BATV</th>
                <th>Users</th>
                <th>Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((d) => [
                <tr data-testid="domain-row" data-name={d.name} key={d.name}>
                  <td data-label="Domain">{d.name}</td>
                  <td data-label="Abuse contact">{d.admin_contact}</td>
                  <td data-label="DKIM selector">{d.dkim_selector || "—"}</td>
                  <td data-label="Aliases">{(d.aliases ?? []).join(", ") || "—"}</td>
                  <td data-label="Route">{d.route ?? "—"}</td>
                  <td data-label="Spam threshold">{d.spam_threshold ?? "default"}</td>
                  <td data-label="BATV">{d.batv ? "on" : "off"}</td>
                  <td data-label="Users">{d.user_count}</td>
                  <td data-label="Created">{fmtTime(d.created)}</td>
                  <td data-label="Actions" class="actions">
                    <button type="button" class="small" data-testid="edit-domain" onClick={() => setEditing(editing === d.name ? null : d.name)}>
                      {editing === d.name ? "Close" : "Edit"}
                    </button>
                    {admin ? <ConfirmButton label="Delete" danger small testid="delete-domain" onConfirm={() => run(() => del(`/domains/${seg(d.name)}`), `${d.name} deleted.`)} /> : null}
                  </td>
                </tr>,
                editing === d.name ? (
                  <tr key={d.name + "-edit"} class="edit-row">
                    <td colSpan={10}>
                      <EditDomain d={d} admin={admin} run={run} />
                    </td>
                  </tr>
                ) : null,
              ])}
            </tbody>
          </TableWrap>
        )
      ) : null}
      {admin ? <Accounts domains={(list.data ?? []).map((d) => d.name)} /> : null}
    </section>
  );
}

function AddDomain({ onAdd }: { onAdd: (body: { name: string; admin_contact: string; dkim_selector?: string }) => Promise<boolean> }) {
  const [name, setName] = useState("");
  const [contact, setContact] = useState("");
  const [selector, setSelector] = useState("");
  return (
    <form
      class="card form-grid"
      data-testid="add-domain"
      onSubmit={async (e) => {
        e.preventDefault();
        const body: { name: string; admin_contact: string; dkim_selector?: string } = { name: name.trim(), admin_contact: contact.trim() };
        if (selector.trim()) body.dkim_selector = selector.trim();
        if (await onAdd(body)) {
          setName("");
          setContact("");
          setSelector("");
        }
      }}
    >
      <h2>Add a domain</h2>
      <label>
        Domain
        <input required value={name} data-testid="domain-name" placeholder="example.com" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label>
        Abuse contact
        <input required type="email" value={contact} data-testid="domain-contact" placeholder="abuse@example.com" onInput={(e) => setContact((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label>
        DKIM selector <span class="muted">(optional)</span>
        <input value={selector} data-testid="domain-selector" onInput={(e) => setSelector((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <div class="buttons">
        <button type="submit" class="primary" data-testid="domain-add">
          Add domain
        </button>
      </div>
    </form>
  );
}

function EditDomain({ d, admin, run }: { d: Domain; admin: boolean; run: (w: () => Promise<unknown>, ok: string) => Promise<boolean> }) {
  const [contact, setContact] = useState(d.admin_contact);
  const [selector, setSelector] = useState(d.dkim_selector ?? "");
  const [threshold, setThreshold] = useState(d.spam_threshold === null ? "" : String(d.spam_threshold));
  const [route, setRoute] = useState(d.route ?? "");
  const [batv, setBatv] = useState(d.batv);
  const [alias, setAlias] = useState("");
  return (
    <div class="edit-domain">
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, unknown> = { admin_contact: contact, dkim_selector: selector, spam_threshold: threshold === "" ? null : Number(threshold) };
          if (admin) {
            body.route = route === "" ? null : route;
            body.batv = batv;
          }
          run(() => patch(`/domains/${seg(d.name)}`, body), `${d.name} saved.`);
        }}
      >
        <label>
          Abuse contact
          <input type="email" value={contact} onInput={(e) => setContact((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          DKIM selector
          <input value={selector} onInput={(e) => setSelector((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Spam threshold <span class="muted">(empty: the gateway's)</span>
          <input type="number" value={threshold} onInput={(e) => setThreshold((e.currentTarget as HTMLInputElement).value)} />
        </label>
        {admin ? (
          <>
            <label>
              Route <span class="muted">(host:port, empty: MX)</span>
              <input value={route} onInput={(e) => setRoute((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <label class="inline">
              <input type="checkbox" checked={batv} onChange={(e) => setBatv((e.currentTarget as HTMLInputElement).checked)} /> BATV
            </label>
          </>
        ) : null}
        <div class="buttons">
          <button type="submit" class="primary">
            Save
          </button>
        </div>
      </form>
      {admin ? (
        <div class="aliases">
          <h3>Aliases</h3>
          <ul>
            {(d.aliases ?? []).map((a) => (
              <li key={a}>
                {a} <ConfirmButton label="Remove" danger onConfirm={() => run(() => del(`/domains/${seg(d.name)}/aliases/${seg(a)}`), `Alias ${a} removed.`)} />
              </li>
            ))}
          </ul>
          <form
            class="row"
            onSubmit={async (e) => {
              e.preventDefault();
              if (await run(() => post(`/domains/${seg(d.name)}/aliases`, { alias: alias.trim() }), `Alias ${alias} added.`)) setAlias("");
            }}
          >
            <label>
              New alias
              <input required value={alias} onInput={(e) => setAlias((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <button type="submit">Add alias</button>
          </form>
        </div>
      ) : null}
    </div>
  );
}

function Accounts({ domains }: { domains: string[] }) {
  const list = useLoad(() => get<Page<Account>>("/accounts").then((r) => r.items), []);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<"admin" | "domain">("domain");
  const [domain, setDomain] = useState("");
  const { notice, error, run } = useAction(() => list.reload());
  return (
    <div class="card" data-testid="accounts">
      <h2>Panel accounts</h2>
      <form
        class="form-grid"
        onSubmit={async (e) => {
          e.preventDefault();
          const body = { username: username.trim(), password, role, domain: role === "domain" ? domain : null };
          if (await run(() => post("/accounts", body), `Account ${body.username} added.`)) {
            setUsername("");
            setPassword("");
          }
        }}
      >
        <label>
          Username
          <input required value={username} data-testid="account-username" onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Password
          <input required type="password" autocomplete="new-password" value={password} data-testid="account-password" onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Role
          <select value={role} data-testid="account-role" onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as "admin" | "domain")}>
            <option value="domain">Domain administrator</option>
            <option value="admin">Administrator</option>
          </select>
        </label>
        {role === "domain" ? (
          <label>
            Domain
            <select required value={domain} data-testid="account-domain" onChange={(e) => setDomain((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">Choose a domain</option>
              {domains.map((n) => (
                <option value={n}>{n}</option>
              ))}
            </select>
          </label>
        ) : null}
        <div class="buttons">
          <button type="submit" class="primary" data-testid="account-add">
            Add account
          </button>
        </div>
      </form>
      <OkNote text={notice} />
      <ErrorNote error={error} />
      <ErrorNote error={list.error} />
      {list.data ? (
        <TableWrap testid="accounts-table">
          <thead>
            <tr>
              <th>Username</th>
              <th>Role</th>
              <th>Domain</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((a) => (
              <tr key={a.username} data-testid="account-row">
                <td data-label="Username">{a.username}</td>
                <td data-label="Role">{a.role}</td>
                <td data-label="Domain">{a.domain ?? "—"}</td>
                <td data-label="Actions">
                  <ConfirmButton label="Delete" danger small onConfirm={() => run(() => del(`/accounts/${seg(a.username)}`), `Account ${a.username} deleted.`)} />
                </td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      ) : null}
    </div>
  );
}
