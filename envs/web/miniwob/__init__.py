"""MiniWoB++ through `WebEnv`: the `miniwob` package's task pages served on loopback, started and scored by
the pages' own JavaScript (page.py), as task configs (tasks.py), with a random agent (random_agent.py) and
`agent-rl eval miniwob` (agent_rl/commands/miniwob.py)."""
