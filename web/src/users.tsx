// Outgoing > Manage users: the three kinds in tabs, Add and Add & configure, and one user's
// screen (settings, password, lock/unlock, counters, delete).
import { useState } from "preact/hooks";
import { del, errorText, get, patch, post, qs, seg } from "./api";
import { navigate } from "./router";
import { SettingsForm, defsForKind } from "./settingsForm";
import type { Domain, Kind, Me, Page, SettingDef, User, UserDetail } from "./types";
import { ConfirmButton, ErrorNote, Loading, OkNote, TableWrap, fmtTime, useAction, useLoad } from "./ui";

const KIND_TITLES: Record<Kind, string> = {
  ip: "Authenticating IP or range",
  user: "Authenticating user",
  domain: "Authenticating domain",
};

const loadDefs = () => get<{ items: SettingDef[] }>("/user-settings").then((r) => r.items);

export function UsersPage({ me }: { me: Me }) {
  const [kind, setKind] = useState<Kind>("ip");
  const [filterDomain, setFilterDomain] = useState(me.role === "domain" ? me.domain ?? "" : "");
  const [q, setQ] = useState("");
  const { notice, error, setNotice, setError, run: act } = useAction(() => users.reload());
  const domains = useLoad(() => get<Page<Domain>>("/domains").then((r) => r.items), []);
  const users = useLoad(() => get<Page<User>>("/users" + qs({ kind, domain: filterDomain, q, limit: 500 })), [kind, filterDomain, q]);


  return (
    <section>
      <h1>Manage users</h1>
      <p class="muted">Outgoing users are allowed to send mail through the gateway: an IP address or range, an email address with a password, or a whole domain with a password.</p>
      <div class="tabs" role="tablist">
        {(["ip", "user", "domain"] as Kind[]).map((k) => (
          <button
            type="button"
            role="tab"
            aria-selected={kind === k}
            class={kind === k ? "tab active" : "tab"}
            data-testid={`tab-${k}`}
            onClick={() => {
              setKind(k);
              setNotice(null);
              setError(null);
            }}
          >
            {KIND_TITLES[k]}
          </button>
        ))}
      </div>
      <AddUser key={kind} kind={kind} me={me} domains={domains.data ?? []} onAdded={(msg) => { setNotice(msg); users.reload(); }} />
      <OkNote text={notice} />
      <ErrorNote error={error} />
      <h2>Users: {KIND_TITLES[kind].toLowerCase()}</h2>
      <div class="filters">
        {me.role === "admin" ? (
          <label>
            Domain
            <select value={filterDomain} data-testid="users-domain-filter" onChange={(e) => setFilterDomain((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">All domains</option>
              {(domains.data ?? []).map((d) => (
                <option value={d.name}>{d.name}</option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          Search
          <input type="search" value={q} data-testid="users-search" onChange={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
        </label>
      </div>
      <Loading on={users.loading} />
      <ErrorNote error={users.error} />
      {users.data ? (
        users.data.items.length === 0 ? (
          <p class="muted" data-testid="users-empty">No users of this kind.</p>
        ) : (
          <TableWrap testid="users-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Domain</th>
                <th>Password</th>
                <th>State</th>
                <th>Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr data-testid="user-row" data-name={u.name} key={u.name}>
                  <td data-label="Name">
                    <a href={`#/users/${seg(u.name)}`}>{u.name}</a>
                  </td>
                  <td data-label="Domain">{u.domain}</td>
                  <td data-label="Password">{u.kind === "ip" ? "—" : u.has_password ? "set" : "none"}</td>
                  <td data-label="State">{u.locked ? <span class="badge st-locked">locked</span> : <span class="badge st-ok">active</span>}</td>
                  <td data-label="Created">{fmtTime(u.created)}</td>
                  <td data-label="Actions" class="actions">
                    <button type="button" class="small" onClick={() => navigate(`/users/${seg(u.name)}`)}>
                      Edit
                    </button>
                    {u.locked ? (
                      <button type="button" class="small" data-testid="unlock-user" onClick={() => act(() => post(`/users/${seg(u.name)}/unlock`, {}), `${u.name} unlocked.`)}>
                        Unlock
                      </button>
                    ) : (
                      <button type="button" class="small" data-testid="lock-user" onClick={() => act(() => post(`/users/${seg(u.name)}/lock`, { reason: "locked in the panel" }), `${u.name} locked.`)}>
                        Lock
                      </button>
                    )}
                    <ConfirmButton label="Delete" danger small testid="delete-user" onConfirm={() => act(() => del(`/users/${seg(u.name)}`), `${u.name} deleted.`)} />
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

function AddUser(props: { kind: Kind; me: Me; domains: Domain[]; onAdded: (msg: string) => void }) {
  const { kind, me } = props;
  const ownDomain = me.role === "domain" ? me.domain ?? "" : "";
  const [name, setName] = useState(kind === "domain" ? ownDomain : "");
  const [owner, setOwner] = useState(ownDomain);
  const [password, setPassword] = useState("");
  const [configuring, setConfiguring] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const [edited, setEdited] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [generated, setGenerated] = useState<{ name: string; password: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const defs = useLoad(loadDefs, []);
  const kindDefs = defs.data ? defsForKind(defs.data, kind) : [];
  const domainChoices = props.domains.map((d) => d.name);

  const submit = async (withSettings: boolean) => {
    setError(null);
    setGenerated(null);
    const body: Record<string, unknown> = { kind, name: name.trim() };
    if (kind === "ip") body.owner = owner;
    if (kind !== "ip" && password) body.password = password;
    if (withSettings && Object.keys(edited).length) body.settings = edited;
    setBusy(true);
    try {
      const r = await post<{ user: UserDetail; password?: string }>("/users", body);
      if (r.password) setGenerated({ name: r.user.name, password: r.password });
      props.onAdded(`${r.user.name} added${withSettings ? " with its settings" : ""}.`);
      setName("");
      setPassword("");
      setConfiguring(false);
      setEdited({});
      setValues({});
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const nameLabel = kind === "ip" ? "IP address or range" : kind === "user" ? "Email address" : "Domain";
  return (
    <div class="card" data-testid="add-user">
      <h2>Add a user: {KIND_TITLES[kind]}</h2>
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          if (configuring) submit(true);
          else setConfiguring(true);
        }}
      >
        <label>
          {nameLabel}
          {kind === "domain" && me.role === "admin" ? (
            <input name="name" list="domain-names" required value={name} data-testid="add-name" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} placeholder="example.com" />
          ) : (
            <input
              name="name"
              required
              value={name}
              data-testid="add-name"
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
              placeholder={kind === "ip" ? "192.0.2.0/24" : kind === "user" ? "alice@example.com" : ownDomain || "example.com"}
            />
          )}
        </label>
        {kind === "ip" ? (
          <label>
            Domain
            {me.role === "admin" ? (
              <select name="owner" required value={owner} data-testid="add-owner" onChange={(e) => setOwner((e.currentTarget as HTMLSelectElement).value)}>
                <option value="">Choose a domain</option>
                {domainChoices.map((d) => (
                  <option value={d}>{d}</option>
                ))}
              </select>
            ) : (
              <input name="owner" value={owner} readOnly data-testid="add-owner" />
            )}
          </label>
        ) : (
          <label>
            Password <span class="muted">(generated when empty)</span>
            <input name="password" type="password" autocomplete="new-password" value={password} data-testid="add-password" onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
          </label>
        )}
        <datalist id="domain-names">
          {domainChoices.map((d) => (
            <option value={d} />
          ))}
        </datalist>
        <div class="buttons">
          <button type="button" disabled={busy} data-testid="add-plain" onClick={() => submit(false)}>
            Add
          </button>
          {!configuring ? (
            <button type="submit" class="primary" disabled={busy} data-testid="add-configure">
              Add &amp; configure
            </button>
          ) : null}
        </div>
      </form>
      {configuring ? (
        <form
          class="configure"
          data-testid="configure-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit(true);
          }}
        >
          <h3>Settings for the new user</h3>
          <ErrorNote error={defs.error} />
          <SettingsForm
            defs={kindDefs}
            values={values}
            onChange={(k, v) => {
              setValues({ ...values, [k]: v });
              setEdited({ ...edited, [k]: v });
            }}
          />
          <div class="buttons sticky">
            <button type="submit" class="primary" disabled={busy} data-testid="save-new-user">
              Save
            </button>
            <button type="button" onClick={() => { setConfiguring(false); setEdited({}); setValues({}); }}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      <ErrorNote error={error} />
      {generated ? (
        <p class="notice ok" data-testid="generated-password">
          Password for {generated.name}: <code>{generated.password}</code> (shown once)
        </p>
      ) : null}
    </div>
  );
}

export function UserPage({ name }: { name: string; me: Me }) {
  const user = useLoad(() => get<UserDetail>(`/users/${seg(name)}`), [name]);
  const defs = useLoad(loadDefs, []);
  const [edited, setEdited] = useState<Record<string, string>>({});
  const [password, setPassword] = useState("");
  const [password2, setPassword2] = useState("");
  const [reason, setReason] = useState("");
  const [resetUnlocks, setResetUnlocks] = useState(false);
  const { notice, error, setNotice, setError, run: act } = useAction(() => user.reload());


  if (user.loading && !user.data) return <Loading on />;
  if (user.error && !user.data) return <ErrorNote error={user.error} />;
  const u = user.data!;
  const kindDefs = defs.data ? defsForKind(defs.data, u.kind) : [];
  const values: Record<string, string> = {};
  const isDefault: Record<string, boolean> = {};
  for (const s of u.settings_detail ?? []) {
    values[s.key] = s.value;
    isDefault[s.key] = s.is_default;
  }
  for (const [k, v] of Object.entries(u.settings ?? {})) if (values[k] === undefined) values[k] = v;
  for (const [k, v] of Object.entries(edited)) {
    values[k] = v === "" ? kindDefs.find((d) => d.key === k)?.default ?? "" : v;
    isDefault[k] = v === "";
  }

  return (
    <section data-testid="user-page">
      <p>
        <a href="#/users">← Manage users</a>
      </p>
      <h1>
        {u.name} <span class="muted small-title">{KIND_TITLES[u.kind]}</span>
      </h1>
      <dl class="facts">
        <dt>Domain</dt>
        <dd>{u.domain}</dd>
        <dt>Created</dt>
        <dd>{fmtTime(u.created)}</dd>
        <dt>Updated</dt>
        <dd>{fmtTime(u.updated)}</dd>
        <dt>State</dt>
        <dd data-testid="user-state">{u.locked ? "locked" : "active"}</dd>
      </dl>
      <OkNote text={notice} />
      <ErrorNote error={error} />
      <div class="card">
        <h2>Lock</h2>
        {u.locked ? (
          <div>
            <p>
              Locked since {fmtTime(u.lock?.since)}
              {u.lock?.until ? `, until ${fmtTime(u.lock.until)}` : ""}: {u.lock?.reason}
              {u.lock?.unlocks !== undefined ? ` (automatic unlocks: ${u.lock.unlocks})` : ""}
            </p>
            <label class="inline">
              <input type="checkbox" checked={resetUnlocks} onChange={(e) => setResetUnlocks((e.currentTarget as HTMLInputElement).checked)} /> Reset the unlock count
            </label>
            <button type="button" class="primary" data-testid="unlock" onClick={() => act(() => post(`/users/${seg(u.name)}/unlock`, { reset_unlocks: resetUnlocks }), "Unlocked.")}>
              Unlock
            </button>
          </div>
        ) : (
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              act(() => post(`/users/${seg(u.name)}/lock`, { reason: reason || "locked in the panel" }), "Locked.", () => setReason(""));
            }}
          >
            <label>
              Reason
              <input value={reason} data-testid="lock-reason" onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <button type="submit" data-testid="lock">
              Lock
            </button>
          </form>
        )}
      </div>
      {u.kind !== "ip" ? (
        <form
          class="card row"
          onSubmit={(e) => {
            e.preventDefault();
            if (password !== password2) {
              setError("The two passwords differ.");
              return;
            }
            act(() => patch(`/users/${seg(u.name)}`, { password }), "Password changed.", () => {
              setPassword("");
              setPassword2("");
            });
          }}
        >
          <h2>Password</h2>
          <label>
            New password
            <input type="password" autocomplete="new-password" required value={password} data-testid="new-password" onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            Confirm password
            <input type="password" autocomplete="new-password" required value={password2} data-testid="new-password2" onInput={(e) => setPassword2((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <button type="submit">Change password</button>
        </form>
      ) : null}
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (Object.keys(edited).length === 0) {
            setNotice("Nothing changed.");
            return;
          }
          act(() => patch(`/users/${seg(u.name)}`, { settings: edited }), "Settings saved.", () => setEdited({}));
        }}
      >
        <h2>Settings</h2>
        <ErrorNote error={defs.error} />
        <SettingsForm
          defs={kindDefs}
          values={values}
          isDefault={isDefault}
          onChange={(k, v) => setEdited({ ...edited, [k]: v })}
          onReset={(k) => setEdited({ ...edited, [k]: "" })}
        />
        <div class="buttons sticky">
          <button type="submit" class="primary" data-testid="save-settings">
            Save
          </button>
          {Object.keys(edited).length ? (
            <button type="button" onClick={() => setEdited({})}>
              Discard changes
            </button>
          ) : null}
        </div>
      </form>
      <div class="card">
        <h2>Counters</h2>
        <Counters counters={u.counters} />
        <button type="button" data-testid="reset-counters" onClick={() => act(() => post(`/users/${seg(u.name)}/reset-counters`, {}), "Counters reset.")}>
          Reset counters
        </button>
      </div>
      <div class="card">
        <h2>Delete</h2>
        <ConfirmButton label="Delete user" danger testid="delete" onConfirm={() => act(() => del(`/users/${seg(u.name)}`), "Deleted.", () => navigate("/users"))} />
      </div>
    </section>
  );
}

/** A counter value: a number, or {"messages": 3, "spam": 0} shown as "messages 3 · spam 0". */
function counterText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "object") return String(v);
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k.replace(/_/g, " ")} ${typeof x === "object" ? JSON.stringify(x) : String(x)}`)
    .join(" · ");
}

function Counters({ counters }: { counters: Record<string, unknown> }) {
  const entries = Object.entries(counters ?? {});
  if (entries.length === 0) return <p class="muted">No counters yet.</p>;
  return (
    <dl class="facts">
      {entries.map(([k, v]) => [<dt>{k.replace(/_/g, " ")}</dt>, <dd>{counterText(v)}</dd>])}
    </dl>
  );
}
