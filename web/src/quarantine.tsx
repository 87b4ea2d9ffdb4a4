// Quarantine: the held outgoing messages, one message's headers, text and decision trail,
// release (admins only: the gateway's reputation is at stake), confirm as spam (admins only: the
// spam model is the node's; a release teaches it ham, a confirmation spam) and delete.
import { useState } from "preact/hooks";
import { del, errorText, get, post, qs, seg } from "./api";
import { navigate } from "./router";
import type { Me, Page, QuarantineDetail, QuarantineItem } from "./types";
import { ConfirmButton, DecisionTrail, ErrorNote, Loading, OkNote, TableWrap, fmtSize, fmtTime, useLoad } from "./ui";
import { Pager, usePager } from "./pager";

export function QuarantinePage() {
  const [domain, setDomain] = useState("");
  const [user, setUser] = useState("");
  const [q, setQ] = useState("");
  const pager = usePager([domain, user, q]);
  const list = useLoad(() => get<Page<QuarantineItem>>("/quarantine" + qs({ domain, user, q, limit: 50, cursor: pager.cursor })), [domain, user, q, pager.cursor]);
  return (
    <section>
      <h1>Quarantine</h1>
      <p class="muted">Outgoing messages held as spam or by policy. Open one to see why it was held.</p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget as HTMLFormElement);
          setDomain(String(f.get("domain") ?? ""));
          setUser(String(f.get("user") ?? ""));
          setQ(String(f.get("q") ?? ""));
        }}
      >
        <label>
          Domain
          <input name="domain" type="search" defaultValue={domain} />
        </label>
        <label>
          User
          <input name="user" type="search" defaultValue={user} />
        </label>
        <label>
          Text
          <input name="q" type="search" defaultValue={q} data-testid="quarantine-q" />
        </label>
        <button type="submit">Search</button>
      </form>
      <Loading on={list.loading} />
      <ErrorNote error={list.error} />
      {list.data ? (
        list.data.items.length === 0 ? (
          <p class="muted" data-testid="quarantine-empty">The quarantine is empty.</p>
        ) : (
          <TableWrap testid="quarantine-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Sender</th>
                <th>Recipients</th>
                <th>Subject</th>
                <th>User</th>
                <th>Reason</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((m) => (
                <tr data-testid="quarantine-row" data-id={m.id} key={m.id} class="clickable" onClick={() => navigate(`/quarantine/${seg(m.id)}`)}>
                  <td data-label="Time">{fmtTime(m.time)}</td>
                  <td data-label="Sender">{m.sender}</td>
                  <td data-label="Recipients">{(m.recipients ?? []).join(", ")}</td>
                  <td data-label="Subject">
                    <a href={`#/quarantine/${seg(m.id)}`}>{m.subject || "(no subject)"}</a>
                  </td>
                  <td data-label="User">{m.user}</td>
                  <td data-label="Reason">{m.reason}</td>
                  <td data-label="Size">{fmtSize(m.size)}</td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )
      ) : null}
      <Pager pager={pager} next={list.data?.next_cursor ?? null} />
    </section>
  );
}

export function QuarantineItemPage({ id, me }: { id: string; me: Me }) {
  const item = useLoad(() => get<QuarantineDetail>(`/quarantine/${seg(id)}`), [id]);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  if (item.loading && !item.data) return <Loading on />;
  if (item.error && !item.data) return <ErrorNote error={item.error} />;
  const m = item.data!;
  const release = async () => {
    setError(null);
    try {
      const r = await post<{ released: boolean; queue_id: string }>(`/quarantine/${seg(id)}/release`, {});
      setNotice(`Released: queued as ${r.queue_id}.`);
      setGone(true);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const confirmSpam = async () => {
    setError(null);
    try {
      await post<{ learned: string }>(`/quarantine/${seg(id)}/confirm-spam`, {});
      setNotice("Confirmed as spam: the gateway's spam model learns from this message. It stays held.");
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = async () => {
    setError(null);
    try {
      await del(`/quarantine/${seg(id)}`);
      setNotice("Deleted.");
      setGone(true);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section data-testid="quarantine-item">
      <p>
        <a href="#/quarantine">← Quarantine</a>
      </p>
      <h1>{m.subject || "(no subject)"}</h1>
      <dl class="facts">
        <dt>Time</dt>
        <dd>{fmtTime(m.time)}</dd>
        <dt>Sender</dt>
        <dd>{m.sender}</dd>
        <dt>Recipients</dt>
        <dd>{(m.recipients ?? []).join(", ")}</dd>
        <dt>User</dt>
        <dd>{m.user}</dd>
        <dt>Identity</dt>
        <dd>{m.identity}</dd>
        <dt>Domain</dt>
        <dd>{m.domain}</dd>
        <dt>Reason</dt>
        <dd data-testid="quarantine-reason">
          {m.reason} {m.check ? <code>({m.check})</code> : null}
        </dd>
        <dt>Size</dt>
        <dd>{fmtSize(m.size)}</dd>
      </dl>
      <OkNote text={notice} />
      <ErrorNote error={error} />
      {!gone ? (
        <div class="buttons">
          {me.role === "admin" ? (
            <>
              <ConfirmButton label="Release" confirm="Yes, release and deliver" testid="release" onConfirm={release} />
              <ConfirmButton
                label="Confirm as spam"
                confirm="Yes, it is spam: learn from it"
                testid="confirm-spam"
                onConfirm={confirmSpam}
              />
            </>
          ) : (
            <span class="muted">Only the gateway's administrators can release outgoing messages.</span>
          )}
          <ConfirmButton label="Delete" danger testid="delete-quarantined" onConfirm={remove} />
          <a class="button" href={`/api/v1/quarantine/${seg(id)}/raw`} download={`${id}.eml`}>
            Download
          </a>
        </div>
      ) : null}
      <h2>Why was this held?</h2>
      <DecisionTrail decisions={m.decisions} />
      <h2>Headers</h2>
      <TableWrap testid="headers">
        <tbody>
          {(m.headers ?? []).map(([k, v], i) => (
            <tr key={i}>
              <th class="hname">{k}</th>
              <td class="hvalue">{v}</td>
            </tr>
          ))}
        </tbody>
      </TableWrap>
      <h2>Text</h2>
      <pre class="body-text" data-testid="message-text">
        {m.text}
      </pre>
    </section>
  );
}
