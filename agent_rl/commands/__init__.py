"""The commands that run episodes for a domain (`eval webarena`, `validate|score webarena`, `eval judge`,
`eval miniwob`): they sit on top because they drive `agent_rl.rollout` over envs and evaluators, which
must not import it. Each module has a `register(add)` hook that `agent_rl.cli` calls."""
