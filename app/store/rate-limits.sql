-- rate_limits_hit: the rate-limit upsert (app/store/rate-limits.ts), one hit for each
-- {key, window_start} of a json array; returns each key's count. plpgsql so that the statement is
-- planned once per connection (pay_click_admit calls it on every pay click).
create or replace function rate_limits_hit(p_hits json) returns table (key text, hits int)
language plpgsql as $$
#variable_conflict use_column
begin
  return query
    insert into rate_limits as r (key, window_start, hits)
    select h.key, h.window_start, 1 from json_to_recordset(p_hits) as h(key text, window_start timestamptz)
    on conflict (key) do update set
      hits = case when excluded.window_start > r.window_start then 1 else r.hits + 1 end,
      window_start = greatest(excluded.window_start, r.window_start)
    returning r.key, r.hits;
end
$$;
