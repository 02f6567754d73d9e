-- callback_accept: a Xendit callback's routing and storage (app/store/callbacks.ts says what it
-- does). plpgsql because its statements are then planned once per connection instead of at every
-- callback: the same work as one multi-CTE statement was mostly planning. One call, one
-- transaction. The job kinds, dedupe keys and attempts come from the caller.
create or replace function callback_accept(
  p_merchant_id uuid, p_xendit_invoice_id text, p_external_id text, p_status text, p_raw jsonb, p_now timestamptz,
  p_paid boolean,
  p_payload jsonb, p_checkout_job text, p_checkout_dedupe text, p_backend_job text, p_backend_dedupe text, p_max_attempts int,
  p_fill_lock_class int, p_wait_lock_class int, p_wait_kinds text,
  out o_route text, out o_inserted boolean, out o_payment_id_conflict text)
language plpgsql as $$
declare
  v_checkout uuid;
  v_payment_id text;
begin
  o_inserted := false;
  select id into v_checkout from checkouts
    where merchant_id = p_merchant_id and (xendit_invoice_id = p_xendit_invoice_id or external_id = p_external_id) limit 1;
  if v_checkout is not null then
    o_route := 'checkout';
  elsif p_paid and coalesce((select backend_flow from merchants where id = p_merchant_id), false) then
    o_route := 'backend';
  else
    o_route := 'ignored';
    return;
  end if;
  insert into callback_events (merchant_id, xendit_invoice_id, external_id, status, raw, received_at)
    values (p_merchant_id, p_xendit_invoice_id, p_external_id, p_status, p_raw, p_now)
    on conflict on constraint callback_events_once do nothing;
  o_inserted := found;
  if p_paid then
    insert into jobs (kind, merchant_id, payload, dedupe_key, state, max_attempts, run_at, created_at, updated_at)
      values (
        case o_route when 'checkout' then p_checkout_job else p_backend_job end, p_merchant_id, p_payload,
        case o_route when 'checkout' then p_checkout_dedupe else p_backend_dedupe end,
        'queued', p_max_attempts, p_now, p_now, p_now)
      on conflict (dedupe_key) do nothing;
    -- A payment recorded before this callback came (the reconcile job or the backend listing found
    -- it paid; Xendit's GET invoice has no payment_id) has none: it takes this one, unless another
    -- stored PAID/SETTLED callback of the invoice names another (then none is sure, as
    -- callbacks.ts paidPaymentId says). Its job ran already (same dedupe key), so it is done here.
    -- Under the lock store/payments.ts fillPaymentId takes, so a payment made meanwhile by its job
    -- is filled by one side or the other. A payment holding another id keeps it: the caller logs it.
    v_payment_id := case when jsonb_typeof(p_raw->'payment_id') = 'string' and length(p_raw->>'payment_id') between 1 and 100
      then p_raw->>'payment_id' end;
    if v_payment_id is not null then
      perform pg_advisory_xact_lock(p_fill_lock_class, hashtext(p_merchant_id::text || ':' || p_xendit_invoice_id));
      update payments set xendit_payment_id = v_payment_id, updated_at = p_now
        where merchant_id = p_merchant_id and xendit_invoice_id = p_xendit_invoice_id and xendit_payment_id is null
          and not exists (
            select 1 from callback_events c
            where c.merchant_id = p_merchant_id and c.xendit_invoice_id = p_xendit_invoice_id and c.status in ('PAID', 'SETTLED')
              and jsonb_typeof(c.raw->'payment_id') = 'string' and c.raw->>'payment_id' <> v_payment_id);
      if found then
        -- The refunds and chargebacks that named only this payment_id and gave up run again.
        perform jobs_requeue_waiting_payment_id(p_wait_lock_class, string_to_array(p_wait_kinds, ','), p_merchant_id, array[v_payment_id], p_now, null);
      else
        select xendit_payment_id into o_payment_id_conflict from payments
          where merchant_id = p_merchant_id and xendit_invoice_id = p_xendit_invoice_id and xendit_payment_id <> v_payment_id;
      end if;
    end if;
  end if;
end
$$;
