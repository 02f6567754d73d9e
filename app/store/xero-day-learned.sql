-- xero_day_learned: the day limit of one organisation that Xero's answer implies, for the release of a
-- call's slot (app/store/xero-budget.ts), which stores it in xero_calls.day_learned. Xero limits
-- each app per organisation and tells, in X-DayLimit-Remaining (p_remaining), how many calls of its
-- rolling 24 hours are left. Every call Xero counted for this app there is one of the gateway's own
-- calls of the last 25 hours (p_hours, per hour, newest first: p_hours[1] counts the hour starting
-- at p_hour), so remaining plus those is at least the limit Xero applies; it is more by the calls
-- still in flight and those of the oldest hour Xero no longer counts. Another installation with the
-- same Xero app calling the organisation makes it less (README: the Xero call budget).
-- A figure clearly below the configured limit (by more than p_slack) is learned; a learned one
-- moves down to a tighter figure, or up by more than p_slack (the app moved to a higher tier), and
-- is dropped (null) once Xero's answer no longer puts the limit clearly below the configured one.
-- Nothing changes without a figure, or before the gateway's count covers a whole day (p_from: when
-- it began; null: from the organisation's first call). Times as the start of their hour.
create or replace function xero_day_learned(
  p_hours int[], p_hour timestamptz, p_from timestamptz, p_now_hour timestamptz,
  p_remaining int, p_configured int, p_learned int, p_slack int) returns int
language sql stable as $$
  select case
    when p_remaining is null or p_hour is null or extract(epoch from p_now_hour) - extract(epoch from p_from) < 86400 then p_learned
    when e.est >= p_configured - p_slack then null
    when p_learned is null or e.est < p_learned or e.est > p_learned + p_slack then e.est
    else p_learned end
  from (
    select p_remaining + coalesce((
      select sum(n)::int from unnest(p_hours[1 : 25 - floor((extract(epoch from p_now_hour) - extract(epoch from p_hour)) / 3600)::int]) n
    ), 0) as est
  ) e
$$;
