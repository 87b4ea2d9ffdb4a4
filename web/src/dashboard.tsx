// Dashboard: sent, blocked, quarantined and deferred mail per hour or day as an SVG chart drawn
// here (no chart library), the top senders and identities, and the current locks.
import { useState } from "preact/hooks";
import { get, qs } from "./api";
import type { Bucket, Domain, Me, Page, Stats } from "./types";
import { ErrorNote, Loading, TableWrap, fmtTime, useLoad } from "./ui";

const SERIES: { key: keyof Omit<Bucket, "start">; label: string; color: string }[] = [
  { key: "sent", label: "Sent", color: "#2f7d32" },
  { key: "blocked", label: "Blocked", color: "#c62828" },
  { key: "quarantined", label: "Quarantined", color: "#ef8f00" },
  { key: "deferred", label: "Deferred", color: "#1565c0" },
];

export function DashboardPage({ me }: { me: Me }) {
  const [period, setPeriod] = useState<"hour" | "day">("hour");
  const [domain, setDomain] = useState("");
  const domains = useLoad(() => (me.role === "admin" ? get<Page<Domain>>("/domains").then((r) => r.items) : Promise.resolve([] as Domain[])), []);
  const stats = useLoad(() => get<Stats>("/stats" + qs({ period, domain })), [period, domain]);
  const s = stats.data;
  return (
    <section>
      <h1>Dashboard</h1>
      <div class="filters">
        <div class="segmented" role="group" aria-label="Period">
          <button type="button" aria-pressed={period === "hour"} class={period === "hour" ? "active" : ""} data-testid="period-hour" onClick={() => setPeriod("hour")}>
            Last 24 hours
          </button>
          <button type="button" aria-pressed={period === "day"} class={period === "day" ? "active" : ""} data-testid="period-day" onClick={() => setPeriod("day")}>
            Last 30 days
          </button>
        </div>
        {me.role === "admin" ? (
          <label>
            Domain
            <select value={domain} onChange={(e) => setDomain((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">All domains</option>
              {(domains.data ?? []).map((d) => (
                <option value={d.name}>{d.name}</option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      <Loading on={stats.loading && !s} />
      <ErrorNote error={stats.error} />
      {s ? (
        <>
          <div class="totals">
            {SERIES.map((x) => (
              <div class="total" key={x.key} data-testid={`total-${x.key}`}>
                <span class="swatch" style={{ background: x.color }} />
                <span class="total-label">{x.label}</span>
                <strong class="total-value">{s.buckets.reduce((n, b) => n + (b[x.key] ?? 0), 0)}</strong>
              </div>
            ))}
          </div>
          <div class="card">
            <h2>Mail per {s.period === "day" ? "day" : "hour"}</h2>
            <Chart buckets={s.buckets} period={s.period} />
          </div>
          <div class="grid2">
            <div class="card">
              <h2>Top senders</h2>
              <Top rows={s.top_senders.map((t) => [t.user, t.messages])} testid="top-senders" head={["User", "Messages"]} />
            </div>
            <div class="card">
              <h2>Top identities</h2>
              <Top rows={s.top_identities.map((t) => [`${t.identity} (${t.user})`, t.messages])} testid="top-identities" head={["Identity", "Messages"]} />
            </div>
          </div>
          <div class="card" data-testid="current-locks">
            <h2>Current locks</h2>
            {s.locks.users.length + s.locks.identities.length === 0 ? (
              <p class="muted">Nothing is locked.</p>
            ) : (
              <TableWrap>
                <thead>
                  <tr>
                    <th>Locked</th>
                    <th>Since</th>
                    <th>Until</th>
                    <th>Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {s.locks.users.map((l) => (
                    <tr key={"u" + l.user}>
                      <td data-label="Locked">
                        <span>
                          <a href={`#/users/${encodeURIComponent(l.user)}`}>{l.user}</a> (user)
                        </span>
                      </td>
                      <td data-label="Since">{fmtTime(l.since)}</td>
                      <td data-label="Until">{fmtTime(l.until)}</td>
                      <td data-label="Reason">{l.reason}</td>
                    </tr>
                  ))}
                  {s.locks.identities.map((l, i) => (
                    <tr key={"i" + i}>
                      <td data-label="Locked">
                        <span>
                          <a href="#/identities">{l.identity}</a> ({l.user ? `identity of ${l.user}` : "identity"})
                        </span>
                      </td>
                      <td data-label="Since">{fmtTime(l.since)}</td>
                      <td data-label="Until">{fmtTime(l.until)}</td>
                      <td data-label="Reason">{l.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
          </div>
        </>
      ) : null}
    </section>
  );
}

function Top({ rows, head, testid }: { rows: [string, number][]; head: [string, string]; testid: string }) {
  if (rows.length === 0) return <p class="muted">No mail yet.</p>;
  const max = Math.max(...rows.map((r) => r[1]), 1);
  return (
    <TableWrap testid={testid}>
      <thead>
        <tr>
          <th>{head[0]}</th>
          <th>{head[1]}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, n]) => (
          <tr key={name}>
            <td data-label={head[0]}>{name}</td>
            <td data-label={head[1]}>
              <div class="bar-cell">
                <span class="bar" style={{ width: `${Math.max(4, (n / max) * 100)}%` }} />
                <span>{n}</span>
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}

/** Grouped bars, one group per bucket, drawn to a fixed viewBox that scales to the width. */
function Chart({ buckets, period }: { buckets: Bucket[]; period: "hour" | "day" }) {
  const W = 720;
  const H = 260;
  const left = 40;
  const bottom = 28;
  const top = 10;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...buckets.flatMap((b) => SERIES.map((x) => b[x.key] ?? 0)));
  const nice = niceMax(max);
  const n = Math.max(buckets.length, 1);
  const groupW = plotW / n;
  const barW = Math.max(1, (groupW * 0.8) / SERIES.length);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(nice * f));
  const labelEvery = Math.ceil(n / (period === "hour" ? 8 : 10));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Mail per ${period}`} data-testid="chart" preserveAspectRatio="xMidYMid meet">
        {ticks.map((t) => {
          const y = top + plotH - (t / nice) * plotH;
          return (
            <g key={t}>
              <line x1={left} x2={W - 8} y1={y} y2={y} class="gridline" />
              <text x={left - 4} y={y + 4} text-anchor="end" class="axis">
                {t}
              </text>
            </g>
          );
        })}
        {buckets.map((b, i) => {
          const x0 = left + i * groupW + groupW * 0.1;
          const d = new Date(b.start);
          const label = isNaN(d.getTime()) ? b.start : period === "hour" ? `${String(d.getUTCHours()).padStart(2, "0")}h` : `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
          return (
            <g key={b.start} data-testid="chart-bucket">
              {SERIES.map((x, j) => {
                const v = b[x.key] ?? 0;
                const h = (v / nice) * plotH;
                return (
                  <rect key={x.key} x={x0 + j * barW} y={top + plotH - h} width={barW} height={h} fill={x.color} data-series={x.key} data-value={v}>
                    <title>{`${fmtTime(b.start)}: ${v} ${x.label.toLowerCase()}`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 ? (
                <text x={left + i * groupW + groupW / 2} y={H - 8} text-anchor="middle" class="axis">
                  {label}
                </text>
              ) : null}
            </g>
          );
        })}
        <line x1={left} x2={W - 8} y1={top + plotH} y2={top + plotH} class="axisline" />
      </svg>
      <figcaption class="legend">
        {SERIES.map((x) => (
          <span key={x.key}>
            <span class="swatch" style={{ background: x.color }} /> {x.label}
          </span>
        ))}
        <span class="muted"> (UTC)</span>
      </figcaption>
    </figure>
  );
}

/** The axis top: four equal whole-number steps of 1, 2 or 5 times a power of ten. */
function niceMax(v: number): number {
  const raw = Math.max(1, v / 4);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return 4 * m * p;
  return 4 * raw;
}
