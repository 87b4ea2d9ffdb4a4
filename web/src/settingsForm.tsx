// The outgoing user's settings form, built from GET /api/v1/user-settings: one field per setting
// that applies to the user's kind, with its help text and default.
import type { Kind, SettingDef } from "./types";

const LABELS: Record<string, string> = {
  description: "Description",
  identification_method: "Identification method",
  identity_headers: "Identification headers",
  automatic_lock: "Automatic lock",
  lock_identities: "Lock identities automatically",
  lock_spam_threshold: "Spam messages before a lock",
  lock_window_minutes: "Lock window",
  lock_timeout_minutes: "User and identity lock timeout",
  max_unlocks_by_timeout: "Maximum unlocks by timeout",
  lock_template: "Lock template",
  block_spam: "Block spam",
  quarantine_response: "Quarantine response",
  connection_limits: "Enable outgoing connection limits",
  limit_per_minute: "Limit per minute",
  limit_per_hour: "Limit per hour",
  limit_per_day: "Limit per day",
  limit_per_week: "Limit per week",
  limit_per_month: "Limit per month",
  messages_per_hour: "Messages per hour",
  max_recipients_per_day: "Maximum number of recipients per day",
  invalid_recipient_limit: "Invalid recipients limit",
  max_message_size: "Maximum message size",
  require_from_domain: "Required sender domain",
  valid_sender_required: "Valid sender required",
  dkim_selector: "DKIM selector",
  archive: "Message archiving for senders",
  block_macros: "Block attachments with macros for senders",
  block_pua: "Block potentially unwanted attachments",
  reauth_permitted: "Re-authenticate permitted",
  check_ip_reputation: "Check IP reputation",
  reject_new_domains: "Reject messages from newly registered domains",
  policy_mode: "Policy mode",
  block_viruses: "Block viruses",
};

export function settingLabel(key: string): string {
  if (LABELS[key]) return LABELS[key];
  const s = key.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const TRUE = new Set(["true", "on", "yes", "1"]);
export const isTrue = (v: string | undefined) => TRUE.has(String(v ?? "").toLowerCase());

export function defsForKind(defs: SettingDef[], kind: Kind): SettingDef[] {
  return defs.filter((d) => !d.kinds || d.kinds.length === 0 || d.kinds.includes(kind));
}

/**
 * values: the value shown for each key (current or default); edited: keys the user changed.
 * onChange(key, value) reports an edit; onReset(key) (edit screen only) goes back to the default.
 */
export function SettingsForm(props: {
  defs: SettingDef[];
  values: Record<string, string>;
  isDefault?: Record<string, boolean>;
  onChange: (key: string, value: string) => void;
  onReset?: (key: string) => void;
}) {
  return (
    <div class="settings-form" data-testid="settings-form">
      {props.defs.map((d) => {
        const id = `set-${d.key}`;
        const v = props.values[d.key] ?? d.default ?? "";
        const label = settingLabel(d.key);
        let input;
        if (d.type === "bool") {
          input = (
            <input
              id={id}
              name={d.key}
              type="checkbox"
              checked={isTrue(v)}
              onChange={(e) => props.onChange(d.key, (e.currentTarget as HTMLInputElement).checked ? "true" : "false")}
            />
          );
        } else if (d.type === "int") {
          input = (
            <span class="with-unit">
              <input
                id={id}
                name={d.key}
                type="number"
                inputMode="numeric"
                min={d.min ?? undefined}
                max={d.max ?? undefined}
                value={v}
                onInput={(e) => props.onChange(d.key, (e.currentTarget as HTMLInputElement).value)}
              />
              {d.unit ? <span class="unit">{d.unit}</span> : null}
            </span>
          );
        } else if (d.type === "choice") {
          input = (
            <select id={id} name={d.key} value={v} onChange={(e) => props.onChange(d.key, (e.currentTarget as HTMLSelectElement).value)}>
              {(d.choices ?? []).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          );
        } else if (d.type === "identity_rules") {
          input = (
            <textarea id={id} name={d.key} rows={3} value={v} onInput={(e) => props.onChange(d.key, (e.currentTarget as HTMLTextAreaElement).value)} />
          );
        } else {
          input = <input id={id} name={d.key} type="text" value={v} onInput={(e) => props.onChange(d.key, (e.currentTarget as HTMLInputElement).value)} />;
        }
        const dflt = props.isDefault ? props.isDefault[d.key] : undefined;
        return (
          <div class={`setting setting-${d.type}`} data-testid={`setting-${d.key}`} key={d.key}>
            <div class="setting-main">
              <label for={id}>{label}</label>
              <div class="setting-input">
                {input}
                {props.onReset && dflt === false ? (
                  <button type="button" class="small link" data-testid={`reset-${d.key}`} onClick={() => props.onReset!(d.key)}>
                    Reset to default
                  </button>
                ) : null}
              </div>
            </div>
            <p class="help">
              {d.help}
              {d.default !== "" && d.default !== undefined ? <span class="muted"> Default: {d.default}{d.unit ? ` ${d.unit}` : ""}.</span> : null}
            </p>
          </div>
        );
      })}
    </div>
  );
}
