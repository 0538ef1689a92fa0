-- name: plans_generic :one
-- Test probe (plans): plan every statement of this session generically, as a pooled connection's prepared
-- statements are after their fifth run.
-- returns: SettingRow
-- index: -
SELECT set_config('plan_cache_mode', 'force_generic_plan', false) AS setting;
