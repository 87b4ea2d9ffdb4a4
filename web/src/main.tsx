// The panel's entry: the session (GET /me, login, logout), the layout with its collapsible
// navigation, and which screen each #/path shows.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, errorText, get, post, setCsrfToken, setUnauthorizedHandler } from "./api";
import { DashboardPage } from "./dashboard";
import { DomainsPage } from "./domains";
import { IdentitiesPage } from "./identities";
import { LogEntryPage, LogPage } from "./log";
import { QuarantineItemPage, QuarantinePage } from "./quarantine";
import { navigate, params, useRoute } from "./router";
import { SettingsPage } from "./settings";
import type { Me } from "./types";
import { UserPage, UsersPage } from "./users";

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setMe(null);
    });
    get<Me>("/me").then(
      (m) => {
        setCsrfToken(m.csrf_token);
        setMe(m);
      },
      () => setMe(null),
    );
  }, []);
  if (me === undefined) return <p class="boot">Loading…</p>;
  if (me === null)
    return (
      <Login
        onLogin={(m) => {
          setCsrfToken(m.csrf_token);
          setMe(m);
        }}
      />
    );
  return (
    <Layout
      me={me}
      onLogout={async () => {
        try {
          await post("/logout", {});
        } catch {
          // The session is gone either way.
        }
        setCsrfToken(null);
        setMe(null);
        navigate("/");
      }}
    />
  );
}

function Login({ onLogin }: { onLogin: (m: Me) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <form
        class="card login-card"
        data-testid="login-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setBusy(true);
          try {
            onLogin(await post<Me>("/login", { username, password }));
          } catch (err) {
            if (err instanceof ApiError && err.status === 401) setError("Wrong username or password.");
            else if (err instanceof ApiError && err.status === 429) setError("Too many attempts: wait a minute and try again.");
            else setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>postwarden</h1>
        <p class="muted">Outgoing mail gateway: control panel</p>
        <label>
          Username
          <input name="username" autocomplete="username" required value={username} data-testid="login-username" onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            data-testid="login-password"
            onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        {error ? (
          <p class="notice error" role="alert" data-testid="login-error">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          Log in
        </button>
      </form>
    </main>
  );
}

interface NavItem {
  path: string;
  label: string;
  group?: string;
  admin?: boolean;
}

const NAV: NavItem[] = [
  { path: "/", label: "Dashboard" },
  { path: "/users", label: "Manage users", group: "Outgoing" },
  { path: "/identities", label: "Manage identities", group: "Outgoing" },
  { path: "/quarantine", label: "Quarantine", group: "Outgoing" },
  { path: "/log", label: "Log search", group: "Outgoing" },
  { path: "/settings", label: "Settings", group: "Outgoing" },
  { path: "/domains", label: "Domains" },
];

function Layout({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const path = useRoute();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  const active = (p: string) => (p === "/" ? path === "/" : path === p || path.startsWith(p + "/"));
  let lastGroup: string | undefined;
  return (
    <div class="layout">
      <header class="topbar">
        <button type="button" class="nav-toggle" aria-expanded={open} aria-controls="nav" aria-label="Menu" data-testid="nav-toggle" onClick={() => setOpen(!open)}>
          ☰
        </button>
        <a class="brand" href="#/">
          postwarden
        </a>
        <span class="who" data-testid="who">
          {me.username} · {me.role === "admin" ? "administrator" : `domain ${me.domain}`}
        </span>
        <button type="button" class="small" data-testid="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      <nav id="nav" class={open ? "nav open" : "nav"} aria-label="Main">
        <ul>
          {NAV.filter((n) => !n.admin || me.role === "admin").map((n) => {
            const head = n.group && n.group !== lastGroup ? <li class="nav-group">{n.group}</li> : null;
            lastGroup = n.group;
            return [
              head,
              <li key={n.path}>
                <a href={`#${n.path}`} class={active(n.path) ? "active" : ""} aria-current={active(n.path) ? "page" : undefined} data-testid={`nav-${n.path === "/" ? "dashboard" : n.path.slice(1)}`}>
                  {n.label}
                </a>
              </li>,
            ];
          })}
        </ul>
      </nav>
      <main class="content">
        <Screen path={path} me={me} />
      </main>
    </div>
  );
}

function Screen({ path, me }: { path: string; me: Me }) {
  let p: string[] | null;
  if (path === "/") return <DashboardPage me={me} />;
  if ((p = params(path, "/users"))) return p.length ? <UserPage name={p[0]} me={me} /> : <UsersPage me={me} />;
  if (params(path, "/identities")) return <IdentitiesPage />;
  if ((p = params(path, "/quarantine"))) return p.length ? <QuarantineItemPage id={p[0]} me={me} /> : <QuarantinePage />;
  if ((p = params(path, "/log"))) return p.length ? <LogEntryPage id={p[0]} /> : <LogPage />;
  if (params(path, "/settings")) return <SettingsPage me={me} />;
  if (params(path, "/domains")) return <DomainsPage me={me} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        <a href="#/">Back to the dashboard</a>
      </p>
    </section>
  );
}

render(<App />, document.getElementById("app")!);
