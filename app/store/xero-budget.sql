-- xero_budget_acquire: the Xero budget's check-and-take (app/store/xero-budget.ts) in one call.
-- plpgsql because a Xero call then costs one round trip to the database instead of a
-- seven-statement transaction (BEGIN, lock, count slots, two updates, insert slot, COMMIT), and its
-- statements are planned once per connection. Same row-lock order always ('app:' before 'org:').
-- Every rule value (counter keys, limits, window ends, who may spend the reserve) comes from the
-- caller; returns the refusal (reason, until) or the day limit that applied (per_day: the configured
-- one, the merchant's own or p_per_day, as day_configured, or less when the organisation's real one
-- was learned from Xero's answers, xero-day-learned.sql). A call taken is also counted in the
-- organisation's own calls per hour (own_hours, newest first, own_hours[1] for p_hour's hour), which
-- that learning reads. p_share (null: none) is
-- a third counter row, after the organisation's in the lock order: calls counted there (the admin's
-- pages) may take at most p_share_minute of the organisation's minute and p_share_day of its day,
-- so they never take what the customers' clicks need.
create or replace function xero_budget_acquire(
  p_app text, p_org text, p_client_id text, p_tenant_id text, p_may_spend_reserve boolean,
  p_now timestamptz, p_minute timestamptz, p_minute_end timestamptz, p_day timestamptz, p_day_end timestamptz,
  p_per_minute int, p_per_day int, p_app_per_minute int, p_max_in_flight int, p_reserve_share float8,
  p_slot uuid, p_lease_until timestamptz, p_in_flight_until timestamptz, p_share text, p_share_minute float8, p_share_day float8,
  p_hour timestamptz,
  out reason text, out until timestamptz, out per_day int, out day_configured int)
language plpgsql as $$
declare
  app_row xero_calls%rowtype;
  org_row xero_calls%rowtype;
  own int;
  v_minute_used int;
  v_day_used int;
  v_app_used int;
  v_day_left int;
  v_in_flight int;
  share_row xero_calls%rowtype;
  v_share_minute int;
  v_share_day int;
  v_shift int;
  v_hours int[];
begin
  insert into xero_calls (key, minute_start, day_start)
    select k, p_minute, p_day from unnest(array[p_app, p_org, p_share]) k where k is not null
    on conflict (key) do nothing;
  select * into app_row from xero_calls where key = p_app for update;
  select * into org_row from xero_calls where key = p_org for update;
  if p_share is not null then select * into share_row from xero_calls where key = p_share for update; end if;
  select min(xero_day_limit) into own from merchants where xero_client_id = p_client_id and xero_tenant_id = p_tenant_id;
  day_configured := case when coalesce(own, 0) > 0 then own else p_per_day end;
  per_day := least(day_configured, coalesce(org_row.day_learned, day_configured));
  if app_row.blocked_until > p_now then reason := 'blocked'; until := app_row.blocked_until; return; end if;
  if org_row.blocked_until > p_now then reason := 'blocked'; until := org_row.blocked_until; return; end if;
  v_minute_used := case when org_row.minute_start >= p_minute then org_row.minute_used else 0 end;
  v_day_used := case when org_row.day_start >= p_day then org_row.day_used else 0 end;
  v_app_used := case when app_row.minute_start >= p_minute then app_row.minute_used else 0 end;
  v_day_left := per_day - v_day_used;
  if v_day_left <= 0 then reason := 'day'; until := p_day_end; return; end if;
  if not p_may_spend_reserve and v_day_left <= ceil(per_day * p_reserve_share) then reason := 'reserve'; until := p_day_end; return; end if;
  if v_minute_used >= p_per_minute then reason := 'minute'; until := p_minute_end; return; end if;
  if v_app_used >= p_app_per_minute then reason := 'app_minute'; until := p_minute_end; return; end if;
  if p_share is not null then
    v_share_minute := case when share_row.minute_start >= p_minute then share_row.minute_used else 0 end;
    v_share_day := case when share_row.day_start >= p_day then share_row.day_used else 0 end;
    if v_share_day >= greatest(1, floor(per_day * p_share_day)::int) then reason := 'share_day'; until := p_day_end; return; end if;
    if v_share_minute >= greatest(1, floor(p_per_minute * p_share_minute)::int) then reason := 'share_minute'; until := p_minute_end; return; end if;
  end if;
  select count(*) into v_in_flight from xero_slots where key = p_org and lease_until > p_now;
  if v_in_flight >= p_max_in_flight then reason := 'in_flight'; until := p_in_flight_until; return; end if;
  -- Hours older than the last 25 fall off; a process whose clock is behind counts in the newest hour.
  v_shift := case when org_row.own_hour is null then 25 else floor(extract(epoch from p_hour - org_row.own_hour) / 3600)::int end;
  v_hours := case when v_shift >= 25 then array[0] when v_shift > 0 then (array_fill(0, array[v_shift]) || org_row.own_hours)[1:25] else org_row.own_hours end;
  v_hours[1] := v_hours[1] + 1;
  update xero_calls set minute_start = p_minute, minute_used = v_minute_used + 1, day_start = p_day, day_used = v_day_used + 1,
    own_hours = v_hours, own_hour = greatest(org_row.own_hour, p_hour) where key = p_org;
  update xero_calls set minute_start = p_minute, minute_used = v_app_used + 1 where key = p_app;
  if p_share is not null then
    update xero_calls set minute_start = p_minute, minute_used = v_share_minute + 1, day_start = p_day, day_used = v_share_day + 1 where key = p_share;
  end if;
  insert into xero_slots (id, key, lease_until) values (p_slot, p_org, p_lease_until);
end
$$;
