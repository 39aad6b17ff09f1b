const HOUR = 3_600_000;

/**
 * When a conversation was last touched, as the history list says it: "just now", "5 min ago", "2 h ago",
 * "Yesterday", then a date. Hours win over "Yesterday" for the first few hours after midnight, since
 * "2 h ago" says more than "Yesterday" at 1 a.m.
 */
export function relativeTime(then: number, now = Date.now()): string {
  const diff = Math.max(0, now - then);
  if (diff < 60_000) return 'just now';
  if (diff < HOUR) return `${Math.floor(diff / 60_000)} min ago`;
  const thenDay = new Date(then);
  const today = new Date(now);
  if (diff < 6 * HOUR || sameDay(thenDay, today)) return `${Math.floor(diff / HOUR)} h ago`;
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (sameDay(thenDay, yesterday)) return 'Yesterday';
  return thenDay.toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    ...(thenDay.getFullYear() === today.getFullYear() ? {} : { year: 'numeric' }),
  });
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}
