// Small shared pieces of the panel: data loading, notices, copy buttons, two-step confirms,
// time formatting and the decision trail ("why was this blocked?").
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { errorText } from "./api";
import type { Decision } from "./types";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (!live) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** An action's outcome as a notice or an error: `run` clears both, runs it, shows `ok` or the
 * error, then calls `after` and reloads what the screen shows; true when it worked. */
export function useAction(reload: () => void) {
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (what: () => Promise<unknown>, ok: string, after?: () => void): Promise<boolean> => {
    setError(null);
    setNotice(null);
    try {
      await what();
      setNotice(ok);
      after?.();
      reload();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    }
  };
  return { notice, error, setNotice, setError, run };
}

export function ErrorNote({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="notice error" role="alert" data-testid="error">
      {error}
    </p>
  );
}

export function OkNote({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p class="notice ok" role="status" data-testid="notice">
      {text}
    </p>
  );
}

export function Loading({ on }: { on: boolean }) {
  return on ? <p class="muted">Loading…</p> : null;
}

export function TableWrap({ children, testid }: { children: ComponentChildren; testid?: string }) {
  return (
    <div class="table-wrap" data-testid={testid}>
      <table>{children}</table>
    </div>
  );
}

export function fmtTime(t: string | null | undefined): string {
  if (!t) return "—";
  const d = new Date(t);
  if (isNaN(d.getTime())) return t;
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/Z$/, " UTC");
}

export function fmtSize(n: number | undefined): string {
  if (n === undefined || n === null) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A button that asks once more before it acts (no browser dialogs). */
export function ConfirmButton(props: {
  label: string;
  confirm?: string;
  onConfirm: () => void;
  danger?: boolean;
  small?: boolean;
  testid?: string;
}) {
  const cls = (props.danger ? "danger" : "") + (props.small ? " small" : "");
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class={cls} data-testid={props.testid} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class={"danger" + (props.small ? " small" : "")}
        data-testid={props.testid ? props.testid + "-confirm" : undefined}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirm ?? `Yes, ${props.label.toLowerCase()}`}
      </button>
      <button type="button" class={props.small ? "small" : ""} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function CopyButton({ text, label, testid }: { text: string; label?: string; testid?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Without clipboard permission, fall back to a selected hidden textarea.
      const ta = document.createElement("textarea");
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    setDone(true);
    window.setTimeout(() => setDone(false), 1500);
  };
  return (
    <button type="button" class="small" data-testid={testid} onClick={copy}>
      {done ? "Copied" : label ?? "Copy"}
    </button>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge st-${status}`}>{status}</span>;
}

export function DecisionTrail({ decisions }: { decisions: Decision[] }) {
  if (!decisions || decisions.length === 0)
    return (
      <p class="muted" data-testid="no-decisions">
        Every check passed: no check refused, held or flagged this message.
      </p>
    );
  return (
    <ol class="trail" data-testid="decision-trail">
      {decisions.map((d, i) => (
        <li key={i} class={`decision act-${d.action}`} data-testid="decision">
          <div class="decision-head">
            <span class="muted">{fmtTime(d.time)}</span> <strong>{d.stage}</strong> · <code>{d.check}</code> →{" "}
            <span class={`badge act-${d.action}`}>{d.action}</span>
          </div>
          {d.reply ? <div class="reply">{d.reply}</div> : null}
          {d.reasons && d.reasons.length > 0 ? (
            <ul class="reasons">
              {d.reasons.map((r, j) => (
                <li key={j}>
                  {r.text}
                  {r.counter !== undefined && r.counter !== null ? ` (counter ${r.counter}` : ""}
                  {r.counter !== undefined && r.counter !== null && r.limit !== undefined && r.limit !== null ? ` of ${r.limit}` : ""}
                  {r.counter !== undefined && r.counter !== null ? ")" : ""}
                  {r.score !== undefined && r.score !== null ? ` score ${r.score}` : ""}
                </li>
              ))}
            </ul>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
