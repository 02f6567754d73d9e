-- jobs_requeue_waiting_payment_id: the refund and chargeback jobs that ended because what Xendit
-- sent named no invoice and its payment_id matched no payment (record-refund.ts, record-dispute.ts
-- `waitForPaymentIds`): queued again once a payment learns one of those ids (its PAID callback came
-- after it was recorded without one: callbacks.sql, store/payments.ts fillPaymentId). The same
-- handshake as jobs_requeue_waiting (jobs-waiting.sql), keyed by the merchant and each payment id:
-- the side that gives a payment its id (p_job_id null, shared locks) and a marked job ending in
-- review or done (p_job_id, exclusive locks, then a fresh look at the payments) cannot both miss
-- the other. Locks are taken in the ids' order. Returns the jobs queued again.
create or replace function jobs_requeue_waiting_payment_id(
  p_lock_class int, p_kinds text[], p_merchant_id uuid, p_payment_ids text[], p_at timestamptz, p_job_id bigint)
returns int
language plpgsql volatile as $$
declare
  v_id text;
  v_n int;
begin
  for v_id in select distinct x from unnest(p_payment_ids) x where x is not null order by x loop
    if p_job_id is null then
      perform pg_advisory_xact_lock_shared(p_lock_class, hashtext(p_merchant_id::text || ':' || v_id));
    else
      perform pg_advisory_xact_lock(p_lock_class, hashtext(p_merchant_id::text || ':' || v_id));
    end if;
  end loop;
  if p_job_id is not null and not exists (
      select 1 from payments where merchant_id = p_merchant_id and xendit_payment_id = any(p_payment_ids)) then
    return 0;
  end if;
  update jobs set state = 'queued', attempts = 0, run_at = p_at, locked_until = null, last_error = null, updated_at = p_at,
      payload = jsonb_set(jobs.payload - 'waitsForPaymentIds', '{retry}', to_jsonb(coalesce((jobs.payload->>'retry')::int, 0) + 1))
    where jobs.payload ? 'waitsForPaymentIds'
      and jobs.merchant_id = p_merchant_id
      and jobs.payload->'waitsForPaymentIds' ?| p_payment_ids
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
