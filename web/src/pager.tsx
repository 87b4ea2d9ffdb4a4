// Cursor pagination for the list screens: a stack of the cursors seen, so "Previous" works too.
import { useEffect, useState } from "preact/hooks";

export interface PagerState {
  cursor: string | null;
  page: number;
  next: (c: string) => void;
  prev: () => void;
}

/** Restarts at the first page whenever one of `deps` (the filters) changes. */
export function usePager(deps: unknown[]): PagerState {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  useEffect(() => setStack([null]), deps);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (c) => setStack([...stack, c]),
    prev: () => setStack(stack.length > 1 ? stack.slice(0, -1) : stack),
  };
}

export function Pager({ pager, next }: { pager: PagerState; next: string | null }) {
  if (pager.page === 1 && !next) return null;
  return (
    <div class="pager" data-testid="pager">
      <button type="button" disabled={pager.page === 1} data-testid="page-prev" onClick={pager.prev}>
        ← Previous
      </button>
      <span data-testid="page-number">Page {pager.page}</span>
      <button type="button" disabled={!next} data-testid="page-next" onClick={() => next && pager.next(next)}>
        Next →
      </button>
    </div>
  );
}
