-- callback_accept: a Xendit callback's routing and storage (app/store/callbacks.ts says what it
-- does). plpgsql because its statements are then planned once per connection instead of at every
-- callback: the same work as one multi-CTE statement was mostly planning. One call, one
-- transaction. The job kinds, dedupe keys and attempts come from the caller.
create or replace function callback_accept(
  p_merchant_id uuid, p_xendit_invoice_id text, p_external_id text, p_status text, p_raw jsonb, p_now timestamptz,
  p_paid boolean,
  p_payload jsonb, p_checkout_job text, p_checkout_dedupe text, p_backend_job text, p_backend_dedupe text, p_max_attempts int,
  out o_route text, out o_inserted boolean)
language plpgsql as $$
declare
  v_checkout uuid;
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
  end if;
end
$$;
