// Log search: every message the gateway saw, filtered by sender, recipient, domain, user,
// identity, client IP, status and time, page by page; and one message's whole decision trail.
import { useState } from "preact/hooks";
import { get, qs, seg } from "./api";
import { navigate } from "./router";
import { Pager, usePager } from "./pager";
import type { LogDetail, LogEntry, Page } from "./types";
import { DecisionTrail, ErrorNote, Loading, StatusBadge, TableWrap, fmtSize, fmtTime, useLoad } from "./ui";

const STATUSES = ["accepted", "queued", "delivered", "deferred", "bounced", "expired", "deleted", "rejected", "quarantined"];
const TEXT_FILTERS: [string, string][] = [
  ["sender", "Sender"],
  ["recipient", "Recipient"],
  ["domain", "Domain"],
  ["user", "User"],
  ["identity", "Identity"],
  ["client_ip", "Client IP"],
];

type Filters = Record<string, string>;

/** A datetime-local value, read as UTC, in the API's ISO form. */
function toIso(local: string): string {
  if (!local) return "";
  return (local.length === 16 ? local + ":00" : local) + "Z";
}

export function LogPage() {
  const [filters, setFilters] = useState<Filters>({});
  // Each Search asks again, even with the same filters: new mail may have been logged since.
  const [searches, setSearches] = useState(0);
  const pager = usePager([JSON.stringify(filters), searches]);
  const list = useLoad(
    () => get<Page<LogEntry>>("/log" + qs({ ...filters, from: toIso(filters.from ?? ""), to: toIso(filters.to ?? ""), limit: 50, cursor: pager.cursor })),
    [JSON.stringify(filters), pager.cursor, searches],
  );
  return (
    <section>
      <h1>Log search</h1>
      <form
        class="filters log-filters"
        data-testid="log-filters"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget as HTMLFormElement);
          const next: Filters = {};
          for (const [k, v] of f.entries()) if (String(v).trim() !== "") next[k] = String(v).trim();
          setFilters(next);
          setSearches((n) => n + 1);
        }}
      >
        {TEXT_FILTERS.map(([k, label]) => (
          <label key={k}>
            {label}
            <input name={k} type="search" data-testid={`log-${k}`} defaultValue={filters[k] ?? ""} />
          </label>
        ))}
        <label>
          Status
          <select name="status" data-testid="log-status" defaultValue={filters.status ?? ""}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          From (UTC)
          <input name="from" type="datetime-local" data-testid="log-from" defaultValue={filters.from ?? ""} />
        </label>
        <label>
          To (UTC)
          <input name="to" type="datetime-local" data-testid="log-to" defaultValue={filters.to ?? ""} />
        </label>
        <div class="buttons">
          <button type="submit" class="primary" data-testid="log-search">
            Search
          </button>
          <button
            type="reset"
            onClick={() => {
              setFilters({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <Loading on={list.loading} />
      <ErrorNote error={list.error} />
      {list.data ? (
        list.data.items.length === 0 ? (
          <p class="muted" data-testid="log-empty">No messages match.</p>
        ) : (
          <TableWrap testid="log-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Sender</th>
                <th>Recipients</th>
                <th>Subject</th>
                <th>User</th>
                <th>Client IP</th>
                <th>Status</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((m) => (
                <tr data-testid="log-row" data-id={m.id} data-status={m.status} key={m.id} class="clickable" onClick={() => navigate(`/log/${seg(m.id)}`)}>
                  <td data-label="Time">
                    <a href={`#/log/${seg(m.id)}`}>{fmtTime(m.time)}</a>
                  </td>
                  <td data-label="Sender">{m.sender}</td>
                  <td data-label="Recipients">{(m.recipients ?? []).map((r) => r.address).join(", ")}</td>
                  <td data-label="Subject">{m.subject ?? ""}</td>
                  <td data-label="User">{m.user}</td>
                  <td data-label="Client IP">{m.client_ip}</td>
                  <td data-label="Status">
                    <StatusBadge status={m.status} />
                  </td>
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

export function LogEntryPage({ id }: { id: string }) {
  const item = useLoad(() => get<LogDetail>(`/log/${seg(id)}`), [id]);
  if (item.loading && !item.data) return <Loading on />;
  if (item.error && !item.data) return <ErrorNote error={item.error} />;
  const m = item.data!;
  return (
    <section data-testid="log-entry">
      <p>
        <a href="#/log">← Log search</a>
      </p>
      <h1>{m.subject || "(no subject)"}</h1>
      <dl class="facts">
        <dt>Time</dt>
        <dd>{fmtTime(m.time)}</dd>
        <dt>Status</dt>
        <dd data-testid="log-entry-status">
          <StatusBadge status={m.status} />
        </dd>
        <dt>Sender</dt>
        <dd>{m.sender}</dd>
        <dt>User</dt>
        <dd>{m.user}</dd>
        <dt>Identity</dt>
        <dd>{m.identity}</dd>
        <dt>Domain</dt>
        <dd>{m.domain}</dd>
        <dt>Client IP</dt>
        <dd>{m.client_ip}</dd>
        <dt>Size</dt>
        <dd>{fmtSize(m.size)}</dd>
        <dt>ID</dt>
        <dd>
          <code>{m.id}</code>
        </dd>
      </dl>
      <h2>Why was this {m.status === "rejected" || m.status === "quarantined" ? "blocked" : "decided"}?</h2>
      <DecisionTrail decisions={m.decisions} />
      <h2>Recipients</h2>
      <TableWrap testid="log-recipients">
        <thead>
          <tr>
            <th>Address</th>
            <th>Status</th>
            <th>History</th>
          </tr>
        </thead>
        <tbody>
          {(m.recipients ?? []).map((r) => (
            <tr key={r.address}>
              <td data-label="Address">{r.address}</td>
              <td data-label="Status">
                <StatusBadge status={r.status} />
              </td>
              <td data-label="History">
                <ul class="history">
                  {(r.history ?? []).map((h, i) => (
                    <li key={i}>
                      {fmtTime(h.time)} <StatusBadge status={h.status} /> {h.reply}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </TableWrap>
    </section>
  );
}
