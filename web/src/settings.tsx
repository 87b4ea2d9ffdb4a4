// Settings: the abuse contact (an admin's global one; a domain admin's is its domain's contact),
// the lock template sent to locked senders, and DKIM keys with the DNS record to publish.
import { useEffect, useState } from "preact/hooks";
import { del, errorText, get, patch, post, put, qs, seg } from "./api";
import type { DkimKey, Domain, Me, Page } from "./types";
import { ConfirmButton, CopyButton, ErrorNote, Loading, OkNote, TableWrap, fmtTime, useLoad } from "./ui";

export function SettingsPage({ me }: { me: Me }) {
  return (
    <section>
      <h1>Settings</h1>
      <AbuseContact me={me} />
      <LockTemplate me={me} />
      <DkimKeys me={me} />
    </section>
  );
}

function AbuseContact({ me }: { me: Me }) {
  const [value, setValue] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useLoad(async () => {
    if (me.role === "admin") return (await get<{ abuse_contact: string }>("/settings")).abuse_contact;
    return (await get<Domain>(`/domains/${seg(me.domain ?? "")}`)).admin_contact;
  }, [me.username]);
  useEffect(() => {
    if (load.data !== null) setValue(load.data ?? "");
  }, [load.data]);
  return (
    <form
      class="card"
      data-testid="abuse-contact"
      onSubmit={async (e) => {
        e.preventDefault();
        setNotice(null);
        setError(null);
        try {
          if (me.role === "admin") await put("/settings", { abuse_contact: value });
          else await patch(`/domains/${seg(me.domain ?? "")}`, { admin_contact: value });
          setNotice("Abuse contact saved.");
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <h2>Abuse contact</h2>
      <p class="help">
        {me.role === "admin"
          ? "The address that receives abuse reports (ARF) about quarantined outgoing mail, for domains without their own contact."
          : `The address that receives abuse reports (ARF) when mail of ${me.domain} is quarantined.`}
      </p>
      <ErrorNote error={load.error} />
      <div class="row">
        <label>
          Email address
          <input type="email" value={value} data-testid="abuse-contact-input" onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary" data-testid="abuse-contact-save">
          Save
        </button>
      </div>
      <OkNote text={notice} />
      <ErrorNote error={error} />
    </form>
  );
}

function LockTemplate({ me }: { me: Me }) {
  const tpl = useLoad(() => get<{ name: string; subject?: string; text: string; placeholders: string[] }>("/templates/lock"), []);
  const [text, setText] = useState<string | null>(null);
  const [subject, setSubject] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = text ?? tpl.data?.text ?? "";
  const admin = me.role === "admin";
  return (
    <form
      class="card"
      data-testid="lock-template"
      onSubmit={async (e) => {
        e.preventDefault();
        setNotice(null);
        setError(null);
        try {
          const body: Record<string, string> = { text: shown };
          if (subject !== null) body.subject = subject;
          await put("/templates/lock", body);
          setNotice("Lock template saved.");
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <h2>Lock template</h2>
      <p class="help">The message sent to the sender whose user or identity is locked.</p>
      <Loading on={tpl.loading} />
      <ErrorNote error={tpl.error} />
      {tpl.data ? (
        <>
          {tpl.data.subject !== undefined ? (
            <label>
              Subject
              <input value={subject ?? tpl.data.subject} readOnly={!admin} data-testid="lock-template-subject" onInput={(e) => setSubject((e.currentTarget as HTMLInputElement).value)} />
            </label>
          ) : null}
          <textarea rows={8} aria-label="Lock template text" value={shown} readOnly={!admin} data-testid="lock-template-text" onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} />
          {tpl.data.placeholders?.length ? (
            <p class="help">
              Placeholders:{" "}
              {tpl.data.placeholders.map((p) => (
                <code key={p}>{p} </code>
              ))}
            </p>
          ) : null}
          {admin ? (
            <button type="submit" class="primary" data-testid="lock-template-save">
              Save
            </button>
          ) : null}
        </>
      ) : null}
      <OkNote text={notice} />
      <ErrorNote error={error} />
    </form>
  );
}

function DkimKeys({ me }: { me: Me }) {
  const domains = useLoad(() => get<Page<Domain>>("/domains").then((r) => r.items), []);
  const [domain, setDomain] = useState(me.role === "domain" ? me.domain ?? "" : "");
  const keys = useLoad(() => get<Page<DkimKey>>("/dkim" + qs({ domain })), [domain]);
  const [selector, setSelector] = useState("");
  const [algorithm, setAlgorithm] = useState("rsa");
  const [bits, setBits] = useState("2048");
  const [force, setForce] = useState(false);
  const [genDomain, setGenDomain] = useState(me.role === "domain" ? me.domain ?? "" : "");
  const [created, setCreated] = useState<DkimKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const names = (domains.data ?? []).map((d) => d.name);

  return (
    <div class="card" data-testid="dkim">
      <h2>DKIM keys</h2>
      <p class="help">
        Generate a key for a domain and selector, publish its TXT record in the domain's DNS under the name shown, then enter the selector as the
        domain's (or user's) DKIM selector.
      </p>
      <form
        class="form-grid"
        data-testid="dkim-generate"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setNotice(null);
          setCreated(null);
          const body: Record<string, unknown> = { domain: genDomain, selector, algorithm, force };
          if (algorithm === "rsa" && bits) body.bits = Number(bits);
          try {
            const k = await post<DkimKey>("/dkim", body);
            setCreated(k);
            setNotice(`Key ${k.selector} generated for ${k.domain}.`);
            keys.reload();
          } catch (err) {
            setError(errorText(err));
          }
        }}
      >
        <label>
          Domain
          <select required value={genDomain} data-testid="dkim-domain" onChange={(e) => setGenDomain((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Choose a domain</option>
            {names.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Selector
          <input required value={selector} data-testid="dkim-selector" pattern="[A-Za-z0-9][A-Za-z0-9._-]*" onInput={(e) => setSelector((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Algorithm
          <select value={algorithm} data-testid="dkim-algorithm" onChange={(e) => setAlgorithm((e.currentTarget as HTMLSelectElement).value)}>
            <option value="rsa">RSA</option>
            <option value="ed25519">Ed25519</option>
          </select>
        </label>
        {algorithm === "rsa" ? (
          <label>
            Bits
            <select value={bits} onChange={(e) => setBits((e.currentTarget as HTMLSelectElement).value)}>
              <option value="1024">1024</option>
              <option value="2048">2048</option>
              <option value="4096">4096</option>
            </select>
          </label>
        ) : null}
        <label class="inline">
          <input type="checkbox" checked={force} onChange={(e) => setForce((e.currentTarget as HTMLInputElement).checked)} /> Replace an existing key
        </label>
        <div class="buttons">
          <button type="submit" class="primary" data-testid="dkim-generate-button">
            Generate
          </button>
        </div>
      </form>
      <OkNote text={notice} />
      <ErrorNote error={error} />
      {created ? <DnsRecord k={created} /> : null}
      <h3>Keys</h3>
      {me.role === "admin" ? (
        <label>
          Show domain{" "}
          <select value={domain} onChange={(e) => setDomain((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">All domains</option>
            {names.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
      ) : null}
      <Loading on={keys.loading} />
      <ErrorNote error={keys.error} />
      {keys.data ? (
        keys.data.items.length === 0 ? (
          <p class="muted">No DKIM keys.</p>
        ) : (
          <TableWrap testid="dkim-table">
            <thead>
              <tr>
                <th>Domain</th>
                <th>Selector</th>
                <th>Algorithm</th>
                <th>Created</th>
                <th>DNS record</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((k) => (
                <tr data-testid="dkim-row" key={k.domain + "/" + k.selector}>
                  <td data-label="Domain">{k.domain}</td>
                  <td data-label="Selector">{k.selector}</td>
                  <td data-label="Algorithm">
                    {k.algorithm}
                    {k.bits ? ` ${k.bits}` : ""}
                  </td>
                  <td data-label="Created">{fmtTime(k.created)}</td>
                  <td data-label="DNS record" class="dns">
                    <div>
                      <div>
                        <code class="wrap">{k.dns_name}</code> <CopyButton text={k.dns_name} label="Copy name" />
                      </div>
                      <div>
                        <code class="wrap">{k.dns_value}</code> <CopyButton text={k.dns_value} label="Copy value" testid="copy-dns-value" />
                      </div>
                    </div>
                  </td>
                  <td data-label="Actions" class="actions">
                    <ConfirmButton
                      label="Delete"
                      danger
                      small
                      onConfirm={async () => {
                        setError(null);
                        try {
                          await del(`/dkim/${seg(k.domain)}/${seg(k.selector)}`);
                          setNotice(`Key ${k.selector} of ${k.domain} deleted.`);
                          keys.reload();
                        } catch (err) {
                          setError(errorText(err));
                        }
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )
      ) : null}
    </div>
  );
}

function DnsRecord({ k }: { k: DkimKey }) {
  return (
    <div class="dns-record" data-testid="dkim-dns-record">
      <p>Publish this TXT record:</p>
      <dl class="facts">
        <dt>Name</dt>
        <dd>
          <code class="wrap" data-testid="dkim-dns-name">{k.dns_name}</code> <CopyButton text={k.dns_name} />
        </dd>
        <dt>Value</dt>
        <dd>
          <code class="wrap" data-testid="dkim-dns-value">{k.dns_value}</code> <CopyButton text={k.dns_value} />
        </dd>
      </dl>
      <p>Zone file line:</p>
      <pre class="wrap" data-testid="dkim-zone-line">{k.zone_line}</pre>
      <CopyButton text={k.zone_line} label="Copy zone line" />
    </div>
  );
}
