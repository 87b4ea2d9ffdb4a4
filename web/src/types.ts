// The shapes of the gateway's answers, as docs/API.md describes them.

export interface Me {
  username: string;
  role: "admin" | "domain";
  domain: string | null;
  csrf_token: string;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Domain {
  name: string;
  admin_contact: string;
  dkim_selector: string;
  aliases: string[];
  route: string | null;
  spam_threshold: number | null;
  batv: boolean;
  created: string;
  user_count: number;
}

export type Kind = "ip" | "user" | "domain";

export interface SettingDef {
  key: string;
  type: "bool" | "int" | "choice" | "domain" | "text" | "identity_rules";
  default: string;
  min?: number | null;
  max?: number | null;
  choices?: string[];
  unit?: string;
  help: string;
  kinds: Kind[];
}

export interface Lock {
  since: string;
  until: string | null;
  reason: string;
  unlocks?: number;
}

export interface User {
  name: string;
  kind: Kind;
  domain: string;
  has_password: boolean;
  locked: boolean;
  created: string;
  updated: string;
}

export interface SettingDetail {
  key: string;
  value: string;
  default: string;
  is_default: boolean;
  unit?: string;
  help: string;
}

export interface UserDetail extends User {
  settings: Record<string, string>;
  settings_detail: SettingDetail[];
  lock: Lock | null;
  counters: Record<string, unknown>;
}

export interface Identity {
  user: string;
  identity: string;
  domain: string;
  locked: boolean;
  lock: Lock | null;
  messages_24h: number;
  spam_24h: number;
  last_seen: string | null;
}

export interface Reason {
  text: string;
  counter?: number | string;
  limit?: number | string;
  score?: number;
}

export interface Decision {
  time: string;
  stage: string;
  check: string;
  action: string;
  reply: string;
  reasons: Reason[];
}

export interface QuarantineItem {
  id: string;
  time: string;
  sender: string;
  recipients: string[];
  user: string;
  identity: string;
  domain: string;
  subject: string;
  size: number;
  reason: string;
  check: string;
}

export interface QuarantineDetail extends QuarantineItem {
  headers: [string, string][];
  text: string;
  decisions: Decision[];
}

export interface LogRecipient {
  address: string;
  status: string;
  history?: { time: string; status: string; reply: string }[];
}

export interface LogEntry {
  id: string;
  time: string;
  sender: string;
  recipients: LogRecipient[];
  user: string;
  identity: string;
  domain: string;
  client_ip: string;
  size: number;
  status: string;
  subject?: string;
}

export interface LogDetail extends LogEntry {
  decisions: Decision[];
}

export interface DkimKey {
  domain: string;
  selector: string;
  algorithm: string;
  bits: number;
  created: string;
  dns_name: string;
  dns_value: string;
  zone_line: string;
}

export interface Bucket {
  start: string;
  sent: number;
  blocked: number;
  quarantined: number;
  deferred: number;
}

export interface Stats {
  period: "hour" | "day";
  buckets: Bucket[];
  top_senders: { user: string; messages: number }[];
  top_identities: { user: string; identity: string; messages: number }[];
  locks: {
    users: { user: string; since: string; until: string | null; reason: string }[];
    identities: { user?: string; identity?: string; since?: string; until?: string | null; reason?: string }[];
  };
}

export interface Account {
  username: string;
  role: "admin" | "domain";
  domain: string | null;
}
