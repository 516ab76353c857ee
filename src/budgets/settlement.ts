/** What a served request settles: its real cost moves from reserved to spent. */
export interface Settlement {
  tenantId: string;
  feature: string;
  day: Date;
  /** How much of the reservation the request used up (its real cost; 0 when nothing was reserved). */
  reservedUsd: number;
  actualUsd: number;
  /** The lease the request was admitted on: what it settles comes off that lease's outstanding hold. */
  leaseId?: string;
}

/**
 * Settle many requests in one statement (from the request-log writer's batch). Grouped by target
 * row first: an UPDATE … FROM applies only one source row per target row.
 */
export async function settleBudgets(
  db: { query(text: string, values: unknown[]): Promise<unknown> },
  settlements: Settlement[],
): Promise<void> {
  if (!settlements.length) return;
  await db.query(
    `UPDATE budget_usage u SET spent_usd = u.spent_usd + s.actual, reserved_usd = greatest(0, u.reserved_usd - s.reserved)
     FROM (
       SELECT t.tenant, sc.feature, date_trunc('day', t.day) AS day, sum(t.actual) AS actual, sum(t.reserved) AS reserved
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[], $5::numeric[]) AS t(tenant, feature, day, actual, reserved)
       CROSS JOIN LATERAL (SELECT DISTINCT f FROM (VALUES (''), (t.feature)) v(f)) sc(feature)
       GROUP BY 1, 2, 3
     ) s
     WHERE u.tenant_id = s.tenant AND u.feature = s.feature AND u.window_kind = 'day' AND u.window_start = s.day`,
    [
      settlements.map((s) => s.tenantId),
      settlements.map((s) => s.feature),
      settlements.map((s) => s.day),
      settlements.map((s) => s.actualUsd),
      settlements.map((s) => s.reservedUsd),
    ],
  );
  const leased = settlements.filter((s) => s.leaseId);
  if (leased.length) {
    await db.query(
      `UPDATE budget_leases l SET outstanding_usd = greatest(0, l.outstanding_usd - s.reserved)
       FROM (SELECT lease, sum(reserved) AS reserved FROM unnest($1::text[], $2::numeric[]) AS t(lease, reserved) GROUP BY lease) s
       WHERE l.lease_id = s.lease`,
      [leased.map((s) => s.leaseId), leased.map((s) => s.reservedUsd)],
    );
  }
}

/** Settle what stored request-log entries carry (their day is a string once read back from a spill file). */
export function settleStored(
  db: { query(text: string, values: unknown[]): Promise<unknown> },
  entries: ReadonlyArray<{ settlement?: Settlement }>,
): Promise<void> {
  return settleBudgets(
    db,
    entries.flatMap((entry) =>
      entry.settlement ? [{ ...entry.settlement, day: new Date(entry.settlement.day) }] : [],
    ),
  );
}
