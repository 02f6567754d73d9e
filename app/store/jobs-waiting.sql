-- jobs_requeue_waiting: the refund and chargeback jobs marked as waiting for the payment of one
-- Xendit invoice to reach Xero (app/store/jobs.ts says when each side calls it). Both sides take
-- the same transaction lock, keyed by the payment, before they look: the commit that records the
-- payment (p_job_id null: shared, so payments never wait on each other) and a waiting job ending
-- in review or done (p_job_id: exclusive). Whichever comes second waits for the other's commit and
-- then sees it, because a volatile function's queries each take a fresh snapshot (PostgreSQL docs,
-- "Function Volatility Categories"): a job cannot end with its mark while nobody is left to requeue
-- it. The lock class and job kinds come from the caller. Returns the jobs queued again.
create or replace function jobs_requeue_waiting(
  p_lock_class int, p_kinds text[], p_merchant_id uuid, p_xendit_invoice_id text, p_at timestamptz, p_job_id bigint)
returns int
language plpgsql volatile as $$
declare
  v_key int := hashtext(p_merchant_id::text || ':' || p_xendit_invoice_id);
  v_n int;
begin
  if p_job_id is null then
    perform pg_advisory_xact_lock_shared(p_lock_class, v_key);
  else
    perform pg_advisory_xact_lock(p_lock_class, v_key);
    if not exists (
      select 1 from payments
      where merchant_id = p_merchant_id and xendit_invoice_id = p_xendit_invoice_id and sync_state = 'recorded') then
      return 0;
    end if;
  end if;
  update jobs set state = 'queued', attempts = 0, run_at = p_at, locked_until = null, last_error = null, updated_at = p_at,
      payload = jsonb_set(jobs.payload - 'waitsFor', '{retry}', to_jsonb(coalesce((jobs.payload->>'retry')::int, 0) + 1))
    where jobs.payload ? 'waitsFor'
      and jobs.merchant_id = p_merchant_id
      and jobs.payload->>'waitsFor' = p_xendit_invoice_id
      and jobs.kind = any(p_kinds)
      and jobs.state in ('needs_review', 'done')
      and (p_job_id is null or jobs.id = p_job_id)
      -- Not one whose refund row Xero refused or that is booked (any row state but pending).
      and not exists (
        select 1 from refunds r
        where r.merchant_id = jobs.merchant_id
          and r.xendit_refund_id = coalesce(jobs.payload->>'xenditRefundId', jobs.payload->>'xenditDisputeId')
          and r.state <> 'pending');
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
