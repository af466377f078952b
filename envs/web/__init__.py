"""Web environments: a Playwright browser env with the Gymnasium API, bundled self-hosted sites, WebArena tasks.

    from envs.web.env import WebEnv, WebEnvConfig
    env = WebEnv(WebEnvConfig(), scorer, urls={"SHOPPING": "http://127.0.0.1:7770"})
    obs, info = env.reset(options={"task": task_config})     # obs["axtree"], obs["som"], obs["messages"], ...
    obs, reward, terminated, truncated, info = env.step("click [12]")   # or "Thought: ... Action: Click [12]"

    import envs.web, gymnasium
    env = gymnasium.make("agent_rl/Web-v0", task=task_config, urls={...})

Modules: env (the Gymnasium facade), session (one episode's browser context: routing, waits, actions),
browser (one shared Chromium on an asyncio loop thread), prompt (the chat prompt), actions (WebArena and PAE
grammars), observation (accessibility tree, set-of-marks), security (which URLs the agent may open),
scoring (the scorer interface), tasks (WebArena task configs), oracles (scripted solutions), sites (the
bundled sites), miniwob (MiniWoB++ pages), cli (`agent-rl eval miniwob`).
Only the Gymnasium id is registered here (by entry-point string), so `envs.web.sites` stays free of Playwright.
"""

import gymnasium

ENV_ID = "agent_rl/Web-v0"

if ENV_ID not in gymnasium.registry:
    # A live browser over live sites: the same action may land differently, so no step-determinism claim.
    gymnasium.register(ENV_ID, entry_point="envs.web.env:WebEnv", nondeterministic=True)
