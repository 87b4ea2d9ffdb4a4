// Hash routing (#/users/x): the gateway serves one index.html, and the hash keeps every screen
// addressable without a server round trip.
import { useEffect, useState } from "preact/hooks";

export function currentPath(): string {
  const h = window.location.hash.replace(/^#/, "");
  return h.startsWith("/") ? h : "/";
}

export function useRoute(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return path;
}

export function navigate(path: string): void {
  window.location.hash = path;
}

/** The path's segments after `prefix`, decoded (one segment per percent-encoded name). */
export function params(path: string, prefix: string): string[] | null {
  if (path !== prefix && !path.startsWith(prefix + "/")) return null;
  return path
    .slice(prefix.length)
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
}
