-- pay_click_admit: a pay click's admission (app/store/pay-clicks.ts says what it does). plpgsql
-- because its statements are then planned once per connection: the same work as one SQL statement
-- cost PostgreSQL about 0.8 ms of planning and executing per click on the bench machine.
-- Counts the click (rate_limits_hit; p_hits: key, window_start, limit) and reads the active
-- merchant with its clearing accounts. Then the invoice number(s) p_numbers: a number asked moments
-- ago with the same link p_link (its hints) that Xero did not have, or whose invoice that link did
-- not match (pay_misses, until p_now), is answered as such (o_miss) without counting or budget, known
-- or not, so a real number with a wrong link is answered as fast as an invented one;
-- a link that is a real invoice's own (o_known) is counted against p_known, any other against
-- p_unknown. Before those, in one statement, its own counters: the client's for such links at this
-- merchant (p_client_known or p_client_unknown) and, known, its invoice's (p_per_invoice: one per
-- reading, with its `number`; only the number(s) the link is known by); a click over any of them is
-- not counted against the merchant's shared one, nor is a click the first counters (p_hits: the
-- client's address) refused: neither one client nor whoever holds one link can use up what the
-- merchant's other customers share. Own: the number among the merchant's open invoices last read
-- from Xero (open_invoice_numbers) with the link's currency p_currency and one of its amount readings
-- p_amounts equal to the amount due or total read, or a "try again" p_retry naming a checkout of the
-- number. Never the number alone: which counter a click meets (and so a 429) must not tell a
-- stranger which numbers exist; only the link Xero made tells them apart, and who has it knows
-- the number exists anyway. Day counters (window p_day_start) count only clicks let through to Xero
-- and take their limits as a share of the merchant's daily Xero budget (its own, or p_per_day; less
-- when its organisation's real limit was learned lower, xero_calls.day_learned):
-- p_unknown's p_unknown_day_key (p_unknown_day_share); a known click's invoice
-- (p_invoice_day_prefix || number, p_invoice_day_share but at least p_invoice_day_min, first: a click over it does not reach the
-- next) and the merchant's known clicks together (p_known_day_key, p_known_day_share); o_limits gives
-- the limits applied; before them all, with the client's own per-window counters, an unknown
-- click's p_client_unknown_day_key (at most p_client_unknown_day_max, below the merchant's unknown
-- day share). A known plain click (p_reuse_since set) whose invoice has one open checkout,
-- of the link's currency and one of its amounts (p_reuse_amounts, minor units), read from Xero at
-- or after p_reuse_since and payable past p_reuse_expires_after, and nothing else
-- live or paid and not yet recorded (pay/service.ts's rules for reusing one), is given that
-- checkout (o_reuse) without a day counter or budget: Xero was asked moments ago. When found and no
-- counter is over its limit, takes the Xero budget (xero_budget_acquire with p_budget's arguments;
-- the counter keys are p_budget's app_key_format and org_key_format filled with the merchant's Xero
-- client and tenant ids), then reads the checkouts of the guessed invoice. Commits without waiting
-- for the WAL flush: it writes only counters.
create or replace function pay_click_admit(
  p_short_code text, p_hits json, p_budget json, p_guess text,
  p_numbers text[], p_per_invoice json, p_client_known json, p_client_unknown json, p_known json, p_unknown json, p_day_start timestamptz, p_per_day int,
  p_unknown_day_key text, p_unknown_day_share float8, p_known_day_key text, p_known_day_share float8,
  p_invoice_day_prefix text, p_invoice_day_share float8, p_invoice_day_min int, p_client_unknown_day_key text, p_client_unknown_day_max int,
  p_network_unknown_day_key text, p_network_unknown_day_max int, p_reuse_since timestamptz, p_reuse_expires_after timestamptz, p_reuse_amounts int8[],
  p_now timestamptz, p_link text, p_currency text, p_amounts numeric[], p_retry uuid,
  out o_merchant json, out o_counted json, out o_budget json, out o_checkouts json, out o_miss boolean, out o_limits json, out o_known boolean,
  out o_reuse json)
language plpgsql as $$
declare
  m merchants%rowtype;
  refused boolean;
  known boolean;
  known_numbers text[];
  invoice_day_keys text[];
  over_own boolean := false;
  own_extra json;
  more_refused boolean;
  per_day int;
  day_keys text[];
  day_limit int;
  reusable json;
begin
  perform set_config('synchronous_commit', 'off', true);
  select json_object_agg(h.key, h.hits), coalesce(bool_or(h.hits > l."limit"), false) into o_counted, refused
    from rate_limits_hit(p_hits) h join json_to_recordset(p_hits) as l(key text, "limit" int) on l.key = h.key;
  select * into m from merchants where short_code = p_short_code and status = 'active';
  if not found then return; end if;
  o_merchant := json_build_object('row', row_to_json(m), 'clearing', (
    select coalesce(json_agg(json_build_object('merchant_id', c.merchant_id, 'currency', c.currency, 'account_id', c.account_id)), '[]'::json)
    from clearing_accounts c where c.merchant_id = m.id));
  select array_agg(distinct k.n), array_agg(distinct p_invoice_day_prefix || k.n) into known_numbers, invoice_day_keys from (
    select o.invoice_number from open_invoice_numbers o
      where p_currency is not null and cardinality(p_amounts) > 0 and o.merchant_id = m.id and o.invoice_number = any(p_numbers)
        and o.currency = p_currency and (o.amount_due = any(p_amounts) or o.total = any(p_amounts))
    union all
    select c.invoice_number from checkouts c
      where p_retry is not null and c.id = p_retry and c.merchant_id = m.id and c.invoice_number = any(p_numbers)) k(n);
  known := known_numbers is not null;
  o_known := known;
  if cardinality(p_numbers) > 0 and (select count(*) from pay_misses x
      where x.merchant_id = m.id and x.invoice_number = any(p_numbers) and x.link = p_link and x.until > p_now) = cardinality(p_numbers) then
    o_miss := true;
    return;
  end if;
  o_limits := '{}'::json;
  -- The day's Xero calls: here for an unknown click, whose client's day counter needs it now; for a
  -- known one below, after the reuse that answers without it (one statement fewer on a reused click).
  if not refused then
    per_day := coalesce(m.xero_day_limit, p_per_day);
    -- Shares of the limit Xero really applies, when learned lower (xero_budget_acquire's per_day).
    if p_budget is not null and not known then
      per_day := least(per_day, coalesce((select c.day_learned from xero_calls c
        where c.key = format(p_budget->>'org_key_format', m.xero_client_id, m.xero_tenant_id)), per_day));
    end if;
  end if;
  -- The client's day of unknown links, below the merchant's day share (and at least 1, as the
  -- per-window ones): counted with its per-window counters, so a click over it counts against
  -- nothing the merchant's customers share. At PAY_UNKNOWN_PER_CLIENT a minute, one client alone
  -- otherwise spent the whole day's share in a few hours. Its network's likewise (PAY_UNKNOWN_PER_NETWORK_DAY):
  -- one subscriber holds many /64s, and 20 of one /48, each within its own day, spent the share in under two.
  if not refused and not known and p_client_unknown_day_key is not null and p_client_unknown_day_max > 0 then
    day_limit := greatest(1, least(p_client_unknown_day_max, floor(per_day * p_unknown_day_share)::int - 1));
    own_extra := json_build_array(json_build_object('key', p_client_unknown_day_key, 'window_start', p_day_start, 'limit', day_limit));
    o_limits := json_build_object(p_client_unknown_day_key, day_limit);
  end if;
  if not refused and not known and p_network_unknown_day_key is not null and p_network_unknown_day_max > 0 then
    day_limit := greatest(1, least(p_network_unknown_day_max, floor(per_day * p_unknown_day_share)::int - 1));
    own_extra := (coalesce(own_extra::jsonb, '[]') || jsonb_build_array(jsonb_build_object('key', p_network_unknown_day_key, 'window_start', p_day_start, 'limit', day_limit)))::json;
    o_limits := (o_limits::jsonb || jsonb_build_object(p_network_unknown_day_key, day_limit))::json;
  end if;
  -- Each counting statement adds its counts to o_counted itself: a statement to merge them would be
  -- one more on every click, and run while this click holds its counters' rows. A click refused
  -- already counts against nothing more (as with the day counters below).
  if not refused then
    with own as (
      select e from json_array_elements(p_per_invoice) e where known and e->>'number' = any(known_numbers)
      union all
      select e from json_array_elements(case when known then p_client_known else p_client_unknown end) e
      union all
      select e from json_array_elements(own_extra) e)
    select (coalesce(o_counted::jsonb, '{}') || coalesce(jsonb_object_agg(h.key, h.hits), '{}'))::json, coalesce(bool_or(h.hits > l."limit"), false)
      into o_counted, over_own
      from rate_limits_hit((select json_agg(e) from own)) h
      join (select e->>'key', (e->>'limit')::int from own) as l(key, "limit") on l.key = h.key;
    refused := over_own;
  end if;
  -- Over the client's or its invoice's own counter, a click is refused without counting against the merchant's shared one.
  if not refused then
    select (coalesce(o_counted::jsonb, '{}') || coalesce(jsonb_object_agg(h.key, h.hits), '{}'))::json, coalesce(bool_or(h.hits > l."limit"), false)
      into o_counted, more_refused
      from rate_limits_hit(case when known then p_known else p_unknown end) h
      join json_to_recordset(case when known then p_known else p_unknown end) as l(key text, "limit" int) on l.key = h.key;
    refused := refused or more_refused;
  end if;
  -- Asked moments ago and still its invoice's only open checkout: sent there without asking Xero again.
  if known and not refused and p_reuse_since is not null and m.partial_min_percent is null then
    select json_agg(c) into reusable from checkouts c
      where c.merchant_id = m.id and c.invoice_number = any(known_numbers) and c.status = 'open' and c.invoice_url is not null
        and c.currency = p_currency and c.amount = any(p_reuse_amounts)
        and c.xero_read_at >= p_reuse_since and c.expires_at > p_reuse_expires_after
        and not exists (select 1 from checkouts o where o.merchant_id = m.id and o.id <> c.id and o.status in ('open', 'creating')
          and (o.xero_invoice_id = c.xero_invoice_id or o.invoice_number = c.invoice_number))
        and not exists (select 1 from checkouts o where o.merchant_id = m.id and o.xero_invoice_id = c.xero_invoice_id
          and o.status = 'paid' and o.xendit_invoice_id is not null
          and not exists (select 1 from payments p where p.merchant_id = m.id and p.xendit_invoice_id = o.xendit_invoice_id
            and p.sync_state in ('recorded', 'test_mode')));
    if json_array_length(reusable) = 1 then
      o_reuse := reusable->0;
      return;
    end if;
  end if;
  if not refused and known and p_budget is not null then
    per_day := least(per_day, coalesce((select c.day_learned from xero_calls c
      where c.key = format(p_budget->>'org_key_format', m.xero_client_id, m.xero_tenant_id)), per_day));
  end if;
  -- The day counters count only clicks let through to Xero: refused ones spend nothing.
  -- In this order, each only while nothing refused the click: an unknown link's; a known link's own
  -- invoice first, so that over its share the click does not count against what the merchant's other
  -- customers share (as with the per-minute counters), then all known links'. One statement each
  -- (keys and limit are plain expressions, not queries).
  for step in 1..3 loop
    exit when refused;
    if step = 1 and not known and p_unknown_day_key is not null then
      day_keys := array[p_unknown_day_key];
      day_limit := greatest(1, floor(per_day * p_unknown_day_share)::int);
    elsif step = 2 and known and p_invoice_day_prefix is not null then
      day_keys := invoice_day_keys;
      day_limit := greatest(p_invoice_day_min, floor(per_day * p_invoice_day_share)::int);
    elsif step = 3 and known and p_known_day_key is not null then
      day_keys := array[p_known_day_key];
      day_limit := greatest(1, floor(per_day * p_known_day_share)::int);
    else
      continue;
    end if;
    select (coalesce(o_counted::jsonb, '{}') || jsonb_object_agg(h.key, h.hits))::json, (o_limits::jsonb || jsonb_object_agg(h.key, day_limit))::json,
        bool_or(h.hits > day_limit)
      into o_counted, o_limits, refused
      from rate_limits_hit((select json_agg(json_build_object('key', k, 'window_start', p_day_start)) from unnest(day_keys) k)) h;
  end loop;
  if p_budget is not null and not refused then
    select row_to_json(d) into o_budget from xero_budget_acquire(
      format(p_budget->>'app_key_format', m.xero_client_id), format(p_budget->>'org_key_format', m.xero_client_id, m.xero_tenant_id),
      m.xero_client_id, m.xero_tenant_id, (p_budget->>'may_spend_reserve')::boolean,
      (p_budget->>'now')::timestamptz, (p_budget->>'minute')::timestamptz, (p_budget->>'minute_end')::timestamptz,
      (p_budget->>'day')::timestamptz, (p_budget->>'day_end')::timestamptz,
      (p_budget->>'per_minute')::int, (p_budget->>'per_day')::int, (p_budget->>'app_per_minute')::int, (p_budget->>'max_in_flight')::int,
      (p_budget->>'reserve_share')::float8, (p_budget->>'slot')::uuid, (p_budget->>'lease_until')::timestamptz,
      (p_budget->>'in_flight_until')::timestamptz, null, 0, 0, (p_budget->>'hour')::timestamptz) d;
  end if;
  if p_guess is not null then
    select coalesce(json_agg(c order by c.created_at), '[]'::json) into o_checkouts
      from checkouts c where c.merchant_id = m.id and c.xero_invoice_id = p_guess;
  end if;
end
$$;
